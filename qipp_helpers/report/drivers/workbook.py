"""The under-delivery drivers' xlsx."""

from __future__ import annotations

from ...core.orgs import org_name
from ..publish import Book
from ..workbook import QIPP_SIGNS, headline_figures, provenance_notes, warning_notes
from .model import UnderDelivery
from .tables import sheets


def book(r: UnderDelivery) -> Book:
    """Sheets ``drivers`` and ``fot_movement`` (scheme group, section, one column per organisation shown), with
    the commentary beside them and the adjustments included (:func:`.tables.sheets`); headline; notes."""
    signs = (
        QIPP_SIGNS + " In Table 4 a positive value is a driver of under-delivery and a negative one an "
        "over-delivery that offsets it; Other is the rest, so each column adds up to the total."
    )
    notes = [
        ("Organisation", f"{r.org}: {org_name(r.org)}"),
        ("Units and signs", signs),
        *warning_notes(r.warnings, None if r.as_received else r.adjustments),
        *provenance_notes(r),
    ]
    tables = sheets(r)
    return Book({t.spec.name: t.table() for t in tables}, headline_figures(r), notes)
