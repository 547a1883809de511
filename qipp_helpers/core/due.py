"""When a month's SRO returns are due: the Nth working day after month end (England bank holidays skipped).

The default, :data:`DEFAULT_WORKING_DAY` = 5, is the usual NHS month-end timetable: ledgers close on
working days 1-3, CCGs' monthly finance returns go in around working day 5-7, so the PMO asks for the
QIPP SRO returns by working day 5 to build the pack before the QAG meets. A data folder can set another
working day in ``RETURNS_DUE.txt`` (its first line: a whole number, e.g. ``7``); ``qipp status
--due-working-day`` overrides both. A return received at any time on the due day is on time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from .errors import UsageError

DEFAULT_WORKING_DAY = 5
DUE_FILE = "RETURNS_DUE.txt"


def easter_sunday(year: int) -> date:
    """Easter Sunday (Gregorian; the anonymous algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    r = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * r) // 451
    month, day = divmod(h + r - 7 * m + 114, 31)
    return date(year, month, day + 1)


#: Bank holidays moved or added by proclamation (England and Wales): date -> the rule-based one it replaces.
_MOVED = {date(2020, 5, 8): date(2020, 5, 4), date(2022, 6, 2): date(2022, 5, 30)}
_EXTRA = (date(2022, 6, 3), date(2022, 9, 19), date(2023, 5, 8), date(2012, 6, 5), date(2011, 4, 29))


def _monday(d: date, last: bool = False) -> date:
    """The first Monday on or after ``d`` (or, ``last``, on or before it)."""
    step = -1 if last else 1
    while d.weekday() != 0:
        d += timedelta(days=step)
    return d


def _substitute(days: list[date]) -> list[date]:
    """A holiday on a weekend moves to the next weekday not already a holiday."""
    out: list[date] = []
    for d in days:
        while d.weekday() >= 5 or d in out:
            d += timedelta(days=1)
        out.append(d)
    return out


def bank_holidays(year: int) -> set[date]:
    """England and Wales bank holidays of a calendar year."""
    easter = easter_sunday(year)
    rule = [
        *_substitute([date(year, 1, 1)]),
        easter - timedelta(days=2),
        easter + timedelta(days=1),
        _monday(date(year, 5, 1)),
        _monday(date(year, 5, 31), last=True),
        _monday(date(year, 8, 31), last=True),
        *_substitute([date(year, 12, 25), date(year, 12, 26)]),
    ]
    moved = {old: new for new, old in _MOVED.items() if new.year == year}
    return {moved.get(d, d) for d in rule} | {d for d in _EXTRA if d.year == year}


def is_working_day(d: date) -> bool:
    """Monday to Friday and not a bank holiday."""
    return d.weekday() < 5 and d not in bank_holidays(d.year)


def month_end(fin_year: str, month: int) -> date:
    """The last day of a financial-year month: ('2019-20', 7) -> 2019-10-31."""
    start = int(fin_year[:4])
    year, cal_month = (start, month + 3) if month <= 9 else (start + 1, month - 9)
    first_next = date(year + cal_month // 12, cal_month % 12 + 1, 1)
    return first_next - timedelta(days=1)


@dataclass(frozen=True)
class ReturnsDue:
    """The due-date rule: returns are due by the end of this working day after month end."""

    working_day: int = DEFAULT_WORKING_DAY

    def __post_init__(self) -> None:
        if not isinstance(self.working_day, int) or not 1 <= self.working_day <= 20:
            raise UsageError(f"returns are due on a working day 1-20 after month end, not {self.working_day!r}")

    def date(self, fin_year: str, month: int) -> date:
        """The due date of a month's returns: ('2019-20', 7), working day 5 -> 2019-11-07."""
        d, n = month_end(fin_year, month), 0
        while n < self.working_day:
            d += timedelta(days=1)
            n += is_working_day(d)
        return d

    def words(self) -> str:
        """'working day 5 after month end'."""
        return f"working day {self.working_day} after month end"

    @classmethod
    def for_data_dir(cls, data_dir: Path | str) -> ReturnsDue:
        """The rule a data folder sets in its ``RETURNS_DUE.txt`` (first line: the working day), else the default."""
        path = Path(data_dir) / DUE_FILE
        if not path.is_file():
            return cls()
        first = (path.read_text(encoding="utf-8", errors="replace").strip().splitlines() or [""])[0].strip()
        if not first.isdigit():
            raise UsageError(f"{path}: its first line must be the working day after month end returns are due, e.g. 5")
        return cls(int(first))


def days_late(received: date, due: date) -> int:
    """Calendar days after the due date (0 or less: on time; the due day itself is on time)."""
    return (received - due).days
