"""Money in £000: parse the forms real exports contain, format as the papers print."""

from __future__ import annotations

import math
import re

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
_BLANKS = {"", "-", "–", "—", "nil"}
#: Commas only as thousands separators: 1,234 or 1,234,567.5 (never 1.234,5 or 1,23).
_THOUSANDS = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_money(value: object) -> float:
    """Parse a money cell to a float in £000.

    Accepts numbers, blank/``-`` (zero), ``(1,234)`` (negative), ``£1,234``, ``-£1,234``
    and ``(£1,234)``. Raises ValueError with the offending text for anything else, so the
    reader can name the cell.
    """
    if value is None:
        return 0.0
    if isinstance(value, bool):
        raise ValueError(f"not a money value: {value!r}")
    if isinstance(value, (int, float)):
        if isinstance(value, float) and math.isnan(value):
            return 0.0
        if isinstance(value, float) and math.isinf(value):
            raise ValueError(f"not a money value: {value!r}")
        return float(value)
    text = str(value).strip().replace("\u00a0", "")
    if _NUMBER.match(text):  # fast path: a plain number, as CSV exports write them
        return float(text)
    if text.lower() in _BLANKS:
        return 0.0
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    if text.startswith("-"):
        negative, text = not negative, text[1:].strip()
    text = text.replace("£", "").strip()
    if "," in text and not _THOUSANDS.match(text.removesuffix("k").removesuffix("K")):
        raise ValueError(
            f"ambiguous money value {value!r}: a comma must separate thousands (1,234.5); a decimal comma "
            "(1.234,5) is not read, so write the figure as 1234.5"
        )
    text = text.replace(",", "")
    if text.lower().endswith("k"):
        text = text[:-1]
    if not _NUMBER.match(text):
        raise ValueError(f"not a money value: {value!r}")
    number = float(text)
    return -number if negative else number


def fmt_k(value: float | None, *, decimals: int = 0) -> str:
    """Format £000 as the paper does: 1234 -> '1,234', -1234 -> '(1,234)', missing -> '–'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    rounded = round(float(value), decimals)
    if rounded == 0:
        rounded = 0.0  # no "(0)" or "-0"
    text = f"{abs(rounded):,.{decimals}f}"
    return f"({text})" if rounded < 0 else text


def fmt_m(value_k: float) -> str:
    """£000 to the narrative's £m with three decimals, sign dropped: -18275 -> '£18.275m'."""
    return f"£{abs(value_k) / 1000:,.3f}m"


def fmt_pct(value: float | None, *, decimals: int = 1) -> str:
    """0.0617 -> '6.2%'; missing -> '–'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    pct = round(value * 100, decimals)
    return f"{pct + 0.0 if pct else 0.0:.{decimals}f}%"  # never "-0.0%"
