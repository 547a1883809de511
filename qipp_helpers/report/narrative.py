"""Sentences: the paragraphs each report prints, in the papers' words, from computed figures.

Analysis returns numbers; this module turns them into text. Names in the sentences come from
returns, so callers show them as plain text (see :mod:`.show`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..analysis.frp import bridge_total
from ..analysis.position import Headline
from ..analysis.rightcare import BENCHMARKS
from ..core.money import fmt_m
from ..core.orgs import org_name, organisations
from ..core.vocab import POD_LABELS, PODS


def monthly(h: Headline, has_previous: bool) -> str:
    """'ELR is forecasting an under delivery of ... of which ... unidentified. This has moved ...'"""
    name = org_name(h.org)
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
    text += (
        f" SROs are forecasting QIPP delivery of {fmt_m(h.fot)} against a plan of {fmt_m(h.annual_plan)};"
        f" year to date, {fmt_m(h.actual_ytd)} has been delivered against a plan of {fmt_m(h.plan_ytd)}."
        f" The PMO assured value is {fmt_m(h.assured)}."
    )
    if h.red_plan:
        text += (
            f" Schemes the PMO rates Red carry {fmt_m(h.red_plan)} of plan and are forecast to"
            f" deliver {fmt_m(h.red_fot)}."
        )
    return text


def _list(items: list[tuple[str, float]]) -> str:
    parts = [f"{name} ({fmt_m(abs(v))})" for name, v in items]
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


def drivers(drivers: pd.DataFrame, org: str, *, top: int = 3) -> str:
    """'Forecast under-delivery of £18.3m is driven mainly by …, partly offset by …'."""
    total = float(drivers.loc[drivers["section"] == "total", org].iloc[0])
    named = drivers[drivers["section"] == "driver"]
    offsets = drivers[drivers["section"] == "offset"]
    if abs(total) < 0.5 and named.empty:
        return "The forecast out-turn matches the annual plan: there is no under-delivery to explain."
    if total < 0:
        text = f"The forecast out-turn exceeds the annual plan by {fmt_m(abs(total))}"
    else:
        text = f"Forecast under-delivery of {fmt_m(total)}"
    if len(named):
        lead = list(zip(named["item"], named[org], strict=True))[:top]
        share = sum(v for _, v in lead) / total if total > 0 else np.nan
        text += f" is driven mainly by {_list(lead)}"
        if total > 0 and np.isfinite(share):
            text += f", together {share:.0%} of it"
    else:
        text += " has no single scheme group short of plan by more than the threshold"
    if len(offsets):
        offset_list = _list(list(zip(offsets["item"], offsets[org], strict=True)))
        text += f"; it is partly offset by over-delivery on {offset_list}"
    return text + "."


def movement(movement: pd.DataFrame, org: str, *, top: int = 3) -> str:
    """'The forecast out-turn has moved adversely by £0.5m since last month: …'."""
    if movement.empty:
        return "No previous month is held, so the movement in forecast out-turn cannot be shown."
    total = float(movement.loc[movement["section"] == "total", org].iloc[0])
    if abs(total) < 0.5:
        text = "The forecast out-turn is unchanged in total since last month"
    else:
        way = "adversely" if total > 0 else "favourably"
        text = f"The forecast out-turn has moved {way} by {fmt_m(abs(total))} since last month"
    adverse = movement[movement["section"] == "adverse"].sort_values(org, ascending=False)
    favourable = movement[movement["section"] == "favourable"].sort_values(org)
    adv = _list(list(zip(adverse["item"], adverse[org], strict=True))[:top]) if len(adverse) else ""
    fav = _list(list(zip(favourable["item"], favourable[org], strict=True))[:top]) if len(favourable) else ""
    lead, lag = (("adverse", adv), ("favourable", fav)) if total >= 0 else (("favourable", fav), ("adverse", adv))
    if lead[1]:
        text += f": {lead[0]} movements on {lead[1]}"
        if lag[1]:
            text += f", partly offset by {lag[0]} movements on {lag[1]}"
    elif lag[1]:
        text += f": {lag[0]} movements on {lag[1]}"
    return text + "."


def frp_bridge(b: pd.DataFrame) -> str:
    """One paragraph in the paper's words: before FRP, FRP delivery, after FRP, impact by organisation."""
    before, frp = bridge_total(b, "before_frp"), bridge_total(b, "frp")
    after, impact = bridge_total(b, "after_frp"), bridge_total(b, "org_impact")
    other = bridge_total(b, "not_in_frp")

    def pos(v: float) -> str:
        return f"a deficit of {fmt_m(v)}" if v < 0 else f"a surplus of {fmt_m(v)}"

    text = (
        f"The forecast position before FRP actions is {pos(before)}; adjusting this for {fmt_m(frp)} "
        f"forecast delivery of FRP schemes leaves {pos(after)} against control totals."
    )
    if abs(other) >= 0.5:
        text += (
            f" Items not yet in the FRP forecast ({fmt_m(other)}) bring the organisation impact of all "
            f"items to {pos(impact)}."
        )
    split = b[b["section"] == "organisation"]
    if len(split):
        parts = [
            f"{r.step} {'(' + fmt_m(r.value) + ')' if r.value < 0 else fmt_m(r.value) + ' surplus'}"
            for r in split.itertuples(index=False)
        ]
        text += " By organisation: " + "; ".join(parts) + "."
    return text


def _m(value_m: float) -> str:
    return f"£{value_m:,.1f}m"


def rightcare(table: pd.DataFrame, *, org: str, method: str, data_year: str) -> str:
    """The opportunity in the paper's words: total by POD, then the largest programme areas."""
    t = table.set_index("programme_area")
    total = t.loc["Total"]
    body = t.drop(index="Total").sort_values("total", ascending=False, kind="stable")
    who = organisations().label(org)
    many = len(organisations().rightcare_members(org)) > 1
    text = (
        f"Against {BENCHMARKS[method]}, {who} has a RightCare opportunity of {_m(total['total'])} "
        f"({data_year} data{', each CCG against its own peer group' if many else ''}): elective "
        f"{_m(total['elective'])}, non-elective {_m(total['non_elective'])} and prescribing "
        f"{_m(total['prescribing'])}."
    )
    top = body[body["total"] > 0.05].head(3)
    if len(top):
        parts = []
        for area, r in top.iterrows():
            pod = max(PODS, key=lambda p, r=r: r[p])
            parts.append(f"{area} ({_m(r['total'])}, of which {POD_LABELS[pod].lower()} {_m(r[pod])})")
        share = top["total"].sum() / total["total"] if total["total"] else 0.0
        text += (
            f" The largest programme areas are {', '.join(parts[:-1]) + ' and ' if len(parts) > 1 else ''}"
            f"{parts[-1]}: {share:.0%} of the total."
        )
    return text


def rightcare_illustrative(*, org: str, method: str, data_year: str) -> str:
    """The summary of a report whose RightCare data is all synthetic: what it shows, and no invented figure."""
    who = organisations().label(org)
    return (
        f"This report is illustrative: the RightCare indicator data behind it ({data_year}) is synthetic, so no "
        f"figure in it is a finding about {who}. It shows how the opportunity against {BENCHMARKS[method]} would "
        "be set out, by programme area and point of delivery, and set against the QIPP plan, once NHS RightCare "
        "data is loaded."
    )


def rightcare_coverage_illustrative(cov: pd.DataFrame, *, source: str) -> str:
    """The plan side of the coverage only (it is real); the opportunity it is set against is synthetic."""
    total = cov[cov["point_of_delivery"] == "Total"].iloc[0]
    programmes = ", ".join(str(p) for p in cov.loc[cov["point_of_delivery"] != "Total", "qipp_programme"])
    return (
        f"The QIPP plan of the matching programmes ({programmes}; {source}) is {_m(total['qipp_plan'])}. Section 5 "
        "sets it against the synthetic opportunity to show the method only."
    )


def rightcare_coverage(cov: pd.DataFrame, *, source: str) -> str:
    """How much of each POD's opportunity the matching QIPP programme's plan covers."""
    body = cov[cov["point_of_delivery"] != "Total"]
    total = cov[cov["point_of_delivery"] == "Total"].iloc[0]
    parts = []
    for r in body.itertuples(index=False):
        if r.opportunity <= 0.05:
            parts.append(
                f"{r.qipp_programme} plans {_m(r.qipp_plan)} against no {r.point_of_delivery.lower()} opportunity"
            )
        elif r.qipp_plan >= r.opportunity:
            parts.append(
                f"{r.qipp_programme} plans {_m(r.qipp_plan)}, {r.qipp_plan / r.opportunity:.1f} times the "
                f"{r.point_of_delivery.lower()} opportunity of {_m(r.opportunity)}"
            )
        else:
            parts.append(
                f"{r.qipp_programme} plans {_m(r.qipp_plan)}, {r.pct_covered:.0%} of the "
                f"{r.point_of_delivery.lower()} opportunity of {_m(r.opportunity)}"
            )
    return (
        f"The QIPP plan of the matching programmes ({source}) is {_m(total['qipp_plan'])} against an opportunity "
        f"of {_m(total['opportunity'])}: " + "; ".join(parts) + "."
    )
