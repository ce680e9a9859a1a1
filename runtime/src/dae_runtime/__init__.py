"""dae-edge runtime: the `dae` command line and the numpy code every package shares.

Nothing here imports TensorFlow; the device installs only this package.
"""

import os

# onnxruntime 1.32's wheels (x86_64 and aarch64) start a telemetry client when imported: it writes a device id
# and an event store under ~/.cache/Microsoft/DeveloperTools/.onnxruntime and looks up
# mobile.events.data.microsoft.com every few seconds to upload them; onnxruntime.disable_telemetry_events()
# does not stop that, this variable does when it is set before the import (2026-12-06, strace). dae-edge uses
# no network at run time: off unless the user set it.
os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")

__version__ = "0.1.0"

from dae_runtime.shipped import default_model_path  # noqa: E402

__all__ = ["__version__", "default_model_path"]
