"""unstuck: tells a PyTorch user why their neural network is not learning."""

__version__ = "0.1.0"


def __getattr__(name: str):
    """`unstuck.checkup(model, data, loss_fn, optimizer_factory)`, imported on first use (torch,
    scikit-learn and pandas are not loaded by `import unstuck`)."""
    if name == "checkup":
        import importlib
        return importlib.import_module("unstuck.checkup")
    raise AttributeError(f"module 'unstuck' has no attribute {name!r}")
