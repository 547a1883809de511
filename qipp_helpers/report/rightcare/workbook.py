"""The RightCare opportunity's xlsx."""

from __future__ import annotations

from ...analysis import rightcare as rc
from ...core.orgs import org_name
from ...core.vocab import POD_LABELS
from ..publish import Book, Figure
from ..style import SIGN_CONVENTION
from .model import RightCareOpportunity
from .tables import sheets


def _headline(r: RightCareOpportunity) -> list[Figure]:
    """The headline figures: data year, the total opportunity and its split by point of delivery, the largest single
    opportunity and, where a QIPP plan is set against it, the plan and its share of the opportunity."""
    against = rc.BENCHMARK_SHORT[r.benchmark].lower()
    total = r.table.set_index("programme_area").loc["Total"]
    figures = [
        Figure("RightCare data year", r.data_year, "text"),
        Figure(f"Total opportunity against {against}", float(total["total"]), "gbpm"),
        *(Figure(f"  {POD_LABELS[p]}", float(total[p]), "gbpm") for p in ("elective", "non_elective", "prescribing")),
    ]
    if len(r.top):
        top = r.top.iloc[0]
        figures.append(
            Figure(
                f"Largest single opportunity: {org_name(top['ccg'])}, {top['programme_area']} "
                f"{POD_LABELS[top['pod']].lower()}",
                float(top["opportunity"]) / 1000.0,
                "gbpm",
            )
        )
    if r.coverage is not None:
        cov = r.coverage.set_index("point_of_delivery").loc["Total"]
        figures += [
            Figure("QIPP plan set against it", float(cov["qipp_plan"]), "gbpm"),
            Figure("Plan as a share of the opportunity", cov["pct_covered"], "pct"),
        ]
    return figures


def _notes(r: RightCareOpportunity) -> list[tuple[str, str]]:
    """The notes sheet: organisation, benchmark, units and signs, the QIPP plan's source, provenance and, for
    synthetic indicators, what they are."""
    notes = [
        ("Organisation", f"{r.org}: {org_name(r.org)}"),
        ("Benchmark", f"Opportunity against {rc.BENCHMARKS[r.benchmark]}, RightCare {r.data_year} data."),
        (
            "Units and signs",
            SIGN_CONVENTION
            + " Opportunities and QIPP plans are in £m, both positive (an opportunity is never negative); spend and "
            "benchmarks are £ per 1,000 weighted population. Plan less opportunity: negative means the plan "
            "covers less than the opportunity.",
        ),
        ("QIPP plan", r.coverage_source if r.coverage is not None else r.coverage_note),
        *(("Provenance", p) for p in r.provenance),
        *(("Provenance, QIPP plan", p) for p in r.coverage_provenance),
    ]
    if any(p.startswith("synthetic") for p in r.provenance):
        notes.append(
            (
                "Synthetic figures",
                "The RightCare indicator data is synthetic, made by a seeded script; the peer CCGs are fictional. "
                + (
                    "It is calibrated so the opportunity computed for Derbyshire reproduces the published Table 3."
                    if r.published is not None
                    else ""
                ),
            )
        )
    return notes


def book(r: RightCareOpportunity) -> Book:
    """Table 3's layout, the plan's coverage, by CCG, by benchmark, every cell; headline; notes."""
    filled = sheets(r)
    tables = {t.spec.name: t.table() for t in filled}
    return Book(tables, _headline(r), _notes(r))


def number_formats(r: RightCareOpportunity) -> dict[str, str]:
    """Legacy: the £m number format per sheet, for readers of payloads without column kinds."""
    return {name: "#,##0.0;(#,##0.0);0.0" for name in book(r)}
