"""NHS RightCare opportunity: what a CCG would save if it spent like the best of its peers.

Pure functions of the stored RightCare tables (see :mod:`qipp_helpers.ingest.rightcare` for the
workbook). RightCare compares each CCG's spend per 1,000 weighted population, by programme area
and point of delivery (POD), with its 10 most similar CCGs. For one CCG, programme area and POD::

    opportunity = max(0, (own spend - benchmark) × weighted population / 1,000)

where the benchmark is one of :data:`BENCHMARKS`: ``best5`` (the mean of the 5 lowest-spending
peers, RightCare's headline and Derbyshire's Table 3), ``best_quartile`` (the peers' 25th
percentile, linear interpolation as Excel's PERCENTILE.INC) or ``peer_mean``. A group (NHS Derby
and Derbyshire CCG, LLR) is the sum of its CCGs, each against its own peers.

What always holds: an opportunity is never negative; against the peer mean it never exceeds
that against the best 5 (the mean of the lowest half is at most the mean of all); every
benchmark lies between the lowest and highest peer, so a CCG that spends no more than its
lowest-spending peer has no opportunity against any benchmark. The best quartile is *not*
ordered against the other two: with 10 peers it can lie above or below the best-5 mean and
above or below the peer mean (tests show both).

Spend is in £ per 1,000 weighted population; opportunities are computed in £000 (the project's
unit) and tabulated in £m to one decimal, as Table 3 prints them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..core.vocab import MIN_PEERS, POD_LABELS, PODS, PROGRAMME_AREAS

#: Benchmark -> how reports name it.
BENCHMARKS: dict[str, str] = {
    "best5": "the average of the best 5 of its peers",
    "best_quartile": "the best quartile (25th percentile) of its peers",
    "peer_mean": "the average of its peers",
}
BENCHMARK_SHORT: dict[str, str] = {"best5": "Best 5 peers", "best_quartile": "Best quartile", "peer_mean": "Peer mean"}

#: The QIPP programme whose plan is set against each point of delivery's opportunity.
QIPP_PROGRAMMES: dict[str, str] = {
    "elective": "Planned Care",
    "non_elective": "Urgent Care",
    "prescribing": "Medicines Management",
}


def benchmark(peer_spend: Sequence[float] | np.ndarray, method: str = "best5") -> float:
    """The benchmark spend per 1,000 of a peer group: best 5 mean, 25th percentile or mean."""
    values = np.sort(np.asarray(peer_spend, dtype=float))
    if method not in BENCHMARKS:
        raise ValueError(f"benchmark must be one of {', '.join(BENCHMARKS)}, got {method!r}")
    if len(values) < MIN_PEERS or np.isnan(values).any():
        raise ValueError(f"a peer group needs at least {MIN_PEERS} peers with figures, got {values.tolist()}")
    if method == "best5":
        value = values[:5].mean()
    elif method == "best_quartile":
        value = np.percentile(values, 25)
    else:
        value = values.mean()
    return float(np.clip(value, values[0], values[-1]))  # between the lowest and highest peer, despite rounding


def opportunity_k(own_spend: float, benchmark_spend: float, weighted_population: float) -> float:
    """£000 saved if spend per 1,000 fell from ``own_spend`` to ``benchmark_spend``; never negative."""
    return max(0.0, (own_spend - benchmark_spend) * weighted_population / 1000.0) / 1000.0


def peer_groups(peers: pd.DataFrame) -> dict[str, list[str]]:
    """CCG -> its peers in rank order, from the stored peers table (one financial year)."""
    ordered = peers.sort_values(["ccg", "rank"], kind="stable")
    return {c: list(g["peer"]) for c, g in ordered.groupby("ccg", sort=False)}


def _spend(indicators: pd.DataFrame, value: str = "spend") -> pd.DataFrame:
    return indicators.pivot_table(index=["programme_area", "pod"], columns="ccg", values=value, aggfunc="first")


def opportunity_cells(
    indicators: pd.DataFrame, peers: pd.DataFrame, ccgs: Sequence[str], method: str = "best5"
) -> pd.DataFrame:
    """One row per CCG × programme area × POD: own spend, peer benchmarks, population, opportunity (£000).

    Columns: ccg, programme_area, pod, spend, benchmark, best5, best_quartile, peer_mean, peer_min,
    weighted_population, opportunity. Spend and benchmarks are £ per 1,000 weighted population.
    """
    groups = peer_groups(peers)
    spend, pop = _spend(indicators), _spend(indicators, "weighted_population")
    rows = []
    for ccg in ccgs:
        if ccg not in groups:
            raise LookupError(f"no RightCare peer group held for {ccg}")
        if ccg not in spend.columns:
            raise LookupError(f"no RightCare indicators held for {ccg}")
        missing = [p for p in groups[ccg] if p not in spend.columns]
        if missing:
            raise LookupError(f"{ccg}'s peers {', '.join(missing)} have no RightCare indicators")
        own = spend[ccg].dropna()
        for (area, pod), value in own.items():
            peer_values = spend.loc[(area, pod), groups[ccg]].to_numpy(dtype=float)
            marks = {m: benchmark(peer_values, m) for m in BENCHMARKS}
            population = float(pop.loc[(area, pod), ccg])
            rows.append(
                {
                    "ccg": ccg,
                    "programme_area": area,
                    "pod": pod,
                    "spend": float(value),
                    "benchmark": marks[method],
                    **marks,
                    "peer_min": float(peer_values.min()),
                    "weighted_population": population,
                    "opportunity": opportunity_k(float(value), marks[method], population),
                }
            )
    out = pd.DataFrame(
        rows,
        columns=[
            "ccg",
            "programme_area",
            "pod",
            "spend",
            "benchmark",
            *BENCHMARKS,
            "peer_min",
            "weighted_population",
            "opportunity",
        ],
    )
    order = {a: i for i, a in enumerate(PROGRAMME_AREAS)}
    out["_a"], out["_p"] = out["programme_area"].map(order), out["pod"].map({p: i for i, p in enumerate(PODS)})
    out["_c"] = out["ccg"].map({c: i for i, c in enumerate(ccgs)})
    return out.sort_values(["_c", "_a", "_p"]).drop(columns=["_a", "_p", "_c"]).reset_index(drop=True)


def _wide(cells: pd.DataFrame, index: str, order: Sequence[str]) -> pd.DataFrame:
    """Opportunity (£m) by ``index`` × POD with a total column and a Total row."""
    wide = cells.pivot_table(index=index, columns="pod", values="opportunity", aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(index=[o for o in order if o in wide.index], columns=list(PODS), fill_value=0.0) / 1000.0
    wide["total"] = wide.sum(axis=1)
    wide.loc["Total"] = wide.sum(axis=0)
    wide.columns.name = None
    return wide.rename_axis(index).reset_index()


def opportunity_table(cells: pd.DataFrame) -> pd.DataFrame:
    """Table 3's layout: programme_area, elective, non_elective, prescribing, total (£m) and a Total row."""
    return _wide(cells, "programme_area", PROGRAMME_AREAS)


def by_ccg_table(cells: pd.DataFrame) -> pd.DataFrame:
    """Opportunity (£m) by CCG × POD, each CCG against its own peers, with the group Total."""
    return _wide(cells, "ccg", list(dict.fromkeys(cells["ccg"])))


def benchmark_totals(indicators: pd.DataFrame, peers: pd.DataFrame, ccgs: Sequence[str]) -> pd.DataFrame:
    """Total opportunity (£m) by POD under each benchmark: benchmark, elective, non_elective, prescribing, total."""
    cells = opportunity_cells(indicators, peers, ccgs)
    rows = []
    for method in BENCHMARKS:
        opp = [
            opportunity_k(s, b, w)
            for s, b, w in zip(cells["spend"], cells[method], cells["weighted_population"], strict=True)
        ]
        by_pod = cells.assign(opportunity=opp).groupby("pod")["opportunity"].sum().reindex(list(PODS), fill_value=0)
        rows.append({"benchmark": method, **(by_pod / 1000.0).to_dict(), "total": float(sum(opp)) / 1000.0})
    return pd.DataFrame(rows, columns=["benchmark", *PODS, "total"])


def largest(cells: pd.DataFrame, n: int = 6) -> pd.DataFrame:
    """The ``n`` largest opportunities (CCG × programme area × POD), largest first, zero ones left out."""
    top = cells[cells["opportunity"] > 0].sort_values("opportunity", ascending=False, kind="stable")
    return top.head(n).reset_index(drop=True)


def peer_positions(indicators: pd.DataFrame, peers: pd.DataFrame, top: pd.DataFrame) -> pd.DataFrame:
    """Every peer's and the CCG's own spend for each row of ``top`` (see :func:`largest`).

    Columns: cell (0..), ccg, programme_area, pod, who (``peer`` / ``own``), name, spend,
    in_best5 (peer is one of the five lowest), pct_of_peer_mean.
    """
    groups = peer_groups(peers)
    spend = _spend(indicators)
    rows = []
    for i, r in enumerate(top.itertuples(index=False)):
        values = spend.loc[(r.programme_area, r.pod), groups[r.ccg]].astype(float)
        best = set(values.sort_values(kind="stable").index[:5])
        mean = float(values.mean())
        for peer, v in values.items():
            rows.append(
                {
                    "cell": i,
                    "ccg": r.ccg,
                    "programme_area": r.programme_area,
                    "pod": r.pod,
                    "who": "peer",
                    "name": peer,
                    "spend": float(v),
                    "in_best5": peer in best,
                    "pct_of_peer_mean": v / mean,
                }
            )
        rows.append(
            {
                "cell": i,
                "ccg": r.ccg,
                "programme_area": r.programme_area,
                "pod": r.pod,
                "who": "own",
                "name": r.ccg,
                "spend": r.spend,
                "in_best5": False,
                "pct_of_peer_mean": r.spend / mean,
            }
        )
    return pd.DataFrame(rows)


def position_table(top: pd.DataFrame) -> pd.DataFrame:
    """The largest opportunities with the CCG's spend beside the benchmarks (£ per 1,000) and the opportunity (£m)."""
    out = top[
        ["ccg", "programme_area", "pod", "spend", "best5", "best_quartile", "peer_mean", "peer_min", "opportunity"]
    ].copy()
    out["pod"] = out["pod"].map(POD_LABELS)
    out["opportunity"] = out["opportunity"] / 1000.0
    return out


def plan_from_table4(table4: pd.DataFrame, column: str = "total") -> dict[str, float]:
    """POD -> QIPP plan (£m savings, positive) of the matching programme in Derbyshire's Table 4."""
    plan = table4.set_index("programme")[column]
    return {pod: float(plan[prog]) for pod, prog in QIPP_PROGRAMMES.items()}


def plan_from_returns(returns: pd.DataFrame, ccgs: Sequence[str]) -> dict[str, float]:
    """POD -> annual QIPP plan (£m savings, positive) of the matching workstream in the scheme returns given."""
    rows = returns[returns["org"].isin(list(ccgs))]
    by_ws = rows.groupby("workstream")["annual_plan"].sum()
    return {pod: -float(by_ws.get(ws, 0.0)) / 1000.0 for pod, ws in QIPP_PROGRAMMES.items()}


def coverage(table: pd.DataFrame, plan: Mapping[str, float]) -> pd.DataFrame:
    """The QIPP plan of the matching programme beside each POD's opportunity (£m), with a Total row.

    Columns: point_of_delivery, qipp_programme, opportunity, qipp_plan, plan_less_opportunity,
    pct_covered (plan / opportunity; NaN where there is no opportunity).
    """
    total = table.set_index("programme_area").loc["Total"]
    rows: list[dict[str, Any]] = [
        {
            "point_of_delivery": POD_LABELS[pod],
            "qipp_programme": QIPP_PROGRAMMES[pod],
            "opportunity": float(total[pod]),
            "qipp_plan": float(plan[pod]),
        }
        for pod in PODS
    ]
    rows.append(
        {
            "point_of_delivery": "Total",
            "qipp_programme": "",
            "opportunity": sum(r["opportunity"] for r in rows),
            "qipp_plan": sum(r["qipp_plan"] for r in rows),
        }
    )
    out = pd.DataFrame(rows)
    out["plan_less_opportunity"] = out["qipp_plan"] - out["opportunity"]
    out["pct_covered"] = [p / o if o > 0 else np.nan for p, o in zip(out["qipp_plan"], out["opportunity"], strict=True)]
    return out


def compare_published(computed: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Published and computed Table 3 side by side (£m): programme_area, then ``published_*``,
    ``computed_*`` for each POD and the total, and the largest absolute difference on the row."""
    cols = [*PODS, "total"]
    pub = published.set_index("programme_area")[cols].astype(float)
    com = computed.set_index("programme_area")[cols].reindex(pub.index).astype(float)
    out = pd.concat([pub.add_prefix("published_"), com.add_prefix("computed_")], axis=1)
    out["max_difference"] = (com - pub).abs().max(axis=1)
    return out.rename_axis("programme_area").reset_index()
