"""The simulator's version: recorded in every run's manifest, read by the package metadata."""

__version__ = "0.1.0"
