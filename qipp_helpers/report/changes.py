"""What changed since last month, as a report shows it: the section, the summary line, the xlsx sheet.

The figures come from :mod:`qipp_helpers.analysis.changes` (two held months of returns, as received:
adjustments are Finance's, not a return's). With no previous month held, or a real month whose previous
month is synthetic (invented changes must not appear in a real month's report), the section says so in
one sentence. A synthetic month (the demonstration M7-M9) is compared and says it is synthetic.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd
from IPython.display import Markdown
from pandas.io.formats.style import Styler

from ..analysis import changes as ch
from ..analysis import position as t
from ..analysis import provenance as pv
from ..core.money import fmt_k
from ..core.orgs import members
from ..core.periods import period_label, previous_period
from ..core.text import plain_html
from .fmt import rag_cell_styles
from .publish import Table
from .tables import Col, TableSpec

#: The xlsx sheet and its headers, as the QAG asked for them.
SHEET = "Changes since last month"
HEADERS: dict[str, str] = {
    "scheme_no": "Scheme no.",
    "scheme": "Scheme",
    "org": "Organisation",
    "change": "Change",
    "from": "From",
    "to": "To",
    "amount": "£000",
    "reason": "Reason",
}
#: What the £000 column means for each kind of change.
AMOUNT_MEANS = (
    "£000 is the line's annual plan for a RAG move, new or closed scheme, stage or area move; the forecast "
    "out-turn carried for a line with no return; the change for a plan change; the movement (this month less "
    "last, positive = adverse) for an FOT movement."
)


@dataclass
class Changes:
    """The changes since last month for one organisation and month, or why there are none to show."""

    org: str
    period: str
    since: str  # the previous month's label
    table: pd.DataFrame | None = None  # :data:`qipp_helpers.analysis.changes.COLUMNS`
    matrix: pd.DataFrame | None = None  # from, to, schemes, annual_plan
    note: str = ""  # one sentence when nothing was compared
    counts: dict[str, int] = field(default_factory=dict)
    synthetic: bool = False  # this month's returns are synthetic (the demonstration months)

    @property
    def compared(self) -> bool:
        return self.table is not None


def since_last_month(
    received: pd.DataFrame, commentary: pd.DataFrame | None, *, fin_year: str, month: int, org: str
) -> Changes:
    """Compare ``org``'s returns (as received) for the month with the month before, if that is held and real."""
    prev_fy, prev_m = previous_period(fin_year, month)
    out = Changes(org, period_label(fin_year, month), f"M{prev_m} {prev_fy.replace('-', '/')}")
    now = t.select(received, fin_year, month, org)
    before = t.select(received, prev_fy, prev_m, org)
    if before.empty:
        out.note = f"No returns for {org} are held for {out.since}: there is no previous month to compare with."
        return out
    if _synthetic(before) and not _synthetic(now):
        out.note = (
            f"{out.since}: {pv.label(pv.SYNTHETIC)} ({org}'s returns). No change of a real month is listed against "
            "them."
        )
        return out
    out.synthetic = _synthetic(now)
    said = None
    if commentary is not None and len(commentary):
        keep = (commentary["fin_year"] == fin_year) & (commentary["month"] == month)
        said = commentary[keep & commentary["org"].isin(members(org))]
    out.table = ch.changes(now, before, said)
    out.matrix = ch.rag_matrix(now, before)
    out.counts = {k: int((out.table["change"] == k).sum()) for k in ch.KINDS}
    return out


def _synthetic(rows: pd.DataFrame) -> bool:
    return pv.kind_of(rows["provenance"]) == pv.SYNTHETIC


def sentence(c: Changes) -> str:
    """One line for the summary page and the section: what changed since last month, counted."""
    if c.table is None:  # nothing compared
        return c.note
    n = c.counts
    rag = c.table[c.table["change"] == "RAG"]
    to_red = int((rag["to"] == "Red").sum())
    parts = [
        f"{n['RAG']} RAG {'move' if n['RAG'] == 1 else 'moves'}" + (f" ({to_red} to Red)" if to_red else ""),
        f"{n['New scheme']} new",
        f"{n['Closed']} closed",
        f"{n['No return']} with no return",
        f"{n['Plan change']} plan {'change' if n['Plan change'] == 1 else 'changes'}",
        f"{n['Stage move']} planning-stage and {n['Area move']} programme-area "
        f"{'move' if n['Stage move'] + n['Area move'] == 1 else 'moves'}",
    ]
    text = f"Since {c.since}, {c.org}'s scheme lines show " + ", ".join(parts) + "."
    if c.synthetic:
        month = c.period.split(" ")[1]  # 'Month 7 2019/20 (October 2019)'
        text = f"M{month}: {pv.label(pv.SYNTHETIC)}. {text} The changes are planted, not real."
    return text


def _display(table: pd.DataFrame) -> pd.DataFrame:
    """From and To as text: money (plan, FOT) in £000 with brackets, categories as received."""
    return table.assign(
        **{k: table[k].map(lambda v: fmt_k(v) if isinstance(v, float) else str(v)) for k in ("from", "to")}
    )


#: What the section lists, said when it lists something.
INTRO = (
    "What the returns say moved since last month, line by line: overall PMO RAG moves, new and closed schemes, "
    "lines with no return this month, annual plan changes with their reason, planning-stage and programme-area "
    "moves, and the largest forecast out-turn movements with the SRO's commentary beside each."
)


def block(c: Changes) -> str:
    """The section's opening as markdown: what it lists and the counted sentence; or, when nothing was
    compared, the one sentence that says why."""
    if not c.compared:
        return plain_html(c.note)
    return plain_html(INTRO) + "\n\n" + plain_html(f"{sentence(c)} {AMOUNT_MEANS}")


def table_spec(c: Changes) -> TableSpec:
    """The changes table, declared once for the section and the sheet: one row per change (no total)."""
    return TableSpec(
        SHEET,
        tuple(Col(k, h, "gbp000" if k == "amount" else "text") for k, h in HEADERS.items()),
        caption=f"Changes since last month, {c.period} against {c.since} (£000)",
        title=f"Changes since last month: {c.org}, {c.period} against {c.since}. {AMOUNT_MEANS}",
        freeze_columns=2,
    )


def table(c: Changes) -> Styler | Markdown:
    """Every change, one row each, with the return's own words beside it (never an empty table)."""
    if c.table is None or c.table.empty:
        return Markdown("" if c.table is None else plain_html(f"No scheme line of {c.org} changed since {c.since}."))
    return table_spec(c).fill(_display(c.table)).styler()


def matrix_spec(c: Changes) -> TableSpec:
    """The RAG-move matrix, declared once: last month's overall PMO RAG, this month's, the lines and their plan."""
    return TableSpec(
        "rag_moves",
        (
            Col("from", f"RAG {c.since}"),
            Col("to", "RAG this month"),
            Col("schemes", "Lines", "count"),
            Col("annual_plan", "Annual plan", "gbp000"),
        ),
        caption=f"Overall PMO RAG, {c.since} to this month (£000)",
    )


def matrix(c: Changes) -> Styler | Markdown:
    """RAG moves: last month's rating against this month's, with the lines and their annual plan."""
    if c.matrix is None or c.matrix.empty:
        return Markdown("")
    spec = matrix_spec(c)
    return rag_cell_styles(spec.fill(c.matrix).styler(), spec.headers("html")[:2])


def xlsx_table(c: Changes) -> Table | None:
    """The ``Changes since last month`` sheet: one row per change; None when nothing was compared."""
    if c.table is None:  # nothing compared
        return None
    return table_spec(c).fill(_display(c.table), totals=()).table()
