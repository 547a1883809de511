"""Every table of the reports, declared once and filled from its report object.

Each function takes a report object (:mod:`qipp_helpers.report.objects`) and returns a
:class:`~.tables.Filled` table: :mod:`.show` renders it for HTML/PDF (``.styler()``) and
:mod:`.workbook` for the .xlsx (``.table()``), so the columns, headers, kinds, caption and sheet
title are written here only. Adding a table is its computation in ``analysis/`` plus a function here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from ..analysis import rightcare as rc
from ..core.orgs import org_name
from ..core.text import plain_html
from ..core.vocab import POD_LABELS
from .publish import Total
from .tables import Col, Filled, TableSpec, millions, money, text

if TYPE_CHECKING:
    from .objects import FrpBridge, MonthlyPosition, RightCareOpportunity, UnderDelivery


# --- monthly position (Paper D Tables 1, 2, 5, Appendix 1, the dashboards) --------------------------------


def headline(r: MonthlyPosition) -> Filled:
    """Key figures: annual plan, YTD plan and delivery, FOT, under-delivery, assured value, movement (the workbook
    has them as its headline figures, not a sheet)."""
    h = r.headline
    df = pd.DataFrame(
        [
            ("Annual QIPP plan", h.annual_plan),
            ("Year to date plan", h.plan_ytd),
            ("Year to date delivered", h.actual_ytd),
            ("SRO forecast out-turn (FOT)", h.fot),
            ("Forecast under delivery (FOT − plan)", h.under_delivery),
            ("  of which unidentified QIPP", -h.unidentified),
            ("PMO assured value", h.assured),
            ("FOT movement since last month (+ = adverse)", h.movement if h.movement is not None else float("nan")),
        ],
        columns=["measure", "value"],
    )
    spec = TableSpec("headline", (text("measure", "Headline"), money("value", "£000")))
    return spec.fill(df)


def ytd(r: MonthlyPosition) -> Filled:
    """Paper D Table 1: year to date delivery by workstream."""
    spec = TableSpec(
        "ytd_by_workstream",
        (
            text("workstream", "Workstream"),
            money("plan", "Plan"),
            money("deliveries", "Deliveries"),
            money("variance", "Variance"),
            Col("pct_of_target_achieved", "% of target achieved", "pct"),
        ),
        caption=f"Table 1: {r.period} year to date delivery (£000)",
        title=f"Paper D Table 1: year to date delivery by workstream, {r.period} (£000). % of target achieved "
        "divides deliveries by the whole annual plan, as the paper does.",
        label="workstream",
    )
    return spec.fill(r.ytd)


def fot(r: MonthlyPosition) -> Filled:
    """Paper D Table 2: forecast out-turn by workstream with the monthly movement."""
    spec = TableSpec(
        "fot_by_workstream",
        (
            text("workstream", "Workstream"),
            money("plan", "Plan"),
            money("fot", "Forecast out-turn"),
            money("variance", "Variance"),
            money("monthly_movement", "Monthly movement"),
        ),
        caption=f"Table 2: {r.period} forecast out-turn (£000)",
        title=f"Paper D Table 2: forecast out-turn by workstream against the annual plan, {r.period} (£000); "
        "monthly movement positive = adverse.",
        label="workstream",
    )
    return spec.fill(r.fot)


RAG_HEADERS = {
    "green": "Green",
    "amber": "Amber",
    "red": "Red",
    "completed": "(Completed)",
    "closed": "(Closed)",
    "total": "Grand total",
    "assured": "PMO assured value",
}
#: Paper D Table 5 prints its assured column as "Confidence / assured"; the workbook names it plainly.
RAG_PRINTED = {"assured": "Confidence / assured"}


def rag(r: MonthlyPosition) -> Filled:
    """Paper D Table 5: forecast out-turn by overall PMO RAG with the assured value."""
    spec = TableSpec(
        "fot_by_rag",
        (
            text("programme_area", "Programme area"),
            *(money(c, RAG_HEADERS[c], printed=RAG_PRINTED.get(c)) for c in r.rag.columns[1:]),
        ),
        caption="Table 5: Forecast out-turn by overall PMO RAG rating and assured value (£000)",
        title="Paper D Table 5: forecast out-turn by overall PMO RAG rating, and the PMO assured value (£000).",
        label="programme_area",
    )
    return spec.fill(r.rag)


def red(r: MonthlyPosition) -> Filled:
    """Paper D Appendix 1: red-rated schemes. The printed table shows the ratings as Paper D names them
    (Deliverables, Milestones, Total risks, Issues: see :data:`.appendices.APPENDIX1_RATINGS`); the workbook
    the dashboards' own columns."""
    from .appendices import APPENDIX1_RATINGS

    ratings = tuple(
        text(f"printed_{label}", label, printed=label, only="html", source=col)
        for label, col in APPENDIX1_RATINGS.items()
    )
    spec = TableSpec(
        "red_schemes",
        (
            text("scheme_no", "Scheme no.", printed="No."),
            text("scheme_name", "Scheme name"),
            text("workstream", "Workstream", only="xlsx"),
            text("milestones", "Milestones", only="xlsx"),
            text("financial_benefits", "Financial benefits", only="xlsx"),
            text("risk_issue", "Risk/issue", only="xlsx"),
            *ratings,
            text("rag", "Overall PMO RAG"),
            money("annual_plan", "Annual plan"),
            money("fot", "Revised FOT"),
        ),
        caption="Appendix 1: PMO red-rated schemes (£000). Deliverables is read from the dashboards' Financial "
        "Benefits rating, Total risks and Issues from their Risk/Issue rating.",
        title="Paper D Appendix 1: PMO red-rated schemes, rows of a scheme summed across organisations (£000).",
        label="scheme_name",
        freeze_columns=2,
    )
    return spec.fill(r.red)


SCHEME_COLUMNS = (
    text("org", "Organisation"),
    text("scheme_no", "Scheme no."),
    text("scheme_name", "Scheme name"),
    text("workstream", "Workstream"),
    text("milestones", "Milestones"),
    text("financial_benefits", "Financial benefits"),
    text("risk_issue", "Risk/issue"),
    text("rag", "Overall PMO RAG"),
    money("plan_ytd", "Plan YTD"),
    money("actual_ytd", "Actuals YTD"),
    money("annual_plan", "Annual plan"),
    money("fot", "Revised FOT"),
    money("assured", "PMO assured value"),
    text("provenance", "Source"),
)


def schemes(r: MonthlyPosition) -> Filled:
    """Every scheme line of the returns (the workbook's sheet; the HTML shows the dashboards' appendices)."""
    spec = TableSpec(
        "schemes",
        SCHEME_COLUMNS,
        title="Every scheme line of the returns, as the dashboards (Paper D Appendices 2-5) print them (£000).",
        freeze_columns=3,
    )
    return spec.fill(r.rows, totals=(Total({"org": "Total"}),))


def executive_summary(r: MonthlyPosition, sheet: pd.DataFrame) -> Filled:
    """Paper D's executive summary by programme area: QIPP target by planning stage, YTD plan and achieved, FOT.
    The HTML prints the report's figures (whole per cents, no stage column when every line has a stage, the risk
    ratings in a table of their own); the workbook ``sheet`` holds them as the paper prints them (£000 to two
    decimals) with the ratings. The workbook's headers are those its earlier inferred layout gave."""
    assert r.programme is not None
    staged = not (r.programme["unstaged"].abs() >= 0.5).any()
    pct = {"kind": "pct", "printed_decimals": 0}
    spec = TableSpec(
        "executive_summary",
        (
            text("programme_area", "Programme area"),
            money("qipp_target", "QIPP target"),
            money("pipeline", "Pipeline"),
            money("design", "Design"),
            money("developed", "Developed"),
            money("unstaged", "Unstaged", printed="Stage not held", only="xlsx" if staged else None),
            Col("pct_developed", "% developed", **pct),  # type: ignore[arg-type]
            money("ytd_plan", "YTD plan"),
            money("ytd_achieved", "YTD achieved"),
            Col("pct_ytd_achieved", "% YTD achieved", **pct),  # type: ignore[arg-type]
            money("fot", "Forecast out-turn", printed="FOT"),
            Col("pct_target_achieved", "Pct target achieved", printed="FOT % of target", **pct),  # type: ignore[arg-type]
            text("risk_rating", "PMO risk rating", only="xlsx"),
        ),
        caption=f"Executive summary by programme area, {r.period} (£000): QIPP target by planning stage, "
        "year to date delivery and SROs' forecast out-turn",
        title="Paper D's executive summary by programme area: QIPP target by planning stage, year to date and "
        "forecast out-turn (£000 to two decimals, as the paper prints them; areas and stages assigned as the "
        "report's notes say).",
        unbroken=True,
    )
    body, total = sheet.iloc[:-1], sheet.iloc[-1]
    assert total["programme_area"] == "Total", "the executive summary ends with its Total row"
    value_cells = {
        c.key: total[c.key]
        for c in spec.columns_for("xlsx")
        if c.column.total_rule == "value" and pd.notna(total[c.key])
    }
    return spec.fill(body, shown=r.programme, totals=(Total(value_cells),))


def risk_ratings(r: MonthlyPosition, body: pd.DataFrame) -> Filled:
    """The PMO risk rating of each programme area (``body``: the programme table's rows without the total)."""
    spec = TableSpec(
        "risk_ratings",
        (text("programme_area", "Programme area"), text("risk_rating", "PMO risk rating")),
        caption="PMO risk rating by programme area (published with Paper D's executive summary)",
        unbroken=True,
    )
    return spec.fill(body)


def control_totals(df: pd.DataFrame) -> Filled:
    """Per organisation and measure with an adjustment: printed control, lines as received, adjustments, shown."""
    spec = TableSpec(
        "control_totals",
        (
            text("org", "Organisation"),
            text("measure", "Measure"),
            money("printed", "Printed Grand Total"),
            money("received", "Scheme lines as received"),
            money("adjustments", "Adjustment lines"),
            money("rounding", "Rounding"),
            money("shown", "In this report"),
        ),
        caption="Control totals: each printed Grand Total, the scheme lines as received and the adjustments (£000)",
    )
    return spec.fill(df)


# --- under-delivery drivers (Paper D Tables 3 and 4) ------------------------------------------------------

SECTIONS = {
    "driver": "Driver",
    "offset": "Offset",
    "favourable": "Favourable",
    "adverse": "Adverse",
    "other": "Other",
    "total": "",
}


def _sectioned(df: pd.DataFrame, orgs: list[str], headings: dict[str, str]) -> tuple[pd.DataFrame, list[int]]:
    """Rows of a threshold table with a heading row before each section named in ``headings`` (the HTML's)."""
    out: list[dict[str, object]] = []
    marks: list[int] = []
    seen: set[str] = set()
    for _, row in df.iterrows():
        sec = row["section"]
        if sec in headings and sec not in seen:
            seen.add(sec)
            marks.append(len(out))
            out.append({"item": headings[sec], **{o: float("nan") for o in orgs}})
        out.append({"item": row["item"], **{o: row[o] for o in orgs}})
    return pd.DataFrame(out, columns=["item", *orgs]), marks


def _threshold(
    name: str, df: pd.DataFrame, orgs: list[str], first: str, headings: dict[str, str], **kw: object
) -> Filled:
    """A threshold table (Tables 3 and 4): the workbook has a Section column, the HTML a heading row per section
    and ``first`` as the first column's header."""
    spec = TableSpec(
        name,
        (
            text("item", "Scheme group", printed=first),
            text("section", "Section", only="xlsx"),
            *(money(o, o) for o in orgs),
        ),
        label="item",
        **kw,  # type: ignore[arg-type]
    )
    frame = df.reindex(columns=["item", "section", *orgs]).assign(
        section=lambda d: d["section"].map(lambda s: SECTIONS.get(s, s))
    )
    shown, marks = _sectioned(df, orgs, headings)
    return spec.fill(frame, shown=shown, headings=marks)


def drivers(r: UnderDelivery) -> Filled:
    """Paper D Table 4: main drivers of under-delivery over the threshold, offsets, Other, Total."""
    return _threshold(
        "drivers",
        r.drivers,
        r.orgs,
        f"Main drivers of under delivery >£{r.threshold:,.0f}k:",
        {"offset": "Offset by:"},
        caption=f"Paper D Table 4: Breakdown of under delivery of QIPP, {r.period} (£000, positive = short of plan)",
        title=f"Paper D Table 4: breakdown of under-delivery by scheme group, {r.period} (£000, FOT − annual plan: "
        f"positive = short of plan). Groups over £{r.threshold:,.0f}k on {r.org} are named, the rest are Other.",
    )


def movement(r: UnderDelivery) -> Filled:
    """Paper D Table 3: main FOT movements in month, favourable then adverse, Other, Total."""
    return _threshold(
        "fot_movement",
        r.movement,
        r.orgs,
        "Main FOT movements in month:",
        {"favourable": "Favourable movements:", "adverse": "Adverse movements:"},
        caption=f"Paper D Table 3: Movement in forecast out-turn since last month, {r.period} (£000, "
        f"positive = adverse; named if over £{r.movement_threshold:,.0f}k)",
        title=f"Paper D Table 3: movement in forecast out-turn since last month by scheme group, {r.period} (£000, "
        f"positive = adverse). Groups that moved over £{r.movement_threshold:,.0f}k on {r.org} are named.",
        note="" if len(r.movement) else "No previous month is held, so there is no movement to show.",
    )


# --- FRP bridge (Paper D Table 6, Paper E Appendix 1) -----------------------------------------------------

BRIDGE_SECTIONS = {
    "before_frp": "Position before FRP",
    "frp": "FRP schemes (forecast balance remaining)",
    "not_in_frp": "Other items not in FRP",
}


def bridge(r: FrpBridge) -> Filled:
    """Paper D Table 6. The HTML prints every line and subtotal in the paper's order; the workbook has the lines,
    with the subtotals as total rows that add up the lines they cover."""
    b = r.bridge.reset_index(drop=True)
    lines = b[(b["kind"] == "line") & (b["section"] != "organisation")].reset_index(drop=True)
    at = {s: tuple(lines.index[lines["section"] == s]) for s in BRIDGE_SECTIONS}
    label = {s: b.loc[(b["section"] == s) & (b["kind"] == "total"), "step"] for s in (*BRIDGE_SECTIONS, "after_frp")}
    rows_of = {
        "before_frp": at["before_frp"],
        "frp": at["frp"],
        "after_frp": at["before_frp"] + at["frp"],
        "not_in_frp": at["not_in_frp"],
    }
    totals = [Total({"step": str(label[s].iloc[0])}, rows) for s, rows in rows_of.items() if len(label[s])]
    impact = b.loc[(b["section"] == "org_impact") & (b["kind"] == "total"), "step"]
    totals.append(Total({"step": str(impact.iloc[0]) if len(impact) else "Total"}))
    spec = TableSpec(
        "bridge",
        (
            text("step", "Step", printed="Schemes by type"),
            text("section", "Section", only="xlsx"),
            money("value", "Revised forecast", printed="£000"),
        ),
        caption=f"Table 6: {r.org} Financial Recovery Plan as at {r.as_at} (£000)",
        title=f"Paper D Table 6: {r.org} financial recovery plan as at {r.as_at} (£000, deficit negative, FRP "
        "savings positive). The subtotals under the lines are the table's: before FRP, FRP schemes, after FRP, "
        "items not in FRP, and the organisation impact of all items (the sum of every line).",
    )
    printed = r.bridge[r.bridge["section"] != "organisation"]
    shown = pd.DataFrame({"step": printed["step"], "value": printed["value"]}).reset_index(drop=True)
    return spec.fill(lines.assign(section=lines["section"].map(BRIDGE_SECTIONS)), shown=shown, totals=totals)


def org_impact(r: FrpBridge) -> Filled:
    """The organisation impact of all items, split by organisation, with the total."""
    b = r.bridge.reset_index(drop=True)
    split = b[b["section"] == "organisation"].rename(columns={"step": "organisation"}).reset_index(drop=True)
    spec = TableSpec(
        "organisation_impact",
        (text("organisation", "Organisation"), money("value", "Impact", printed="£000")),
        caption="Organisation impact of all items by organisation (£000, deficit negative)",
        title="Organisation impact of all items, by organisation (£000, deficit negative); the total equals the "
        "bridge's organisation impact.",
    )
    printed = r.bridge[r.bridge["section"] == "organisation"]
    shown = pd.DataFrame({"organisation": printed["step"], "value": printed["value"]})
    shown = pd.concat(
        [shown, pd.DataFrame([{"organisation": "Total", "value": printed["value"].sum()}])], ignore_index=True
    )
    return spec.fill(split, shown=shown, totals=(Total({"organisation": "Total"}),))


FRP_COLUMNS = (
    money("submission", "FRP submission (a)"),
    money("revised", "Revised forecast (b)"),
    money("movement", "Forecast movement (c = b − a)"),
    money("delivered", "In-month delivery (d)"),
    money("balance", "Forecast balance remaining (e = b − d)"),
    money("in_month_movement", "In-month movement (f = e − a)", printed="In-month movement (e − a)"),
)


def frp_schemes(r: FrpBridge) -> Filled:
    """Paper E Appendix 1: submission against revised forecast and delivery, balance, movement, RAG. The HTML
    prints each group's total row then its schemes indented under it; the workbook has the schemes with group
    totals and the Grand Total under them."""
    s = r.schemes
    lines = s[(s["scheme"] != "") & (s["group"] != "Grand Total")].reset_index(drop=True)
    totals = [
        Total({"group": g, "scheme": "Group total"}, tuple(lines.index[lines["group"] == g]))
        for g in dict.fromkeys(lines["group"])
    ]
    totals.append(Total({"group": "Grand Total"}))
    revised = f"Revised forecast{f', Month {r.forecast_month}' if r.forecast_month else ''} (b)"
    spec = TableSpec(
        "schemes",
        (
            text("line", "Schemes by type", only="html"),
            text("group", "Scheme group", only="xlsx"),
            text("scheme", "Scheme", only="xlsx"),
            *(Col(c.key, c.header, c.kind, printed=revised if c.key == "revised" else c.printed) for c in FRP_COLUMNS),
            text("rag", "RAG"),
        ),
        caption=f"FRP schemes as at {r.as_at} (£000, computed from a, b and d)",
        title=f"Paper E Appendix 1: FRP schemes as at {r.as_at} (£000), c, e and f computed from a, b and d; "
        "group totals and the Grand Total under the schemes.",
        freeze_columns=2,
    )
    indent = "\u00a0" * 4  # non-breaking, so HTML keeps the indent of a scheme under its group
    shown = s.assign(line=[g if not n else indent + n for g, n in zip(s["group"], s["scheme"], strict=True)])
    return spec.fill(lines, shown=shown, totals=totals)


def frp_checks(r: FrpBridge) -> Filled:
    """Printed figures of the FRP workbook that its own figures do not reproduce (the HTML lists them in words)."""
    spec = TableSpec(
        "printed_vs_computed",
        (
            text("where", "Line"),
            text("column", "Column"),
            money("printed", "Printed"),
            money("computed", "Computed"),
            money("difference", "Difference"),
            text("source_sheet", "Source sheet"),
            Col("source_row", "Source row", "count", total="blank"),
        ),
        title="Printed figures of the FRP workbook that its own figures do not reproduce (£000).",
        note="" if len(r.checks) else "None: every printed figure agrees.",
    )
    return spec.fill(r.checks, totals=())


# --- RightCare opportunity (Derbyshire Tables 3 and 4) ----------------------------------------------------

POD_COLUMNS = (
    millions("elective", "Elective"),
    millions("non_elective", "Non-elective"),
    millions("prescribing", "Prescribing"),
    millions("total", "Total"),
)


def _against(r: RightCareOpportunity) -> str:
    return rc.BENCHMARK_SHORT[r.benchmark].lower()


def opportunity(r: RightCareOpportunity) -> Filled:
    """Derbyshire Table 3's layout, computed: opportunity by programme area × point of delivery (£m)."""
    spec = TableSpec(
        "opportunity",
        (text("programme_area", "Programme area"), *POD_COLUMNS),
        caption=f"Derbyshire Table 3 (computed): RightCare opportunity against {_against(r)}, "
        f"by programme area, {r.data_year} data (£m)",
        title=f"Derbyshire Table 3 layout, computed: RightCare opportunity against {_against(r)} by programme "
        f"area and point of delivery, {r.data_year} data (£m).",
        label="programme_area",
        unbroken=True,
    )
    return spec.fill(r.table)


def coverage(r: RightCareOpportunity) -> Filled:
    """The QIPP plan of the matching programme beside each POD's opportunity (£m) and the share covered."""
    assert r.coverage is not None
    spec = TableSpec(
        "coverage",
        (
            text("point_of_delivery", "Point of delivery"),
            text("qipp_programme", "QIPP programme"),
            millions("opportunity", "RightCare opportunity"),
            millions("qipp_plan", "QIPP plan (savings)"),
            millions("plan_less_opportunity", "Plan less opportunity"),
            Col("pct_covered", "Plan as % of opportunity", "pct"),
        ),
        caption=f"QIPP plan against RightCare opportunity (£m): {plain_html(r.coverage_source)}",
        title=f"QIPP plan against RightCare opportunity (£m): {r.coverage_source}.",
        label="point_of_delivery",
        unbroken=True,
    )
    return spec.fill(r.coverage)


def by_ccg(r: RightCareOpportunity) -> Filled:
    """Opportunity by CCG × point of delivery, each CCG against its own peers, with the group total (£m). The
    HTML prints each CCG's name; the workbook its code and name."""
    spec = TableSpec(
        "by_ccg",
        (text("ccg", "CCG"), text("name", "CCG name", only="xlsx"), *POD_COLUMNS),
        caption="Opportunity by CCG, each against its own peer group (£m)",
        title="Opportunity by CCG, each against its own peer group (£m).",
        label="ccg",
        unbroken=True,
    )
    data = r.by_ccg.assign(name=[org_name(c) if c != "Total" else "" for c in r.by_ccg["ccg"]])
    return spec.fill(data, shown=r.by_ccg.assign(ccg=[org_name(c) for c in r.by_ccg["ccg"]]))


def benchmarks(r: RightCareOpportunity) -> Filled:
    """Total opportunity under each benchmark (£m): how much the choice of benchmark matters."""
    spec = TableSpec(
        "benchmarks",
        (text("benchmark", "Benchmark"), *POD_COLUMNS),
        caption="Total opportunity against each benchmark (£m)",
        title="Total opportunity against each benchmark (£m): alternatives, so no total.",
        unbroken=True,
    )
    return spec.fill(r.by_benchmark.assign(benchmark=r.by_benchmark["benchmark"].map(rc.BENCHMARK_SHORT)), totals=())


_PODS = {"elective": "Elective", "non_elective": "Non-elective", "prescribing": "Prescribing", "total": "Total"}


def published(r: RightCareOpportunity) -> Filled:
    """Derbyshire Table 3 as published beside the computed one, with the largest difference on each row (£m)."""
    assert r.published is not None
    against = "" if r.benchmark == "best5" else f", computed against the {_against(r)}, so not comparable cell by cell"
    spec = TableSpec(
        "published_vs_computed",
        (
            text("programme_area", "Programme area"),
            *(millions(f"published_{k}", f"{v} (published)", total="value") for k, v in _PODS.items()),
            *(millions(f"computed_{k}", f"{v} (computed)") for k, v in _PODS.items()),
            millions("max_difference", "Largest difference", total="value", decimals=2),
        ),
        caption="Derbyshire Table 3 as published (2017/18 data, best 5 peers) beside the "
        f"opportunity computed here{against} (£m)",
        title="Derbyshire Table 3 as published (2017/18 data, best 5 peers) beside the opportunity computed "
        "here (£m); published totals as printed.",
        label="programme_area",
        unbroken=True,
    )
    return spec.fill(rc.compare_published(r.table, r.published))


def positions(r: RightCareOpportunity) -> Filled:
    """The largest opportunities: the CCG's spend beside its peers' benchmarks (£ per 1,000) and the £m (the
    workbook has every cell instead: :func:`cells`)."""
    df = rc.position_table(r.top).assign(ccg=lambda d: d["ccg"].map(lambda c: org_name(c)))
    spec = TableSpec(
        "positions",
        (
            text("ccg", "CCG"),
            text("programme_area", "Programme area"),
            text("pod", "Point of delivery"),
            Col("spend", "CCG spend", "gbp"),
            Col("best5", "Best-5 average", "gbp"),
            Col("best_quartile", "Best quartile", "gbp"),
            Col("peer_mean", "Peer mean", "gbp"),
            Col("peer_min", "Lowest peer", "gbp"),
            millions("opportunity", "Opportunity £m"),
        ),
        caption=f"The {len(df)} largest opportunities: spend per 1,000 weighted population (£) "
        f"against the CCG's peers, and the opportunity against {_against(r)} (£m)",
        unbroken=True,
    )
    return spec.fill(df)


def cells(r: RightCareOpportunity) -> Filled:
    """Every CCG × programme area × point of delivery: spend against its peers (£) and the opportunity (£m)."""
    rate = {"kind": "gbp", "total": "blank"}
    spec = TableSpec(
        "cells",
        (
            text("ccg", "CCG"),
            text("programme_area", "Programme area"),
            text("pod", "Point of delivery"),
            Col("spend", "Spend per 1,000 weighted population (£)", **rate),  # type: ignore[arg-type]
            Col("benchmark", "Benchmark used (£)", **rate),  # type: ignore[arg-type]
            Col("best5", "Best-5 average (£)", **rate),  # type: ignore[arg-type]
            Col("best_quartile", "Best quartile (£)", **rate),  # type: ignore[arg-type]
            Col("peer_mean", "Peer mean (£)", **rate),  # type: ignore[arg-type]
            Col("peer_min", "Lowest peer (£)", **rate),  # type: ignore[arg-type]
            Col("weighted_population", "Weighted population", "count", total="blank"),
            millions("opportunity", "Opportunity"),
        ),
        title=f"Every CCG × programme area × point of delivery: spend per 1,000 weighted population against "
        f"its peers (£) and the opportunity against {_against(r)} (£m).",
        freeze_columns=3,
    )
    data = r.cells.assign(opportunity=r.cells["opportunity"] / 1000.0, pod=r.cells["pod"].map(POD_LABELS))
    return spec.fill(data, totals=(Total({"ccg": "Total"}),))
