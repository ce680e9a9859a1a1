"""dae-edge runtime: the `dae` command line and the numpy code every package shares.

Nothing here imports TensorFlow; the device installs only this package.
"""

__version__ = "0.1.0"

from dae_runtime.shipped import default_model_path  # noqa: E402

__all__ = ["__version__", "default_model_path"]
