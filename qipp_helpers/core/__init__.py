"""Vocabulary every layer shares: organisations, periods, money, errors, safe files."""
