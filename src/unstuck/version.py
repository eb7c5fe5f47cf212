"""The version of unstuck, in a module of its own so that what prints it (the JSON report, the
CLI) need not import the package's `__init__`."""

__version__ = "0.1.0"
