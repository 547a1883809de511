"""Analysis: pure functions of DataFrames, the papers' numbers. No files, no printing, no sentences."""
