"""The engines the export package adds to `dae compare` (entry-point group dae_edge.engines in
export/pyproject.toml): the Keras original and its TFLite peers. They need TensorFlow (or
ai-edge-litert), which is why they live here and not in the runtime."""
