"""What the notebooks display: styled tables and markdown blocks.

Every function takes a report object from :mod:`qipp_helpers.report.objects` and returns something
Jupyter renders (a pandas Styler or a markdown string), so the notebook only chooses. The tables
are declared once in :mod:`.declared` and rendered here; the workbook renders the same declarations.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from IPython.display import Markdown
from pandas.io.formats.style import Styler

from ..analysis import provenance as pv
from ..analysis import rightcare as rc
from ..analysis.adjustments import ROUNDING as ROUNDING_BASIS
from ..core.money import fmt_k, fmt_pct
from ..core.orgs import members, org_name, organisations
from ..core.periods import previous_period
from ..core.text import plain_html
from ..core.vocab import DASHBOARD_HEADERS, MONEY_COLUMNS, POD_LABELS
from . import commentary as notes
from . import declared
from . import narrative as sentences
from . import printed as paper
from . import workstreams as wp
from .commentary import KIND_LABELS
from .fmt import inert_labels, rag_cell_styles
from .objects import FrpBridge, MonthlyPosition, RightCareOpportunity, UnderDelivery

Report = MonthlyPosition | UnderDelivery | FrpBridge | RightCareOpportunity


def md_text(value: object) -> str:
    """Text from an input, inert inside markdown (tables too): HTML escaped, and no Markdown, link or maths
    syntax left to act on (see :func:`qipp_helpers.core.text.plain_html`)."""
    return plain_html(value)


def paragraph(text: str) -> str:
    """A generated sentence made safe to show as markdown (names in it come from returns)."""
    return md_text(text)


def _provenance_kind(values: list[str]) -> str:
    kinds = sorted({v.split(":", 1)[0].strip() for v in values})
    return " and ".join(kinds) if kinds else "none"


def _month_words(r: Report, provenance: list[str], *, previous: bool = False) -> str:
    """'M6: published': a month of the report and its one provenance label (:mod:`..analysis.provenance`)."""
    month = getattr(r, "month", None)
    if month is None:
        return _provenance_kind(provenance)
    if previous:
        month = previous_period(r.fin_year, month)[1]
    return pv.months_with([month], pv.kind_of(provenance) or pv.RETURNED)


def banner_lines(r: Report, *, section: int = 6, name: str | None = None) -> list[str]:
    """Lines for the top of every circulated page: organisation, period, provenance, generated time."""
    data = f"Data: {_month_words(r, r.provenance)}"
    if r.previous_provenance:
        data += f"; movement: {_month_words(r, r.previous_provenance, previous=True)}"
    return [
        f"{name or org_name(r.org)} ({r.org})",
        r.period,
        data + f" (see section {section})",
        _period_and_generated(r.period),
    ]


def _period_and_generated(period: str) -> str:
    """The footer's line: the period the figures are for first, then when it was rendered (a reader looking for
    the period never finds only a render date): 'Month 6 2019/20 · Generated 05 Dec 2026 09:00'."""
    return f"{period.split(' (')[0]} · Generated {datetime.now().strftime('%d %b %Y %H:%M')}"


def chart_context(r: Report) -> str:
    """Who and when a chart is about, for its alternative text: 'LLR, Month 6 2019/20 (September 2019)'."""
    return f"{r.org}, {r.period}"


def reconciliation_note(r: MonthlyPosition | UnderDelivery, *, section: int = 6) -> str:
    """The note under the headline: the adjustments the figures include, or that they are as received."""
    if r.as_received:
        return _as_received_note(r) if len(r.warnings) else ""
    if len(r.adjustments):
        return f"> **Note:** {md_text(r.adjustment_note('headline', section=section))}"
    if r.warnings.empty:
        return ""
    plan = r.warnings[r.warnings["column"] == "Annual Plan"]
    worst = plan.loc[plan["difference"].abs().idxmax()] if len(plan) else r.warnings.iloc[0]
    return (
        f"> **Note:** a printed total is larger than the scheme lines received "
        f"({md_text(worst['sheet'])} {md_text(worst['column'])}: printed {fmt_k(worst['printed'])}, scheme lines "
        f"{fmt_k(worst['computed'])}) and no adjustment locating the difference is held, so the figures here are "
        f"the scheme lines received; see section {section} for every difference."
    )


def title_block(r: MonthlyPosition) -> str:
    """The report's heading, as markdown."""
    return (
        f"# QIPP Monthly Position: {md_text(org_name(r.org))}\n\n"
        f"**{r.period}** · PMO and Finance QIPP report · £000 unless stated"
    )


def headline_table(r: MonthlyPosition) -> Styler:
    """Key figures: annual plan, YTD plan and delivery, FOT, under-delivery, assured value, movement."""
    return declared.headline(r).styler()


def table1(r: MonthlyPosition) -> Styler:
    """Paper D Table 1: YTD delivery by workstream (for a system, one column group per CCG, as printed)."""
    if r.system_orgs:
        return system_table1(r)
    return declared.ytd(r).styler()


def table2(r: MonthlyPosition) -> Styler:
    """Paper D Table 2: FOT by workstream with monthly movement (for a system, one column group per CCG)."""
    if r.system_orgs:
        return system_table2(r)
    return declared.fot(r).styler()


def table5(r: MonthlyPosition) -> Styler:
    """Paper D Table 5: FOT by overall PMO RAG with assured value."""
    return declared.rag(r).styler()


def red_table(r: MonthlyPosition) -> Styler:
    """Paper D Appendix 1: red-rated schemes, with the columns Paper D prints (Deliverables, Milestones, Total
    risks, Issues: read from the dashboards' three ratings, see :data:`.appendices.APPENDIX1_RATINGS`)."""
    from .appendices import APPENDIX1_RATINGS

    return rag_cell_styles(declared.red(r).styler(), [*APPENDIX1_RATINGS, "Overall PMO RAG"])


def warnings_block(r: MonthlyPosition | UnderDelivery) -> str:
    """The control totals as markdown: each adjustment explained, or (as received) each printed total not reached."""
    if not r.as_received and len(r.adjustments):
        return "\n\n".join(p for p in (adjustments_block(r), remaining_differences_block(r)) if p)
    if r.warnings.empty:
        return (
            "**Control totals:** every printed Grand Total in the returns agrees with the sum of its scheme "
            "lines to within £5k."
        )
    lines = [
        "**Printed totals and the scheme lines received.** "
        + (
            "This report shows the returns exactly as received, without the control-total adjustments. "
            if r.as_received
            else "No adjustment locating these differences is held. "
        )
        + "Where a printed Grand Total is larger than the scheme lines received, the tables above (computed "
        "from the scheme lines) differ from it by these amounts.",
        "",
        "| Source | Sheet | Column | Printed | Computed | Difference |",
        "|---|---|---|---:|---:|---:|",
    ]
    for w in r.warnings.itertuples(index=False):
        lines.append(
            f"| {md_text(w.source_file)} | {md_text(w.sheet)} | {md_text(w.column)} | {fmt_k(w.printed)} "
            f"| {fmt_k(w.computed)} "
            f"| {fmt_k(w.difference)} |"
        )
    return "\n".join(lines)


def provenance_block(r: Report, *, monthly: bool = True) -> str:
    """Where this month's and last month's figures come from: published, synthetic or returns."""
    lines = [f"**Provenance.** This month's figures ({md_text(_month_words(r, r.provenance))}):", ""]
    lines += [f"- {md_text(p)}" for p in r.provenance]
    if r.previous_provenance:
        prev = md_text(_month_words(r, r.previous_provenance, previous=True))
        lines += ["", f"Last month's figures ({prev}; used for the monthly movement):", ""]
        lines += [f"- {md_text(p)}" for p in r.previous_provenance]
    elif monthly:
        lines += ["", "No previous month is held, so no monthly movement is shown."]
    if any(p.startswith("synthetic") for p in r.provenance + r.previous_provenance):
        lines += [
            "",
            "*Synthetic figures are generated by a seeded script for demonstration; they are not real returns.*",
        ]
    return "\n".join(lines)


# --- under-delivery drivers (Paper D Tables 3 and 4) -------------------------------------------


def drivers_title_block(r: UnderDelivery) -> str:
    """The drivers report's heading, as markdown."""
    return (
        f"# QIPP Under-delivery Drivers: {md_text(org_name(r.org))}\n\n"
        f"**{r.period}** · why the forecast out-turn falls short of plan · £000 unless stated"
    )


def drivers_table(r: UnderDelivery) -> Styler:
    """Paper D Table 4: main drivers of under-delivery over the threshold, offsets, Other, Total."""
    return declared.drivers(r).styler()


def movement_table(r: UnderDelivery) -> Styler | Markdown:
    """Paper D Table 3: main FOT movements in month, favourable then adverse, Other, Total."""
    if r.movement.empty:
        return Markdown("*No previous month is held, so there is no movement in forecast out-turn to show.*")
    return declared.movement(r).styler()


# --- FRP bridge (Paper D Table 6, Paper E Appendix 1) -------------------------------------------

SYSTEM_NAMES = {"LLR": "Leicester, Leicestershire & Rutland system"}


def frp_banner_lines(r: FrpBridge) -> list[str]:
    """Page banner for the FRP report: the system, not the CCG group, is the organisation."""
    return banner_lines(r, section=5, name=SYSTEM_NAMES.get(r.org, r.org))


def frp_title_block(r: FrpBridge) -> str:
    """The FRP report's heading, as markdown."""
    forecast = f": the system's Month {r.forecast_month} forecast" if r.forecast_month else ""
    return (
        f"# System Financial Recovery Plan: {SYSTEM_NAMES.get(r.org, r.org)}\n\n"
        f"**{r.period} pack** · FRP position as at {md_text(r.as_at)}{forecast} · £000 unless stated · "
        "deficit negative, FRP savings positive"
    )


def bridge_table(r: FrpBridge) -> Styler:
    """Paper D Table 6: position before FRP, FRP schemes by group, position after FRP, other items, impact."""
    b = r.bridge[r.bridge["section"] != "organisation"]
    totals = [i for i, k in enumerate(b["kind"]) if k == "total"]
    return (
        declared.bridge(r)
        .styler()
        .set_properties(subset=pd.IndexSlice[totals, :], **{"font-weight": "bold", "border-top": "1px solid #333"})
    )


def org_impact_table(r: FrpBridge) -> Styler:
    """The organisation impact of all items, split by organisation, with the total."""
    return declared.org_impact(r).styler()


def frp_scheme_table(r: FrpBridge) -> Styler:
    """Paper E Appendix 1: submission vs revised forecast vs delivered, balance, movement, RAG."""
    group_rows = [i for i, s in enumerate(r.schemes["scheme"]) if not s]
    styler = declared.frp_schemes(r).styler()
    styler = styler.set_properties(subset=pd.IndexSlice[group_rows, :], **{"font-weight": "bold"})
    return rag_cell_styles(styler, ["RAG"])  # FRP's "Orange" is a RAG word: amber


def frp_checks_block(r: FrpBridge) -> str:
    """Every printed figure of the FRP workbook that its own figures do not reproduce."""
    if r.checks.empty:
        return (
            "**Printed figures checked:** every printed movement, balance, group total, Grand Total and "
            "position subtotal agrees with the figures it is computed from."
        )
    lines = [
        f"**Printed figures that do not add up ({len(r.checks)}).** The FRP workbook prints these values; "
        "the figures they are defined from give different ones. The tables above show the computed values.",
        "",
        "| Line | Column | Printed | Computed | Difference | Source row |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for c in r.checks.itertuples(index=False):
        lines.append(
            f"| {md_text(c.where)} | {md_text(c.column)} | {fmt_k(c.printed)} | {fmt_k(c.computed)} "
            f"| {fmt_k(c.difference)} | {md_text(c.source_sheet)} row {c.source_row} |"
        )
    return "\n".join(lines)


# --- RightCare opportunity (Derbyshire Tables 3 and 4) ----------------------------------------------

#: Heads every page of a report whose figures are all synthetic (the running header and the banner).
ILLUSTRATIVE = "Illustrative, synthetic data"


def rightcare_banner_lines(r: RightCareOpportunity) -> list[str]:
    """Page banner: organisation, pack period, what is synthetic and what is published, generated time.

    A report whose RightCare figures are all synthetic says so in the running header of every page.
    """
    kinds = _provenance_kind(r.provenance)
    plan = f"; QIPP plan {_provenance_kind(r.coverage_provenance)}" if r.coverage_provenance else ""
    published = "; Derbyshire Table 3 published" if r.published is not None else ""
    data = f"Data: RightCare indicators {kinds}{published}{plan} (see section 7)"
    if r.illustrative:
        data = f"Data: {ILLUSTRATIVE.upper()}{plan} (see section 7)"
    return [  # short enough for one line of the running header (the full period is in the title)
        f"{org_name(r.org)} ({r.org})",
        f"RightCare {r.data_year} data · {r.period.split(' (')[0]}",
        data,
        _period_and_generated(r.period),
    ]


def rightcare_title_block(r: RightCareOpportunity) -> str:
    """The RightCare report's heading, as markdown."""
    return (
        f"# RightCare Opportunity: {md_text(org_name(r.org))}\n\n"
        f"**RightCare {md_text(r.data_year)} data, QIPP plan {r.fin_year.replace('-', '/')}** · opportunity against "
        f"{rc.BENCHMARKS[r.benchmark]} · £m unless stated"
    )


def rightcare_sources_note(r: RightCareOpportunity) -> str:
    """A callout saying plainly which figures are published and which synthetic."""
    parts = []
    if any(p.startswith("synthetic") for p in r.provenance):
        text = (
            "the RightCare indicator data behind every computed opportunity (each CCG's and its peers' spend per "
            "1,000 weighted population) is **synthetic**, made by a seeded script; the peer CCGs are fictional"
        )
        if r.published is not None:
            text += (
                ". It was calibrated so that the opportunity computed for Derbyshire's four CCGs reproduces the "
                "**published** Derbyshire Table 3, which is shown beside it (section 3): the agreement shows the "
                "method "
                "works, not what real RightCare data says"
            )
        parts.append(text)
    else:
        parts.append(f"the RightCare indicator data is {_provenance_kind(r.provenance)}")
    if r.coverage is not None:
        parts.append(
            f"the QIPP plan set against the opportunity is {_provenance_kind(r.coverage_provenance)} "
            f"({md_text(r.coverage_source)})"
        )
    return "> **Published or synthetic?** In this report " + "; ".join(parts) + "."


def rightcare_table(r: RightCareOpportunity) -> Styler:
    """Table 3's layout, computed: opportunity by programme area × POD with totals (£m)."""
    return declared.opportunity(r).styler()


def rightcare_by_ccg_table(r: RightCareOpportunity) -> Styler:
    """Opportunity by CCG × POD, each CCG against its own peers, with the group total (£m)."""
    return declared.by_ccg(r).styler()


def rightcare_published_table(r: RightCareOpportunity) -> Styler | Markdown:
    """Table 3 as published beside the computed one, with the largest difference on each row (£m)."""
    if r.published is None:
        return Markdown(
            f"*No RightCare opportunity is published for {md_text(r.org)} in the source papers; the "
            "figures above are computed from the indicator data only.*"
        )
    return declared.published(r).styler()


def rightcare_positions_table(r: RightCareOpportunity) -> Styler:
    """The largest opportunities: the CCG's spend beside its peers' benchmarks (£ per 1,000) and the £m."""
    return declared.positions(r).styler()


def rightcare_chart_title(r: RightCareOpportunity, title: str) -> str:
    """A RightCare chart's title; on an illustrative report it says so first, so no chart of it stands alone
    as a finding."""
    return f"{ILLUSTRATIVE.upper()}: {title}" if r.illustrative else title


def illustrative_names(r: RightCareOpportunity) -> dict[str, str]:
    """Invented names for the CCGs of an illustrative report ('Illustrative CCG A'...): its charts never put a
    real CCG's name on synthetic figures ({} when the report is not illustrative)."""
    if not r.illustrative:
        return {}
    return {c: f"Illustrative CCG {chr(ord('A') + i)}" for i, c in enumerate(r.ccgs)}


def rightcare_position_labels(r: RightCareOpportunity) -> list[str]:
    """Chart row labels for the largest opportunities: 'Southern Derbyshire: Musculoskeletal elective'."""
    invented = illustrative_names(r)

    def short(c: str) -> str:
        return invented.get(c) or org_name(c).removeprefix("NHS ").removesuffix(" CCG")

    return [f"{short(t.ccg)}: {t.programme_area} {POD_LABELS[t.pod].lower()}" for t in r.top.itertuples()]


def rightcare_coverage_table(r: RightCareOpportunity) -> Styler | Markdown:
    """The QIPP plan of the matching programme beside each POD's opportunity (£m) and the share covered."""
    if r.coverage is None:
        return Markdown(f"*{md_text(r.coverage_note)}*")
    return declared.coverage(r).styler()


def rightcare_benchmark_table(r: RightCareOpportunity) -> Styler:
    """Total opportunity under each benchmark (£m): how much the choice of benchmark matters."""
    return declared.benchmarks(r).styler()


def rightcare_peers_block(r: RightCareOpportunity) -> str:
    """Each CCG's peer group, most similar first, as markdown."""
    lines = ["**Peer groups** (most similar first):", ""]
    for ccg, g in r.peers.groupby("ccg", sort=False):
        lines.append(f"- {md_text(org_name(ccg))}: " + ", ".join(md_text(n) for n in g["peer_name"]))
    return "\n".join(lines)


def rightcare_provenance_block(r: RightCareOpportunity) -> str:
    """Where every figure comes from: indicators, the published Table 3, the QIPP plan."""
    lines = ["**Provenance.** RightCare indicator data (every computed opportunity):", ""]
    lines += [f"- {md_text(p)}" for p in r.provenance]
    if r.published is not None:
        lines += [
            "",
            "Derbyshire Table 3 as published (section 3):",
            "",
            "- published: NHS Derby and Derbyshire CCG, 2019/20 QIPP Programme, Meeting in Common of the "
            "Governing Bodies 28 March 2019, Table 3 (Right Care opportunity, 2017/18 data, best 5 peers)",
        ]
    if r.coverage_provenance:
        lines += ["", f"QIPP plan (section 5, {md_text(r.coverage_source)}):", ""]
        lines += [f"- {md_text(p)}" for p in r.coverage_provenance]
    if any(p.startswith("synthetic") for p in r.provenance):
        lines += [
            "",
            "*Synthetic figures are generated by a seeded script for demonstration; they are not NHS "
            "RightCare data, and the peer CCGs named are fictional.*",
        ]
    return "\n".join(lines)


# --- control-total adjustments (footnotes and the data-quality section) ----------------------------


def adjustment_footnote(r: MonthlyPosition | UnderDelivery, table: str) -> str:
    """The footnote under a table that includes adjustments, as markdown ('' when it includes none)."""
    note = r.adjustment_note(table)
    rounding = paper.rounding_line(r.rows, table, getattr(r, "printed", None))
    basis = getattr(r, "threshold_basis", "") if table == "table4" else ""
    note = " ".join(x for x in (basis, note, rounding) if x)
    return f"<p class='table-note'><em>{md_text(note)}</em></p>" if note else ""


def _as_received_note(r: MonthlyPosition | UnderDelivery) -> str:
    return (
        "> **Figures as received:** this report shows the returns exactly as received, without the "
        "control-total adjustments, so its totals differ from the printed Grand Totals where a return "
        "is missing a line (see the data-quality section)."
    )


def _measure_of_column() -> dict[str, str]:
    """A dashboard's printed column header -> the measure it holds ('Sum of Revised FOT' -> 'fot')."""
    return {label: key for key, label in DASHBOARD_HEADERS.items() if key in MONEY_COLUMNS}


def _still_differ(r: MonthlyPosition | UnderDelivery) -> pd.DataFrame:
    """Printed totals that the scheme rows plus adjustments still do not reach (org, column, printed, adjusted)."""
    if r.warnings.empty:
        return pd.DataFrame(columns=["org", "sheet", "column", "printed", "adjusted", "difference"])
    measure = _measure_of_column()
    out = []
    for w in r.warnings.itertuples(index=False):
        m = measure.get(w.column)
        added = 0.0
        if m is not None and len(r.adjustments):
            a = r.adjustments
            added = float(a.loc[a["org"].isin(members(w.org)) & (a["measure"] == m), "amount"].sum())
        adjusted = float(w.computed) + added
        if abs(float(w.printed) - adjusted) >= 0.5:
            out.append(
                {
                    "org": w.org,
                    "sheet": w.sheet,
                    "column": w.column,
                    "printed": float(w.printed),
                    "adjusted": adjusted,
                    "difference": float(w.printed) - adjusted,
                }
            )
    return pd.DataFrame(out, columns=["org", "sheet", "column", "printed", "adjusted", "difference"])


def adjustments_block(r: MonthlyPosition | UnderDelivery) -> str:
    """The data-quality section on control totals: each adjustment in words, the totals, the figures as received."""
    if r.as_received:
        return ""
    if r.adjustments.empty:
        return ""
    lines = [
        "**Control totals and adjustments.** Each CCG's dashboard prints a Grand Total, and the combined "
        "dashboard prints every scheme line for the CCGs together: these are the control totals Finance signs "
        "off. Where a return's scheme lines fall short of them, the return is kept exactly as received and the "
        "difference is added as a separate, marked adjustment line, so every table in this report agrees with "
        "the control totals and says which adjustments it includes.",
        "",
    ]
    for heading, text in sentences.adjustment_explanations(r.adjustments):
        lines += [f"- **{md_text(heading)}.** {md_text(text)}"]
    if r.received is not None:
        h, g = r.received, r.headline
        lines += [
            "",
            f"Without the adjustments, the returns as received give annual plan {fmt_k(h.annual_plan)}, forecast "
            f"out-turn {fmt_k(h.fot)}, under-delivery {fmt_k(h.under_delivery)} and assured value "
            f"{fmt_k(h.assured)}, against {fmt_k(g.annual_plan)}, {fmt_k(g.fot)}, {fmt_k(g.under_delivery)} and "
            f"{fmt_k(g.assured)} here. The same report can be rendered from the returns exactly as received "
            "(parameter as_received=True).",
        ]
    return "\n".join(lines)


def control_totals_table(r: MonthlyPosition | UnderDelivery) -> Styler | Markdown:
    """Per organisation and measure with an adjustment: printed control, rows as received, adjustments, shown."""
    a = r.adjustments
    if r.as_received or a.empty or "control_printed" not in a:
        return Markdown("")
    rows = []
    for (org, measure), recs in a.groupby(["org", "measure"], sort=False):
        printed = recs["control_printed"].dropna()
        received = recs["control_computed"].dropna()
        added = float(recs["amount"].sum())
        rounding = float(recs.loc[recs["basis"] == ROUNDING_BASIS, "amount"].sum())
        rows.append(
            {
                "org": org,
                "measure": sentences.ADJ_MEASURES.get(measure, measure),
                "printed": float(printed.iloc[0]) if len(printed) else float("nan"),
                "received": float(received.iloc[0]) if len(received) else float("nan"),
                # a located line and the rounding apart, so each figure is the one its note names (664, not 663)
                "adjustments": added - rounding,
                "rounding": rounding,
                "shown": (float(received.iloc[0]) + added) if len(received) else float("nan"),
                "_o": list(members(r.org)).index(org) if org in members(r.org) else 99,
                "_m": list(sentences.ADJ_MEASURES).index(measure) if measure in sentences.ADJ_MEASURES else 99,
            }
        )
    df = pd.DataFrame(rows).sort_values(["_o", "_m"]).drop(columns=["_o", "_m"]).reset_index(drop=True)
    return declared.control_totals(df).styler()


def remaining_differences_block(r: MonthlyPosition | UnderDelivery) -> str:
    """Printed totals the figures still differ from after the adjustments (e.g. a combined sheet's own rounding)."""
    if r.as_received:
        return ""
    left = _still_differ(r)
    if left.empty:
        return "With these adjustments, every printed Grand Total agrees with the figures in this report."
    small = left["difference"].abs().max() <= 5
    lines = []
    if small:
        groups = sorted(set(left["org"]) - set(organisations().ccgs))
        who = " and ".join(groups) if groups else "some"
        lines.append(
            f"The {md_text(who)} combined dashboard's own printed totals differ from the sum of the CCGs' printed "
            f"Grand Totals by at most £{round(left['difference'].abs().max())}k, the rounding of printed figures; "
            "this report follows the CCGs' Grand Totals, as the PMO report does."
        )
    else:
        lines += [
            "**Printed totals still not reached.** These printed totals differ from the figures here even with "
            "the adjustments: a line may be missing that no adjustment has located yet.",
            "",
            "| Organisation | Sheet | Column | Printed | In this report | Difference |",
            "|---|---|---|---:|---:|---:|",
        ]
        for w in left.itertuples(index=False):
            lines.append(
                f"| {md_text(w.org)} | {md_text(w.sheet)} | {md_text(w.column)} | {fmt_k(w.printed)} "
                f"| {fmt_k(w.adjusted)} | {fmt_k(w.difference)} |"
            )
    return "\n".join(lines)


# --- the system view (Paper D Tables 1 and 2 by CCG) -------------------------------------------------


def _system_styler(wide: pd.DataFrame, orgs: list[str], subs: dict[str, str], pct: set[str], caption: str) -> Styler:
    """A table with one column group per organisation (Paper D's layout): £000 in brackets, bold Total."""
    cols = [("", "Workstream")]
    data = {("", "Workstream"): wide["workstream"].to_numpy()}
    for o in orgs:
        for key, label in subs.items():
            cols.append((o, label))
            data[(o, label)] = wide[f"{o.lower()}_{key}"].to_numpy()
    df = pd.DataFrame(data, columns=pd.MultiIndex.from_tuples(cols))
    money = [c for c in cols[1:] if c[1] not in pct]
    pcts = [c for c in cols[1:] if c[1] in pct]
    styler = df.style.hide(axis="index")
    styler = styler.format(fmt_k, subset=money, na_rep="–")
    styler = styler.format(lambda v: fmt_pct(v), subset=pcts, na_rep="–")
    styler = styler.format(lambda v: md_text(v), subset=[cols[0]])
    total = [i for i, w in enumerate(wide["workstream"]) if w == "Total"]
    if total:
        styler = styler.set_properties(
            subset=pd.IndexSlice[total, :], **{"font-weight": "bold", "border-top": "1.5px solid #333"}
        )
    styler = styler.set_properties(subset=cols[1:], **{"text-align": "right"})
    first = {c: "border-left: 1.5px solid #999" for c in cols[1:] if c[1] == next(iter(subs.values()))}
    for c, css in first.items():
        styler = styler.map(lambda _v, css=css: css, subset=[c])
    compact = [  # sixteen figures across A4 landscape, as the paper prints them
        {"selector": "", "props": [("font-size", "7pt")]},
        {"selector": "th, td", "props": [("padding", "1px 3px")]},
        {"selector": "thead tr:first-child th", "props": [("text-align", "center")]},
    ]
    styler = styler.set_table_styles(compact, overwrite=False)
    return inert_labels(styler.set_table_attributes('class="qipp-table qipp-system"').set_caption(caption))


def system_table1(r: MonthlyPosition) -> Styler:
    """Paper D Table 1 as printed: YTD plan, deliveries, variance, % of target per CCG and the system."""
    return _system_styler(
        r.system_ytd(),
        r.system_orgs,
        {"plan": "Plan", "deliveries": "Deliveries", "variance": "Variance", "pct_of_target_achieved": "% of target"},
        {"% of target"},
        f"Table 1: {r.period} year to date delivery by CCG (£000; % of target = YTD deliveries ÷ annual plan)",
    )


def system_table2(r: MonthlyPosition) -> Styler:
    """Paper D Table 2 as printed: plan, FOT, variance, monthly movement per CCG and the system."""
    return _system_styler(
        r.system_fot(),
        r.system_orgs,
        {"plan": "Plan", "fot": "FOT", "variance": "Variance", "monthly_movement": "Movement"},
        set(),
        f"Table 2: {r.period} forecast out-turn by CCG (£000; movement since last month, positive = adverse)",
    )


# --- the executive summary by programme area --------------------------------------------------------


def programme_table(r: MonthlyPosition) -> Styler | Markdown:
    """Paper D's executive summary: QIPP target, planning stage, YTD plan and achieved, FOT, by programme area."""
    if r.programme is None:
        return Markdown("")
    return declared.executive_summary(r, r.executive_summary_sheet()).styler()


def risk_rating_table(r: MonthlyPosition) -> Styler | Markdown:
    """The PMO risk rating of each programme area, where the PMO's ratings are held."""
    if r.programme is None:
        return Markdown("")
    body = r.programme[r.programme["programme_area"] != "Total"]
    if not (body["risk_rating"] != "").any():
        return Markdown("*No PMO risk ratings by programme area are held for this month.*")
    return declared.risk_ratings(r, body).styler()


def programme_notes_block(r: MonthlyPosition) -> str:
    """How areas and stages were assigned and how the table compares with the published one, as markdown."""
    return "\n\n".join(md_text(n) for n in r.programme_notes())


# --- commentary beside drivers, movements and red-rated schemes --------------------------------------


def _commentary_markdown(
    table: pd.DataFrame,
    report_org: str,
    *,
    value_label: str,
    empty: str,
    natural: Sequence[str] = (),
    earlier: dict[tuple[str, str, str], str] | None = None,
    earlier_in: str = "",
) -> str:
    """Commentary under a table, one voice: each comment printed once, under the lines it explains.

    ``table`` is a :func:`.commentary.beside` table (one row per line and comment). Each comment is printed
    once, under a heading listing every line of the table it is held on (label and figure), after the comments
    of the last of those lines (a comment about several lines refers to what is above it); consecutive
    comments on the same lines share one heading. A comment's source is named only when it is not the
    table's own narrative (``natural`` kinds) or another organisation wrote it. A comment already printed
    under an earlier table (``earlier``: comment -> the line it was printed under, in ``earlier_in``) is not
    printed again: one sentence first names the lines it explains and where to read it.
    """
    if table.empty:
        return empty
    units: dict[tuple[str, str, str], dict] = {}
    position: dict[str, int] = {}  # each line's place in the table
    referred: dict[str, tuple[float, list[str]]] = {}
    for c in table[table["kind"] != ""].itertuples(index=False):
        key = (c.org, c.label, c.text)
        if earlier and key in earlier:
            where = referred.setdefault(str(c.item), (c.value, []))[1]
            if earlier[key] not in where:
                where.append(earlier[key])
            continue
        unit = units.setdefault(key, {"lines": [], "comment": c, "at": 0})
        if str(c.item) not in (i for i, _ in unit["lines"]):
            unit["lines"].append((str(c.item), c.value))
        unit["at"] = position.setdefault(str(c.item), len(position))

    def heading(lines: list[tuple[str, float]]) -> str:
        parts = []
        for i, (item, value) in enumerate(lines):
            figure = "" if pd.isna(value) else f" ({value_label + ' ' if i == 0 else ''}{fmt_k(value)})"
            parts.append(f"**{md_text(item)}**{figure}")
        return "; ".join(parts)

    out: list[str] = []
    if referred:
        parts = []
        for n, (item, (value, names)) in enumerate(referred.items()):
            figure = "" if pd.isna(value) else (value_label + " " if n == 0 else "") + fmt_k(value)
            note = "" if names == [item] else f"under {', '.join(names)} there"
            inside = ", ".join(p for p in (figure, note) if p)
            parts.append(f"**{md_text(item)}**" + (f" ({md_text(inside)})" if inside else ""))
        out.append(
            f"- *Explained by their commentary under {md_text(earlier_in)}, not repeated here:* " + "; ".join(parts)
        )
    shown: list[str] | None = None
    for unit in sorted(units.values(), key=lambda u: (u["at"], len(u["lines"]) > 1)):  # a line's own first
        c, lines = unit["comment"], unit["lines"]
        if [i for i, _ in lines] != shown:
            out.append(f"- {heading(lines)}")
            shown = [i for i, _ in lines]
        parts = [] if c.kind in natural else [KIND_LABELS.get(c.kind, c.kind)]
        if c.org != report_org:
            parts.append(f"from {c.org}")
        source = f" *({md_text(', '.join(parts))})*" if parts else ""
        items = " ".join(str(i) for i, _ in lines)
        label = f"{md_text(c.label)}: " if c.label and c.label not in items else ""
        out.append(f"    - {label}{md_text(c.text)}{source}")
    return "\n".join(out) if out else empty


def _table_commentary_block(
    r: UnderDelivery,
    table: str,
    comments: pd.DataFrame,
    missing: pd.DataFrame,
    kind: str,
    lines: str,
    earlier: dict[tuple[str, str, str], str] | None = None,
    earlier_in: str = "",
) -> str:
    """Commentary under one of the drivers report's tables: a heading naming the sources, the comments beside
    the table's lines (``kind`` of comment is the table's own), then the lines that have none."""
    text = _commentary_markdown(
        comments,
        r.org,
        value_label=f"{r.org} {'under-delivery' if kind == 'driver' else kind}",
        empty=f"*No commentary is held for the {lines} of {table} this month.*",
        natural=(kind,),
        earlier=earlier,
        earlier_in=earlier_in,
    )
    none = sentences.missing_commentary(missing, table=table)
    head = f"**Commentary on {table}** ({_commentary_sources(r)})"
    return "\n\n".join(p for p in (head, text, f"**{md_text(none)}**" if none else "") if p)


def driver_commentary_block(r: UnderDelivery) -> str:
    """The commentary beside each line of Table 4, and the lines past the threshold that have none."""
    earlier = {}
    if not r.movement.empty:  # Table 3 comes first (Paper D's order): its comments are referred to, not repeated
        shown = r.movement_commentary()
        shown = shown[shown["kind"] != ""]
        earlier = {(c.org, c.label, c.text): str(c.item) for c in shown.itertuples(index=False)}
    return _table_commentary_block(
        r,
        "Table 4",
        r.driver_commentary(),
        r.missing_commentary(),
        "driver",
        "lines",
        earlier=earlier,
        earlier_in="Table 3 (section 2)",
    )


def movement_commentary_block(r: UnderDelivery) -> str:
    """The commentary beside each named movement of Table 3, and the named movements that have none."""
    if r.movement.empty:
        return ""
    return _table_commentary_block(
        r, "Table 3", r.movement_commentary(), r.missing_movement_commentary(), "movement", "movements"
    )


def red_commentary_block(r: MonthlyPosition) -> str:
    """The commentary held on each red-rated scheme's group, under Appendix 1."""
    table = r.red_commentary()
    if table.empty:
        return ""
    # QAG's actions printed in Paper D's QAG outcome (section 5.1, as published) are not printed twice in the section
    qag = {(c.label, c.text) for c in wp.published_qag(r).itertuples()}
    there = [(c.label, c.text) in qag and c.kind == "qag" for c in table.itertuples()]
    text = _commentary_markdown(
        table[[not t for t in there]].assign(value=float("nan")), r.org, value_label="", empty=""
    )
    referred = list(dict.fromkeys(table.loc[there, "item"]))
    if referred:
        lines = "; ".join(f"**{md_text(i)}**" for i in referred)
        text += f"\n- *QAG's actions on* {lines} *are printed with the QAG outcome in section 5.1, as published.*"
    missing = notes.uncommented(table)
    missing = sentences.missing_commentary(
        missing.assign(section="red", value=missing["value"]).drop_duplicates("group"), table="Appendix 1"
    )
    if not text:
        text = "*No commentary is held for the red-rated schemes this month.*"
    head = f"**Commentary on the red-rated schemes** ({_commentary_sources(r)})"
    return "\n\n".join(p for p in (head, text, f"**{md_text(missing)}**" if missing else "") if p)


def _commentary_sources(r: MonthlyPosition | UnderDelivery) -> str:
    """Where the commentary shown comes from: the organisations and the kinds of source."""
    c = r.commentary
    if c.empty:
        return "none held"
    kinds = sorted({p.split(":", 1)[0] for p in c["provenance"]})
    others = sorted(set(c["org"]) - {r.org})
    text = "sources: " + ", ".join(kinds)
    if others:
        text += f"; includes commentary of {', '.join(others)}, marked"
    return text


def commentary_provenance(r: MonthlyPosition | UnderDelivery) -> str:
    """The provenance of the commentary shown, for the provenance section."""
    if r.commentary.empty:
        return ""
    lines = ["Commentary shown beside the tables:", ""]
    lines += [f"- {md_text(p)}" for p in sorted(set(r.commentary["provenance"]))]
    return "\n".join(lines)
