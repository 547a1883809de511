"""Vocabulary of the data model: organisations, workstreams, RAG ratings, periods, columns."""

from __future__ import annotations

import re

#: CCGs whose returns are stored; groups are computed from them, never stored.
CCGS: tuple[str, ...] = ("ELR", "WL", "LC")
GROUPS: dict[str, tuple[str, ...]] = {"LLR": CCGS}
ORG_NAMES: dict[str, str] = {
    "ELR": "East Leicestershire & Rutland CCG",
    "WL": "West Leicestershire CCG",
    "LC": "Leicester City CCG",
    "LLR": "Leicester, Leicestershire & Rutland (ELR + WL + LC)",
}

#: The twelve workstreams of Paper D Tables 1 and 2, in the paper's order.
WORKSTREAMS: tuple[str, ...] = (
    "CHC",
    "Children's",
    "Community Health",
    "Contracting",
    "Corporate",
    "Integrated Teams",
    "Medicines Management",
    "Mental Health",
    "Planned Care",
    "Primary Care",
    "Unidentified",
    "Urgent Care",
)

#: Overall PMO RAG values. Blue = completed, Grey = closed.
RAGS: tuple[str, ...] = ("Green", "Amber", "Red", "Blue", "Grey")
RAG_ALIASES: dict[str, str] = {"completed": "Blue", "closed": "Grey"}
RAG_COLOURS: dict[str, str] = {
    "Green": "#009639",
    "Amber": "#FFB81C",
    "Red": "#DA291C",
    "Blue": "#005EB8",
    "Grey": "#768692",
}

MONEY_COLUMNS: tuple[str, ...] = ("plan_ytd", "actual_ytd", "annual_plan", "fot", "assured")

#: Columns of the tidy scheme-returns table, in storage order.
RETURN_COLUMNS: tuple[str, ...] = (
    "fin_year",
    "month",
    "org",
    "row",
    "scheme_no",
    "scheme_name",
    "workstream",
    "milestones",
    "financial_benefits",
    "risk_issue",
    "rag",
    *MONEY_COLUMNS,
    "provenance",
    "source_file",
    "source_sheet",
    "source_row",
)

WARNING_COLUMNS: tuple[str, ...] = (
    "fin_year", "month", "org", "source_file", "sheet", "column", "printed", "computed", "difference", "message",
)

FIN_YEAR_RE = re.compile(r"^(\d{4})-(\d{2})$")
MONTH_NAMES = ("April", "May", "June", "July", "August", "September",
               "October", "November", "December", "January", "February", "March")


def check_fin_year(fin_year: str) -> str:
    """Return ``fin_year`` if it looks like ``2019-20`` (consecutive years), else raise ValueError."""
    m = FIN_YEAR_RE.match(fin_year or "")
    if not m or (int(m.group(1)) + 1) % 100 != int(m.group(2)):
        raise ValueError(f"financial year must look like 2019-20, got {fin_year!r}")
    return fin_year


def check_month(month: int) -> int:
    """Return ``month`` if it is a financial-year month 1-12 (M1 = April), else raise ValueError."""
    if not isinstance(month, int) or not 1 <= month <= 12:
        raise ValueError(f"month must be 1-12 (M1 = April, M6 = September), got {month!r}")
    return month


def period_label(fin_year: str, month: int) -> str:
    """'2019-20', 6 -> 'Month 6 2019/20 (September 2019)'."""
    start = int(fin_year[:4])
    calendar_year = start if month <= 9 else start + 1
    return f"Month {month} {fin_year.replace('-', '/')} ({MONTH_NAMES[month - 1]} {calendar_year})"


def members(org: str) -> tuple[str, ...]:
    """The stored organisations that make up ``org`` (a CCG is itself; LLR is ELR + WL + LC)."""
    if org in GROUPS:
        return GROUPS[org]
    if org in CCGS:
        return (org,)
    raise ValueError(f"unknown organisation {org!r}; expected one of {', '.join(CCGS + tuple(GROUPS))}")
