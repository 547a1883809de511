"""Assemble the monthly position report: every table, chart input and sentence, for one org/month."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..analysis import drivers as d
from ..analysis import frp, spc
from ..analysis import position as t
from ..analysis import rightcare as rc
from ..core.orgs import members, organisations
from ..core.periods import period_label, previous_period
from ..core.vocab import WORKSTREAMS
from ..reference import PAPER_D_PERIOD, derbyshire_table3, derbyshire_table4, paper_d_table2_movement
from . import narrative as sentences


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

    @property
    def title(self) -> str:
        return f"QIPP Monthly Position — {self.org}"

    def trend_panels(self, measure: str = "fot") -> dict[str, spc.Trend]:
        """Each workstream's ``measure`` (``fot`` or ``delivered``) over the months held, as an XmR
        trend computed from the real months only (synthetic months set aside)."""
        return trend_panels(self.trends, measure, real=self.real_months.get(measure))

    @property
    def history_notes(self) -> list[str]:
        """How the real figures of otherwise synthetic months were derived (printed under trend charts)."""
        return list(self.derived_months.values())

    @property
    def synthetic_months(self) -> list[int]:
        """Months of the history whose stored figures are synthetic (some of their measures may be
        known from published figures all the same: see :attr:`real_months`)."""
        return sorted(int(m) for m, p in self.history_provenance.items() if p.startswith("synthetic"))

    def narrative(self) -> str:
        """The executive summary paragraph, in the paper's words."""
        return sentences.monthly(self.headline, self.previous is not None)

    def xlsx_tables(self) -> dict[str, pd.DataFrame]:
        """The report's tables for the xlsx, snake_case columns, signs as in the paper."""
        red = self.red[
            [
                "scheme_no",
                "scheme_name",
                "workstream",
                "milestones",
                "financial_benefits",
                "risk_issue",
                "rag",
                "annual_plan",
                "fot",
            ]
        ]
        cols = [
            "org",
            "scheme_no",
            "scheme_name",
            "workstream",
            "milestones",
            "financial_benefits",
            "risk_issue",
            "rag",
            "plan_ytd",
            "actual_ytd",
            "annual_plan",
            "fot",
            "assured",
            "provenance",
        ]
        detail = self.rows[cols].copy()
        total = {c: "" for c in cols} | {
            c: detail[c].sum() for c in ("plan_ytd", "actual_ytd", "annual_plan", "fot", "assured")
        }
        total["org"] = "Total"
        detail = pd.concat([detail, pd.DataFrame([total])], ignore_index=True)
        return {
            "ytd_by_workstream": self.ytd,
            "fot_by_workstream": self.fot,
            "fot_by_rag": self.rag,
            "red_schemes": red,
            "schemes": detail,
        }


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
    returns: pd.DataFrame, warnings: pd.DataFrame, *, fin_year: str, month: int, org: str
) -> MonthlyPosition:
    """Compute the whole monthly position for ``org`` (a CCG, or LLR = ELR + WL + LC)."""
    rows, prev = _rows_and_previous(returns, fin_year=fin_year, month=month, org=org)
    year = returns[(returns["fin_year"] == fin_year) & (returns["month"] <= month)]
    return MonthlyPosition(
        fin_year=fin_year,
        month=month,
        org=org,
        rows=rows,
        previous=prev,
        headline=t.headline(rows, prev, org=org, fin_year=fin_year, month=month),
        ytd=t.ytd_by_workstream(rows),
        fot=t.fot_by_workstream(rows, prev),
        rag=t.fot_by_rag(rows),
        red=t.red_schemes(rows),
        schemes=t.schemes(rows, prev),
        split=t.org_split(returns, fin_year, month, org),
        warnings=_warnings_for(warnings, fin_year=fin_year, month=month, org=org),
        provenance=sorted(set(rows["provenance"])),
        previous_provenance=sorted(set(prev["provenance"])) if prev is not None else [],
        **_history(year, fin_year, org),
    )


#: The measures of the monthly history (:func:`position.workstream_monthly`).
HISTORY_MEASURES = ("plan_ytd", "actual_ytd", "delivered", "annual_plan", "fot", "assured")


def _history(year: pd.DataFrame, fin_year: str, org: str) -> dict:
    """The history fields of :class:`MonthlyPosition`: totals and workstream trends by month, each
    month's provenance, and which months of each measure are real (not synthetic).

    A month whose rows are synthetic is real for no measure, except where published figures give it:
    Paper D Table 2 prints the monthly movement by workstream, so the forecast out-turn of the month
    before a published month is published at workstream level (that month's FOT less the movement).
    Those derived figures replace the stored ones.
    """
    provenance = year[year["org"].isin(members(org))].groupby("month")["provenance"].first().to_dict()
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
        total = trends.groupby("month")["fot"].sum()
        history["fot"] = history["month"].map(total).to_numpy()
        derived[month - 1] = f"M{month - 1} forecast: M{month} less Paper D Table 2's monthly movement (published)"
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

    @property
    def title(self) -> str:
        return f"QIPP Under-delivery Drivers — {self.org}"

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

    def xlsx_tables(self) -> dict[str, pd.DataFrame]:
        """Sheets ``drivers`` and ``fot_movement``: item, section, one column per organisation shown."""
        cols = ["item", "section", *self.orgs]
        return {"drivers": self.drivers[cols], "fot_movement": self.movement.reindex(columns=cols)}


def under_delivery(
    returns: pd.DataFrame,
    warnings: pd.DataFrame,
    *,
    fin_year: str,
    month: int,
    org: str,
    threshold: float = d.DRIVER_THRESHOLD,
    movement_threshold: float = d.MOVEMENT_THRESHOLD,
) -> UnderDelivery:
    """Compute the drivers of under-delivery and the FOT movement for ``org`` and month."""
    rows, prev = _rows_and_previous(returns, fin_year=fin_year, month=month, org=org)
    return UnderDelivery(
        fin_year=fin_year,
        month=month,
        org=org,
        threshold=float(threshold),
        movement_threshold=float(movement_threshold),
        rows=rows,
        previous=prev,
        headline=t.headline(rows, prev, org=org, fin_year=fin_year, month=month),
        drivers=d.drivers_table(rows, org, threshold),
        movement=d.movement_table(rows, prev, org, movement_threshold),
        warnings=_warnings_for(warnings, fin_year=fin_year, month=month, org=org),
        provenance=sorted(set(rows["provenance"])),
        previous_provenance=sorted(set(prev["provenance"])) if prev is not None else [],
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

    def narrative(self) -> str:
        return sentences.frp_bridge(self.bridge)

    def total(self, section: str) -> float:
        return frp.bridge_total(self.bridge, section)

    def waterfall(self) -> pd.DataFrame:
        return frp.waterfall_steps(self.bridge)

    def xlsx_tables(self) -> dict[str, pd.DataFrame]:
        """Sheets ``bridge`` (step, section, value), ``schemes`` and ``printed_vs_computed``."""
        return {
            "bridge": self.bridge[["step", "section", "value"]],
            "schemes": self.schemes,
            "printed_vs_computed": self.checks[
                ["where", "column", "printed", "computed", "difference", "source_sheet", "source_row"]
            ],
        }


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
        """Every sheet is in £m (spend in £ per 1,000): one decimal, as Table 3 prints."""
        return {name: '#,##0.0;(#,##0.0);"-"' for name in self.xlsx_tables()}

    def xlsx_tables(self) -> dict[str, pd.DataFrame]:
        """Sheets ``opportunity`` (Table 3 layout, £m, Total row) and ``coverage``, then the detail."""
        out = {"opportunity": self.table.round(3)}
        if self.coverage is not None:
            out["coverage"] = self.coverage.round(3)
        out["by_ccg"] = self.by_ccg.round(3)
        out["benchmarks"] = self.by_benchmark.round(3)
        out["cells"] = (
            self.cells.assign(opportunity=self.cells["opportunity"] / 1000.0)
            .rename(columns={"opportunity": "opportunity_m"})
            .round(3)
        )
        if self.published is not None:
            out["published_vs_computed"] = rc.compare_published(self.table, self.published).round(3)
        return out


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


def headlines(returns: pd.DataFrame, fin_year: str, month: int) -> list[dict]:
    """Headline figures for every organisation with complete returns for the month (£000)."""
    out = []
    for org in organisations().codes:
        rows = t.complete_rows(returns, fin_year, month, org)
        if rows is None:
            continue
        prev = t.complete_rows(returns, *previous_period(fin_year, month), org)
        h = t.headline(rows, prev, org=org, fin_year=fin_year, month=month)
        out.append(
            {
                "org": org,
                "annual_plan": h.annual_plan,
                "fot": h.fot,
                "under_delivery": h.under_delivery,
                "assured": h.assured,
                "movement": h.movement,
                "provenance": "; ".join(sorted({p.split(":", 1)[0] for p in rows["provenance"]})),
            }
        )
    return out
