"""Sentences: the paragraphs each report prints, in the papers' words, from computed figures.

Analysis returns numbers; this module turns them into text. Names in the sentences come from
returns, so callers show them as plain text (see :mod:`.blocks` and each report's ``tables``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..analysis import provenance as pv
from ..analysis.adjustments import DERIVED as _DERIVED
from ..analysis.adjustments import ROUNDING as _ROUNDING
from ..analysis.adjustments import UNALLOCATED as _UNALLOCATED
from ..analysis.frp import bridge_total
from ..analysis.position import Headline
from ..analysis.rightcare import BENCHMARKS
from ..core.money import fmt_k, fmt_m
from ..core.orgs import org_name, organisations
from ..core.periods import consecutive_runs
from ..core.vocab import POD_LABELS, PODS
from .style import SIGN_CONVENTION, UNDER_DELIVERY


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
            pod = max(PODS, key=r.__getitem__)
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


# --- the pack's front matter: summary, asks, data-quality notes, glossary -----------------------------


def _delivery(v: float) -> str:
    return f"an {'under' if v > 0 else 'over'} delivery of {fmt_m(v)}"


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def by_organisation(heads: list[Headline]) -> str:
    """'Leicester City CCG is reporting an under delivery against plan of £2.280m, … ELR and WL have unidentified …'."""
    if not heads:
        return ""
    first, rest = heads[0], heads[1:]
    text = f"{org_name(first.org)} is reporting {_delivery(first.under_delivery)} against plan"
    if rest:
        text += ", " + _names([f"{org_name(h.org)} {_delivery(h.under_delivery)}" for h in rest])
    text += "."
    unidentified = [h for h in heads if abs(h.unidentified) >= 0.5]
    if unidentified:
        who = _names([org_name(h.org) for h in unidentified])
        amounts = _names([fmt_m(h.unidentified) for h in unidentified])
        if len(unidentified) == 1:
            text += f" {who} has unidentified QIPP amounting to {amounts}."
        else:
            text += f" {who} have unidentified QIPP amounting to {amounts} respectively."
    return text


def movement_basis(month: int, previous_month: int, current: str, previous: str) -> str:
    """Which data the FOT movement in month compares, when either month is not published ('' when both are)."""
    kind_now, kind_before = pv.kind(current), pv.kind(previous)
    if kind_now == kind_before == pv.PUBLISHED:
        return ""
    return (
        f"The movement compares two months ({pv.months_with([month], kind_now)}; "
        f"{pv.months_with([previous_month], kind_before)}): see the data-quality notes."
    )


def frp_headline(b: pd.DataFrame, system: str) -> str:
    """'The system financial recovery plan (LLR) forecasts a deficit of £33.881m before FRP actions; …'."""
    before, frp = bridge_total(b, "before_frp"), bridge_total(b, "frp")
    after = bridge_total(b, "after_frp")

    def pos(v: float) -> str:
        return f"a deficit of {fmt_m(v)}" if v < 0 else f"a surplus of {fmt_m(v)}"

    return (
        f"The {system} system financial recovery plan (FRP) forecasts {pos(before)} before FRP actions; "
        f"FRP schemes are forecast to deliver {fmt_m(frp)}, leaving {pos(after)} against control totals."
    )


def asks(
    h: Headline,
    *,
    has_previous: bool,
    warned: list[str],
    frp_after: float | None,
    previous_kind: str = "published",
    adjusted: str = "",
) -> list[tuple[str, str]]:
    """What the committee is asked to do, in Paper D's words: (VERB, what) pairs; the first is Paper D's own.

    ``previous_kind`` is the label of last month's data (:func:`qipp_helpers.analysis.provenance.label`): a
    movement computed from figures not published says so.
    """
    out = [("NOTE and DISCUSS", "the content of this report")]
    text = f"the forecast under delivery of {fmt_m(h.under_delivery)} against the plan of {fmt_m(h.annual_plan)}"
    if h.under_delivery <= 0:
        text = f"the forecast over delivery of {fmt_m(h.under_delivery)} against the plan of {fmt_m(h.annual_plan)}"
    if h.unidentified:
        text += f", of which {fmt_m(h.unidentified)} is unidentified QIPP"
    if has_previous and h.movement is not None and abs(h.movement) >= 0.5:
        text += f", and its {'adverse' if h.movement > 0 else 'favourable'} movement of {fmt_m(h.movement)} in month"
        if previous_kind != "published":
            text += f" (computed against last month's figures: {previous_kind})"
    out.append(("NOTE", text))
    gap = h.assured - h.fot  # savings are negative: a positive gap = the PMO assures less than the SROs forecast
    if gap > 0.5:
        out.append(("NOTE", f"that the PMO assures {fmt_m(h.assured)}, {fmt_m(gap)} less than the SROs forecast"))
    if h.red_plan:
        out.append(
            (
                "DISCUSS",
                f"the Red-rated schemes, which carry {fmt_m(h.red_plan)} of plan and are forecast to deliver "
                f"{fmt_m(h.red_fot)}",
            )
        )
    if frp_after is not None:
        gap_text = f"a deficit of {fmt_m(frp_after)}" if frp_after < 0 else f"a surplus of {fmt_m(frp_after)}"
        out.append(("DISCUSS", f"the financial recovery plan, which still leaves {gap_text} against control totals"))
    if adjusted:
        out.append(("NOTE", adjusted))
    if warned:
        out.append(
            (
                "NOTE",
                f"that the returns of {_names(warned)} do not add up to their own printed totals "
                "(see the data-quality notes)",
            )
        )
    return out


def adjusted_orgs(adjustments: pd.DataFrame) -> str:
    """What the committee is asked to note about located or PMO adjustments ('' if none)."""
    if adjustments is None or adjustments.empty:
        return ""
    parts = []
    for first, recs in _lines(adjustments, list(ADJ_MEASURES)):
        plan = recs.loc[recs["measure"] == "annual_plan", "amount"].sum()
        what = f"{first['scheme_no']} {first['scheme_name']}".strip() or "an unallocated amount"
        parts.append(f"{first['org']}'s {what} ({fmt_k(plan)} annual plan)" if plan else f"{first['org']}'s {what}")
    return (
        f"that the figures include {'an adjustment' if len(parts) == 1 else 'adjustments'} for "
        f"{_names(parts)}, missing from the return{'s' if len(parts) > 1 else ''} as received but in the printed "
        "control totals (see the data-quality notes)"
    )


def reconciliation_note(count: int, orgs: list[str]) -> str:
    """Why a committee member should care about a return whose totals do not add up."""
    return (
        f"{count} printed total{'s' if count != 1 else ''} in the returns of {_names(orgs)} "
        f"{'do' if count != 1 else 'does'} not match the scheme rows received. The reports use the scheme rows, "
        "so their totals can differ from the totals printed on the returns; the difference usually means rows are "
        "missing from a return. For a CCG the computed figure is the sum of its scheme rows; for a group, the sum "
        "of its CCGs."
    )


def frp_checks_note(system: str, count: int) -> str:
    return (
        f"The {system} FRP scheme table prints {count} figure{'s' if count != 1 else ''} that "
        f"{'do' if count != 1 else 'does'} not follow from its own columns. The FRP report computes each figure "
        "from its inputs and lists the printed one beside it."
    )


def _months(months: list[int]) -> str:
    """[1, 2, 3, 5] -> 'M1–M3 and M5'."""
    return _names([f"M{a}" if a == b else f"M{a}–M{b}" for a, b in consecutive_runs(months)])


def returns_provenance(by_month: dict[int, list[str]], fin_year: str, month: int) -> list[str]:
    """Which months of scheme returns are published, returned and synthetic, each named with its one label
    (:mod:`qipp_helpers.analysis.provenance`), and where synthetic ones show."""
    out = []
    kinds = {m: pv.kind_of(provs) for m, provs in by_month.items()}
    for kind in (pv.PUBLISHED, pv.RETURNED, pv.SYNTHETIC):
        months = sorted(m for m, k in kinds.items() if k == kind)
        if not months:
            continue
        details = sorted(
            {p.split(":", 1)[-1].strip() for m in months for p in by_month[m] if pv.kind(p) == kind} - {""}
        )
        fy = fin_year.replace("-", "/")
        text = f"Scheme returns for {pv.months_label(months)} {fy}: {pv.label(kind)}"
        text += f" ({'; '.join(details)})." if details else "."
        if kind == pv.SYNTHETIC:
            uses = ["the monthly trend charts"]
            if month - 1 in months:
                uses.append(f"every FOT movement in month (M{month} compared with M{month - 1})")
            text += f" They appear in {_names(uses)}."
        out.append(text)
    return out


def rightcare_provenance(groups: list[tuple[list[str], int, str, str]]) -> list[str]:
    """(CCGs, peers, data year, provenance) -> one sentence each; synthetic indicators make the reports illustrative."""
    out = []
    for ccgs, peers, year, prov in groups:
        kind, _, detail = prov.partition(":")
        text = f"RightCare indicators ({year}) for {_names(ccgs)} and {peers} peer CCGs are {kind}: {detail.strip()}."
        if kind == "synthetic":
            text += (
                " The RightCare reports built on them are illustrative: they show the method, not real opportunities."
            )
        out.append(text)
    return out


def organisation_note(code: str) -> str:
    """What an organisation is, for a reader who does not know the code: its registry note or its group."""
    reg = organisations()
    note = reg.note(code)
    if note:
        return note if note.endswith(".") else note + "."
    for group, ccgs in (*reg.groups.items(), *reg.rightcare_groups.items()):
        if code in ccgs:
            return f"One of the {len(ccgs)} CCGs that make up {group}."
    return ""


#: Terms a committee member meets in the pack, in plain words (organisation codes are added from the registry).
GLOSSARY: dict[str, str] = {
    "£000, £m": "Money is in thousands of pounds (£000) in tables and in millions (£m) in sentences.",
    "(1,234)": "Brackets mark a negative figure. In QIPP tables savings are negative, as in the papers: "
    "(1,234) is a saving of £1,234,000. In the FRP report brackets mean a deficit, as Paper E prints.",
    "Signs": SIGN_CONVENTION
    + " Charts label each bar with the figure the table beside them prints; the same sentence is under every chart.",
    "Annual plan": "The saving a scheme, workstream or organisation is planned to deliver in the financial year.",
    "CCG": "Clinical commissioning group: the NHS body that plans and buys care for its area.",
    "Control total": "The financial target (surplus or deficit) agreed for each organisation for the year.",
    "FOT": "Forecast out-turn: the saving the senior responsible officer forecasts a scheme will deliver by the "
    "end of the financial year.",
    "FOT movement": "The change in forecast out-turn since last month; adverse means less saving is forecast.",
    "FRP": "Financial recovery plan: the system's plan of further actions to meet its control totals.",
    "Financial year": "April to March; M1 is April, M6 is September, M12 is March.",
    "PMO": "Programme management office: the team that reviews scheme returns and rates their risk.",
    "PMO assured value": "The part of the SROs' forecast that the PMO is confident will be delivered.",
    "Published": "Figures transcribed from a published board paper; each report names its source table.",
    "QAG": "QIPP Assurance Group: the group that receives this pack each month.",
    "QIPP": "Quality, Innovation, Productivity and Prevention: the NHS programme of savings schemes.",
    "RAG": "Red, Amber, Green: the PMO's rating of a scheme's delivery risk (Red = highest). Blue means "
    "completed, Grey closed.",
    "RightCare": "NHS RightCare benchmarks a CCG's spend against similar CCGs (its peers); the opportunity is the "
    "spend above a chosen benchmark, such as the average of the best 5 peers.",
    "SRO": "Senior responsible officer: the manager accountable for a scheme, who submits its monthly return.",
    "Synthetic": "Demonstration figures generated by a seeded script in this project, not real returns; every "
    "page that uses them says so.",
    "Under delivery": f"The part of the plan not forecast to be saved: {UNDER_DELIVERY}.",
    "Unidentified QIPP": "Savings in the plan that no scheme has yet been found to deliver.",
    "Workstream": "A programme area grouping schemes, such as Planned Care or Medicines Management.",
    "YTD": "Year to date: from April to the end of the reporting month.",
    # terms and abbreviations the papers' tables and commentary use (shown as received)
    "AHP": "Allied health professionals, such as physiotherapists and occupational therapists.",
    "CCB": "Commissioning Collaborative Board: the joint board of the LLR CCGs that received Paper D.",
    "CHS": "Community health services.",
    "CHC": "Continuing healthcare: care funded by the NHS for adults with complex, ongoing health needs.",
    "CSR": "Community Services Redesign: an LLR scheme reshaping community health services.",
    "CV": "Contract variation: a change agreed to a provider's contract (in the commentary, the value agreed "
    "for a scheme).",
    "ED": "Emergency department (accident and emergency).",
    "EMAS": "East Midlands Ambulance Service NHS Trust.",
    "FYE": "Full-year effect: the saving a scheme delivers over a whole year, including the part that falls in "
    "the following financial year.",
    "HCD": "High cost drugs: specialist medicines paid for outside the standard tariff.",
    "ICS": "Integrated care system: the NHS bodies and councils of an area planning care together.",
    "LPT": "Leicestershire Partnership NHS Trust: the provider of community and mental health services in LLR.",
    "LTC": "Long-term conditions, such as diabetes or heart failure.",
    "MH": "Mental health.",
    "MRET/OOA": "Marginal rate emergency tariff / out of area: contract lines named in the LLR schemes.",
    "NHSE": "NHS England.",
    "Paper D, Paper E": "The LLR board papers this project's published figures come from: Paper D, the QIPP "
    "report to the Commissioning Collaborative Board (October 2019); Paper E, the system financial recovery "
    "plan. Each table names its source.",
    "PCCC": "Primary care co-commissioning: the budget for GP services that CCGs manage jointly with NHS England.",
    "Pipeline, Design, Developed": "The planning stage of a scheme's saving in the executive summary: an idea "
    "not yet designed (unidentified QIPP counts here), a scheme being designed, or one developed and "
    "delivering (completed schemes count here).",
    "S117": "Section 117 aftercare: the free aftercare owed under the Mental Health Act 1983 after detention.",
    "SDEC": "Same day emergency care: emergency patients assessed and treated without an overnight stay.",
    "UHL": "University Hospitals of Leicester NHS Trust.",
    "WTE": "Whole-time equivalent: staff numbers expressed as full-time posts.",
    "XmR": "An individuals and moving-range chart: the statistical process control chart drawn for a "
    "scheme's monthly figures; its limits show the usual month-to-month variation.",
}


def glossary(codes: list[str]) -> list[tuple[str, str]]:
    """The pack's glossary: its terms and every organisation code it uses (with a group's members), A to Z."""
    reg = organisations()
    seen: dict[str, str] = {}
    for code in codes:
        for c in (code, *reg.orgs[code].members, *reg.orgs[code].frp_members) if code in reg.orgs else (code,):
            if c not in seen:
                note = organisation_note(c)
                seen[c] = reg.name(c) + (f". {note}" if note and not note.startswith("One of") else "")
    terms = {**GLOSSARY, **seen}
    return sorted(terms.items(), key=lambda kv: kv[0].lstrip("£(").lower())


# --- control-total adjustments -------------------------------------------------------------------

#: How a measure is named in a sentence about an adjustment.
ADJ_MEASURES: dict[str, str] = {
    "annual_plan": "annual plan",
    "plan_ytd": "YTD plan",
    "actual_ytd": "YTD delivered",
    "fot": "forecast out-turn",
    "assured": "assured value",
}


def _amounts(recs: pd.DataFrame, measures: Sequence[str]) -> str:
    """'(664) annual plan and (374) forecast out-turn' for the measures of one adjustment line."""
    parts = []
    for m in measures:
        v = float(recs.loc[recs["measure"] == m, "amount"].sum())
        if abs(v) >= 0.5:
            parts.append(f"{fmt_k(v)} {ADJ_MEASURES[m]}")
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _where(first: pd.Series) -> str:
    """'WL CHC', 'LC 2.5 Pathology', 'WL': the organisation and what the adjustment is attributed to."""
    what = first["workstream"] or (f"{first['scheme_no']} {first['scheme_name']}".strip())
    return f"{first['org']} {what}".strip()


def _lines(adjustments: pd.DataFrame, measures: Sequence[str]) -> list[tuple[pd.Series, pd.DataFrame]]:
    """(first record, records) of each adjustment line with an amount in ``measures``, rounding left out."""
    out: list[tuple[pd.Series, pd.DataFrame]] = []
    if adjustments.empty:
        return out
    body = adjustments[adjustments["basis"] != _ROUNDING]
    for _, recs in body.groupby("adjustment_id", sort=True):
        if (recs.loc[recs["measure"].isin(list(measures)), "amount"].abs() >= 0.5).any():
            out.append((recs.iloc[0], recs))
    return out


def _rounding_range(adjustments: pd.DataFrame, measures: Sequence[str]) -> tuple[int, list[str]]:
    """Largest rounding adjustment (per organisation and measure, £000) and the organisations with any."""
    r = adjustments[(adjustments["basis"] == _ROUNDING) & adjustments["measure"].isin(list(measures))]
    if r.empty:
        return 0, []
    per = r.groupby(["org", "measure"])["amount"].sum().abs()
    return round(float(per.max())), sorted(set(r["org"]))


def adjustment_footnote(adjustments: pd.DataFrame, measures: Sequence[str], *, section: int | None = None) -> str:
    """The footnote of a table an adjustment touches, naming each adjustment in ``measures`` ('' if none).

    'Includes an adjustment of (664) annual plan and (374) forecast out-turn to WL CHC: a Continuing
    Healthcare line in the LLR dashboard missing from WL's own return.' Rounding adjustments are one
    sentence.
    """
    sentences = []
    for first, recs in _lines(adjustments, measures):
        amounts = _amounts(recs, measures)
        if first["basis"] == _DERIVED:
            sentences.append(
                f"Includes an adjustment of {amounts} to {_where(first)}: a {first['scheme_name']} line in the "
                f"{first['combined_org']} dashboard missing from {first['org']}'s own return."
            )
        elif first["basis"] == _UNALLOCATED:
            sentences.append(
                f"Includes an unallocated adjustment of {amounts} to {first['org']}: the part of "
                f"{first['org']}'s printed Grand Total that no scheme line accounts for."
            )
        else:
            sentences.append(f"Includes a PMO adjustment of {amounts} to {_where(first)}: {first['evidence']}")
    biggest, orgs = _rounding_range(adjustments, measures)
    if biggest:
        if len(orgs) > 1:
            whose = f"the totals of {', '.join(orgs[:-1])} and {orgs[-1]} equal their printed Grand Totals"
        else:
            whose = f"{orgs[0]}'s total equal its printed Grand Total"
        sentences.append(f"Rounding adjustments of at most £{biggest}k make {whose}.")
    if not sentences:
        return ""
    if section is not None:
        sentences.append(f"Section {section} explains each adjustment.")
    return " ".join(sentences)


def adjustment_explanations(adjustments: pd.DataFrame) -> list[tuple[str, str]]:
    """(heading, paragraph) for each adjustment line, in words a committee member reads; rounding in one.

    Every figure comes from the adjustment records; the evidence sentence says how it was found.
    """
    out: list[tuple[str, str]] = []
    measures = list(ADJ_MEASURES)
    for first, recs in _lines(adjustments, measures):
        org, name = first["org"], org_name(first["org"])
        amounts = _amounts(recs, measures)
        plan = recs[recs["measure"] == "annual_plan"]
        control = plan.iloc[0] if len(plan) else recs.iloc[0]
        measure = ADJ_MEASURES.get(control["measure"], control["measure"])
        totals = ""
        if pd.notna(control["control_printed"]) and pd.notna(control["control_computed"]):
            totals = (
                f" {org}'s own printed Grand Total includes it ({measure} {fmt_k(control['control_printed'])}, "
                f"where its scheme rows add up to {fmt_k(control['control_computed'])})."
            )
        if first["basis"] == _DERIVED:
            scheme = f"{first['scheme_no']} {first['scheme_name']}".strip()
            heading = f"{name}: {scheme} ({first['workstream']})" if first["workstream"] else f"{name}: {scheme}"
            text = (
                f"The {first['combined_org']} combined dashboard has a {first['scheme_name']} line for {org} that "
                f"{org}'s own return does not have: {amounts}.{totals} This report adds it as an adjustment line "
                f"so that its totals agree with the printed ones; {org}'s return itself is not changed. "
                f"How it was found: {control['evidence'].split('. ', 1)[0].rstrip('.')}."
            )
        elif first["basis"] == _UNALLOCATED:
            heading = f"{name}: not yet located"
            text = (
                f"{org}'s scheme rows add up to less than its printed Grand Total, and no scheme line on the "
                f"dashboards accounts for the difference: {amounts}.{totals} This report adds it as an "
                "unallocated adjustment so that totals agree with the printed ones; it is in no workstream "
                "until the PMO locates it."
            )
        else:
            who = first["entered_by"] or "the PMO"
            when = str(first["entered_at"])[:10]
            scheme = f"{first['scheme_no']} {first['scheme_name']}".strip() or first["workstream"] or org
            heading = f"{name}: {scheme} (entered by the PMO)"
            text = f"Entered by {who}{' on ' + when if when else ''}: {amounts}. Reason given: {first['evidence']}"
        if first.get("carried_from", ""):
            text += f" (Carried from {first['carried_from']}.)"
        out.append((heading, text))
    biggest, orgs = _rounding_range(adjustments, measures)
    if biggest:
        r = adjustments[adjustments["basis"] == _ROUNDING]
        out.append(
            (
                "Rounding",
                "Dashboard figures are printed to the nearest £1k, so the scheme rows of "
                f"{', '.join(orgs)} add up to within £{biggest}k of their printed Grand Totals; "
                f"{r['adjustment_id'].nunique()} rounding adjustments (£1k on the largest workstreams) make every "
                "total equal the printed one exactly.",
            )
        )
    return out


# --- executive summary by programme area -----------------------------------------------------------


def _nos(values: pd.Series) -> str:
    """Scheme numbers in order: 1.2, 1.2a, 6.1, 7.3."""

    def key(v: object) -> list[tuple[int, str]]:
        return [
            (int(p), "") if p.isdigit() else (int(p.rstrip("abcdefghijklmnopqrstuvwxyz") or 0), p)
            for p in str(v).split(".")
        ]

    return ", ".join(sorted(set(values), key=key))


def programme_from_returns(rows: pd.DataFrame) -> str:
    """How the executive summary was built in a month whose returns carry programme area and planning stage."""
    n = int((rows["scheme_no"] != "").sum()) if "scheme_no" in rows else len(rows)
    return (
        f"Programme area and planning stage are fields of each returned scheme line ({n:,} lines): every cell "
        "of this table is the sum of the returns' own figures for that area and stage; no derived or fitted "
        "split is used. A scheme split across areas or stages is returned as one line per part."
    )


def programme_basis(area_map: pd.DataFrame, stage_map: pd.DataFrame) -> str:
    """How each scheme's programme area and planning stage were assigned, from the maps' ``basis`` column."""

    def schemes(table: pd.DataFrame, basis: str) -> pd.Series:
        return table.loc[table["basis"] == basis, "scheme_no"]

    text = (
        "Programme areas and planning stages are not fields of the returns received: each scheme's area and "
        "stage come from two reference maps shipped with this project, which record how every entry was made. "
        "Areas follow whole workstreams where Paper D's figures show them, and otherwise "
        "the workstream's usual area"
    )
    fitted = schemes(area_map, "fitted to published area totals")
    if len(fitted):
        text += (
            f"; the plan of {fitted.nunique()} schemes ({_nos(fitted)}) is split between areas in shares fitted so "
            "that the table reproduces Paper D's published area totals"
        )
    text += ". Stages: unidentified QIPP counts as pipeline and completed (Blue) schemes as developed"
    paper = stage_map[stage_map["basis"] == "paper"]
    if len(paper):
        who = [f"{n} ({o})" if o else n for n, o in zip(paper["scheme_no"], paper["org"], strict=True)]
        text += f"; {', '.join(dict.fromkeys(who))} follows Paper D's narrative"
    staged = schemes(stage_map, "fitted to published stage split")
    if len(staged):
        text += (
            f"; {staged.nunique()} schemes ({_nos(staged)}) were given the stages that meet the published stage "
            "split, which the paper prints only as area totals"
        )
    text += (
        "; every other scheme is taken as developed. The fitted shares and stages make this table agree with "
        "the published one; they are not facts about those schemes, and returns that carry each scheme's area "
        "and stage would replace them."
    )
    return text


def programme_against_published(summary: pd.DataFrame, published: pd.DataFrame, source: str) -> str:
    """'Paper D printed this table ...: every money cell here is within £2k of it.'"""
    cols = ["qipp_target", "pipeline", "design", "developed", "ytd_plan", "ytd_achieved", "fot"]
    got = summary.set_index("programme_area")
    pub = published.set_index("programme_area")
    areas = [a for a in pub.index if a in got.index]
    worst = max(abs(-float(got.at[a, c]) - float(pub.at[a, c])) for a in areas for c in cols)
    total = pub.loc["Total"] if "Total" in pub.index else None
    text = f"{source} printed this table: every money cell here is within £{max(1, round(worst))}k of it"
    if total is not None:
        text += (
            f" (Total: target {fmt_k(total['qipp_target'])}; pipeline {fmt_k(total['pipeline'])}, design "
            f"{fmt_k(total['design'])}, developed {fmt_k(total['developed'])}; YTD plan {fmt_k(total['ytd_plan'])}, "
            f"achieved {fmt_k(total['ytd_achieved'])}; FOT {fmt_k(total['fot'])}, savings shown positive as printed)"
        )
    return text + "."


# --- commentary -----------------------------------------------------------------------------------------


def missing_commentary(missing: pd.DataFrame, *, table: str) -> str:
    """'No commentary received for: S117 & AHP - 1819 FYE (offset, (336)).' ('' when every line has some)."""
    if missing.empty:
        return ""
    parts = [f"{r.item} ({r.section}, {fmt_k(r.value)})" for r in missing.itertuples(index=False)]
    return f"No commentary received for these lines of {table}: " + "; ".join(parts) + "."


def threshold_basis(
    org: str, system: str | None, threshold: float, given: float, plan: float, system_plan: float
) -> str:
    """How a CCG's driver threshold follows from the system's ('' when it was not scaled)."""
    if system is None:
        return ""
    return (
        f"Drivers are named over £{threshold:,.0f}k: the £{given:,.0f}k threshold at {system} level (Paper D Table 4) "
        f"scaled by {org}'s share of {system}'s annual plan ({fmt_k(abs(plan))} of {fmt_k(abs(system_plan))}), to "
        "the nearest £5k, so that Other holds the small lines only."
    )
