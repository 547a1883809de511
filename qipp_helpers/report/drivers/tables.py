"""The under-delivery drivers' tables (Paper D Tables 3 and 4), each declared once, and how the notebook shows them."""

from __future__ import annotations

import pandas as pd
from IPython.display import Markdown
from pandas.io.formats.style import Styler

from ...core.orgs import org_name
from .. import commentary as notes
from ..base import adjustment_sheet
from ..blocks import md_text, table_commentary_block
from ..tables import Filled, TableSpec, money, text
from .model import UnderDelivery


def drivers_title_block(r: UnderDelivery) -> str:
    """The drivers report's heading, as markdown."""
    return (
        f"# QIPP Under-delivery Drivers: {md_text(org_name(r.org))}\n\n"
        f"**{r.period}** · why the forecast out-turn falls short of plan · £000 unless stated"
    )


def drivers_table(r: UnderDelivery) -> Styler:
    """Paper D Table 4: main drivers of under-delivery over the threshold, offsets, Other, Total."""
    return drivers_spec(r).styler()


def movement_table(r: UnderDelivery) -> Styler | Markdown:
    """Paper D Table 3: main FOT movements in month, favourable then adverse, Other, Total."""
    if r.movement.empty:
        return Markdown("*No previous month is held, so there is no movement in forecast out-turn to show.*")
    return movement_spec(r).styler()


def driver_commentary_block(r: UnderDelivery) -> str:
    """The commentary beside each line of Table 4, and the lines past the threshold that have none."""
    earlier = {}
    if not r.movement.empty:  # Table 3 comes first (Paper D's order): its comments are referred to, not repeated
        shown = r.movement_commentary()
        shown = shown[shown["kind"] != ""]
        earlier = {(c.org, c.label, c.text): str(c.item) for c in shown.itertuples(index=False)}
    return table_commentary_block(
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
    return table_commentary_block(
        r, "Table 3", r.movement_commentary(), r.missing_movement_commentary(), "movement", "movements"
    )


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


def drivers_spec(r: UnderDelivery) -> Filled:
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


def movement_spec(r: UnderDelivery) -> Filled:
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


def _commentary_sheet(r: UnderDelivery, name: str, table: pd.DataFrame, title: str) -> Filled:
    """A threshold table's lines with the commentary held on their scheme groups (a workbook sheet), the value
    in the report's own organisation's column."""
    spec = notes.sheet_spec(name, text("item", "Scheme group"), money(r.org, r.org), title=title)
    return spec.fill(notes.for_sheet(table, r.org))


def driver_commentary_spec(r: UnderDelivery) -> Filled:
    """Each line of Table 4 with the commentary held on its scheme group (the workbook's sheet)."""
    title = "Each line of Table 4 with the commentary held on its scheme group, or 'no commentary received'."
    return _commentary_sheet(r, "driver_commentary", r.driver_commentary(), title)


def movement_commentary_spec(r: UnderDelivery) -> Filled:
    """Each line of Table 3 with the commentary held on its scheme group (the workbook's sheet)."""
    title = "Each line of Table 3 with the commentary held on its scheme group, or 'no commentary received'."
    return _commentary_sheet(r, "movement_commentary", r.movement_commentary(), title)


def sheets(r: UnderDelivery) -> list[Filled]:
    """The declared tables the report's workbook holds, in sheet order: a table declared above and listed here
    reaches the xlsx (``workbook.book``) with its headers, kinds, totals and title."""
    return [
        drivers_spec(r),
        movement_spec(r),
        driver_commentary_spec(r),
        movement_commentary_spec(r),
        adjustment_sheet(r.adjustments),
    ]
