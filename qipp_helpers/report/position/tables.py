"""The monthly position's tables, each declared once (:mod:`..tables`), and how the notebook shows them."""

from __future__ import annotations

from dataclasses import replace

import pandas as pd
from IPython.display import Markdown
from pandas.io.formats.style import Styler

from ...core.orgs import org_name
from .. import commentary as notes
from .. import narrative as sentences
from .. import workstreams as wp
from ..base import adjustment_sheet
from ..blocks import commentary_markdown, commentary_sources, md_text
from ..fmt import rag_cell_styles
from ..publish import Total
from ..tables import Col, Filled, TableSpec, money, per_group, text
from .model import MonthlyPosition


def title_block(r: MonthlyPosition) -> str:
    """The report's heading, as markdown."""
    return (
        f"# QIPP Monthly Position: {md_text(org_name(r.org))}\n\n"
        f"**{r.period}** · PMO and Finance QIPP report · £000 unless stated"
    )


def headline_table(r: MonthlyPosition) -> Styler:
    """Key figures: annual plan, YTD plan and delivery, FOT, under-delivery, assured value, movement."""
    return headline_spec(r).styler()


def table1(r: MonthlyPosition) -> Styler:
    """Paper D Table 1: YTD delivery by workstream (for a system, one column group per CCG, as printed)."""
    if r.system_orgs:
        return system_table1(r)
    return ytd(r).styler()


def table2(r: MonthlyPosition) -> Styler:
    """Paper D Table 2: FOT by workstream with monthly movement (for a system, one column group per CCG)."""
    if r.system_orgs:
        return system_table2(r)
    return fot(r).styler()


def table5(r: MonthlyPosition) -> Styler:
    """Paper D Table 5: FOT by overall PMO RAG with assured value."""
    return rag_spec(r).styler()


def red_table(r: MonthlyPosition) -> Styler:
    """Paper D Appendix 1: red-rated schemes, with the columns Paper D prints (Deliverables, Milestones, Total
    risks, Issues: read from the dashboards' three ratings, see :data:`APPENDIX1_RATINGS`)."""
    return rag_cell_styles(red_spec(r).styler(), [*APPENDIX1_RATINGS, scheme_column("rag").html_header])


def system_table1(r: MonthlyPosition) -> Styler:
    """Paper D Table 1 as printed: YTD plan, deliveries, variance, % of target per CCG and the system."""
    return ytd_by_org(r).styler()


def system_table2(r: MonthlyPosition) -> Styler:
    """Paper D Table 2 as printed: plan, FOT, variance, monthly movement per CCG and the system."""
    return fot_by_org(r).styler()


def programme_table(r: MonthlyPosition) -> Styler | Markdown:
    """Paper D's executive summary: QIPP target, planning stage, YTD plan and achieved, FOT, by programme area."""
    if r.programme is None:
        return Markdown("")
    return executive_summary(r, r.executive_summary_sheet()).styler()


def risk_rating_table(r: MonthlyPosition) -> Styler | Markdown:
    """The PMO risk rating of each programme area, where the PMO's ratings are held."""
    if r.programme is None:
        return Markdown("")
    body = r.programme[r.programme["programme_area"] != "Total"]
    if not (body["risk_rating"] != "").any():
        return Markdown("*No PMO risk ratings by programme area are held for this month.*")
    return risk_ratings(r, body).styler()


def programme_notes_block(r: MonthlyPosition) -> str:
    """How areas and stages were assigned and how the table compares with the published one, as markdown."""
    return "\n\n".join(md_text(n) for n in r.programme_notes())


def red_commentary_block(r: MonthlyPosition) -> str:
    """The commentary held on each red-rated scheme's group, under Appendix 1."""
    table = r.red_commentary()
    if table.empty:
        return ""
    # QAG's actions printed in Paper D's QAG outcome (section 5.1, as published) are not printed twice in the section
    qag = {(c.label, c.text) for c in wp.published_qag(r).itertuples()}
    there = [(c.label, c.text) in qag and c.kind == "qag" for c in table.itertuples()]
    text = commentary_markdown(
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
    head = f"**Commentary on the red-rated schemes** ({commentary_sources(r)})"
    return "\n\n".join(p for p in (head, text, f"**{md_text(missing)}**" if missing else "") if p)


def headline_spec(r: MonthlyPosition) -> Filled:
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


def ytd_by_org(r: MonthlyPosition) -> Filled:
    """Paper D Table 1 as printed for a system: year to date plan, deliveries, variance and % of target by
    workstream, a column group per member CCG and the system (``r.system_orgs``)."""
    spec = TableSpec(
        "ytd_by_workstream_by_org",
        (
            text("workstream", "Workstream"),
            *per_group(
                r.system_orgs,
                (
                    money("plan", "Plan"),
                    money("deliveries", "Deliveries"),
                    money("variance", "Variance"),
                    # the sheet's Total row leaves it blank, as the workbook always has (the HTML prints it)
                    Col("pct_of_target_achieved", "% of target achieved", "pct", total="blank", printed="% of target"),
                ),
            ),
        ),
        caption=f"Table 1: {r.period} year to date delivery by CCG (£000; % of target = YTD deliveries ÷ annual plan)",
        title="Paper D Table 1 as printed: year to date plan, deliveries and variance by workstream, a column group "
        "per CCG and the system (£000).",
        label="workstream",
    )
    return spec.fill(r.system_ytd())


def fot_by_org(r: MonthlyPosition) -> Filled:
    """Paper D Table 2 as printed for a system: annual plan, forecast out-turn, variance and monthly movement by
    workstream, a column group per member CCG and the system (``r.system_orgs``)."""
    spec = TableSpec(
        "fot_by_workstream_by_org",
        (
            text("workstream", "Workstream"),
            *per_group(
                r.system_orgs,
                (
                    money("plan", "Plan"),
                    money("fot", "Forecast out-turn", printed="FOT"),
                    money("variance", "Variance"),
                    money("monthly_movement", "Monthly movement", printed="Movement"),
                ),
            ),
        ),
        caption=f"Table 2: {r.period} forecast out-turn by CCG (£000; movement since last month, positive = adverse)",
        title="Paper D Table 2 as printed: annual plan, forecast out-turn, variance and monthly movement by "
        "workstream, a column group per CCG and the system (£000).",
        label="workstream",
    )
    return spec.fill(r.system_fot())


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


def rag_spec(r: MonthlyPosition) -> Filled:
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


def red_commentary_spec(r: MonthlyPosition) -> Filled:
    """Each red-rated scheme with the commentary held on its scheme group (the workbook's sheet; the HTML prints
    the commentary in words under Appendix 1)."""
    spec = notes.sheet_spec(
        "red_scheme_commentary",
        text("scheme", "Scheme"),
        money("revised_fot", "Revised FOT"),
        title="Each red-rated scheme with the commentary held on its scheme group.",
    )
    sheet = notes.for_sheet(r.red_commentary(), "fot").rename(columns={"item": "scheme", "fot": "revised_fot"})
    return spec.fill(sheet)


#: Paper D Appendix 1's rating columns, and the dashboard rating each is read from (the dashboards carry three
#: ratings; Appendix 1 prints four, all Red for every scheme it lists).
APPENDIX1_RATINGS = {
    "Deliverables": "financial_benefits",
    "Milestones": "milestones",
    "Total risks": "risk_issue",
    "Issues": "risk_issue",
}
#: A scheme line's columns as the dashboards (Paper D Appendices 2-5) print them ("No."), with the organisation,
#: workstream and source the workbook adds.
SCHEME_COLUMNS = (
    text("org", "Organisation", only="xlsx"),
    text("scheme_no", "Scheme no.", printed="No."),
    text("scheme_name", "Scheme name"),
    text("workstream", "Workstream", only="xlsx"),
    text("milestones", "Milestones"),
    text("financial_benefits", "Financial benefits"),
    text("risk_issue", "Risk/issue"),
    text("rag", "Overall PMO RAG"),
    money("plan_ytd", "Plan YTD"),
    money("actual_ytd", "Actuals YTD"),
    money("annual_plan", "Annual plan"),
    money("fot", "Revised FOT"),
    money("assured", "PMO assured value"),
    text("provenance", "Source", only="xlsx"),
)
#: The dashboards' three ratings (frame keys).
DASHBOARD_RATINGS = ("milestones", "financial_benefits", "risk_issue")


def scheme_column(key: str, *, only: str | None = None, printed: str | None = None) -> Col:
    """The column ``key`` of :data:`SCHEME_COLUMNS` (one declaration of its header and kind), shown in ``only``
    one output or headed ``printed`` where a table differs."""
    col = next(c for c in SCHEME_COLUMNS if c.key == key)
    return replace(col, only=only or col.only, printed=printed or col.printed)


#: Every scheme line of the returns: the workbook's sheet, and the pack's dashboards (Paper D Appendices 2-5).
SCHEMES = TableSpec(
    "schemes",
    SCHEME_COLUMNS,
    title="Every scheme line of the returns, as the dashboards (Paper D Appendices 2-5) print them (£000).",
    freeze_columns=3,
)
#: Paper D Appendix 1: red-rated schemes. The printed table shows the ratings as Paper D names them, each read
#: from a dashboard rating (:data:`APPENDIX1_RATINGS`); the workbook the dashboards' own columns.
RED_SCHEMES = TableSpec(
    "red_schemes",
    (
        scheme_column("scheme_no"),
        scheme_column("scheme_name"),
        scheme_column("workstream"),
        *(scheme_column(k, only="xlsx") for k in DASHBOARD_RATINGS),
        *(text(f"printed_{label}", label, only="html", source=col) for label, col in APPENDIX1_RATINGS.items()),
        scheme_column("rag"),
        scheme_column("annual_plan"),
        scheme_column("fot"),
    ),
    caption="Appendix 1: PMO red-rated schemes (£000). Deliverables is read from the dashboards' Financial "
    "Benefits rating, Total risks and Issues from their Risk/Issue rating.",
    title="Paper D Appendix 1: PMO red-rated schemes, rows of a scheme summed across organisations (£000).",
    label="scheme_name",
    freeze_columns=2,
)


def red_spec(r: MonthlyPosition) -> Filled:
    """Paper D Appendix 1: red-rated schemes (:data:`RED_SCHEMES`)."""
    return RED_SCHEMES.fill(r.red)


def schemes(r: MonthlyPosition) -> Filled:
    """Every scheme line of the returns (the workbook's sheet; the HTML shows the dashboards' appendices)."""
    return SCHEMES.fill(r.rows, totals=(Total({"org": "Total"}),))


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


def sheets(r: MonthlyPosition) -> list[Filled]:
    """The declared tables the report's workbook holds, in sheet order: a table declared above and listed here
    reaches the xlsx (``workbook.book``) with its headers, kinds, totals and title."""
    system = [ytd_by_org(r), fot_by_org(r)] if r.system_orgs else []
    summary = [executive_summary(r, r.executive_summary_sheet())] if r.programme is not None else []
    return [
        ytd(r),
        fot(r),
        rag_spec(r),
        red_spec(r),
        schemes(r),
        *system,
        *summary,
        red_commentary_spec(r),
        adjustment_sheet(r.adjustments),
    ]
