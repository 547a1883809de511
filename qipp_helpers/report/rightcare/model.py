"""The RightCare opportunity report (Derbyshire Tables 3 and 4): its object."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ...analysis import position as t
from ...analysis import rightcare as rc
from ...core.orgs import organisations
from ...core.periods import period_label
from ...reference import (
    derbyshire_table3,
    derbyshire_table4,
)
from .. import narrative as sentences


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
