"""playground: learn and compare gradient-based optimizers by watching them work, in a terminal."""

__version__ = "0.1.0"
