"""The tables the product rebuilds, set cell by cell against the same tables as a paper printed them.

Paper D's Tables 1, 2 and 5 and Appendix 1 are rebuilt from the scheme lines of its dashboards,
which are printed rounded to £000; summed, the rounded lines differ from the printed cells by a
few £000 even where every total ties. This module measures that: for every money cell the paper
printed (``qipp_helpers.reference.paper_d_printed_tables``), the figure the pack shows (rounded to
£000 as displayed), the printed one and the difference. Pure functions of DataFrames.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..core.periods import previous_period
from . import position as t

#: How the data-quality notes name each table (Paper D's own titles).
TABLE_TITLES = {
    "Table 1": "Table 1: Month 6 year to date delivery",
    "Table 2": "Table 2: Month 6 forecast out-turn",
    "Table 5": "Table 5: Forecast out-turn by overall PMO RAG rating and assured value",
    "Appendix 1": "Appendix 1: PMO red-rated schemes",
}
CELL_COLUMNS = ["table", "org", "row", "column", "printed", "computed", "difference"]


def _long(df: pd.DataFrame, table: str, org: str, label: str, cols: list[str]) -> pd.DataFrame:
    out = df[[label, *cols]].melt(id_vars=label, var_name="column", value_name="computed")
    return out.rename(columns={label: "row"}).assign(table=table, org=org)


def computed_cells(returns: pd.DataFrame, fin_year: str, month: int, orgs: list[str]) -> pd.DataFrame:
    """Every money cell of Tables 1, 2 (each of ``orgs``), 5 and Appendix 1 (the group, last of ``orgs``).

    ``returns`` are the rows the reports show (with their control-total adjustments). Columns: table,
    org, row, column, computed (£000, unrounded).
    """
    prev_fy, prev_m = previous_period(fin_year, month)
    parts = []
    for org in orgs:
        rows = t.select(returns, fin_year, month, org)
        if rows.empty:
            continue
        prev = t.select(returns, prev_fy, prev_m, org)
        ytd = t.ytd_by_workstream(rows)
        fot = t.fot_by_workstream(rows, prev if len(prev) else None)
        parts.append(_long(ytd, "Table 1", org, "workstream", ["plan", "deliveries", "variance"]))
        parts.append(_long(fot, "Table 2", org, "workstream", ["plan", "fot", "variance", "monthly_movement"]))
    group = orgs[-1]
    rows = t.select(returns, fin_year, month, group)
    if len(rows):
        rag = t.fot_by_rag(rows)
        cols = [c for c in ("green", "amber", "red", "completed", "total", "assured") if c in rag.columns]
        parts.append(_long(rag, "Table 5", group, "programme_area", cols))
        red = t.red_schemes(rows).groupby("scheme_name", sort=False)[["annual_plan", "fot"]].sum().reset_index()
        parts.append(_long(red, "Appendix 1", group, "scheme_name", ["annual_plan", "fot"]))
    if not parts:
        return pd.DataFrame(columns=["table", "org", "row", "column", "computed"])
    return pd.concat(parts, ignore_index=True)[["table", "org", "row", "column", "computed"]]


def reconcile(computed: pd.DataFrame, printed: pd.DataFrame) -> pd.DataFrame:
    """Each printed cell beside the figure shown (rounded to £000 as displayed) and ``difference`` = shown −
    printed. A printed cell the product does not show has ``computed`` NaN. Columns: :data:`CELL_COLUMNS`."""
    keys = ["table", "org", "row", "column"]
    merged = printed[[*keys, "printed"]].merge(computed, on=keys, how="left")
    merged["computed"] = np.round(merged["computed"].astype(float)) + 0.0  # no -0.0
    merged["difference"] = merged["computed"] - merged["printed"]
    return merged[CELL_COLUMNS].reset_index(drop=True)


def summary(cells: pd.DataFrame) -> pd.DataFrame:
    """Per table, in the paper's order: money cells printed, cells that differ, the largest difference (£000).

    Columns: table, title, cells, differ, largest (absolute, £000), missing (printed cells not shown).
    """
    rows = []
    for table, part in cells.groupby("table", sort=False):
        diff = part["difference"].dropna().abs()
        rows.append(
            {
                "table": table,
                "title": TABLE_TITLES.get(str(table), str(table)),
                "cells": len(part),
                "differ": int((diff > 0).sum()),
                "largest": float(diff.max()) if len(diff) else 0.0,
                "missing": int(part["computed"].isna().sum()),
            }
        )
    order = list(TABLE_TITLES)
    out = pd.DataFrame(rows, columns=["table", "title", "cells", "differ", "largest", "missing"])
    return out.sort_values("table", key=lambda s: s.map(lambda x: order.index(x) if x in order else len(order)))


def rounded_lines(rows: pd.DataFrame) -> bool:
    """True when every money figure of the scheme lines is a whole £000 (lines rounded before summing)."""
    money = rows[["plan_ytd", "actual_ytd", "annual_plan", "fot", "assured"]].to_numpy(dtype=float)
    money = money[~np.isnan(money)]
    return bool(len(money)) and bool(np.all(money == np.round(money)))
