"""Month lists for `qipp run --months`."""

from __future__ import annotations

import pytest

from qipp_helpers.core.periods import parse_months


def test_parse_months():
    assert parse_months("6") == [6]
    assert parse_months("1-6") == [1, 2, 3, 4, 5, 6]
    assert parse_months("4,6 2") == [2, 4, 6]
    for bad in ("0", "13", "6-1", "June", ""):
        with pytest.raises(ValueError):
            parse_months(bad)
