"""The library's version, at the lowest layer so any module can read it without the package root."""

__version__ = "0.1.0"
