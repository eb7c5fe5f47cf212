"""unstuck: tells a PyTorch user why their neural network is not learning."""

__version__ = "0.1.0"
