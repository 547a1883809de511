"""Assemble the monthly position report: every table, chart input and sentence, for one org/month."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import tables as t
from .model import ORG_NAMES, members, period_label
from .money import fmt_m


@dataclass
class MonthlyPosition:
    """Everything the monthly position notebook shows, computed once."""

    fin_year: str
    month: int
    org: str
    rows: pd.DataFrame
    previous: pd.DataFrame | None
    headline: t.Headline
    ytd: pd.DataFrame
    fot: pd.DataFrame
    rag: pd.DataFrame
    red: pd.DataFrame
    schemes: pd.DataFrame
    split: pd.DataFrame
    history: pd.DataFrame
    warnings: pd.DataFrame
    provenance: list[str] = field(default_factory=list)
    previous_provenance: list[str] = field(default_factory=list)
    history_provenance: dict[int, str] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return f"QIPP Monthly Position — {self.org}"

    @property
    def synthetic_months(self) -> list[int]:
        """Months of the history whose figures are synthetic (for shading charts)."""
        return sorted(int(m) for m, p in self.history_provenance.items() if p.startswith("synthetic"))

    @property
    def period(self) -> str:
        return period_label(self.fin_year, self.month)

    def narrative(self) -> str:
        """The executive summary paragraph, in the paper's words."""
        return narrative(self.headline, self.previous is not None)

    def xlsx_tables(self) -> dict[str, pd.DataFrame]:
        """The report's tables for the xlsx, snake_case columns, signs as in the paper."""
        red = self.red[["scheme_no", "scheme_name", "workstream", "milestones", "financial_benefits",
                        "risk_issue", "rag", "annual_plan", "fot"]]
        cols = ["org", "scheme_no", "scheme_name", "workstream", "milestones", "financial_benefits",
                "risk_issue", "rag", "plan_ytd", "actual_ytd", "annual_plan", "fot", "assured", "provenance"]
        detail = self.rows[cols].copy()
        total = {c: "" for c in cols} | {c: detail[c].sum() for c in ("plan_ytd", "actual_ytd", "annual_plan",
                                                                     "fot", "assured")}
        total["org"] = "Total"
        detail = pd.concat([detail, pd.DataFrame([total])], ignore_index=True)
        return {
            "ytd_by_workstream": self.ytd,
            "fot_by_workstream": self.fot,
            "fot_by_rag": self.rag,
            "red_schemes": red,
            "schemes": detail,
        }


def narrative(h: t.Headline, has_previous: bool) -> str:
    """'ELR is forecasting an under delivery of ... of which ... unidentified. This has moved ...'"""
    name = ORG_NAMES.get(h.org, h.org)
    fy = h.fin_year.replace("-", "/")
    if h.under_delivery > 0:
        text = f"{name} is forecasting an under delivery of the QIPP plan for {fy} of {fmt_m(h.under_delivery)}"
    else:
        text = f"{name} is forecasting an over delivery of the QIPP plan for {fy} of {fmt_m(h.under_delivery)}"
    if h.unidentified:
        text += f", of which {fmt_m(h.unidentified)} is attributed to unidentified QIPP"
    text += "."
    if has_previous and h.movement is not None:
        if abs(h.movement) < 0.5:
            text += " This is unchanged from last month."
        else:
            way = "adversely" if h.movement > 0 else "favourably"
            text += f" This has moved {way} by {fmt_m(h.movement)} from last month."
    text += (f" SROs are forecasting QIPP delivery of {fmt_m(h.fot)} against a plan of {fmt_m(h.annual_plan)};"
             f" year to date, {fmt_m(h.actual_ytd)} has been delivered against a plan of {fmt_m(h.plan_ytd)}."
             f" The PMO assured value is {fmt_m(h.assured)}.")
    if h.red_plan:
        text += (f" Schemes the PMO rates Red carry {fmt_m(h.red_plan)} of plan and are forecast to"
                 f" deliver {fmt_m(h.red_fot)}.")
    return text


def monthly_position(returns: pd.DataFrame, warnings: pd.DataFrame, *, fin_year: str, month: int,
                     org: str) -> MonthlyPosition:
    """Compute the whole monthly position for ``org`` (a CCG, or LLR = ELR + WL + LC)."""
    rows = t.select(returns, fin_year, month, org)
    if rows.empty:
        held = ", ".join(f"{fy} M{m}" for fy, m in t.available_periods(returns, org)) or "none"
        raise LookupError(f"no returns held for {org} in {fin_year} month {month} (held: {held})")
    missing = set(members(org)) - set(rows["org"])
    if missing:
        raise LookupError(f"{org} needs returns from {', '.join(sorted(missing))} for {fin_year} month {month}")
    pfy, pm = t.previous_period(fin_year, month)
    prev = t.select(returns, pfy, pm, org)
    prev = prev if set(prev["org"]) == set(members(org)) else None
    keys = {org, *members(org)}
    year = returns[(returns["fin_year"] == fin_year) & (returns["month"] <= month)]
    warn = warnings[(warnings["fin_year"] == fin_year) & (warnings["month"] == month) & warnings["org"].isin(keys)]
    return MonthlyPosition(
        fin_year=fin_year, month=month, org=org, rows=rows, previous=prev,
        headline=t.headline(rows, prev, org=org, fin_year=fin_year, month=month),
        ytd=t.ytd_by_workstream(rows), fot=t.fot_by_workstream(rows, prev), rag=t.fot_by_rag(rows),
        red=t.red_schemes(rows), schemes=t.schemes(rows, prev),
        split=t.org_split(returns, fin_year, month, org),
        history=t.monthly_history(year, fin_year, org),
        warnings=warn.reset_index(drop=True),
        provenance=sorted(set(rows["provenance"])),
        previous_provenance=sorted(set(prev["provenance"])) if prev is not None else [],
        history_provenance=year[year["org"].isin(members(org))].groupby("month")["provenance"].first().to_dict(),
    )
