"""The FRP bridge's tables, each declared once, and how the notebook shows them."""

from __future__ import annotations

import pandas as pd
from pandas.io.formats.style import Styler

from ...core.money import fmt_k
from ...core.orgs import organisations
from ..blocks import banner_lines, md_text
from ..fmt import rag_cell_styles
from ..publish import Total
from ..tables import Col, Filled, TableSpec, money, text
from .model import FrpBridge


def frp_banner_lines(r: FrpBridge) -> list[str]:
    """Page banner for the FRP report: the system, not the CCG group, is the organisation."""
    return banner_lines(r, section=5, name=organisations().system_name(r.org))


def frp_title_block(r: FrpBridge) -> str:
    """The FRP report's heading, as markdown."""
    forecast = f": the system's Month {r.forecast_month} forecast" if r.forecast_month else ""
    return (
        f"# System Financial Recovery Plan: {organisations().system_name(r.org)}\n\n"
        f"**{r.period} pack** · FRP position as at {md_text(r.as_at)}{forecast} · £000 unless stated · "
        "deficit negative, FRP savings positive"
    )


def bridge_table(r: FrpBridge) -> Styler:
    """Paper D Table 6: position before FRP, FRP schemes by group, position after FRP, other items, impact."""
    b = r.bridge[r.bridge["section"] != "organisation"]
    totals = [i for i, k in enumerate(b["kind"]) if k == "total"]
    return (
        bridge(r)
        .styler()
        .set_properties(subset=pd.IndexSlice[totals, :], **{"font-weight": "bold", "border-top": "1px solid #333"})
    )


def org_impact_table(r: FrpBridge) -> Styler:
    """The organisation impact of all items, split by organisation, with the total."""
    return org_impact_spec(r).styler()


def frp_scheme_table(r: FrpBridge) -> Styler:
    """Paper E Appendix 1: submission vs revised forecast vs delivered, balance, movement, RAG."""
    group_rows = [i for i, s in enumerate(r.schemes["scheme"]) if not s]
    styler = frp_schemes(r).styler()
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


def org_impact_spec(r: FrpBridge) -> Filled:
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


def sheets(r: FrpBridge) -> list[Filled]:
    """The declared tables the report's workbook holds, in sheet order: a table declared above and listed here
    reaches the xlsx (``workbook.book``) with its headers, kinds, totals and title."""
    return [bridge(r), org_impact_spec(r), frp_schemes(r), frp_checks(r)]
