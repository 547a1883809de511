"""Assemble the monthly position report: every table, chart input and sentence, for one org/month."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from ..analysis import adjustments as adj
from ..analysis import drivers as d
from ..analysis import frp, spc
from ..analysis import position as t
from ..analysis import programme as prog
from ..analysis import provenance as pv
from ..analysis import rightcare as rc
from ..core.orgs import members, organisations
from ..core.periods import period_label, previous_period
from ..core.vocab import WORKSTREAMS
from ..reference import (
    FRP_FORECAST_MONTHS,
    PAPER_D_PERIOD,
    derbyshire_table3,
    derbyshire_table4,
    paper_d_executive_summary,
    paper_d_risk_ratings,
    paper_d_table2_movement,
    planning_stage_map,
    programme_area_map,
    scheme_group,
)
from . import changes as since
from . import commentary as notes
from . import declared, workbook
from . import narrative as sentences
from . import printed as paper
from .publish import Book, Table
from .realism import realism_of, summary_sentence

#: Measures each table shows, for the footnote naming the adjustments it includes.
TABLE_MEASURES: dict[str, tuple[str, ...]] = {
    "headline": ("annual_plan", "plan_ytd", "actual_ytd", "fot", "assured"),
    "table1": ("plan_ytd", "actual_ytd"),
    "table2": ("annual_plan", "fot"),
    "table3": ("fot",),
    "table4": ("annual_plan", "fot"),
    "table5": ("fot", "assured"),
    "red": ("annual_plan", "fot"),
    "split": ("annual_plan", "fot", "assured"),
    "programme": ("annual_plan", "plan_ytd", "actual_ytd", "fot"),
}
#: The period and organisation Paper D's executive summary and PMO risk ratings were published for.
PAPER_D_REPORT = (*PAPER_D_PERIOD, "LLR")


class _Period:
    """The period label every report shows ('Month 6 2019/20 (September 2019)')."""

    fin_year: str
    month: int

    @property
    def period(self) -> str:
        return period_label(self.fin_year, self.month)


@dataclass
class MonthlyPosition(_Period):
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

    def _extra_xlsx(self) -> dict[str, pd.DataFrame | Table]:
        """Sheets of the system view, the executive summary, commentary and adjustments."""
        out: dict[str, pd.DataFrame] = {}
        if self.system_orgs:
            out["ytd_by_workstream_by_org"] = self.system_ytd()
            out["fot_by_workstream_by_org"] = self.system_fot()
        if self.programme is not None:
            out["executive_summary"] = declared.executive_summary(self, self.executive_summary_sheet()).table()
        out["red_scheme_commentary"] = notes.for_sheet(self.red_commentary(), "fot").rename(
            columns={"item": "scheme", "fot": "revised_fot"}
        )
        out["adjustments"] = _adjustment_sheet(self.adjustments)
        return out

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

    def xlsx_tables(self) -> Book:
        """The workbook's tables (Tables 1, 2, 5, Appendix 1, every scheme line; the system view, executive
        summary, commentary and adjustments), headline and notes."""
        book = workbook.with_extras(workbook.monthly_position(self), self._extra_xlsx())
        sheet = since.xlsx_table(self.changes) if self.changes is not None else None
        if sheet is not None:
            book.tables[since.SHEET] = sheet
        if self.printed is not None and len(self.printed):
            book.tables["printed_reconciliation"] = paper.sheet(self.printed)
        return book


def _rows_and_previous(
    returns: pd.DataFrame, *, fin_year: str, month: int, org: str
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """This month's rows for ``org`` (every member must have returned) and last month's, if complete."""
    rows = t.select(returns, fin_year, month, org)
    if rows.empty:
        held = ", ".join(f"{fy} M{m}" for fy, m in t.available_periods(returns, org)) or "none"
        raise LookupError(f"no returns held for {org} in {fin_year} month {month} (held: {held})")
    missing = t.missing_members(returns, fin_year, month, org)
    if missing:
        raise LookupError(f"{org} needs returns from {', '.join(missing)} for {fin_year} month {month}")
    return rows, t.complete_rows(returns, *previous_period(fin_year, month), org)


def _warnings_for(warnings: pd.DataFrame, *, fin_year: str, month: int, org: str) -> pd.DataFrame:
    keys = {org, *members(org)}
    w = warnings[(warnings["fin_year"] == fin_year) & (warnings["month"] == month) & warnings["org"].isin(keys)]
    return w.reset_index(drop=True)


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
    returns, period = _returns_report(
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


def _returns_report(
    returns: pd.DataFrame,
    warnings: pd.DataFrame,
    adjustments: pd.DataFrame | None,
    commentary: pd.DataFrame | None,
    *,
    fin_year: str,
    month: int,
    org: str,
    as_received: bool,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """(the returns to report on, the fields every report on ``org``'s month of returns carries).

    The returns include the control-total adjustments unless ``as_received``; the fields are the period,
    this month's and last month's rows, the headline, the reconciliation warnings, where the rows come
    from, the adjustments included (with the headline as received beside them) and the commentary.
    """
    received = returns
    returns, applied = _with_adjustments(returns, adjustments, as_received=as_received)
    rows, prev = _rows_and_previous(returns, fin_year=fin_year, month=month, org=org)
    where: dict[str, Any] = {"fin_year": fin_year, "month": month, "org": org}
    return returns, {
        **where,
        "rows": rows,
        "previous": prev,
        "headline": t.headline(rows, prev, **where),
        "warnings": _warnings_for(warnings, **where),
        "provenance": _received_provenance(rows),
        "previous_provenance": _received_provenance(prev) if prev is not None else [],
        "as_received": as_received,
        "adjustments": _adjustments_for(applied, **where),
        "received": _received_headline(received, **where) if len(applied) else None,
        "commentary": notes.for_report(commentary, **where),
    }


def _with_adjustments(
    returns: pd.DataFrame, adjustments: pd.DataFrame | None, *, as_received: bool
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(the rows to report on, the adjustments they include): returns plus adjustments unless ``as_received``."""
    if as_received or adjustments is None or adjustments.empty:
        return returns, adj.empty_adjustments()
    return adj.apply_adjustments(returns, adjustments), adjustments


def _adjustments_for(adjustments: pd.DataFrame, *, fin_year: str, month: int, org: str) -> pd.DataFrame:
    """The adjustments of ``org``'s members for the month: what this month's tables include."""
    if adjustments.empty:
        return adj.empty_adjustments()
    keep = (
        (adjustments["fin_year"] == fin_year) & (adjustments["month"] == month) & adjustments["org"].isin(members(org))
    )
    return adjustments[keep].reset_index(drop=True)


def _received_provenance(rows: pd.DataFrame) -> list[str]:
    """Where the rows as received come from (adjustment lines are listed with the adjustments, not here)."""
    if "is_adjustment" in rows:
        rows = rows[~rows["is_adjustment"].astype(bool)]
    return sorted(set(rows["provenance"]))


def _received_headline(received: pd.DataFrame, *, fin_year: str, month: int, org: str) -> t.Headline | None:
    """The headline of the returns exactly as received, shown beside the adjusted one in the data-quality section."""
    rows = t.complete_rows(received, fin_year, month, org)
    if rows is None:
        return None
    prev = t.complete_rows(received, *previous_period(fin_year, month), org)
    return t.headline(rows, prev, org=org, fin_year=fin_year, month=month)


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


def _adjustment_sheet(adjustments: pd.DataFrame) -> pd.DataFrame:
    """The adjustments a report includes, one row per line and measure, for the xlsx."""
    cols = [
        "adjustment_id",
        "org",
        "measure",
        "amount",
        "scheme_no",
        "scheme_name",
        "workstream",
        "basis",
        "evidence",
        "provenance",
        "source_file",
        "source_sheet",
        "source_row",
    ]
    return adjustments.reindex(columns=cols).reset_index(drop=True)


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


@dataclass
class UnderDelivery(_Period):
    """Everything the under-delivery drivers notebook shows (Paper D Tables 3 and 4)."""

    fin_year: str
    month: int
    org: str
    threshold: float
    movement_threshold: float
    rows: pd.DataFrame
    previous: pd.DataFrame | None
    headline: t.Headline
    drivers: pd.DataFrame
    movement: pd.DataFrame
    warnings: pd.DataFrame
    provenance: list[str] = field(default_factory=list)
    previous_provenance: list[str] = field(default_factory=list)
    as_received: bool = False
    adjustments: pd.DataFrame = field(default_factory=adj.empty_adjustments)
    received: t.Headline | None = None
    commentary: pd.DataFrame = field(default_factory=notes.empty)
    threshold_basis: str = ""  # how the driver threshold was set, when it was scaled from the system's

    @property
    def title(self) -> str:
        return f"QIPP Under-delivery Drivers — {self.org}"

    def adjustment_note(self, table: str, *, section: int | None = 4) -> str:
        """The footnote naming the adjustments a table (a key of TABLE_MEASURES) includes; '' if none."""
        return sentences.adjustment_footnote(self.adjustments, TABLE_MEASURES[table], section=section)

    def driver_commentary(self) -> pd.DataFrame:
        """Table 4's named lines, each with the commentary held on its scheme group (see :mod:`.commentary`)."""
        return notes.beside(self.drivers, self.commentary, notes.DRIVER_KINDS, value=self.org)

    def movement_commentary(self) -> pd.DataFrame:
        """Table 3's named lines, each with the commentary held on its scheme group."""
        if self.movement.empty:
            return notes.beside(self.movement, self.commentary, notes.MOVEMENT_KINDS)
        return notes.beside(self.movement, self.commentary, notes.MOVEMENT_KINDS, value=self.org)

    def missing_commentary(self) -> pd.DataFrame:
        """Drivers and offsets past the threshold that no commentary explains (item, section, group, value)."""
        return notes.uncommented(self.driver_commentary(), sections=("driver", "offset"))

    def missing_movement_commentary(self) -> pd.DataFrame:
        """Movements past the threshold that no commentary explains."""
        return notes.uncommented(self.movement_commentary(), sections=("favourable", "adverse"))

    def _extra_xlsx(self) -> dict[str, pd.DataFrame]:
        """Sheets of the commentary beside Tables 4 and 3, and of the adjustments included."""
        return {
            "driver_commentary": notes.for_sheet(self.driver_commentary(), self.org),
            "movement_commentary": notes.for_sheet(self.movement_commentary(), self.org),
            "adjustments": _adjustment_sheet(self.adjustments),
        }

    @property
    def orgs(self) -> list[str]:
        return d.shown_orgs(self.org)

    def drivers_narrative(self) -> str:
        return sentences.drivers(self.drivers, self.org)

    def movement_narrative(self) -> str:
        return sentences.movement(self.movement, self.org)

    def drivers_waterfall(self) -> pd.DataFrame:
        """Annual plan → drivers, offsets, Other → FOT (savings £000)."""
        return d.waterfall_steps(self.drivers, self.org, self.headline.annual_plan, self.headline.fot)

    def movement_waterfall(self) -> pd.DataFrame:
        """Last month's FOT → each named movement and Other → this month's FOT (savings £000)."""
        if self.movement.empty or self.previous is None:
            return pd.DataFrame(columns=["label", "value", "kind"])
        body = self.movement[self.movement["section"] != "total"]
        steps = [{"label": "FOT last month", "value": -float(self.previous["fot"].sum()), "kind": "total"}]
        steps += [
            {"label": r["item"], "value": -r[self.org], "kind": "step"}
            for _, r in body.iterrows()
            if abs(r[self.org]) >= 0.5
        ]
        steps.append({"label": "FOT this month", "value": -self.headline.fot, "kind": "total"})
        return pd.DataFrame(steps)

    def xlsx_tables(self) -> Book:
        """Sheets ``drivers`` and ``fot_movement`` (scheme group, section, one column per organisation shown), with
        the commentary beside them."""
        return workbook.with_extras(workbook.under_delivery(self), self._extra_xlsx())


def under_delivery(
    returns: pd.DataFrame,
    warnings: pd.DataFrame,
    *,
    fin_year: str,
    month: int,
    org: str,
    threshold: float = d.DRIVER_THRESHOLD,
    movement_threshold: float = d.MOVEMENT_THRESHOLD,
    adjustments: pd.DataFrame | None = None,
    commentary: pd.DataFrame | None = None,
    as_received: bool = False,
    scale_threshold: bool = False,
) -> UnderDelivery:
    """Compute the drivers of under-delivery and the FOT movement for ``org`` and month.

    ``adjustments``, ``commentary`` and ``as_received`` as for :func:`monthly_position`: the tables
    include the control-total adjustments unless ``as_received``; commentary sits beside their lines.
    ``scale_threshold``: ``threshold`` is the system's (Paper D: £300k at LLR level) and a CCG's driver
    threshold scales with its share of the system's annual plan (:func:`drivers.scaled_threshold`).
    """
    adjusted, period = _returns_report(
        returns, warnings, adjustments, commentary, fin_year=fin_year, month=month, org=org, as_received=as_received
    )
    given, system_plan = float(threshold), 0.0
    system = d.system_of(org) if scale_threshold else None
    if system is not None:
        system_plan = float(t.select(adjusted, fin_year, month, system)["annual_plan"].sum())
        threshold = d.scaled_threshold(period["headline"].annual_plan, system_plan, given)
    return UnderDelivery(
        **period,
        threshold_basis=sentences.threshold_basis(
            org, system, float(threshold), given, period["headline"].annual_plan, system_plan
        ),
        threshold=float(threshold),
        movement_threshold=float(movement_threshold),
        drivers=d.drivers_table(period["rows"], org, threshold),
        movement=d.movement_table(period["rows"], period["previous"], org, movement_threshold),
    )


@dataclass
class FrpBridge(_Period):
    """Everything the FRP bridge notebook shows (Paper D Table 6, Paper E Appendix 1)."""

    fin_year: str
    month: int
    org: str
    as_at: str
    lines: pd.DataFrame
    position: pd.DataFrame
    checks: pd.DataFrame
    bridge: pd.DataFrame
    schemes: pd.DataFrame
    provenance: list[str] = field(default_factory=list)
    previous_provenance: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"System Financial Recovery Plan — {self.org}"

    @property
    def forecast_month(self) -> int | None:
        """The month of the FRP forecast the return reports, when its paper says (Paper E: Month 4), else None."""
        return FRP_FORECAST_MONTHS.get((self.org, str(self.as_at)[:10]))

    def narrative(self) -> str:
        return sentences.frp_bridge(self.bridge)

    def total(self, section: str) -> float:
        return frp.bridge_total(self.bridge, section)

    def waterfall(self) -> pd.DataFrame:
        return frp.waterfall_steps(self.bridge)

    def xlsx_tables(self) -> Book:
        """Sheets ``bridge`` (lines, then Table 6's subtotals), ``organisation_impact``, ``schemes``, checks."""
        return workbook.frp_bridge(self)


def frp_slice(tables: dict[str, pd.DataFrame], *, fin_year: str, month: int, org: str) -> dict[str, pd.DataFrame]:
    """The stored FRP tables of one system and month."""
    return {
        k: v[(v["fin_year"] == fin_year) & (v["month"] == month) & (v["system"] == org)].reset_index(drop=True)
        for k, v in tables.items()
    }


def frp_bridge(tables: dict[str, pd.DataFrame], *, fin_year: str, month: int, org: str = "LLR") -> FrpBridge:
    """Compute the FRP bridge for system ``org`` from the stored FRP tables (see :func:`store.load_frp`)."""
    systems = organisations().systems
    if org not in systems:
        raise LookupError(f"the FRP is held for the system ({', '.join(systems)}), not for {org}")
    part = frp_slice(tables, fin_year=fin_year, month=month, org=org)
    if part["lines"].empty:
        held = sorted(
            {
                (fy, int(m))
                for fy, m, s in zip(
                    tables["lines"]["fin_year"], tables["lines"]["month"], tables["lines"]["system"], strict=True
                )
                if s == org
            }
        )
        raise LookupError(
            f"no FRP held for {org} in {fin_year} month {month} (held: "
            f"{', '.join(f'{fy} M{m}' for fy, m in held) or 'none'})"
        )
    lines, position = part["lines"], part["position"]
    return FrpBridge(
        fin_year=fin_year,
        month=month,
        org=org,
        as_at=str(lines["as_at"].iloc[0]),
        lines=lines,
        position=position,
        checks=part["checks"],
        bridge=frp.bridge(lines, position),
        schemes=frp.scheme_table(lines),
        provenance=sorted(set(lines["provenance"]) | set(position["provenance"])),
    )


@dataclass
class RightCareOpportunity:
    """Everything the RightCare opportunity notebook shows (Derbyshire Tables 3 and 4)."""

    fin_year: str
    month: int
    org: str
    benchmark: str
    ccgs: tuple[str, ...]
    data_year: str
    cells: pd.DataFrame
    table: pd.DataFrame
    by_ccg: pd.DataFrame
    by_benchmark: pd.DataFrame
    top: pd.DataFrame
    positions: pd.DataFrame
    peers: pd.DataFrame
    coverage: pd.DataFrame | None
    coverage_source: str
    coverage_note: str
    published: pd.DataFrame | None
    provenance: list[str] = field(default_factory=list)
    coverage_provenance: list[str] = field(default_factory=list)
    previous_provenance: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"RightCare Opportunity — {self.org}"

    @property
    def period(self) -> str:
        return period_label(self.fin_year, self.month)

    @property
    def name(self) -> str:
        return organisations().label(self.org)

    @property
    def illustrative(self) -> bool:
        """True when every figure of the opportunity is synthetic (no real indicators, no published Table 3):
        the report then says so on every page and states no figure of it as a finding."""
        return (
            bool(self.provenance) and all(p.startswith("synthetic") for p in self.provenance) and self.published is None
        )

    def narrative(self) -> str:
        if self.illustrative:
            return sentences.rightcare_illustrative(org=self.org, method=self.benchmark, data_year=self.data_year)
        return sentences.rightcare(self.table, org=self.org, method=self.benchmark, data_year=self.data_year)

    def coverage_narrative(self) -> str:
        if self.coverage is None:
            return self.coverage_note
        if self.illustrative:
            return sentences.rightcare_coverage_illustrative(self.coverage, source=self.coverage_source)
        return sentences.rightcare_coverage(self.coverage, source=self.coverage_source)

    @property
    def xlsx_formats(self) -> dict[str, str]:
        """Legacy: the £m number format per sheet, for readers of payloads without column kinds."""
        return {name: "#,##0.0;(#,##0.0);0.0" for name in self.xlsx_tables()}

    def xlsx_tables(self) -> Book:
        """Sheets ``opportunity`` (Table 3 layout, £m), ``coverage``, ``by_ccg``, ``benchmarks``, ``cells``..."""
        return workbook.rightcare_opportunity(self)


def _coverage_plan(
    returns: pd.DataFrame, *, fin_year: str, month: int, org: str, ccgs: tuple[str, ...]
) -> tuple[dict[str, float] | None, str, str, list[str]]:
    """The plan set against the opportunity: (POD -> £m, source, note if none, provenance)."""
    if org == "DDCCG":
        return (
            rc.plan_from_table4(derbyshire_table4()),
            "Derbyshire 2019/20 QIPP plan, Table 4 TOTAL QIPP",
            "",
            ["published: NHS Derby and Derbyshire CCG 2019/20 QIPP Programme (28 March 2019), Table 4"],
        )
    if all(c in organisations().ccgs for c in ccgs):
        held = [m for fy, m in t.available_periods(returns, org) if fy == fin_year and m <= month]
        if held:
            rows = t.select(returns, fin_year, max(held), org)
            source = f"{org} scheme returns, annual plan at M{max(held)} {fin_year.replace('-', '/')}"
            return rc.plan_from_returns(rows, ccgs), source, "", sorted(set(rows["provenance"]))
        return None, "", f"No {fin_year} scheme returns up to M{month} are held for {org}: no QIPP plan to show.", []
    return (
        None,
        "",
        (
            f"No QIPP plan is held for {org} on its own: Derbyshire's Table 4 is the plan of NHS Derby and "
            "Derbyshire CCG as a whole, so coverage is shown for DDCCG."
        ),
        [],
    )


def rightcare_opportunity(
    tables: dict[str, pd.DataFrame],
    returns: pd.DataFrame,
    *,
    fin_year: str,
    month: int,
    org: str,
    benchmark: str = "best5",
    top_n: int = 6,
) -> RightCareOpportunity:
    """Compute the RightCare opportunity of ``org`` (a CCG, DDCCG or LLR) and the QIPP plan's coverage of it.

    ``tables`` are the stored RightCare tables (:func:`store.load_rightcare`); ``returns`` the scheme
    returns (LLR's plan). Raises LookupError when a member CCG has no indicators or peers held.
    """
    if benchmark not in rc.BENCHMARKS:
        raise ValueError(f"benchmark must be one of {', '.join(rc.BENCHMARKS)}, got {benchmark!r}")
    ccgs = organisations().rightcare_members(org)
    ind = tables["indicators"][tables["indicators"]["fin_year"] == fin_year]
    peers = tables["peers"][tables["peers"]["fin_year"] == fin_year]
    lacking = [c for c in ccgs if c not in set(peers["ccg"])]
    if lacking:
        held = sorted(set(tables["peers"]["ccg"]))
        raise LookupError(
            f"no RightCare peer group held for {', '.join(lacking)} in {fin_year} (held: {', '.join(held) or 'none'})"
        )
    cells = rc.opportunity_cells(ind, peers, ccgs, benchmark)
    top = rc.largest(cells, top_n)
    plan, source, note, plan_prov = _coverage_plan(returns, fin_year=fin_year, month=month, org=org, ccgs=ccgs)
    table = rc.opportunity_table(cells)
    used = ind[ind["ccg"].isin(set(ccgs) | set(peers.loc[peers["ccg"].isin(ccgs), "peer"]))]
    names = dict(zip(ind["ccg"], ind["ccg_name"], strict=True))
    peer_rows = peers[peers["ccg"].isin(ccgs)].sort_values(["ccg", "rank"])
    return RightCareOpportunity(
        fin_year=fin_year,
        month=month,
        org=org,
        benchmark=benchmark,
        ccgs=ccgs,
        data_year=", ".join(sorted(set(ind.loc[ind["ccg"].isin(ccgs), "data_year"]) - {""})) or "unstated",
        cells=cells,
        table=table,
        by_ccg=rc.by_ccg_table(cells),
        by_benchmark=rc.benchmark_totals(ind, peers, ccgs),
        top=top,
        positions=rc.peer_positions(ind, peers, top),
        peers=peer_rows.assign(peer_name=peer_rows["peer"].map(names))[["ccg", "rank", "peer", "peer_name"]],
        coverage=None if plan is None else rc.coverage(table, plan),
        coverage_source=source,
        coverage_note=note,
        published=derbyshire_table3() if org == "DDCCG" else None,
        provenance=sorted(set(used["provenance"])),
        coverage_provenance=plan_prov,
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
    received = returns
    returns, applied = _with_adjustments(returns, adjustments, as_received=as_received)
    out = []
    for org in organisations().codes:
        rows = t.complete_rows(returns, fin_year, month, org)
        if rows is None:
            continue
        prev = t.complete_rows(returns, *previous_period(fin_year, month), org)
        h = t.headline(rows, prev, org=org, fin_year=fin_year, month=month)
        got = t.select(received, fin_year, month, org)
        before = t.complete_rows(received, *previous_period(fin_year, month), org)
        mine = _adjustments_for(applied, fin_year=fin_year, month=month, org=org)
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


# --- the pack's front matter --------------------------------------------------------------------------


@dataclass
class PackSummary(_Period):
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


def _basis(h: dict, month: int) -> str:
    """'M6: published; movement: M5: synthetic demonstration data, not returns': which data each figure of a
    headline row rests on, each month in its one provenance label."""
    prev_m = previous_period(h.get("fin_year", "2000-01"), month)[1]
    text = f"M{month}: {h['provenance']}"
    if h.get("previous_provenance") and h["previous_provenance"] != h["provenance"]:
        text += f"; movement: M{prev_m}: {h['previous_provenance']}"
    return text


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
    heads = headlines(returns, fin_year, month, adjustments)
    if not heads:
        return None
    received = returns
    returns, applied = _with_adjustments(returns, adjustments, as_received=False)
    reg = organisations()
    held = [h["org"] for h in heads]
    lead = next((g for g in reg.groups if g in held), held[0])
    rows, prev = _rows_and_previous(returns, fin_year=fin_year, month=month, org=lead)
    lead_h = t.headline(rows, prev, org=lead, fin_year=fin_year, month=month)
    position = [sentences.monthly(lead_h, prev is not None)]
    others = [o for o in held if o != lead and (lead not in reg.groups or o in reg.groups[lead])]
    if others:
        position.append(
            sentences.by_organisation(
                [
                    t.headline(r, p, org=o, fin_year=fin_year, month=month)
                    for o in others
                    for r, p in [_rows_and_previous(returns, fin_year=fin_year, month=month, org=o)]
                ]
            )
        )
    frp_after = None
    if frp_tables is not None and lead in reg.systems:
        try:
            bridge = frp_bridge(frp_tables, fin_year=fin_year, month=month, org=lead)
        except LookupError:
            pass
        else:
            position.append(sentences.frp_headline(bridge.bridge, lead))
            frp_after = bridge.total("after_frp")
    moved = []
    if prev is not None:
        text = sentences.movement(d.movement_table(rows, prev, lead, d.MOVEMENT_THRESHOLD), lead)
        prev_m = previous_period(fin_year, month)[1]
        basis = sentences.movement_basis(month, prev_m, rows["provenance"].iloc[0], prev["provenance"].iloc[0])
        moved.append(f"{text} {basis}".strip())
    moved.append(sentences.drivers(d.drivers_table(rows, lead, d.DRIVER_THRESHOLD), lead))
    moved.append(summary_sentence(realism_of(rows, fin_year=fin_year, month=month, org=lead)))
    changed = since.since_last_month(received, None, fin_year=fin_year, month=month, org=lead)
    if changed.compared:  # between real months only; the report's section says why not otherwise
        moved.append(since.sentence(changed))
    w = warnings[(warnings["fin_year"] == fin_year) & (warnings["month"] == month)]
    month_adj = applied[(applied["fin_year"] == fin_year) & (applied["month"] == month)] if len(applied) else applied
    located = month_adj[month_adj["basis"] != adj.ROUNDING] if len(month_adj) else month_adj
    # a return short of its printed total is explained by an adjustment where one is held; only the rest is a warning
    explained = set(month_adj["org"]) if len(month_adj) else set()
    warned = [reg.name(o) for o in dict.fromkeys(w["org"]) if o in reg.ccgs and o not in explained]
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
        asks=sentences.asks(
            lead_h,
            has_previous=prev is not None,
            warned=warned,
            frp_after=frp_after,
            previous_kind=_received_kind(prev) if prev is not None else "published",
            adjusted=sentences.adjusted_orgs(located),
        ),
        body=body,
    )


def _received_kind(rows: pd.DataFrame) -> str:
    """The one provenance label of rows, adjustment lines left out (:func:`..analysis.provenance.rows_kind`)."""
    return pv.label(pv.rows_kind(rows))


@dataclass
class DataNote:
    """One data-quality note: a heading, paragraphs in plain words and, optionally, a table of display text."""

    title: str
    paragraphs: list[str]
    table: pd.DataFrame | None = None


def _fmt_table(df: pd.DataFrame, money: list[str]) -> pd.DataFrame:
    from ..core.money import fmt_k

    return df.assign(**{c: df[c].map(fmt_k) for c in money})


def _printed_notes(
    returns: pd.DataFrame, *, fin_year: str, month: int, adjustments: pd.DataFrame | None
) -> list[DataNote]:
    """The month's tables against the paper that printed them, when one is held as reference ([] otherwise)."""
    reg = organisations()
    lead = next((g for g in reg.groups if not t.missing_members(returns, fin_year, month, g)), None)
    if lead is None:
        return []
    found = paper.cells(
        _with_adjustments(returns, adjustments, as_received=False)[0], fin_year=fin_year, month=month, org=lead
    )
    if found is None or found.empty:
        return []
    return [
        DataNote(
            f"The tables against the printed paper ({paper.PAPER})",
            paper.note_paragraphs(found, fin_year=fin_year, month=month),
            paper.note_table(found),
        )
    ]


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
        explained = sentences.adjustment_explanations(month_adj)
        notes.append(
            DataNote(
                "Control totals: adjustments to the returns",
                [
                    "Finance signs off control totals: each dashboard's printed Grand Total and the combined LLR "
                    "dashboard. Where a return's scheme lines fall short of them, the lines are kept exactly as "
                    "received and the difference is added as an adjustment, so the pack's totals agree with the "
                    "printed ones. Each report says which of its tables include one.",
                    *[f"{heading}. {text}" for heading, text in explained],
                ],
            )
        )
        w = w[~w["org"].isin(set(month_adj["org"]) | set(reg.groups))]
    if len(w):
        table = pd.DataFrame(
            {
                "Organisation": w["org"].map(reg.name),
                "Figure": w["column"].str.removeprefix("Sum of "),
                "Printed total": w["printed"],
                "Computed from the rows": w["computed"],
                "Difference (printed − computed)": w["difference"],
            }
        )
        money = ["Printed total", "Computed from the rows", "Difference (printed − computed)"]
        notes.append(
            DataNote(
                "Returns that do not add up to their own totals",
                [
                    sentences.reconciliation_note(len(w), [reg.name(o) for o in dict.fromkeys(w["org"])]),
                    "£000; savings negative in brackets.",
                ],
                _fmt_table(table, money),
            )
        )
    notes += _printed_notes(returns, fin_year=fin_year, month=month, adjustments=adjustments)
    if frp_tables is not None:
        c = frp_tables["checks"]
        c = c[(c["fin_year"] == fin_year) & (c["month"] == month)]
        for system, part in c.groupby("system", sort=False):
            table = pd.DataFrame(
                {
                    "Line": part["where"],
                    "Column": part["column"],
                    "Printed": part["printed"],
                    "Computed": part["computed"],
                    "Difference (printed − computed)": part["difference"],
                }
            )
            notes.append(
                DataNote(
                    f"FRP figures that do not follow from their columns ({system})",
                    [sentences.frp_checks_note(str(system), len(part)), "£000; brackets mean a deficit, as Paper E."],
                    _fmt_table(table, ["Printed", "Computed", "Difference (printed − computed)"]),
                )
            )
    where = []
    year = returns[(returns["fin_year"] == fin_year) & (returns["month"] <= month)]
    by_month = {int(m): sorted(set(g)) for m, g in year.groupby("month")["provenance"]}
    where += sentences.returns_provenance(by_month, fin_year, month)
    if frp_tables is not None:
        lines = frp_tables["lines"]
        lines = lines[(lines["fin_year"] == fin_year) & (lines["month"] == month)]
        for prov in sorted(set(lines["provenance"])):
            kind, _, detail = prov.partition(":")
            where.append(f"The FRP figures for M{month} are {kind}: {detail.strip()}.")
    if rightcare_tables is not None:
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
        where += sentences.rightcare_provenance(groups)
    if where:
        notes.append(DataNote("Where the figures come from: published and synthetic data", where))
    return notes
