"""The monthly position report (Paper D Tables 1, 2, 5, Appendix 1, executive summary, risk ratings): its
object, built from the store's frames for one organisation and month."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ...analysis import adjustments as adj
from ...analysis import position as t
from ...analysis import programme as prog
from ...analysis import provenance as pv
from ...analysis import spc
from ...core.orgs import members, organisations
from ...core.periods import previous_period
from ...core.vocab import WORKSTREAMS
from ...reference import (
    PAPER_D_PERIOD,
    paper_d_executive_summary,
    paper_d_risk_ratings,
    paper_d_table2_movement,
    planning_stage_map,
    programme_area_map,
    scheme_group,
)
from .. import changes as since
from .. import commentary as notes
from .. import narrative as sentences
from .. import printed as paper
from ..base import PAPER_D_REPORT, TABLE_MEASURES, ReportPeriod, returns_report


@dataclass
class MonthlyPosition(ReportPeriod):
    """Everything the monthly position notebook shows, computed once."""

    fin_year: str
    month: int
    org: str
    rows: pd.DataFrame
    previous: pd.DataFrame | None
    headline: t.Headline
    ytd: pd.DataFrame
    fot: pd.DataFrame
    rag: pd.DataFrame
    red: pd.DataFrame
    schemes: pd.DataFrame
    split: pd.DataFrame
    history: pd.DataFrame
    warnings: pd.DataFrame
    provenance: list[str] = field(default_factory=list)
    previous_provenance: list[str] = field(default_factory=list)
    history_provenance: dict[int, str] = field(default_factory=dict)
    trends: pd.DataFrame = field(default_factory=pd.DataFrame)
    real_months: dict[str, list[int]] = field(default_factory=dict)
    derived_months: dict[int, str] = field(default_factory=dict)
    as_received: bool = False
    adjustments: pd.DataFrame = field(default_factory=adj.empty_adjustments)
    received: t.Headline | None = None
    commentary: pd.DataFrame = field(default_factory=notes.empty)
    ytd_by_org: dict[str, pd.DataFrame] = field(default_factory=dict)
    fot_by_org: dict[str, pd.DataFrame] = field(default_factory=dict)
    programme: pd.DataFrame | None = None
    programme_published: pd.DataFrame | None = None
    changes: since.Changes | None = None
    printed: pd.DataFrame | None = None  # every printed cell of the month's paper beside this report's figure

    @property
    def title(self) -> str:
        return f"QIPP Monthly Position — {self.org}"

    def trend_panels(self, measure: str = "fot") -> dict[str, spc.Trend]:
        """Each workstream's ``measure`` (``fot`` or ``delivered``) over the months held, as an XmR
        trend computed from the real months only (synthetic months set aside)."""
        return trend_panels(self.trends, measure, real=self.real_months.get(measure))

    def trend_targets(self, measure: str = "fot") -> dict[str, float]:
        """Each workstream's target for an XmR panel of ``measure``, on the charted (savings positive) scale: the
        annual plan for the forecast out-turn; none for other measures."""
        if measure != "fot":
            return {}
        body = self.fot[self.fot["workstream"] != t.TOTAL]
        return {w: -float(p) for w, p in zip(body["workstream"], body["plan"], strict=True) if p}

    @property
    def history_notes(self) -> list[str]:
        """How the real figures of otherwise synthetic months were derived (printed under trend charts)."""
        return list(self.derived_months.values())

    def programme_notes(self) -> list[str]:
        """How programme areas and stages were assigned, and (where published) how the table compares."""
        if self.programme is None:
            return []
        if prog.returned_fields(self.rows):
            out = [sentences.programme_from_returns(self.rows)]
        else:
            out = [sentences.programme_basis(programme_area_map(), planning_stage_map())]
        if self.programme_published is not None:
            out.append(sentences.programme_against_published(self.programme, self.programme_published, "Paper D"))
        return out

    @property
    def system_orgs(self) -> list[str]:
        """The column groups of the system view (member CCGs, then the system); empty for a CCG's report."""
        return list(self.ytd_by_org)

    def system_ytd(self) -> pd.DataFrame:
        """Paper D Table 1 with a column group per member CCG and the system: ``elr_plan`` ... ``llr_variance``."""
        return _wide(self.ytd_by_org, "workstream")

    def system_fot(self) -> pd.DataFrame:
        """Paper D Table 2 per member CCG and the system (``elr_plan`` ... ``llr_monthly_movement``)."""
        return _wide(self.fot_by_org, "workstream")

    def adjustment_note(self, table: str, *, section: int | None = 6) -> str:
        """The footnote naming the adjustments a table (a key of TABLE_MEASURES) includes; '' if none.

        Appendix 1 includes only adjustments attributed to a red-rated line.
        """
        adjustments = self.adjustments
        if table == "red":
            adjustments = adjustments[adjustments["rag"] == "Red"]
        return sentences.adjustment_footnote(adjustments, TABLE_MEASURES[table], section=section)

    def red_commentary(self) -> pd.DataFrame:
        """Each red-rated scheme with the commentary held on its scheme group (see :mod:`.commentary`)."""
        body = self.red[self.red["scheme_name"] != t.TOTAL]
        lines = body.assign(
            item=[f"{n} {m}".strip() for n, m in zip(body["scheme_no"], body["scheme_name"], strict=True)],
            group=body["scheme_no"].map(scheme_group),
            section="red",
        )
        return notes.beside(lines, self.commentary, notes.SCHEME_KINDS, value="fot")

    def executive_summary_sheet(self) -> pd.DataFrame:
        """The executive summary as Paper D prints it (£000 to two decimals), Total row last."""
        assert self.programme is not None
        return _to_the_paper(self.programme)

    def rounding_note(self, table: str) -> str:
        """The one line under a table built from rounded scheme lines, with its cells against the printed paper."""
        return paper.rounding_line(self.rows, table, self.printed)

    @property
    def synthetic_months(self) -> list[int]:
        """Months of the history whose stored figures are synthetic (some of their measures may be
        known from published figures all the same: see :attr:`real_months`)."""
        return sorted(int(m) for m, p in self.history_provenance.items() if p.startswith("synthetic"))

    def narrative(self) -> str:
        """The executive summary paragraph, in the paper's words."""
        return sentences.monthly(self.headline, self.previous is not None)


def monthly_position(
    returns: pd.DataFrame,
    warnings: pd.DataFrame,
    *,
    fin_year: str,
    month: int,
    org: str,
    adjustments: pd.DataFrame | None = None,
    commentary: pd.DataFrame | None = None,
    as_received: bool = False,
) -> MonthlyPosition:
    """Compute the whole monthly position for ``org`` (a CCG, or LLR = ELR + WL + LC).

    ``adjustments`` (:func:`store.load_adjustments`) are added to the returns as marked lines, so
    every table ties to the printed control totals; ``as_received=True`` shows the returns exactly
    as received instead. ``commentary`` (:func:`store.load_commentary`) is shown beside red-rated
    schemes. A system (a group of CCGs) also gets Tables 1 and 2 per member CCG and the executive
    summary by programme area.
    """
    received = returns
    returns, period = returns_report(
        returns, warnings, adjustments, commentary, fin_year=fin_year, month=month, org=org, as_received=as_received
    )
    rows = period["rows"]
    year = returns[(returns["fin_year"] == fin_year) & (returns["month"] <= month)]
    received_year = received[(received["fin_year"] == fin_year) & (received["month"] <= month)]
    system = org in organisations().groups
    by_org = {}
    if system:
        by_org = {
            "ytd_by_org": _by_org(returns, fin_year=fin_year, month=month, org=org, previous=False),
            "fot_by_org": _by_org(returns, fin_year=fin_year, month=month, org=org, previous=True),
            "programme": _programme(rows, fin_year=fin_year, month=month, org=org),
            "programme_published": paper_d_executive_summary()
            if (fin_year, month, org) == PAPER_D_REPORT and not as_received
            else None,
        }
    if not system and prog.returned_fields(rows):  # a CCG's summary only from its returns' own fields
        by_org["programme"] = _programme(rows, fin_year=fin_year, month=month, org=org)
    prev = period["previous"]
    return MonthlyPosition(
        **period,
        ytd=t.ytd_by_workstream(rows),
        fot=t.fot_by_workstream(rows, prev),
        rag=t.fot_by_rag(rows),
        red=t.red_schemes(rows),
        schemes=t.schemes(rows, prev),
        split=t.org_split(returns, fin_year, month, org),
        **_history(year, fin_year, org, received=received_year),
        **by_org,
        changes=since.since_last_month(received, commentary, fin_year=fin_year, month=month, org=org),
        printed=None if as_received else paper.cells(returns, fin_year=fin_year, month=month, org=org),
    )


def _by_org(returns: pd.DataFrame, *, fin_year: str, month: int, org: str, previous: bool) -> dict[str, pd.DataFrame]:
    """Table 1 (or, with ``previous``, Table 2) per member CCG, then the system's: East, West, City, LLR."""
    out = {}
    for o in (*members(org), org):
        rows = t.select(returns, fin_year, month, o)
        if previous:
            out[o] = t.fot_by_workstream(rows, t.complete_rows(returns, *previous_period(fin_year, month), o))
        else:
            out[o] = t.ytd_by_workstream(rows)
    return out


def _wide(frames: dict[str, pd.DataFrame], label: str) -> pd.DataFrame:
    """Tables of the same rows side by side, each column prefixed by its organisation (``elr_plan``)."""
    if not frames:
        return pd.DataFrame()
    first = next(iter(frames.values()))
    out = pd.DataFrame({label: first[label].to_numpy()})
    for o, f in frames.items():
        for c in f.columns:
            if c != label:
                out[f"{o.lower()}_{c}"] = f[c].to_numpy()
    return out


def _programme(rows: pd.DataFrame, *, fin_year: str, month: int, org: str) -> pd.DataFrame:
    """Paper D's executive summary by programme area, with the PMO risk ratings where they are held."""
    ratings = paper_d_risk_ratings() if (fin_year, month, org) == PAPER_D_REPORT else None
    return prog.executive_summary(rows, programme_area_map(), planning_stage_map(), ratings)


def _to_the_paper(programme: pd.DataFrame) -> pd.DataFrame:
    """The executive summary as Paper D prints it: £000 to two decimals (£10), not the fitted shares' fractions
    (-17,705.1917); the Total row is the sum of the rounded lines, so the sheet adds up."""
    money = [c for c in programme.columns if programme[c].dtype.kind == "f" and not c.startswith("pct")]
    out = programme.copy()
    body = out["programme_area"] != t.TOTAL
    out.loc[body, money] = out.loc[body, money].round(2) + 0.0
    out.loc[~body, money] = out.loc[body, money].sum().round(2).to_numpy()
    return out


#: The measures of the monthly history (:func:`position.workstream_monthly`).
HISTORY_MEASURES = ("plan_ytd", "actual_ytd", "delivered", "annual_plan", "fot", "assured")


def _history(year: pd.DataFrame, fin_year: str, org: str, *, received: pd.DataFrame | None = None) -> dict:
    """The history fields of :class:`MonthlyPosition`: totals and workstream trends by month, each
    month's provenance, and which months of each measure are real (not synthetic).

    A month whose rows are synthetic is real for no measure, except where published figures give it:
    Paper D Table 2 prints the monthly movement by workstream, so the forecast out-turn of the month
    before a published month is published at workstream level (that month's FOT less the movement).
    Those derived workstream figures replace the stored ones; the month's total stays the stored one when the
    two differ by rounding only (it is the published total movement away from the published month).
    """
    source = year if received is None else received  # adjustment lines say "adjustment", not where a month is from
    # one provenance per month: a synthetic line's if any (synthetic data is never shown as real)
    mine = source[source["org"].isin(members(org))]
    provenance = {
        int(m): next((p for p in g if pv.kind(p) == pv.SYNTHETIC), g.iloc[0])
        for m, g in mine.groupby("month")["provenance"]
    }
    published = sorted(int(m) for m, p in provenance.items() if not str(p).startswith("synthetic"))
    trends = t.workstream_monthly(year, fin_year, org)
    history = t.monthly_history(year, fin_year, org)
    derived: dict[int, str] = {}
    fy, month = PAPER_D_PERIOD
    move = paper_d_table2_movement()
    ccgs = list(members(org))
    held = set(trends["month"])
    if fin_year == fy and month in published and month - 1 in held - set(published) and set(ccgs) <= set(move):
        now = trends[trends["month"] == month].set_index("workstream")["fot"]
        before = now - move[ccgs].sum(axis=1).reindex(now.index, fill_value=0.0)
        at = trends["month"] == month - 1
        trends.loc[at, "fot"] = trends.loc[at, "workstream"].map(before).to_numpy()
        # Paper D's workstream movements are rounded: their sum can miss the printed total movement by £1k a
        # CCG. Where the held total is that close it stands (the drivers waterfall starts from it); otherwise
        # (rows as received, a line missing this month) the workstream sum is the like-for-like total.
        derived_total = float(trends.loc[at, "fot"].sum())
        held_total = history.loc[history["month"] == month - 1, "fot"]
        if held_total.empty or abs(float(held_total.iloc[0]) - derived_total) > len(ccgs):
            history.loc[history["month"] == month - 1, "fot"] = derived_total
        derived[month - 1] = (
            f"M{month - 1} forecast out-turn by workstream (drawn solid): worked back from the M{month} figures "
            f"({pv.months_with([month], pv.PUBLISHED)}) less Paper D Table 2's monthly movement"
        )
    real = {m: list(published) for m in HISTORY_MEASURES}
    real["delivered"] = [m for m in published if m == 1 or m - 1 in published]
    real["fot"] = sorted(set(published) | set(derived))
    return {
        "history": history,
        "history_provenance": provenance,
        "trends": trends,
        "real_months": real,
        "derived_months": derived,
    }


def trend_panels(
    trends: pd.DataFrame,
    measure: str = "fot",
    workstreams: tuple[str, ...] = WORKSTREAMS,
    *,
    real: list[int] | None = None,
) -> dict[str, spc.Trend]:
    """Workstream -> XmR trend of its monthly ``measure`` from :func:`position.workstream_monthly`.

    Computed on savings as charted (stored values negated, so up = more saving). Only the months
    in ``real`` enter the XmR (None: every month held); the others are kept as synthetic points.
    """
    out = {}
    for w in workstreams:
        series = -t.workstream_series(trends, measure, w)
        synthetic = [] if real is None else [m for m in series.index if m not in set(real)]
        out[w] = spc.trend(series, synthetic=synthetic)
    return out
