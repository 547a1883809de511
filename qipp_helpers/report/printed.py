"""What a report says about tables rebuilt from rounded scheme lines, and how they compare with the printed paper.

A dashboard prints each scheme line rounded to £000; the tables are sums of those lines, so a cell
may differ from the paper that printed the same table by a few £000 even where every Grand Total
ties. Every such table says so in one line (:func:`rounding_line`); where the printed paper of the
month is held as reference (Paper D, M6 2019/20), the data-quality notes count the cells that
differ and the largest difference per table (:func:`note_paragraphs`, :func:`note_table`), and the
workbook lists every cell (:func:`sheet`).
"""

from __future__ import annotations

import pandas as pd

from ..analysis import printed as pr
from ..core.money import fmt_k
from ..core.orgs import members, organisations
from ..reference import paper_d_printed_tables
from .publish import Table
from .tables import Col, TableSpec, money, text

#: The printed paper each reference table comes from, as the notes name it.
PAPER = "Paper D"
#: Which printed table each report table reproduces (the keys of objects.TABLE_MEASURES).
TABLE_OF = {"table1": "Table 1", "table2": "Table 2", "table5": "Table 5", "red": "Appendix 1"}
#: The workbook's sheet of every printed cell beside the pack's figure, declared once (numbers, not text; no
#: total row, and no column would total: each says ``blank``).
SHEET = TableSpec(
    "printed_reconciliation",
    (
        text("table", "Printed table", total="blank"),
        text("org", "Organisation", total="blank"),
        text("row", "Line", total="blank"),
        text("column", "Column", total="blank"),
        money("printed", "Printed (£000)", total="blank"),
        money("computed", "This pack (£000)", total="blank"),
        money("difference", "Difference (pack − printed)", total="blank"),
    ),
    title=f"Every money cell {PAPER} printed in its Tables 1, 2, 5 and Appendix 1, beside the figure this pack "
    "shows (rounded to £000) and the difference; the pack's tables are sums of scheme lines rounded to £000.",
    freeze_columns=4,
)


def printed_for(fin_year: str, month: int) -> pd.DataFrame:
    """The printed reference cells held for the month (empty when no printed paper is held for it)."""
    ref = paper_d_printed_tables()
    return ref[(ref["fin_year"] == fin_year) & (ref["month"] == month)].reset_index(drop=True)


def cells(returns: pd.DataFrame, *, fin_year: str, month: int, org: str) -> pd.DataFrame | None:
    """Every printed money cell of ``org``'s tables (a group: its members' too) beside the figure the pack
    shows; None when no printed paper is held for the month. ``returns`` include the adjustments."""
    ref = printed_for(fin_year, month)
    if ref.empty:
        return None
    codes = organisations().codes
    wanted = [org, *members(org)] if org in codes else [org]
    orgs = [o for o in dict.fromkeys(ref["org"]) if o in wanted]
    if not orgs:
        return None
    ref = ref[ref["org"].isin(orgs)]
    return pr.reconcile(pr.computed_cells(returns, fin_year, month, orgs), ref)


def rounding_line(rows: pd.DataFrame, table: str, found: pd.DataFrame | None = None) -> str:
    """The one line under a table built from scheme lines rounded to £000 ('' when the lines are unrounded).

    With ``found`` (this report's :func:`cells`) it says how many of the table's cells differ from the
    printed paper and by how much at most.
    """
    if rows.empty or not pr.rounded_lines(rows):
        return ""
    base = "Built from scheme lines rounded to £000: a figure may differ from a printed total by a few £000."
    printed = TABLE_OF.get(table)
    if found is None or printed is None or not (found["table"] == printed).any():
        return base
    part = found[found["table"] == printed]
    differ = part["difference"].abs() > 0
    if not differ.any():
        return f"Built from scheme lines rounded to £000; every cell agrees with {PAPER} {printed} as printed."
    return (
        f"Built from scheme lines rounded to £000: {int(differ.sum())} of the {len(part)} money cells differ from "
        f"{PAPER} {printed} as printed, by at most £{part['difference'].abs().max():,.0f}k (data-quality notes)."
    )


#: The data-quality note's table: per printed table, its money cells, the cells that differ and the largest
#: difference (:func:`qipp_helpers.analysis.printed.summary`).
NOTE_TABLE = TableSpec(
    "printed_differences",
    (
        text("title", f"{PAPER} table"),
        Col("cells", "Money cells printed", "count"),
        Col("differ", "Cells that differ", "count"),
        money("largest", "Largest difference (£000)"),
    ),
)


def note_table(found: pd.DataFrame) -> pd.DataFrame:
    """Per printed table: money cells, cells that differ, largest difference (:data:`NOTE_TABLE`'s display text)."""
    return NOTE_TABLE.display(pr.summary(found))


def _totals_that_differ(found: pd.DataFrame) -> list[str]:
    tot = found[(found["row"] == "Total") & (found["difference"].abs() > 0)]
    return [
        f"{r.table} {r.org} {str(r.column).replace('_', ' ')} {fmt_k(r.computed)} (printed {fmt_k(r.printed)})"
        for r in tot.itertuples(index=False)
    ]


def note_paragraphs(found: pd.DataFrame, *, fin_year: str, month: int) -> list[str]:
    """The data-quality note's words: why cells differ, which totals do, where every cell is listed."""
    s = pr.summary(found)
    differ, total = int(s["differ"].sum()), int(s["cells"].sum())
    out = [
        f"{PAPER} printed these tables for {fin_year.replace('-', '/')} M{month}. The pack rebuilds them from the "
        "scheme lines of the dashboards, which are printed rounded to £000, so a sum of lines can differ from the "
        f"printed cell by a few £000 even where the Grand Totals agree. Of the {total} printed money cells, "
        f"{differ} differ from the figure this pack shows; no difference exceeds £{s['largest'].max():,.0f}k.",
    ]
    totals = _totals_that_differ(found)
    if totals:
        out.append("Totals that differ: " + "; ".join(totals) + ".")
    out.append(
        "Every cell, printed and computed, is listed in the LLR monthly position workbook (sheet "
        f"{SHEET.name}). £000; savings negative in brackets."
    )
    return out


def sheet(found: pd.DataFrame) -> Table:
    """Every printed cell with the pack's figure and the difference, for the workbook (:data:`SHEET`)."""
    return SHEET.fill(found.assign(column=found["column"].str.replace("_", " "))).table()


#: Printed total cells the summary page shows, and how it names them.
SUMMARY_CELLS = {
    ("Table 2", "plan"): "annual plan",
    ("Table 2", "fot"): "forecast out-turn",
    ("Table 2", "variance"): "under delivery",
    ("Table 2", "monthly_movement"): "movement",
    ("Table 5", "assured"): "PMO assured",
    ("Appendix 1", "annual_plan"): "red-rated plan",
    ("Appendix 1", "fot"): "red-rated forecast",
}


def summary_line(found: pd.DataFrame | None) -> str:
    """The line under the summary's headline table: its figures that differ from the printed paper ('' if none)."""
    if found is None or found.empty:
        return ""
    tot = found[(found["row"] == "Total") & (found["difference"].abs() > 0)]
    parts = [
        f"{org} {SUMMARY_CELLS[(table, col)]} {fmt_k(shown)} (printed {fmt_k(printed)})"
        for table, org, col, shown, printed in zip(
            tot["table"], tot["org"], tot["column"], tot["computed"], tot["printed"], strict=True
        )
        if (table, col) in SUMMARY_CELLS
    ]
    if not parts:
        return f"Every figure here agrees with {PAPER} as printed."
    return (
        f"Built from scheme lines rounded to £000, so some figures differ from {PAPER} as printed by £1k-£6k: "
        + "; ".join(parts)
        + ". The data-quality notes count every cell that differs."
    )
