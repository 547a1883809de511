"""The FRP bridge's xlsx."""

from __future__ import annotations

from ...core.money import fmt_k
from ...core.orgs import org_name
from ..publish import Book, Figure
from ..style import SIGN_CONVENTION
from ..workbook import provenance_notes
from .model import FrpBridge
from .tables import sheets


def book(r: FrpBridge) -> Book:
    """Table 6 as lines and subtotals, the organisation split, Paper E's schemes, the printed figures checked."""
    figures = [
        Figure("FRP position as at", r.as_at, "text"),
        *(
            Figure(str(row.step), float(row.value))
            for row in r.bridge[(r.bridge["kind"] == "total")].itertuples(index=False)
        ),
        Figure("Printed figures that do not add up", len(r.checks), "count"),
    ]
    checked = [
        f"{c.where}, {c.column}: printed {fmt_k(c.printed)}, computed {fmt_k(c.computed)}, a difference of "
        f"{fmt_k(c.difference)} ({c.source_sheet} row {c.source_row}). The tables use the computed value."
        for c in r.checks.itertuples(index=False)
    ]
    notes = [
        ("System", f"{r.org}: {org_name(r.org)}"),
        (
            "Units and signs",
            SIGN_CONVENTION
            + " Money is in £000 with the FRP's signs, as Paper D Table 6 and Paper E print them: a deficit is "
            "negative and FRP savings are positive (the opposite of the QIPP reports, where savings are negative).",
        ),
        *(
            [("Printed figures that do not add up", t) for t in checked]
            or [("Printed figures checked", "Every printed figure agrees with the figures it is computed from.")]
        ),
        *provenance_notes(r, previous=False),
    ]
    filled = sheets(r)
    return Book({t.spec.name: t.table() for t in filled}, figures, notes)
