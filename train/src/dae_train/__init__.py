"""dae-edge training: the seed denoising autoencoder on noisy MNIST, in Keras.

TensorFlow is imported inside the functions that need it, never on import of this package.
"""

__version__ = "0.1.0"
