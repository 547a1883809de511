"""Vocabulary of the data model: organisations, workstreams, RAG ratings, periods, columns."""

from __future__ import annotations

import csv
import os
import re
from dataclasses import dataclass
from pathlib import Path

#: The LLR organisations, used unless a data folder declares its own (see :func:`use_organisations`).
#: CCGs' returns are stored; groups are computed from them, never stored.
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
    "fin_year",
    "month",
    "org",
    "source_file",
    "sheet",
    "column",
    "printed",
    "computed",
    "difference",
    "message",
)

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


@dataclass(frozen=True)
class Organisations:
    """The organisations a deployment reports on: CCGs (stored) and groups (computed from CCGs)."""

    ccgs: tuple[str, ...]
    groups: dict[str, tuple[str, ...]]
    names: dict[str, str]
    source: str = "built-in LLR organisations"

    @property
    def codes(self) -> tuple[str, ...]:
        return self.ccgs + tuple(self.groups)


ORGANISATIONS_FILE = "organisations.csv"
ORGANISATIONS_ENV = "QIPP_ORGANISATIONS"
_CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,15}$")
_DEFAULT = Organisations(CCGS, dict(GROUPS), dict(ORG_NAMES))
_active: Organisations | None = None


def read_organisations(path: Path | str) -> Organisations:
    """Read ``organisations.csv`` (columns code, name, members): blank members = a CCG whose returns
    are stored; members = a group computed from those CCGs (space separated). Raises ValueError."""
    path = Path(path)
    ccgs: list[str] = []
    groups: dict[str, tuple[str, ...]] = {}
    names: dict[str, str] = {}
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for n, row in enumerate(csv.DictReader(fh), start=2):
            code = (row.get("code") or "").strip().upper()
            if not _CODE_RE.match(code):
                raise ValueError(
                    f"{path.name}, row {n}, column 'code': {code!r} is not an organisation code "
                    "(capital letters and digits, up to 16)"
                )
            names[code] = (row.get("name") or "").strip() or code
            parts = tuple((row.get("members") or "").upper().split())
            if parts:
                groups[code] = parts
            else:
                ccgs.append(code)
    for g, parts in groups.items():
        unknown = [m for m in parts if m not in ccgs]
        if unknown:
            raise ValueError(f"{path.name}: group {g} lists {', '.join(unknown)}, which are not CCGs in the file")
    if not ccgs:
        raise ValueError(f"{path.name}: no organisations")
    return Organisations(tuple(ccgs), groups, names, source=str(path))


def organisations() -> Organisations:
    """The organisations in use: set by :func:`use_organisations`, else ``$QIPP_ORGANISATIONS``, else LLR."""
    global _active
    if _active is None:
        env = os.environ.get(ORGANISATIONS_ENV)
        _active = read_organisations(env) if env else _DEFAULT
    return _active


def use_organisations(data_dir: Path | str | None) -> Organisations:
    """Use the organisations a data folder declares in ``organisations.csv`` (LLR's if it has none).

    The choice is exported in ``$QIPP_ORGANISATIONS`` so kernels and workers started from this
    process agree; the registry travels with the data.
    """
    global _active
    path = Path(data_dir) / ORGANISATIONS_FILE if data_dir is not None else None
    if path is not None and path.is_file():
        _active = read_organisations(path)
        os.environ[ORGANISATIONS_ENV] = str(path.resolve())
    else:
        _active = _DEFAULT
        os.environ.pop(ORGANISATIONS_ENV, None)
    return _active


def org_name(code: str) -> str:
    """The organisation's name for headings ('ELR' -> 'East Leicestershire & Rutland CCG')."""
    return organisations().names.get(code, code)


def members(org: str) -> tuple[str, ...]:
    """The stored organisations that make up ``org`` (a CCG is itself; LLR is ELR + WL + LC)."""
    orgs = organisations()
    if org in orgs.groups:
        return orgs.groups[org]
    if org in orgs.ccgs:
        return (org,)
    raise ValueError(f"unknown organisation {org!r}; expected one of {', '.join(orgs.codes)}")
