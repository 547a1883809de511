"""The benchmarks: scripts run by path (``.venv/bin/python benchmarks/batch.py``), not part of the product.

A package so that the tests can import the in-process floor (``benchmarks.inprocess``) that
``benchmarks/batch.py`` measures the batch against.
"""
