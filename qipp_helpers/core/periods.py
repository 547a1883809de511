"""Reporting periods: NHS financial years (April-March) and their months, checked in one place.

M1 = April, M6 = September, M12 = March. A financial year is written ``2019-20``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from datetime import date

FIN_YEAR_RE = re.compile(r"^(\d{4})-(\d{2})$")
MONTH_NAMES = (
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "January",
    "February",
    "March",
)


def consecutive_runs(numbers: Iterable[int]) -> list[tuple[int, int]]:
    """Distinct integers as runs of consecutive ones, (first, last) each: [1, 2, 3, 5] -> [(1, 3), (5, 5)].

    For months ("M1–M3 and M5"), store versions ("2 to 4, 7") and worksheet rows ("B2:B4,B6:B6") alike.
    """
    runs: list[list[int]] = []
    for n in sorted(set(numbers)):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    return [(a, b) for a, b in runs]


def check_fin_year(fin_year: object) -> str:
    """``fin_year`` as ASCII ``YYYY-YY`` (consecutive years, surrounding spaces stripped), else ValueError.

    Only ASCII digits are accepted: a year typed with full-width or Arabic-Indic digits would
    otherwise be stored, and named in paths, as a different year.
    """
    text = str(fin_year if fin_year is not None else "").strip()
    m = FIN_YEAR_RE.match(text) if text.isascii() else None
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        shown = unicodedata.normalize("NFKC", str(fin_year)) if fin_year is not None else ""
        raise ValueError(f"financial year must look like 2019-20 (ASCII digits), got {shown!r}")
    return text


def check_month(month: object) -> int:
    """``month`` if it is a financial-year month 1-12 (M1 = April), else ValueError."""
    if isinstance(month, bool) or not isinstance(month, int) or not 1 <= month <= 12:
        raise ValueError(f"month must be 1-12 (M1 = April, M6 = September), got {month!r}")
    return month


def parse_months(text: str) -> list[int]:
    """'6' -> [6]; '1-6' -> [1..6]; '4,6' or '4 6' -> [4, 6]. Raises ValueError outside 1-12."""
    months: set[int] = set()
    for part in re.split(r"[,\s]+", str(text).strip()):
        if not part:
            continue
        m = re.fullmatch(r"(\d{1,2})(?:-(\d{1,2}))?", part, flags=re.ASCII)
        if not m:
            raise ValueError(f"month must look like 6, 1-6 or 4,6; got {text!r}")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if not (1 <= lo <= hi <= 12):
            raise ValueError(f"months must be 1-12 (M1 = April), low to high; got {part!r}")
        months.update(range(lo, hi + 1))
    if not months:
        raise ValueError("no month given")
    return sorted(months)


def period_label(fin_year: str, month: int) -> str:
    """'2019-20', 6 -> 'Month 6 2019/20 (September 2019)'."""
    start = int(fin_year[:4])
    calendar_year = start if month <= 9 else start + 1
    return f"Month {month} {fin_year.replace('-', '/')} ({MONTH_NAMES[month - 1]} {calendar_year})"


def previous_period(fin_year: str, month: int) -> tuple[str, int]:
    """The period before: (2019-20, 6) -> (2019-20, 5); (2019-20, 1) -> (2018-19, 12)."""
    if month > 1:
        return fin_year, month - 1
    start = int(fin_year[:4]) - 1
    return f"{start}-{(start + 1) % 100:02d}", 12


def long_date(iso: str) -> str:
    """'2019-10-17' -> '17 October 2019' (a date as a reader writes it); '' stays ''."""
    if not iso:
        return ""
    d = date.fromisoformat(iso[:10])
    return f"{d.day} {d:%B %Y}"
