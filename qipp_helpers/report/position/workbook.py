"""The monthly position's xlsx: its declared tables, headline, notes and the sheets it adds."""

from __future__ import annotations

import pandas as pd

from ...core.orgs import org_name
from .. import changes as since
from .. import commentary as notes
from .. import printed as paper
from ..base import adjustment_sheet
from ..publish import Book, Table
from ..workbook import QIPP_SIGNS, headline_figures, provenance_notes, warning_notes, with_extras
from .model import MonthlyPosition
from .tables import executive_summary, sheets


def _declared(r: MonthlyPosition) -> Book:
    """Tables 1, 2 and 5, Appendix 1 and every scheme line; the headline; notes with the warnings in words."""
    notes = [
        ("Organisation", f"{r.org}: {org_name(r.org)}"),
        ("Units and signs", QIPP_SIGNS),
        *warning_notes(r.warnings, None if r.as_received else r.adjustments),
        *provenance_notes(r),
    ]
    tables = sheets(r)
    return Book({t.spec.name: t.table() for t in tables}, headline_figures(r), notes)


def _extras(r: MonthlyPosition) -> dict[str, pd.DataFrame | Table]:
    """Sheets of the system view, the executive summary, commentary and adjustments."""
    out: dict[str, pd.DataFrame | Table] = {}
    if r.system_orgs:
        out["ytd_by_workstream_by_org"] = r.system_ytd()
        out["fot_by_workstream_by_org"] = r.system_fot()
    if r.programme is not None:
        out["executive_summary"] = executive_summary(r, r.executive_summary_sheet()).table()
    out["red_scheme_commentary"] = notes.for_sheet(r.red_commentary(), "fot").rename(
        columns={"item": "scheme", "fot": "revised_fot"}
    )
    out["adjustments"] = adjustment_sheet(r.adjustments)
    return out


def book(r: MonthlyPosition) -> Book:
    """The workbook's tables (Tables 1, 2, 5, Appendix 1, every scheme line; the system view, executive
    summary, commentary and adjustments), headline and notes."""
    out = with_extras(_declared(r), _extras(r))
    sheet = since.xlsx_table(r.changes) if r.changes is not None else None
    if sheet is not None:
        out.tables[since.SHEET] = sheet
    if r.printed is not None and len(r.printed):
        out.tables[paper.SHEET.name] = paper.sheet(r.printed)
    return out
