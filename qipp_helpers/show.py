"""What the monthly position notebook displays: styled tables and markdown blocks.

Every function takes a :class:`~qipp_helpers.reports.MonthlyPosition` and returns something
Jupyter renders (a pandas Styler or a markdown string), so the notebook only chooses.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from pandas.io.formats.style import Styler

from .fmt import money_table, rag_cell_styles
from .model import ORG_NAMES, RAG_COLOURS
from .money import fmt_k
from .reports import MonthlyPosition


def _provenance_kind(values: list[str]) -> str:
    kinds = sorted({v.split(":", 1)[0].strip() for v in values})
    return " and ".join(kinds) if kinds else "none"


def banner_lines(r: MonthlyPosition) -> list[str]:
    """Lines for the top of every circulated page: organisation, period, provenance, generated time."""
    data = f"Data: {_provenance_kind(r.provenance)}"
    if r.previous_provenance:
        data += f"; previous month {_provenance_kind(r.previous_provenance)}"
    return [
        f"{ORG_NAMES.get(r.org, r.org)} ({r.org})",
        r.period,
        data + " (see section 6)",
        f"Generated {datetime.now().strftime('%d %b %Y %H:%M')}",
    ]


def reconciliation_note(r: MonthlyPosition) -> str:
    """One sentence under the headline when the returns do not add up to their printed totals."""
    if r.warnings.empty:
        return ""
    plan = r.warnings[r.warnings["column"] == "Annual Plan"]
    worst = plan.loc[plan["difference"].abs().idxmax()] if len(plan) else r.warnings.iloc[0]
    return (f"> **Note:** the returns received do not add up to their own printed totals "
            f"({worst['sheet']} {worst['column']}: printed {fmt_k(worst['printed'])}, scheme rows "
            f"{fmt_k(worst['computed'])}). Figures here are computed from the scheme rows received; "
            f"see section 6 for every difference.")


def title_block(r: MonthlyPosition) -> str:
    """The report's heading, as markdown."""
    return (f"# QIPP Monthly Position: {ORG_NAMES.get(r.org, r.org)}\n\n"
            f"**{r.period}** · PMO and Finance QIPP report · £000 unless stated")


def headline_table(r: MonthlyPosition) -> Styler:
    """Key figures: annual plan, YTD plan and delivery, FOT, under-delivery, assured value, movement."""
    h = r.headline
    df = pd.DataFrame([
        ("Annual QIPP plan", h.annual_plan),
        ("Year to date plan", h.plan_ytd),
        ("Year to date delivered", h.actual_ytd),
        ("SRO forecast out-turn (FOT)", h.fot),
        ("Forecast under delivery (FOT − plan)", h.under_delivery),
        ("  of which unidentified QIPP", -h.unidentified),
        ("PMO assured value", h.assured),
        ("FOT movement since last month (+ = adverse)", h.movement if h.movement is not None else float("nan")),
    ], columns=["measure", "value"])
    return money_table(df, money=["value"], labels={"measure": "Headline", "value": "£000"})


def table1(r: MonthlyPosition) -> Styler:
    """Paper D Table 1: YTD delivery by workstream."""
    return money_table(r.ytd, money=["plan", "deliveries", "variance"], pct=["pct_of_target_achieved"],
                       labels={"workstream": "Workstream", "plan": "Plan", "deliveries": "Deliveries",
                               "variance": "Variance", "pct_of_target_achieved": "% of target achieved"},
                       caption=f"Table 1: {r.period} year to date delivery (£000)")


def table2(r: MonthlyPosition) -> Styler:
    """Paper D Table 2: FOT by workstream with monthly movement."""
    return money_table(r.fot, money=["plan", "fot", "variance", "monthly_movement"],
                       labels={"workstream": "Workstream", "plan": "Plan", "fot": "Forecast out-turn",
                               "variance": "Variance", "monthly_movement": "Monthly movement"},
                       caption=f"Table 2: {r.period} forecast out-turn (£000)")


def table5(r: MonthlyPosition) -> Styler:
    """Paper D Table 5: FOT by overall PMO RAG with assured value."""
    money = [c for c in r.rag.columns if c != "programme_area"]
    labels = {"programme_area": "Programme area", "green": "Green", "amber": "Amber", "red": "Red",
              "completed": "(Completed)", "closed": "(Closed)", "total": "Grand total",
              "assured": "Confidence / assured"}
    return money_table(r.rag, money=money, labels=labels,
                       caption="Table 5: Forecast out-turn by overall PMO RAG rating and assured value (£000)")


def red_table(r: MonthlyPosition) -> Styler:
    """Paper D Appendix 1: red-rated schemes."""
    df = r.red[["scheme_no", "scheme_name", "milestones", "financial_benefits", "risk_issue", "rag",
                "annual_plan", "fot"]]
    labels = {"scheme_no": "No.", "scheme_name": "Scheme name", "milestones": "Milestones",
              "financial_benefits": "Financial benefits", "risk_issue": "Risk/issue", "rag": "Overall PMO RAG",
              "annual_plan": "Annual plan", "fot": "Revised FOT"}
    styler = money_table(df, money=["annual_plan", "fot"], labels=labels,
                         caption="Appendix 1: PMO red-rated schemes (£000)")
    return rag_cell_styles(styler, ["Milestones", "Financial benefits", "Risk/issue", "Overall PMO RAG"],
                           RAG_COLOURS)


def warnings_block(r: MonthlyPosition) -> str:
    """Reconciliation warnings as markdown; says so plainly when there are none."""
    if r.warnings.empty:
        return ("**Reconciliation:** every printed Grand Total in the returns agrees with the sum of its scheme "
                "rows to within £5k.")
    lines = ["**Reconciliation warnings.** The returns below do not add up to their own printed totals; "
             "the tables above are computed from the scheme rows received, so they differ from the printed "
             "totals by these amounts.", "",
             "| Source | Sheet | Column | Printed | Computed | Difference |", "|---|---|---|---:|---:|---:|"]
    for w in r.warnings.itertuples(index=False):
        lines.append(f"| {w.source_file} | {w.sheet} | {w.column} | {fmt_k(w.printed)} | {fmt_k(w.computed)} "
                     f"| {fmt_k(w.difference)} |")
    return "\n".join(lines)


def provenance_block(r: MonthlyPosition) -> str:
    """Where this month's and last month's figures come from: published, synthetic or returns."""
    lines = ["**Provenance.** This month's figures:", ""]
    lines += [f"- {p}" for p in r.provenance]
    if r.previous_provenance:
        lines += ["", "Last month's figures (used for the monthly movement):", ""]
        lines += [f"- {p}" for p in r.previous_provenance]
    else:
        lines += ["", "No previous month is held, so no monthly movement is shown."]
    if any(p.startswith("synthetic") for p in r.provenance + r.previous_provenance):
        lines += ["", "*Synthetic figures are generated by a seeded script for demonstration; they are not real "
                  "returns.*"]
    return "\n".join(lines)
