"""Seeded generators of demonstration and test data (never imported by the runtime)."""
