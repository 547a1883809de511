"""qipp-workbooks helpers: load and validate QIPP returns, compute the QAG tables, draw, format."""

__version__ = "0.2.0"
