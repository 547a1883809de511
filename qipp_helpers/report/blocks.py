"""Pieces every QIPP report shows the same way: banners, provenance, reconciliation and adjustment notes, the
control totals and the commentary beside a table. Plain text from returns stays inert (``md_text``, ``paragraph``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from IPython.display import Markdown
from pandas.io.formats.style import Styler

from ..analysis import provenance as pv
from ..analysis.adjustments import ROUNDING as ROUNDING_BASIS
from ..core.money import fmt_k
from ..core.orgs import members, org_name, organisations
from ..core.periods import previous_period
from ..core.text import plain_html
from ..core.vocab import DASHBOARD_HEADERS, MONEY_COLUMNS
from . import narrative as sentences
from . import printed as paper
from .commentary import KIND_LABELS
from .drivers.model import UnderDelivery
from .frp.model import FrpBridge
from .position.model import MonthlyPosition
from .rightcare.model import RightCareOpportunity
from .tables import Filled, TableSpec, money, text

Report = MonthlyPosition | UnderDelivery | FrpBridge | RightCareOpportunity


def md_text(value: object) -> str:
    """Text from an input, inert inside markdown (tables too): HTML escaped, and no Markdown, link or maths
    syntax left to act on (see :func:`qipp_helpers.core.text.plain_html`)."""
    return plain_html(value)


def paragraph(text: str) -> str:
    """A generated sentence made safe to show as markdown (names in it come from returns)."""
    return md_text(text)


def provenance_kind(values: list[str]) -> str:
    kinds = sorted({v.split(":", 1)[0].strip() for v in values})
    return " and ".join(kinds) if kinds else "none"


def _month_words(r: Report, provenance: list[str], *, previous: bool = False) -> str:
    """'M6: published': a month of the report and its one provenance label (:mod:`..analysis.provenance`)."""
    month = getattr(r, "month", None)
    if month is None:
        return provenance_kind(provenance)
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
        period_and_generated(r.period),
    ]


def period_and_generated(period: str) -> str:
    """The footer's line: the period the figures are for first, then when it was rendered (a reader looking for
    the period never finds only a render date): 'Month 6 2019/20 · Generated 05 Dec 2026 09:00'."""
    return f"{period.split(' (')[0]} · Generated {datetime.now().strftime('%d %b %Y %H:%M')}"


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
    for heading, said in sentences.adjustment_explanations(r.adjustments):
        lines += [f"- **{md_text(heading)}.** {md_text(said)}"]
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
    return control_totals(df).styler()


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


def _comment_units(
    table: pd.DataFrame, earlier: dict[tuple[str, str, str], str] | None
) -> tuple[dict[tuple[str, str, str], dict], dict[str, tuple[float, list[str]]]]:
    """Each comment once, with the lines of the table it is held on (item, figure) and the place of the last of
    them (``at``); and the lines whose comments were printed under an earlier table: item -> (figure, the lines
    they were printed under there)."""
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
    return units, referred


def _lines_heading(lines: list[tuple[str, float]], value_label: str) -> str:
    """'**Item** (label 1,234); **Other** (567)': the lines a comment is held on, the first figure labelled."""
    parts = []
    for i, (item, value) in enumerate(lines):
        figure = "" if pd.isna(value) else f" ({value_label + ' ' if i == 0 else ''}{fmt_k(value)})"
        parts.append(f"**{md_text(item)}**{figure}")
    return "; ".join(parts)


def _referral(referred: dict[str, tuple[float, list[str]]], value_label: str, earlier_in: str) -> str:
    """One sentence naming the lines whose commentary was printed under an earlier table, and where to read it."""
    parts = []
    for n, (item, (value, names)) in enumerate(referred.items()):
        figure = "" if pd.isna(value) else (value_label + " " if n == 0 else "") + fmt_k(value)
        note = "" if names == [item] else f"under {', '.join(names)} there"
        inside = ", ".join(p for p in (figure, note) if p)
        parts.append(f"**{md_text(item)}**" + (f" ({md_text(inside)})" if inside else ""))
    return f"- *Explained by their commentary under {md_text(earlier_in)}, not repeated here:* " + "; ".join(parts)


def _comment_item(c: Any, lines: list[tuple[str, float]], *, report_org: str, natural: Sequence[str]) -> str:
    """A comment as a sub-item: its label unless a line already names it, its text, and its source when that is
    not the table's own narrative or another organisation wrote it."""
    parts = [] if c.kind in natural else [KIND_LABELS.get(c.kind, c.kind)]
    if c.org != report_org:
        parts.append(f"from {c.org}")
    source = f" *({md_text(', '.join(parts))})*" if parts else ""
    items = " ".join(str(i) for i, _ in lines)
    label = f"{md_text(c.label)}: " if c.label and c.label not in items else ""
    return f"    - {label}{md_text(c.text)}{source}"


def commentary_markdown(
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
    units, referred = _comment_units(table, earlier)
    out = [_referral(referred, value_label, earlier_in)] if referred else []
    shown: list[str] | None = None
    for unit in sorted(units.values(), key=lambda u: (u["at"], len(u["lines"]) > 1)):  # a line's own first
        c, lines = unit["comment"], unit["lines"]
        if [i for i, _ in lines] != shown:
            out.append(f"- {_lines_heading(lines, value_label)}")
            shown = [i for i, _ in lines]
        out.append(_comment_item(c, lines, report_org=report_org, natural=natural))
    return "\n".join(out) if out else empty


def table_commentary_block(
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
    text = commentary_markdown(
        comments,
        r.org,
        value_label=f"{r.org} {'under-delivery' if kind == 'driver' else kind}",
        empty=f"*No commentary is held for the {lines} of {table} this month.*",
        natural=(kind,),
        earlier=earlier,
        earlier_in=earlier_in,
    )
    none = sentences.missing_commentary(missing, table=table)
    head = f"**Commentary on {table}** ({commentary_sources(r)})"
    return "\n\n".join(p for p in (head, text, f"**{md_text(none)}**" if none else "") if p)


def commentary_sources(r: MonthlyPosition | UnderDelivery) -> str:
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
