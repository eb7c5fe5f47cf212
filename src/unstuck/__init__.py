"""unstuck: tells a PyTorch user why their neural network is not learning."""

from unstuck.version import __version__  # noqa: F401


def __getattr__(name: str):
    # Imported on first use, so `import unstuck` (and the CLI's start) stays free of torch.
    if name in ("watch", "WatchSession"):
        from unstuck import watching
        return getattr(watching, name)
    if name == "Checkpointer":
        from unstuck.logbook.checkpoints import Checkpointer
        return Checkpointer
    # `unstuck.checkup(model, data, loss_fn, optimizer_factory)`: the package is callable.
    if name == "checkup":
        import importlib
        return importlib.import_module("unstuck.checkup")
    raise AttributeError(f"module 'unstuck' has no attribute {name!r}")


def load_ipython_extension(ip):
    """`%load_ext unstuck`: the %%unstuck cell magic and friends (see unstuck.ipython)."""
    from unstuck.ipython import load_ipython_extension as load
    load(ip)


def unload_ipython_extension(ip):
    from unstuck.ipython import unload_ipython_extension as unload
    unload(ip)
