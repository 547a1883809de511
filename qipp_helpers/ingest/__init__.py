"""Ingest: guard, read (one reader per input layout), validate and store return files."""
