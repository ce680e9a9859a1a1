"""dae-edge export: Keras model to ONNX (fp32, int8). Heavy imports stay inside functions."""

__version__ = "0.1.0"
