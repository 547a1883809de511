"""The pack's own summary (one page a chair reads in two minutes) and its data-quality notes.

Their tables are declared once (:data:`HEADLINES`, :data:`UNRECONCILED`, :data:`FRP_CHECKS`, with
:data:`.printed.NOTE_TABLE` and :data:`.tracker.RETURNS_RECEIVED`) and given to the pack as display text keyed by
column key: the pack prints the declared headers and right-aligns the declared figures.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import pandas as pd

from ..analysis import adjustments as adj
from ..analysis import drivers as d
from ..analysis import position as t
from ..analysis import provenance as pv
from ..core.orgs import Registry, organisations
from ..core.periods import previous_period
from . import changes as since
from . import narrative as sentences
from . import printed as paper
from .base import TABLE_MEASURES, ReportPeriod, adjustments_for, rows_and_previous, with_adjustments
from .frp.model import frp_bridge
from .realism import realism_of, summary_sentence
from .tables import Col, TableSpec, money, text

#: The summary's headline table: one row per organisation with complete returns (£000, :func:`headlines`) and the
#: data each row rests on (:attr:`PackSummary.headline_spec` gives the month's caption, and leaves that column out
#: when every row rests on the same data).
HEADLINES = TableSpec(
    "headlines",
    (
        text("name", "Organisation"),
        money("annual_plan", "Annual plan"),
        money("fot", "Forecast out-turn"),
        money("under_delivery", "Under delivery (FOT − plan)"),
        money("assured", "PMO assured"),
        money("movement", "FOT movement in month"),
        text("basis", "Figures rest on"),
    ),
)
#: The data-quality note's table of returns whose rows do not add up to their own printed totals (a reconciliation
#: warning per figure; ``org`` shows the organisation's name, ``column`` the figure).
UNRECONCILED = TableSpec(
    "unreconciled_returns",
    (
        text("org", "Organisation"),
        text("column", "Figure"),
        money("printed", "Printed total"),
        money("computed", "Computed from the rows"),
        money("difference", "Difference (printed − computed)"),
    ),
)
#: The data-quality note's table of a system's FRP figures that do not follow from their columns (the FRP's checks).
FRP_CHECKS = TableSpec(
    "frp_checks",
    (
        text("where", "Line"),
        text("column", "Column"),
        money("printed", "Printed"),
        money("computed", "Computed"),
        money("difference", "Difference (printed − computed)"),
    ),
)


def headlines(
    returns: pd.DataFrame,
    fin_year: str,
    month: int,
    adjustments: pd.DataFrame | None = None,
    *,
    as_received: bool = False,
) -> list[dict]:
    """Headline figures for every organisation with complete returns for the month (£000).

    With ``adjustments`` (and not ``as_received``) the figures include the control-total adjustments,
    as every report does by default; ``adjustments`` then says in one sentence what they add ('' if none).
    """
    adjusted, applied = with_adjustments(returns, adjustments, as_received=as_received)
    return _headline_rows(returns, adjusted, applied, fin_year, month)


def _headline_rows(
    received: pd.DataFrame, returns: pd.DataFrame, applied: pd.DataFrame, fin_year: str, month: int
) -> list[dict]:
    """:func:`headlines` from the rows as ``received``, the same rows with the adjustments (``returns``) and the
    adjustments ``applied``: a caller that holds all three does not add the adjustments again."""
    out = []
    for org in organisations().codes:
        rows = t.complete_rows(returns, fin_year, month, org)
        if rows is None:
            continue
        prev = t.complete_rows(returns, *previous_period(fin_year, month), org)
        h = t.headline(rows, prev, org=org, fin_year=fin_year, month=month)
        got = t.select(received, fin_year, month, org)
        before = t.complete_rows(received, *previous_period(fin_year, month), org)
        mine = adjustments_for(applied, fin_year=fin_year, month=month, org=org)
        out.append(
            {
                "org": org,
                "annual_plan": h.annual_plan,
                "fot": h.fot,
                "under_delivery": h.under_delivery,
                "assured": h.assured,
                "movement": h.movement,
                "provenance": _kinds(got),
                "previous_provenance": _kinds(before) if before is not None else "",
                "adjustments": sentences.adjustment_footnote(mine, TABLE_MEASURES["split"]),
            }
        )
    return out


def _kinds(rows: pd.DataFrame) -> str:
    """The one provenance label of a month's rows (:func:`qipp_helpers.analysis.provenance.label`)."""
    return pv.label(pv.kind_of(rows["provenance"]))


@dataclass
class PackSummary(ReportPeriod):
    """The pack's one-page summary for the chair: figures and sentences (the pack only lays them out)."""

    fin_year: str
    month: int
    lead: str  # the organisation the summary leads with: the system when its CCGs are all held
    position: list[str]  # paragraphs in Paper D's words
    headlines: list[dict]  # per organisation, £000, as :func:`headlines`, plus ``name`` and ``basis``
    moved: list[str]  # what moved in month and what drives the gap
    asks: list[tuple[str, str]]  # (VERB, what): "The QIPP Assurance Group is asked to: NOTE ..."
    body: str = "QIPP Assurance Group"
    rounding: str = ""  # under the headline table: its figures that differ from the printed paper, if one is held

    @property
    def asked(self) -> str:
        return f"The {self.body} is asked to:"

    @property
    def one_basis(self) -> str:
        """The data every headline row rests on, when it is the same for all ('' otherwise: then each row says)."""
        bases = {h["basis"] for h in self.headlines}
        return bases.pop() if len(bases) == 1 else ""

    @property
    def headline_spec(self) -> TableSpec:
        """The headline table (:data:`HEADLINES`) as this month prints it: the caption names the period; the
        "Figures rest on" column only where rows rest on different data (else one line under the table says it)."""
        return replace(
            HEADLINES,
            columns=tuple(c for c in HEADLINES.columns if c.key != "basis" or not self.one_basis),
            caption=f"Headline position by organisation, {self.period}: £000, savings negative in brackets",
        )

    @property
    def headline_rows(self) -> pd.DataFrame:
        """The headline table's rows as display text, one column per printed column's key."""
        return self.headline_spec.display(pd.DataFrame(self.headlines))


def _basis(h: dict, month: int) -> str:
    """'M6: published; movement: M5: synthetic demonstration data, not returns': which data each figure of a
    headline row rests on, each month in its one provenance label."""
    prev_m = previous_period(h.get("fin_year", "2000-01"), month)[1]
    words = f"M{month}: {h['provenance']}"
    if h.get("previous_provenance") and h["previous_provenance"] != h["provenance"]:
        words += f"; movement: M{prev_m}: {h['previous_provenance']}"
    return words


def _members_position(
    returns: pd.DataFrame, reg: Registry, lead: str, held: list[str], *, fin_year: str, month: int
) -> list[str]:
    """Paper D's paragraph on the other organisations held (a system's: its member CCGs); [] when there are none."""
    others = [o for o in held if o != lead and (lead not in reg.groups or o in reg.groups[lead])]
    if not others:
        return []
    return [
        sentences.by_organisation(
            [
                t.headline(r, p, org=o, fin_year=fin_year, month=month)
                for o in others
                for r, p in [rows_and_previous(returns, fin_year=fin_year, month=month, org=o)]
            ]
        )
    ]


def _frp_position(
    frp_tables: dict[str, pd.DataFrame] | None, reg: Registry, lead: str, *, fin_year: str, month: int
) -> tuple[str, float] | None:
    """The FRP's headline sentence and the position after the FRP, when the lead is a system whose FRP is held
    for the month (None otherwise)."""
    if frp_tables is None or lead not in reg.systems:
        return None
    try:
        bridge = frp_bridge(frp_tables, fin_year=fin_year, month=month, org=lead)
    except LookupError:
        return None
    return sentences.frp_headline(bridge.bridge, lead), bridge.total("after_frp")


def _what_moved(
    received: pd.DataFrame,
    rows: pd.DataFrame,
    prev: pd.DataFrame | None,
    lead: str,
    *,
    fin_year: str,
    month: int,
) -> list[str]:
    """What moved in month (and which data each month rests on), what drives the gap to plan, how realistic the
    forecast is and, between real months, what changed in the returns since last month."""
    moved = []
    if prev is not None:
        words = sentences.movement(d.movement_table(rows, prev, lead, d.MOVEMENT_THRESHOLD), lead)
        prev_m = previous_period(fin_year, month)[1]
        basis = sentences.movement_basis(month, prev_m, rows["provenance"].iloc[0], prev["provenance"].iloc[0])
        moved.append(f"{words} {basis}".strip())
    moved.append(sentences.drivers(d.drivers_table(rows, lead, d.DRIVER_THRESHOLD), lead))
    moved.append(summary_sentence(realism_of(rows, fin_year=fin_year, month=month, org=lead)))
    changed = since.since_last_month(received, None, fin_year=fin_year, month=month, org=lead)
    if changed.compared:  # between real months only; the report's section says why not otherwise
        moved.append(since.sentence(changed))
    return moved


def _asks(
    lead_h: t.Headline,
    prev: pd.DataFrame | None,
    warnings: pd.DataFrame,
    applied: pd.DataFrame,
    reg: Registry,
    *,
    fin_year: str,
    month: int,
    frp_after: float | None,
) -> list[tuple[str, str]]:
    """What the group is asked to do; it is asked to look at a CCG's return short of its printed total only where
    no adjustment explains the difference, and to note the located adjustments."""
    w = warnings[(warnings["fin_year"] == fin_year) & (warnings["month"] == month)]
    month_adj = applied[(applied["fin_year"] == fin_year) & (applied["month"] == month)] if len(applied) else applied
    located = month_adj[month_adj["basis"] != adj.ROUNDING] if len(month_adj) else month_adj
    # a return short of its printed total is explained by an adjustment where one is held; only the rest is a warning
    explained = set(month_adj["org"]) if len(month_adj) else set()
    warned = [reg.name(o) for o in dict.fromkeys(w["org"]) if o in reg.ccgs and o not in explained]
    return sentences.asks(
        lead_h,
        has_previous=prev is not None,
        warned=warned,
        frp_after=frp_after,
        previous_kind=_received_kind(prev) if prev is not None else "published",
        adjusted=sentences.adjusted_orgs(located),
    )


def pack_summary(
    returns: pd.DataFrame,
    warnings: pd.DataFrame,
    *,
    fin_year: str,
    month: int,
    frp_tables: dict[str, pd.DataFrame] | None = None,
    body: str = "QIPP Assurance Group",
    adjustments: pd.DataFrame | None = None,
) -> PackSummary | None:
    """What the pack's summary page says, from the returns (with the control-total adjustments, as every report)
    and the FRP of the month; None if no returns are held."""
    received = returns
    returns, applied = with_adjustments(returns, adjustments, as_received=False)
    heads = _headline_rows(received, returns, applied, fin_year, month)
    if not heads:
        return None
    reg = organisations()
    held = [h["org"] for h in heads]
    lead = next((g for g in reg.groups if g in held), held[0])
    rows, prev = rows_and_previous(returns, fin_year=fin_year, month=month, org=lead)
    lead_h = t.headline(rows, prev, org=lead, fin_year=fin_year, month=month)
    position = [
        sentences.monthly(lead_h, prev is not None),
        *_members_position(returns, reg, lead, held, fin_year=fin_year, month=month),
    ]
    frp = _frp_position(frp_tables, reg, lead, fin_year=fin_year, month=month)
    if frp is not None:
        position.append(frp[0])
    moved = _what_moved(received, rows, prev, lead, fin_year=fin_year, month=month)
    asks = _asks(
        lead_h,
        prev,
        warnings,
        applied,
        reg,
        fin_year=fin_year,
        month=month,
        frp_after=frp[1] if frp is not None else None,
    )
    for h in heads:
        h["name"] = reg.name(h["org"])
        h["basis"] = _basis({**h, "fin_year": fin_year}, month)
    return PackSummary(
        fin_year=fin_year,
        month=month,
        lead=lead,
        position=position,
        headlines=heads,
        moved=moved,
        rounding=paper.summary_line(paper.cells(returns, fin_year=fin_year, month=month, org=lead)),
        asks=asks,
        body=body,
    )


def _received_kind(rows: pd.DataFrame) -> str:
    """The one provenance label of rows, adjustment lines left out (:func:`..analysis.provenance.rows_kind`)."""
    return pv.label(pv.rows_kind(rows))


@dataclass
class DataNote:
    """One data-quality note: a heading, paragraphs in plain words and, optionally, a table: its declaration
    (``spec``: the pack prints its HTML columns' headers, figures right-aligned) and its display text
    (``table``, :meth:`TableSpec.display`: one column per HTML column's key, in order)."""

    title: str
    paragraphs: list[str]
    spec: TableSpec | None = None
    table: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        if (self.spec is None) != (self.table is None):
            raise ValueError(f"note {self.title!r}: a table needs its declaration and its display text")
        if self.table is not None:
            self.table = self.table[[c.key for c in self.columns]]

    @property
    def columns(self) -> list[Col]:
        """The columns of the note's table the pack prints, in order ([] without a table)."""
        return [] if self.spec is None else self.spec.columns_for("html")


def _printed_notes(
    returns: pd.DataFrame, *, fin_year: str, month: int, adjustments: pd.DataFrame | None
) -> list[DataNote]:
    """The month's tables against the paper that printed them, when one is held as reference ([] otherwise)."""
    reg = organisations()
    lead = next((g for g in reg.groups if not t.missing_members(returns, fin_year, month, g)), None)
    if lead is None:
        return []
    found = paper.cells(
        with_adjustments(returns, adjustments, as_received=False)[0], fin_year=fin_year, month=month, org=lead
    )
    if found is None or found.empty:
        return []
    return [
        DataNote(
            f"The tables against the printed paper ({paper.PAPER})",
            paper.note_paragraphs(found, fin_year=fin_year, month=month),
            paper.NOTE_TABLE,
            paper.note_table(found),
        )
    ]


def _adjustments_note(month_adj: pd.DataFrame) -> DataNote:
    """How control totals are met: each adjustment added to a return short of its printed totals, explained."""
    explained = sentences.adjustment_explanations(month_adj)
    return DataNote(
        "Control totals: adjustments to the returns",
        [
            "Finance signs off control totals: each dashboard's printed Grand Total and the combined LLR "
            "dashboard. Where a return's scheme lines fall short of them, the lines are kept exactly as "
            "received and the difference is added as an adjustment, so the pack's totals agree with the "
            "printed ones. Each report says which of its tables include one.",
            *[f"{heading}. {text}" for heading, text in explained],
        ],
    )


def _unreconciled_note(w: pd.DataFrame, reg: Registry) -> DataNote:
    """The returns whose rows do not add up to their own printed totals (``w``: the month's warnings), each
    figure printed beside the one computed."""
    table = w.assign(org=w["org"].map(reg.name), column=w["column"].str.removeprefix("Sum of "))
    return DataNote(
        "Returns that do not add up to their own totals",
        [
            sentences.reconciliation_note(len(w), [reg.name(o) for o in dict.fromkeys(w["org"])]),
            "£000; savings negative in brackets.",
        ],
        UNRECONCILED,
        UNRECONCILED.display(table),
    )


def _frp_check_notes(frp_tables: dict[str, pd.DataFrame], *, fin_year: str, month: int) -> list[DataNote]:
    """Per system, the month's FRP figures that do not follow from their columns (printed and computed)."""
    c = frp_tables["checks"]
    c = c[(c["fin_year"] == fin_year) & (c["month"] == month)]
    notes = []
    for system, part in c.groupby("system", sort=False):
        notes.append(
            DataNote(
                f"FRP figures that do not follow from their columns ({system})",
                [sentences.frp_checks_note(str(system), len(part)), "£000; brackets mean a deficit, as Paper E."],
                FRP_CHECKS,
                FRP_CHECKS.display(part),
            )
        )
    return notes


def _frp_provenance(frp_tables: dict[str, pd.DataFrame], *, fin_year: str, month: int) -> list[str]:
    """One sentence per kind of the month's FRP figures: 'The FRP figures for M6 are published: …'."""
    lines = frp_tables["lines"]
    lines = lines[(lines["fin_year"] == fin_year) & (lines["month"] == month)]
    out = []
    for prov in sorted(set(lines["provenance"])):
        kind, _, detail = prov.partition(":")
        out.append(f"The FRP figures for M{month} are {kind}: {detail.strip()}.")
    return out


def _rightcare_groups(
    rightcare_tables: dict[str, pd.DataFrame], *, fin_year: str
) -> list[tuple[list[str], int, str, str]]:
    """The year's RightCare indicators by provenance: (the CCGs reported on, how many peers, data years, provenance),
    for :func:`.narrative.rightcare_provenance`."""
    ind = rightcare_tables["indicators"]
    ind = ind[ind["fin_year"] == fin_year]
    subjects = set(rightcare_tables["peers"].loc[rightcare_tables["peers"]["fin_year"] == fin_year, "ccg"])
    groups = []
    for prov, part in ind.groupby("provenance", sort=True):
        ccgs = [c for c in dict.fromkeys(part["ccg"]) if c in subjects]
        peers = len(set(part["ccg"]) - subjects)
        years = ", ".join(sorted(set(part["data_year"]) - {""})) or "year unstated"
        if ccgs:
            groups.append((ccgs, peers, years, str(prov)))
    return groups


def _where_from(
    returns: pd.DataFrame,
    frp_tables: dict[str, pd.DataFrame] | None,
    rightcare_tables: dict[str, pd.DataFrame] | None,
    *,
    fin_year: str,
    month: int,
) -> list[str]:
    """Which of the year's returns, the month's FRP figures and the RightCare indicators are published and which
    synthetic, one sentence each."""
    year = returns[(returns["fin_year"] == fin_year) & (returns["month"] <= month)]
    by_month = {int(m): sorted(set(g)) for m, g in year.groupby("month")["provenance"]}
    where = sentences.returns_provenance(by_month, fin_year, month)
    if frp_tables is not None:
        where += _frp_provenance(frp_tables, fin_year=fin_year, month=month)
    if rightcare_tables is not None:
        where += sentences.rightcare_provenance(_rightcare_groups(rightcare_tables, fin_year=fin_year))
    return where


def data_notes(
    returns: pd.DataFrame,
    warnings: pd.DataFrame,
    *,
    fin_year: str,
    month: int,
    frp_tables: dict[str, pd.DataFrame] | None = None,
    rightcare_tables: dict[str, pd.DataFrame] | None = None,
    adjustments: pd.DataFrame | None = None,
) -> list[DataNote]:
    """The pack's data-quality notes: adjustments to returns short of their printed totals, FRP figures that do
    not follow, what is published and what synthetic."""
    reg = organisations()
    notes = []
    w = warnings[(warnings["fin_year"] == fin_year) & (warnings["month"] == month)]
    month_adj = (
        adj.empty_adjustments()
        if adjustments is None
        else adjustments[(adjustments["fin_year"] == fin_year) & (adjustments["month"] == month)]
    )
    if len(month_adj):
        notes.append(_adjustments_note(month_adj))
        w = w[~w["org"].isin(set(month_adj["org"]) | set(reg.groups))]
    if len(w):
        notes.append(_unreconciled_note(w, reg))
    notes += _printed_notes(returns, fin_year=fin_year, month=month, adjustments=adjustments)
    if frp_tables is not None:
        notes += _frp_check_notes(frp_tables, fin_year=fin_year, month=month)
    where = _where_from(returns, frp_tables, rightcare_tables, fin_year=fin_year, month=month)
    if where:
        notes.append(DataNote("Where the figures come from: published and synthetic data", where))
    return notes
