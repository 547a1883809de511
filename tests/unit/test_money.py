import math

import pytest

from qipp_helpers.core.money import fmt_k, fmt_m, fmt_pct, parse_money


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (None, 0.0),
        ("", 0.0),
        ("-", 0.0),
        ("  ", 0.0),
        (float("nan"), 0.0),
        (1234, 1234.0),
        (-12.5, -12.5),
        ("(1,234)", -1234.0),
        ("£1,234", 1234.0),
        ("-£1,234", -1234.0),
        ("(£1,234.50)", -1234.5),
        ("1,234", 1234.0),
        (" 42 ", 42.0),
        ("(0)", -0.0),
        ("£ 7", 7.0),
    ],
)
def test_parse_money_accepts_what_exports_contain(cell, expected):
    assert parse_money(cell) == expected


@pytest.mark.parametrize("cell", ["abc", "#REF!", "#DIV/0!", "1.2.3", "£", "()", True, float("inf"), "12 34"])
def test_parse_money_rejects_text_with_the_offending_value(cell):
    with pytest.raises(ValueError, match="not a money value"):
        parse_money(cell)


def test_format_as_the_paper_prints():
    assert fmt_k(-1234.4) == "(1,234)"
    assert fmt_k(18275) == "18,275"
    assert fmt_k(-0.2) == "0"  # no "(0)"
    assert fmt_k(float("nan")) == "–"
    assert fmt_m(-18275) == "£18.275m"
    assert fmt_pct(8875 / 26642) == "33.3%"
    assert fmt_pct(-0.00001) == "0.0%"  # never "-0.0%"
    assert math.isnan(float("nan"))
