"""runner: a batch job runner for one workstation."""

__version__ = "0.1.0"
