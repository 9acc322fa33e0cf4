"""spoke: a fast, safe Python package installer with pip's interface."""

__version__ = "0.1.0"
