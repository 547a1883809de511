"""The workstream headlines and key risks page of the monthly position report (the NHS London QIPP board shape).

Per organisation (a CCG; for a system, each member CCG), per workstream: the milestone, benefit and
risk RAG read from the PMO descriptors, the change since last month, and the key risks, mitigations
and actions the returns carry. Paper D's published risks (section 1.4) and QAG outcome (section 2.1)
follow for the period and system they were published for, marked published.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
from pandas.io.formats.style import Styler

from ..analysis import provenance as pv
from ..analysis import workstreams as ws
from ..core.orgs import members, org_name
from ..core.periods import period_label, previous_period
from ..core.text import plain_html
from ..reference import PAPER_D_PERIOD, paper_d_risks
from .fmt import rag_cell_styles
from .publish import Book
from .tables import Col, TableSpec, money, text

if TYPE_CHECKING:
    from .frp.model import FrpBridge
    from .position.model import MonthlyPosition

NO_FIELDS = (
    "No key risks recorded in the returns: the returns held for this month carry no key-risk fields "
    "(the template's key risk, mitigation, action owner and due date columns)."
)
NONE_RECORDED = "No key risks recorded in the returns."
#: The monthly position workbook's sheets of the page's two tables.
SHEET = "Workstream headlines"
RISKS_SHEET = "Key risks"
COUNT_HEADERS = {"milestones": "Milestone lines", "financial_benefits": "Benefit lines", "risk_issue": "Risk lines"}


@dataclass
class WorkstreamPage:
    """One organisation's workstream headlines and key risks for a month."""

    org: str
    fin_year: str
    month: int
    ratings: pd.DataFrame  # analysis.workstreams.workstream_ratings, plus ``change``
    change_note: str  # why the change column is blank, or ''
    risks: pd.DataFrame | None  # None: the returns carry no risk fields

    @property
    def period(self) -> str:
        return period_label(self.fin_year, self.month)


def _previous_real(previous: pd.DataFrame | None, month: int, org: str) -> tuple[pd.DataFrame | None, str]:
    """Last month's rows of ``org`` when they are real returns; else None and why no change is shown."""
    m = previous_period("2000-01", month)[1]
    prev = None if previous is None else previous[previous["org"] == org]
    if prev is None or prev.empty:
        return None, f"No returns are held for M{m}, so no change since last month is shown."
    received = prev[~prev["is_adjustment"].astype(bool)] if "is_adjustment" in prev else prev
    if pv.kind_of(received["provenance"]) == pv.SYNTHETIC:
        return None, (
            f"M{m}: {pv.label(pv.SYNTHETIC)}. No change since last month is shown: no comparison is drawn from "
            "synthetic months."
        )
    return prev, ""


def workstream_pages(report: MonthlyPosition) -> list[WorkstreamPage]:
    """The page of each organisation of a monthly position report (a system: each member CCG), compared with
    the report's previous month where that month's returns are real."""
    rows, previous = report.rows, report.previous
    fin_year, month, org = report.fin_year, report.month, report.org
    as_at = ws.period_end(fin_year, month)
    pages = []
    for o in members(org):
        mine = rows[rows["org"] == o]
        now = ws.workstream_ratings(mine)
        before, note = _previous_real(previous, month, o)
        now["change"] = ws.changes(now, ws.workstream_ratings(before) if before is not None else None)
        risks = ws.key_risks(mine, as_at) if ws.has_risk_fields(mine) else None
        pages.append(WorkstreamPage(o, fin_year, month, now, note, risks))
    return pages


# --- display ---------------------------------------------------------------------------------------------


def ratings_spec(page: WorkstreamPage) -> TableSpec:
    """The workstream headlines, declared once: per workstream the three RAGs with their scheme-line counts, the
    change since last month, plan and FOT. The page prints one organisation's (``page``); the workbook's sheet
    stacks every organisation's lines (no totals) under a title with the first page's change note."""
    columns = [text("org", "Organisation", only="xlsx"), text("workstream", "Workstream")]
    columns.append(Col("schemes", "Schemes", "count"))
    for dim, header in ws.DIMENSIONS.items():
        columns += [text(dim, header), text(f"{dim}_counts", COUNT_HEADERS[dim])]
    columns += [text("change", "Since last month"), money("annual_plan", "Annual plan"), money("fot", "Revised FOT")]
    return TableSpec(
        SHEET,
        tuple(columns),
        caption=f"{org_name(page.org)} ({page.org}): workstream headlines, {page.period} (RAG read from the PMO "
        "descriptors; £000)",
        title=f"{SHEET}: RAG read from the PMO descriptors, one block per organisation (£000). "
        f"{page.change_note}".strip(),
        freeze_columns=2,
    )


def ratings_table(page: WorkstreamPage) -> Styler:
    """Per workstream: the three RAGs with their scheme-line counts, the change since last month, plan and FOT."""
    shown = page.ratings.assign(change=page.ratings["change"].replace("", "–"))
    return rag_cell_styles(ratings_spec(page).fill(shown).styler(), list(ws.DIMENSIONS.values()))


def risks_spec(page: WorkstreamPage) -> TableSpec:
    """The returned key risks, declared once: the page prints one organisation's with mitigation, owner and due
    date (overdue actions marked); the workbook's sheet every organisation's, with the scheme owner."""
    return TableSpec(
        RISKS_SHEET,
        (
            text("org", "Organisation", only="xlsx"),
            text("workstream", "Workstream"),
            text("scheme_no", "Scheme no.", only="xlsx"),
            text("scheme_name", "Scheme name", only="xlsx"),
            text("scheme", "Scheme", only="html"),
            text("key_risk", "Key risk"),
            text("mitigation", "Mitigation / action"),
            text("action_owner", "Action owner"),
            text("action_due", "Due"),
            text("scheme_owner", "Scheme owner", only="xlsx"),
            text("overdue", "Overdue", only="xlsx"),
        ),
        caption=f"{page.org}: key risks and actions from the returns",
        title=f"{RISKS_SHEET} and actions from the returns",
    )


def risks_table(page: WorkstreamPage) -> Styler | None:
    """The returned key risks with mitigation, owner and due date (overdue actions marked); None when there are none."""
    if page.risks is None or page.risks.empty:
        return None
    shown = page.risks.assign(
        scheme=[f"{n} {m}".strip() for n, m in zip(page.risks["scheme_no"], page.risks["scheme_name"], strict=True)],
        action_due=[
            f"{d} (overdue)" if o else d for d, o in zip(page.risks["action_due"], page.risks["overdue"], strict=True)
        ],
    )
    styler = risks_spec(page).fill(shown).styler()

    def overdue(row: pd.Series) -> list[str]:
        return ["font-weight: bold" if "(overdue)" in str(row["Due"]) else "" for _ in row]

    return styler.apply(overdue, axis=1)


def notes_block(page: WorkstreamPage) -> str:
    """What the page rests on: how a workstream's RAG is read, the change note, and the risks (or their absence)."""
    return "\n\n".join(_notes(page))


def pages_notes_block(pages: Sequence[WorkstreamPage]) -> str:
    """The notes of several pages (a system's: one per CCG) said once under them all: a note every page shares is
    printed once, one that differs is printed with its organisation (one voice, nothing repeated)."""
    said = [_notes(p) for p in pages]
    if len(said) == 1:
        return "\n\n".join(said[0])
    shared = [n for n in said[0] if all(n in other for other in said[1:])]
    out = list(shared)
    for page, notes in zip(pages, said, strict=True):
        out += [f"**{page.org}:** {n}" for n in notes if n not in shared]
    return "\n\n".join(out)


def _notes(page: WorkstreamPage) -> list[str]:
    lines = [
        "A workstream's rating on each descriptor is the one under which the largest part of its annual plan sits "
        "(ties go to the worse); the *lines* columns count the scheme lines holding each rating (R red, A amber, "
        "G green). Since last month: *same*, or each rating that moved (↑ better, ↓ worse).",
    ]
    if page.change_note:
        lines.append(plain_html(page.change_note))
    if page.risks is None:
        lines.append(NO_FIELDS)
    elif page.risks.empty:
        lines.append(NONE_RECORDED)
    else:
        late = int(page.risks["overdue"].sum())
        lines.append(
            f"{len(page.risks)} key risks recorded in the returns; {late} action{'s' if late != 1 else ''} overdue "
            f"(due before {ws.period_end(page.fin_year, page.month):%d %B %Y}, the end of the month reported)."
        )
    return lines


def published_qag(report: MonthlyPosition) -> pd.DataFrame:
    """The QAG actions (commentary of kind ``qag``) that :func:`published_risks_block` prints under Paper D's QAG
    outcome, one row per (label, text); none where that block prints nothing."""
    commentary = getattr(report, "commentary", pd.DataFrame())
    if "kind" not in commentary or (report.fin_year, report.month) != PAPER_D_PERIOD or report.org != "LLR":
        return commentary.iloc[:0]
    if getattr(report, "as_received", False):
        return commentary.iloc[:0]
    return commentary[commentary["kind"] == "qag"].drop_duplicates(["label", "text"])


def published_risks_block(report: MonthlyPosition) -> str:
    """Paper D's section 1.4 risks and section 2.1 QAG outcome with its three areas, as printed ('' elsewhere)."""
    fin_year, month, org = report.fin_year, report.month, report.org
    if (fin_year, month) != PAPER_D_PERIOD or org != "LLR" or getattr(report, "as_received", False):
        return ""
    pub = paper_d_risks()
    out = ["**Risks by programme area** (published: Paper D section 1.4, as printed)", ""]
    for r in pub[pub["kind"] == "risk"].itertuples():
        out.append(f"- **{plain_html(r.label)}.** {plain_html(r.text)}")
    qag = pub[pub["kind"] == "qag_outcome"].iloc[0]
    out += ["", "**QIPP Assurance Group outcome** (published: Paper D section 2.1, as printed)", ""]
    out.append(plain_html(qag["text"]))
    out.append("")
    for r in published_qag(report).itertuples():
        out.append(f"- **{plain_html(r.label)}:** {plain_html(r.text)}")
    shown = pub.loc[pub["kind"].isin(["risk", "qag_outcome"]), "provenance"]
    base = shown.iloc[0].split(", section")[0]
    sections = [p.split(", section ", 1)[1].split(" ")[0] for p in shown]
    out += ["", plain_html(f"Source: {base}, sections {', '.join(sections)}.")]
    return "\n".join(out)


def frp_risk_block(report: FrpBridge) -> str:
    """Paper E's summary of the FRP position and the published note on the risk of the Planned and Urgent Care FRP
    schemes, as printed, for the period and system they were published for ('' elsewhere)."""
    fin_year, month, org = report.fin_year, report.month, report.org
    if (fin_year, month) != PAPER_D_PERIOD or org != "LLR":
        return ""
    pub = paper_d_risks()
    out = []
    for kind, heading in (("frp_summary", "The FRP position"), ("frp_risk", "Risk in the FRP schemes")):
        r = pub[pub["kind"] == kind].iloc[0]
        where = r["provenance"].removeprefix("published: ")
        out += [f"**{heading}** (published: {plain_html(where)}, as printed)", "", plain_html(r["text"]), ""]
    return "\n".join(out).rstrip()


# --- workbook ------------------------------------------------------------------------------------------------


def with_sheets(book: Book, pages: list[WorkstreamPage]) -> Book:
    """The monthly position workbook with the ``Workstream headlines`` sheet (every organisation's lines, stacked:
    no totals) and, where the returns record any, the ``Key risks`` sheet."""
    frame = pd.concat([p.ratings.assign(org=p.org) for p in pages], ignore_index=True)
    book.tables[SHEET] = ratings_spec(pages[0]).fill(frame, totals=()).table()
    risks = [p.risks for p in pages if p.risks is not None and len(p.risks)]
    if risks:
        data = pd.concat(risks, ignore_index=True).assign(overdue=lambda d: d["overdue"].map({True: "Yes", False: ""}))
        book.tables[RISKS_SHEET] = risks_spec(pages[0]).fill(data, totals=()).table()
    return book
