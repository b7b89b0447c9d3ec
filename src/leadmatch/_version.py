"""The package's version, in a leaf module so that the index file store can stamp it without
importing the package's face."""

__version__ = "0.1.0"
