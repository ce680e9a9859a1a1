"""dae-edge export: Keras model to ONNX (fp32, int8). Heavy imports stay inside functions."""

import os

os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")  # as dae_runtime does: onnxruntime phones home otherwise

__version__ = "0.1.0"
