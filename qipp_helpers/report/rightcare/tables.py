"""The RightCare opportunity's tables, each declared once, and how the notebook shows them."""

from __future__ import annotations

from IPython.display import Markdown
from pandas.io.formats.style import Styler

from ...analysis import rightcare as rc
from ...core.orgs import org_name
from ...core.text import plain_html
from ...core.vocab import POD_LABELS
from ..blocks import md_text, period_and_generated, provenance_kind
from ..publish import Total
from ..tables import Col, Filled, TableSpec, millions, text
from .model import RightCareOpportunity

#: Heads every page of a report whose figures are all synthetic (the running header and the banner).
ILLUSTRATIVE = "Illustrative, synthetic data"


def rightcare_banner_lines(r: RightCareOpportunity) -> list[str]:
    """Page banner: organisation, pack period, what is synthetic and what is published, generated time.

    A report whose RightCare figures are all synthetic says so in the running header of every page.
    """
    kinds = provenance_kind(r.provenance)
    plan = f"; QIPP plan {provenance_kind(r.coverage_provenance)}" if r.coverage_provenance else ""
    published = "; Derbyshire Table 3 published" if r.published is not None else ""
    data = f"Data: RightCare indicators {kinds}{published}{plan} (see section 7)"
    if r.illustrative:
        data = f"Data: {ILLUSTRATIVE.upper()}{plan} (see section 7)"
    return [  # short enough for one line of the running header (the full period is in the title)
        f"{org_name(r.org)} ({r.org})",
        f"RightCare {r.data_year} data · {r.period.split(' (')[0]}",
        data,
        period_and_generated(r.period),
    ]


def rightcare_title_block(r: RightCareOpportunity) -> str:
    """The RightCare report's heading, as markdown."""
    return (
        f"# RightCare Opportunity: {md_text(org_name(r.org))}\n\n"
        f"**RightCare {md_text(r.data_year)} data, QIPP plan {r.fin_year.replace('-', '/')}** · opportunity against "
        f"{rc.BENCHMARKS[r.benchmark]} · £m unless stated"
    )


def rightcare_sources_note(r: RightCareOpportunity) -> str:
    """A callout saying plainly which figures are published and which synthetic."""
    parts = []
    if any(p.startswith("synthetic") for p in r.provenance):
        text = (
            "the RightCare indicator data behind every computed opportunity (each CCG's and its peers' spend per "
            "1,000 weighted population) is **synthetic**, made by a seeded script; the peer CCGs are fictional"
        )
        if r.published is not None:
            text += (
                ". It was calibrated so that the opportunity computed for Derbyshire's four CCGs reproduces the "
                "**published** Derbyshire Table 3, which is shown beside it (section 3): the agreement shows the "
                "method "
                "works, not what real RightCare data says"
            )
        parts.append(text)
    else:
        parts.append(f"the RightCare indicator data is {provenance_kind(r.provenance)}")
    if r.coverage is not None:
        parts.append(
            f"the QIPP plan set against the opportunity is {provenance_kind(r.coverage_provenance)} "
            f"({md_text(r.coverage_source)})"
        )
    return "> **Published or synthetic?** In this report " + "; ".join(parts) + "."


def rightcare_table(r: RightCareOpportunity) -> Styler:
    """Table 3's layout, computed: opportunity by programme area × POD with totals (£m)."""
    return opportunity(r).styler()


def rightcare_by_ccg_table(r: RightCareOpportunity) -> Styler:
    """Opportunity by CCG × POD, each CCG against its own peers, with the group total (£m)."""
    return by_ccg(r).styler()


def rightcare_published_table(r: RightCareOpportunity) -> Styler | Markdown:
    """Table 3 as published beside the computed one, with the largest difference on each row (£m)."""
    if r.published is None:
        return Markdown(
            f"*No RightCare opportunity is published for {md_text(r.org)} in the source papers; the "
            "figures above are computed from the indicator data only.*"
        )
    return published(r).styler()


def rightcare_positions_table(r: RightCareOpportunity) -> Styler:
    """The largest opportunities: the CCG's spend beside its peers' benchmarks (£ per 1,000) and the £m."""
    return positions(r).styler()


def rightcare_coverage_table(r: RightCareOpportunity) -> Styler | Markdown:
    """The QIPP plan of the matching programme beside each POD's opportunity (£m) and the share covered."""
    if r.coverage is None:
        return Markdown(f"*{md_text(r.coverage_note)}*")
    return coverage(r).styler()


def rightcare_benchmark_table(r: RightCareOpportunity) -> Styler:
    """Total opportunity under each benchmark (£m): how much the choice of benchmark matters."""
    return benchmarks(r).styler()


def rightcare_peers_block(r: RightCareOpportunity) -> str:
    """Each CCG's peer group, most similar first, as markdown."""
    lines = ["**Peer groups** (most similar first):", ""]
    for ccg, g in r.peers.groupby("ccg", sort=False):
        lines.append(f"- {md_text(org_name(ccg))}: " + ", ".join(md_text(n) for n in g["peer_name"]))
    return "\n".join(lines)


def rightcare_provenance_block(r: RightCareOpportunity) -> str:
    """Where every figure comes from: indicators, the published Table 3, the QIPP plan."""
    lines = ["**Provenance.** RightCare indicator data (every computed opportunity):", ""]
    lines += [f"- {md_text(p)}" for p in r.provenance]
    if r.published is not None:
        lines += [
            "",
            "Derbyshire Table 3 as published (section 3):",
            "",
            "- published: NHS Derby and Derbyshire CCG, 2019/20 QIPP Programme, Meeting in Common of the "
            "Governing Bodies 28 March 2019, Table 3 (Right Care opportunity, 2017/18 data, best 5 peers)",
        ]
    if r.coverage_provenance:
        lines += ["", f"QIPP plan (section 5, {md_text(r.coverage_source)}):", ""]
        lines += [f"- {md_text(p)}" for p in r.coverage_provenance]
    if any(p.startswith("synthetic") for p in r.provenance):
        lines += [
            "",
            "*Synthetic figures are generated by a seeded script for demonstration; they are not NHS "
            "RightCare data, and the peer CCGs named are fictional.*",
        ]
    return "\n".join(lines)


POD_COLUMNS = (
    millions("elective", "Elective"),
    millions("non_elective", "Non-elective"),
    millions("prescribing", "Prescribing"),
    millions("total", "Total"),
)


def _against(r: RightCareOpportunity) -> str:
    return rc.BENCHMARK_SHORT[r.benchmark].lower()


def opportunity(r: RightCareOpportunity) -> Filled:
    """Derbyshire Table 3's layout, computed: opportunity by programme area × point of delivery (£m)."""
    spec = TableSpec(
        "opportunity",
        (text("programme_area", "Programme area"), *POD_COLUMNS),
        caption=f"Derbyshire Table 3 (computed): RightCare opportunity against {_against(r)}, "
        f"by programme area, {r.data_year} data (£m)",
        title=f"Derbyshire Table 3 layout, computed: RightCare opportunity against {_against(r)} by programme "
        f"area and point of delivery, {r.data_year} data (£m).",
        label="programme_area",
        unbroken=True,
    )
    return spec.fill(r.table)


def coverage(r: RightCareOpportunity) -> Filled:
    """The QIPP plan of the matching programme beside each POD's opportunity (£m) and the share covered."""
    assert r.coverage is not None
    spec = TableSpec(
        "coverage",
        (
            text("point_of_delivery", "Point of delivery"),
            text("qipp_programme", "QIPP programme"),
            millions("opportunity", "RightCare opportunity"),
            millions("qipp_plan", "QIPP plan (savings)"),
            millions("plan_less_opportunity", "Plan less opportunity"),
            Col("pct_covered", "Plan as % of opportunity", "pct"),
        ),
        caption=f"QIPP plan against RightCare opportunity (£m): {plain_html(r.coverage_source)}",
        title=f"QIPP plan against RightCare opportunity (£m): {r.coverage_source}.",
        label="point_of_delivery",
        unbroken=True,
    )
    return spec.fill(r.coverage)


def by_ccg(r: RightCareOpportunity) -> Filled:
    """Opportunity by CCG × point of delivery, each CCG against its own peers, with the group total (£m). The
    HTML prints each CCG's name; the workbook its code and name."""
    spec = TableSpec(
        "by_ccg",
        (text("ccg", "CCG"), text("name", "CCG name", only="xlsx"), *POD_COLUMNS),
        caption="Opportunity by CCG, each against its own peer group (£m)",
        title="Opportunity by CCG, each against its own peer group (£m).",
        label="ccg",
        unbroken=True,
    )
    data = r.by_ccg.assign(name=[org_name(c) if c != "Total" else "" for c in r.by_ccg["ccg"]])
    return spec.fill(data, shown=r.by_ccg.assign(ccg=[org_name(c) for c in r.by_ccg["ccg"]]))


def benchmarks(r: RightCareOpportunity) -> Filled:
    """Total opportunity under each benchmark (£m): how much the choice of benchmark matters."""
    spec = TableSpec(
        "benchmarks",
        (text("benchmark", "Benchmark"), *POD_COLUMNS),
        caption="Total opportunity against each benchmark (£m)",
        title="Total opportunity against each benchmark (£m): alternatives, so no total.",
        unbroken=True,
    )
    return spec.fill(r.by_benchmark.assign(benchmark=r.by_benchmark["benchmark"].map(rc.BENCHMARK_SHORT)), totals=())


_PODS = {"elective": "Elective", "non_elective": "Non-elective", "prescribing": "Prescribing", "total": "Total"}


def published(r: RightCareOpportunity) -> Filled:
    """Derbyshire Table 3 as published beside the computed one, with the largest difference on each row (£m)."""
    assert r.published is not None
    against = "" if r.benchmark == "best5" else f", computed against the {_against(r)}, so not comparable cell by cell"
    spec = TableSpec(
        "published_vs_computed",
        (
            text("programme_area", "Programme area"),
            *(millions(f"published_{k}", f"{v} (published)", total="value") for k, v in _PODS.items()),
            *(millions(f"computed_{k}", f"{v} (computed)") for k, v in _PODS.items()),
            millions("max_difference", "Largest difference", total="value", decimals=2),
        ),
        caption="Derbyshire Table 3 as published (2017/18 data, best 5 peers) beside the "
        f"opportunity computed here{against} (£m)",
        title="Derbyshire Table 3 as published (2017/18 data, best 5 peers) beside the opportunity computed "
        "here (£m); published totals as printed.",
        label="programme_area",
        unbroken=True,
    )
    return spec.fill(rc.compare_published(r.table, r.published))


def positions(r: RightCareOpportunity) -> Filled:
    """The largest opportunities: the CCG's spend beside its peers' benchmarks (£ per 1,000) and the £m (the
    workbook has every cell instead: :func:`cells`)."""
    df = rc.position_table(r.top).assign(ccg=lambda d: d["ccg"].map(lambda c: org_name(c)))
    spec = TableSpec(
        "positions",
        (
            text("ccg", "CCG"),
            text("programme_area", "Programme area"),
            text("pod", "Point of delivery"),
            Col("spend", "CCG spend", "gbp"),
            Col("best5", "Best-5 average", "gbp"),
            Col("best_quartile", "Best quartile", "gbp"),
            Col("peer_mean", "Peer mean", "gbp"),
            Col("peer_min", "Lowest peer", "gbp"),
            millions("opportunity", "Opportunity £m"),
        ),
        caption=f"The {len(df)} largest opportunities: spend per 1,000 weighted population (£) "
        f"against the CCG's peers, and the opportunity against {_against(r)} (£m)",
        unbroken=True,
    )
    return spec.fill(df)


def cells(r: RightCareOpportunity) -> Filled:
    """Every CCG × programme area × point of delivery: spend against its peers (£) and the opportunity (£m)."""
    rate = {"kind": "gbp", "total": "blank"}
    spec = TableSpec(
        "cells",
        (
            text("ccg", "CCG"),
            text("programme_area", "Programme area"),
            text("pod", "Point of delivery"),
            Col("spend", "Spend per 1,000 weighted population (£)", **rate),  # type: ignore[arg-type]
            Col("benchmark", "Benchmark used (£)", **rate),  # type: ignore[arg-type]
            Col("best5", "Best-5 average (£)", **rate),  # type: ignore[arg-type]
            Col("best_quartile", "Best quartile (£)", **rate),  # type: ignore[arg-type]
            Col("peer_mean", "Peer mean (£)", **rate),  # type: ignore[arg-type]
            Col("peer_min", "Lowest peer (£)", **rate),  # type: ignore[arg-type]
            Col("weighted_population", "Weighted population", "count", total="blank"),
            millions("opportunity", "Opportunity"),
        ),
        title=f"Every CCG × programme area × point of delivery: spend per 1,000 weighted population against "
        f"its peers (£) and the opportunity against {_against(r)} (£m).",
        freeze_columns=3,
    )
    data = r.cells.assign(opportunity=r.cells["opportunity"] / 1000.0, pod=r.cells["pod"].map(POD_LABELS))
    return spec.fill(data, totals=(Total({"ccg": "Total"}),))


def sheets(r: RightCareOpportunity) -> list[Filled]:
    """The declared tables the report's workbook holds, in sheet order: a table declared above and listed here
    reaches the xlsx (``workbook.book``) with its headers, kinds, totals and title."""
    return [
        opportunity(r),
        *([coverage(r)] if r.coverage is not None else []),
        by_ccg(r),
        benchmarks(r),
        cells(r),
        *([published(r)] if r.published is not None else []),
    ]
