"""The tool's name, version and the disclaimer every figure and report carries. Imports nothing."""

__version__ = "0.1.0"
DISCLAIMER = "Illustrative scenario exploration — not a forecast"
