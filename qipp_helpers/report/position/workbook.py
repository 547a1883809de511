"""The monthly position's xlsx: its declared tables, headline, notes and the sheets it adds."""

from __future__ import annotations

from ...core.orgs import org_name
from .. import changes as since
from .. import printed as paper
from ..publish import Book
from ..workbook import QIPP_SIGNS, headline_figures, provenance_notes, warning_notes
from .model import MonthlyPosition
from .tables import sheets


def _declared(r: MonthlyPosition) -> Book:
    """The declared tables (:func:`.tables.sheets`: Tables 1, 2 and 5, Appendix 1, every scheme line; for a system
    Tables 1 and 2 per CCG; the executive summary, red-scheme commentary and adjustments); the headline; notes
    with the warnings in words."""
    notes = [
        ("Organisation", f"{r.org}: {org_name(r.org)}"),
        ("Units and signs", QIPP_SIGNS),
        *warning_notes(r.warnings, None if r.as_received else r.adjustments),
        *provenance_notes(r),
    ]
    tables = sheets(r)
    return Book({t.spec.name: t.table() for t in tables}, headline_figures(r), notes)


def book(r: MonthlyPosition) -> Book:
    """The workbook's tables (Tables 1, 2, 5, Appendix 1, every scheme line; the system view, executive
    summary, commentary and adjustments; the changes since last month and the printed reconciliation), headline
    and notes."""
    out = _declared(r)
    sheet = since.xlsx_table(r.changes) if r.changes is not None else None
    if sheet is not None:
        out.tables[since.SHEET] = sheet
    if r.printed is not None and len(r.printed):
        out.tables[paper.SHEET.name] = paper.sheet(r.printed)
    return out
