"""Paper D's appendices for the pack: the red-rated schemes (Appendix 1) and every scheme dashboard (2-5).

Appendix 1 has the columns Paper D prints (Deliverables, Milestones, Total Risks, Issues, Overall PMO
RAG, Annual Plan, Revised FOT); Appendix 2 is the system's combined dashboard (its CCGs' lines with the
same scheme and ratings added together); Appendices 3 onward are each CCG's dashboard, every scheme line
as received, its Grand Total, then the control-total adjustments the reports include and the total with
them (the printed Grand Total). Each appendix is a table of display text and its columns' declaration
(the monthly position's: :data:`~.position.tables.SCHEMES`, :data:`~.position.tables.RED_SCHEMES`); the pack
lays it out with the declared headers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from ..analysis import position as t
from ..analysis.adjustments import apply_adjustments
from ..core.orgs import organisations
from . import printed as paper
from .position.tables import DASHBOARD_RATINGS, RED_SCHEMES, SCHEMES, scheme_column
from .style import rag_cell_css
from .tables import MONEY_KINDS, Col, TableSpec

#: Appendices 2-5, the dashboards: every scheme line as the monthly position declares it for its workbook's
#: schemes sheet, printed with the dashboards' columns.
DASHBOARD = SCHEMES
#: Appendix 1 as the pack prints it: the monthly position's red-rated schemes (:data:`RED_SCHEMES`) as printed,
#: without its No. column and with the overall rating headed as Paper D's appendix heads it.
APPENDIX1 = replace(
    RED_SCHEMES,
    name="appendix_1",
    columns=tuple(
        scheme_column("rag", printed="Overall PMO RAG ratings") if c.key == "rag" else c
        for c in RED_SCHEMES.columns_for("html")
        if c.key != "scheme_no"
    ),
)
#: The dashboards' money columns (frame keys).
MONEY = [c.key for c in DASHBOARD.columns if c.kind in MONEY_KINDS]
TOTAL = "Grand Total"


@dataclass
class Appendix:
    """One appendix: its number and title, a sentence on how to read it, its table's declaration (``spec``: the
    pack prints its HTML columns' headers, figures right-aligned) and the table as display text, one column per
    HTML column's key, in order."""

    number: int
    title: str
    note: str
    spec: TableSpec
    table: pd.DataFrame
    total_rows: int = 1  # the last rows are totals and adjustments, not scheme lines
    lines: int = 0  # scheme lines listed (adjustments and totals not counted)
    adjustment_rows: list[int] = field(default_factory=list)  # rows (positions) that are adjustments

    def __post_init__(self) -> None:
        self.table = self.table[[c.key for c in self.columns]]

    @property
    def columns(self) -> list[Col]:
        """The columns the pack prints, in order."""
        return self.spec.columns_for("html")

    @property
    def rag_columns(self) -> list[str]:
        """The columns (keys) that hold a RAG rating: the dashboards' three, Appendix 1's four read from them, and
        the overall PMO RAG."""
        ratings = (*DASHBOARD_RATINGS, "rag")
        return [c.key for c in self.columns if c.key in ratings or c.source in ratings]

    def row_kind(self, i: int) -> str:
        """'line', 'adjustment' or 'total' for the table's ``i``-th row."""
        if i in self.adjustment_rows:
            return "adjustment"
        return "total" if i >= len(self.table) - self.total_rows else "line"

    @property
    def anchor(self) -> str:
        return f"appendix-{self.number}"

    def cell_css(self, column: str, value: object) -> str:
        """Inline CSS of a cell of the column keyed ``column``: a RAG rating's fill and readable text; '' otherwise."""
        return rag_cell_css(value) if column in self.rag_columns else ""


def _dashboard(rows: pd.DataFrame, adjustments: pd.DataFrame, *, combine: bool) -> tuple[pd.DataFrame, int]:
    """Scheme lines (combined across organisations if ``combine``), Grand Total, adjustments, total with them."""
    keys = ["scheme_no", "scheme_name", *DASHBOARD_RATINGS, "rag"]
    money = list(MONEY)
    if combine:
        lines = rows.groupby(keys, sort=False)[money].sum().reset_index()
    else:
        lines = rows[keys + money].reset_index(drop=True)
    for col in DASHBOARD_RATINGS:
        lines[col] = lines[col].map(t.descriptor_rag).replace("?", "")
    total = {"scheme_no": "", "scheme_name": TOTAL, **{c: "" for c in [*DASHBOARD_RATINGS, "rag"]}}
    parts = [lines, pd.DataFrame([{**total, **lines[money].sum().to_dict()}])]
    extra = 1
    if len(adjustments):
        adj = adjustments.pivot_table(
            index=["org", "scheme_no", "scheme_name"], columns="measure", values="amount", aggfunc="sum", fill_value=0
        ).reindex(columns=money, fill_value=0.0)
        adj = adj.reset_index()
        adj["scheme_name"] = [
            f"Adjustment: {org} {no} {name}".replace("  ", " ").strip()
            for org, no, name in zip(adj["org"], adj["scheme_no"], adj["scheme_name"], strict=True)
        ]
        adj = adj.assign(scheme_no="", **{c: "" for c in [*DASHBOARD_RATINGS, "rag"]})[keys + money]
        with_adj = {**total, "scheme_name": "Total with adjustments (the printed Grand Total)"}
        all_money = pd.concat([lines[money], adj[money]]).sum().to_dict()
        parts += [adj, pd.DataFrame([{**with_adj, **all_money}])]
        extra += len(adj) + 1
    return pd.concat(parts, ignore_index=True), extra


def _adjustments_of(adjustments: pd.DataFrame | None, fin_year: str, month: int, orgs: list[str]) -> pd.DataFrame:
    if adjustments is None or adjustments.empty:
        return pd.DataFrame(columns=["org", "scheme_no", "scheme_name", "measure", "amount"])
    a = adjustments
    return a[(a["fin_year"] == fin_year) & (a["month"] == month) & a["org"].isin(orgs)]


def appendix1(rows: pd.DataFrame, number: int = 1, org: str = "LLR", found: pd.DataFrame | None = None) -> Appendix:
    """Paper D Appendix 1: red-rated schemes with the columns Paper D prints (rows of a scheme summed)."""
    red = t.red_schemes(rows)
    table = APPENDIX1.display(red.assign(scheme_name=red["scheme_name"].replace({t.TOTAL: TOTAL})))
    note = (
        f"{org}'s schemes with an overall PMO RAG rating of Red, lines of a scheme added across its CCGs (£000, "
        "savings negative in brackets). The dashboards rate three things; Paper D prints four columns: "
        "Deliverables is read from the Financial Benefits rating, Total risks and Issues from the Risk/Issue rating."
    )
    if found is not None:
        note += " " + paper.rounding_line(rows, "red", found)
    title = f"Appendix {number}: PMO red-rated schemes ({org})"
    return Appendix(number, title, note, APPENDIX1, table, 1, len(red) - 1)


def dashboard(rows: pd.DataFrame, adjustments: pd.DataFrame, *, number: int, org: str, combined: bool) -> Appendix:
    """A full QIPP dashboard: every scheme line of ``org`` (combined across its CCGs for a system)."""
    table, extra = _dashboard(rows, adjustments, combine=combined)
    name = organisations().label(org) if org in organisations().orgs else org
    how = (
        "its CCGs' scheme lines, lines with the same scheme and ratings added together"
        if combined
        else "every scheme line as received"
    )
    note = (
        f"{name}: {how} (£000, savings negative in brackets). Milestones, financial benefits and risk/issue are "
        "shown as the RAG rating their PMO descriptor stands for; the descriptors in full are in the monthly "
        f"position workbook (sheet {DASHBOARD.name})."
    )
    if len(adjustments):
        note += (
            " Below the Grand Total, the control-total adjustments the reports include (see the data-quality notes)."
        )
    title = (
        f"Appendix {number}: Full {org}{'' if combined and org in organisations().groups else ' CCG'} QIPP dashboard"
    )
    lines = len(table) - extra
    adjusted = [i for i, name in enumerate(table["scheme_name"]) if str(name).startswith("Adjustment: ")]
    return Appendix(number, title, note, DASHBOARD, DASHBOARD.display(table), extra, lines, adjusted)


def paper_d_appendices(
    returns: pd.DataFrame, adjustments: pd.DataFrame | None, *, fin_year: str, month: int
) -> list[Appendix]:
    """Appendices 1-5 for the first system whose CCGs all returned this month ([] when none did)."""
    reg = organisations()
    lead = next((g for g in reg.groups if not t.missing_members(returns, fin_year, month, g)), None)
    if lead is None:
        return []
    rows = t.select(returns, fin_year, month, lead)
    members = list(reg.members(lead))
    adj = _adjustments_of(adjustments, fin_year, month, members)
    adjusted = returns if adjustments is None else apply_adjustments(returns, adjustments)
    found = paper.cells(adjusted, fin_year=fin_year, month=month, org=lead)
    out = [appendix1(rows, 1, lead, found), dashboard(rows, adj, number=2, org=lead, combined=True)]
    for n, org in enumerate(members, start=3):
        mine = rows[rows["org"] == org]
        out.append(dashboard(mine, adj[adj["org"] == org], number=n, org=org, combined=False))
    return out
