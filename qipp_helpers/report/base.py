"""What every QIPP report object shares: the period it covers and how its rows, adjustments and warnings are read."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..analysis import adjustments as adj
from ..analysis import position as t
from ..core.orgs import members
from ..core.periods import period_label, previous_period
from ..reference import (
    PAPER_D_PERIOD,
)
from . import commentary as notes
from .tables import Col, Filled, TableSpec, money, text

#: Measures each table shows, for the footnote naming the adjustments it includes.
TABLE_MEASURES: dict[str, tuple[str, ...]] = {
    "headline": ("annual_plan", "plan_ytd", "actual_ytd", "fot", "assured"),
    "table1": ("plan_ytd", "actual_ytd"),
    "table2": ("annual_plan", "fot"),
    "table3": ("fot",),
    "table4": ("annual_plan", "fot"),
    "table5": ("fot", "assured"),
    "red": ("annual_plan", "fot"),
    "split": ("annual_plan", "fot", "assured"),
    "programme": ("annual_plan", "plan_ytd", "actual_ytd", "fot"),
}


#: The period and organisation Paper D's executive summary and PMO risk ratings were published for.
PAPER_D_REPORT = (*PAPER_D_PERIOD, "LLR")


class ReportPeriod:
    """The period label every report shows ('Month 6 2019/20 (September 2019)')."""

    fin_year: str
    month: int

    @property
    def period(self) -> str:
        return period_label(self.fin_year, self.month)


def rows_and_previous(
    returns: pd.DataFrame, *, fin_year: str, month: int, org: str
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """This month's rows for ``org`` (every member must have returned) and last month's, if complete."""
    rows = t.select(returns, fin_year, month, org)
    if rows.empty:
        held = ", ".join(f"{fy} M{m}" for fy, m in t.available_periods(returns, org)) or "none"
        raise LookupError(f"no returns held for {org} in {fin_year} month {month} (held: {held})")
    missing = t.missing_members(returns, fin_year, month, org)
    if missing:
        raise LookupError(f"{org} needs returns from {', '.join(missing)} for {fin_year} month {month}")
    return rows, t.complete_rows(returns, *previous_period(fin_year, month), org)


def _warnings_for(warnings: pd.DataFrame, *, fin_year: str, month: int, org: str) -> pd.DataFrame:
    keys = {org, *members(org)}
    w = warnings[(warnings["fin_year"] == fin_year) & (warnings["month"] == month) & warnings["org"].isin(keys)]
    return w.reset_index(drop=True)


def returns_report(
    returns: pd.DataFrame,
    warnings: pd.DataFrame,
    adjustments: pd.DataFrame | None,
    commentary: pd.DataFrame | None,
    *,
    fin_year: str,
    month: int,
    org: str,
    as_received: bool,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """(the returns to report on, the fields every report on ``org``'s month of returns carries).

    The returns include the control-total adjustments unless ``as_received``; the fields are the period,
    this month's and last month's rows, the headline, the reconciliation warnings, where the rows come
    from, the adjustments included (with the headline as received beside them) and the commentary.
    """
    received = returns
    returns, applied = with_adjustments(returns, adjustments, as_received=as_received)
    rows, prev = rows_and_previous(returns, fin_year=fin_year, month=month, org=org)
    where: dict[str, Any] = {"fin_year": fin_year, "month": month, "org": org}
    return returns, {
        **where,
        "rows": rows,
        "previous": prev,
        "headline": t.headline(rows, prev, **where),
        "warnings": _warnings_for(warnings, **where),
        "provenance": _received_provenance(rows),
        "previous_provenance": _received_provenance(prev) if prev is not None else [],
        "as_received": as_received,
        "adjustments": adjustments_for(applied, **where),
        "received": _received_headline(received, **where) if len(applied) else None,
        "commentary": notes.for_report(commentary, **where),
    }


def with_adjustments(
    returns: pd.DataFrame, adjustments: pd.DataFrame | None, *, as_received: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the rows to report on, the adjustments they include): returns plus adjustments unless ``as_received``."""
    if as_received or adjustments is None or adjustments.empty:
        return returns, adj.empty_adjustments()
    return adj.apply_adjustments(returns, adjustments), adjustments


def adjustments_for(adjustments: pd.DataFrame, *, fin_year: str, month: int, org: str) -> pd.DataFrame:
    """The adjustments of ``org``'s members for the month: what this month's tables include."""
    if adjustments.empty:
        return adj.empty_adjustments()
    keep = (
        (adjustments["fin_year"] == fin_year) & (adjustments["month"] == month) & adjustments["org"].isin(members(org))
    )
    return adjustments[keep].reset_index(drop=True)


def _received_provenance(rows: pd.DataFrame) -> list[str]:
    """Where the rows as received come from (adjustment lines are listed with the adjustments, not here)."""
    if "is_adjustment" in rows:
        rows = rows[~rows["is_adjustment"].astype(bool)]
    return sorted(set(rows["provenance"]))


def _received_headline(received: pd.DataFrame, *, fin_year: str, month: int, org: str) -> t.Headline | None:
    """The headline of the returns exactly as received, shown beside the adjusted one in the data-quality section."""
    rows = t.complete_rows(received, fin_year, month, org)
    if rows is None:
        return None
    prev = t.complete_rows(received, *previous_period(fin_year, month), org)
    return t.headline(rows, prev, org=org, fin_year=fin_year, month=month)


#: The adjustments sheet's columns, one row per adjusted line and measure.
ADJUSTMENT_COLUMNS = (
    text("adjustment_id", "Adjustment"),
    text("org", "Organisation"),
    text("measure", "Measure"),
    money("amount", "Amount"),
    text("scheme_no", "Scheme no."),
    text("scheme_name", "Scheme name"),
    text("workstream", "Workstream"),
    text("basis", "Basis"),
    text("evidence", "Evidence"),
    text("provenance", "Provenance"),
    text("source_file", "Source file"),
    text("source_sheet", "Source sheet"),
    Col("source_row", "Source row", "count"),
)


def adjustment_sheet(adjustments: pd.DataFrame) -> Filled:
    """The adjustments a report includes, one row per line and measure: a sheet of the position's and the
    drivers' workbooks, so a reader sees what was added to the returns to meet the printed totals."""
    spec = TableSpec(
        "adjustments",
        ADJUSTMENT_COLUMNS,
        title="The control-total adjustments the tables include, one row per line and measure (£000), with their "
        "basis and evidence.",
    )
    return spec.fill(adjustments.reindex(columns=[c.key for c in ADJUSTMENT_COLUMNS]).reset_index(drop=True))
