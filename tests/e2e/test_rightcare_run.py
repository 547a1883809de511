"""End to end: `qipp run` renders the RightCare notebook for DDCCG as HTML, PDF and xlsx."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from ..oracle.paper_derbyshire_published import TABLE3, TABLE3_TOTAL
from ..workbook_checks import check_workbook, not_added


@pytest.fixture(scope="module")
def rendered(default_pack):
    """DDCCG's RightCare report as the default pack renders it (conftest's `default_pack`, once per test run)."""
    return default_pack / "DDCCG"


def _text(path):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


def test_html_shows_table3_computed_and_published_and_says_what_is_synthetic(rendered):
    html = (rendered / "rightcare_opportunity.html").read_text(encoding="utf-8")
    text = _text(rendered / "rightcare_opportunity.html")
    for phrase in (
        "Musculoskeletal 12.2 1.0 0.7 13.9",
        "Total 17.5 26.7 3.5 47.7",
        "Musculoskeletal 12.2 1.0 0.7 13.9 12.2 1.0 0.7 13.9 0.00",  # published beside computed
        "RightCare opportunity of £47.7m",
        "Planned Care 17.5 11.0 (6.5) 62.9%",
        "Published or synthetic?",
        "is synthetic",
        "reproduces the published Table 3",
        "Peer CCG A01 (fictional)",
        "Table 4",
    ):
        assert phrase in text, phrase
    for area, (e, ne, p, total) in TABLE3.items():
        assert f"{area} {e:.1f} {ne:.1f} {p:.1f} {total:.1f}" in text, area
    assert html.count("data:image/png;base64") >= 4  # heatmap, ranked bars, peer positions, coverage
    for leak in ("Traceback", "Warning", "In [", "report = ", "from qipp_helpers"):
        assert leak not in text, leak


def test_pdf_has_every_section(rendered):
    reader = PdfReader(rendered / "rightcare_opportunity.pdf")
    text = "\n".join(p.extract_text() for p in reader.pages)
    for heading in (
        "1. Summary",
        "2. Opportunity by programme area",
        "3. Derbyshire Table 3 as published",
        "4. Where the CCG sits among its peers",
        "5. How much of the opportunity the QIPP plan covers",
        "6. How much the benchmark matters",
        "7. Data and provenance",
    ):
        assert heading in text, heading
    assert f"Page 1 of {len(reader.pages)}" in text and "Traceback" not in text


def test_xlsx_opportunity_and_coverage_sheets(rendered):
    path = rendered / "rightcare_opportunity.xlsx"
    frames = check_workbook(path, unsummed=not_added)
    wb = load_workbook(path, data_only=True)
    assert wb.sheetnames == [
        "notes",
        "headline",
        "opportunity",
        "coverage",
        "by_ccg",
        "benchmarks",
        "cells",
        "published_vs_computed",
    ]
    rows = list(wb["opportunity"].iter_rows(values_only=True))
    assert list(rows[0]) == ["Programme area", "Elective", "Non-elective", "Prescribing", "Total"]
    assert rows[-1][0] == "Total" and [round(v, 1) for v in rows[-1][1:]] == list(TABLE3_TOTAL)
    by_area = {r[0]: [round(v, 1) for v in r[1:]] for r in rows[1:-2]}
    assert by_area == {a: list(v) for a, v in TABLE3.items()}
    assert any(round(v, 3) != v for r in rows[1:-2] for v in r[1:])  # full precision, shown to one decimal
    assert wb["opportunity"]["B2"].number_format == "#,##0.0_);(#,##0.0);0.0_)"
    cov = list(wb["coverage"].iter_rows(values_only=True))
    assert list(cov[0]) == [
        "Point of delivery",
        "QIPP programme",
        "RightCare opportunity",
        "QIPP plan (savings)",
        "Plan less opportunity",
        "Plan as % of opportunity",
    ]
    assert cov[-1][0] == "Total" and cov[-1][3] == pytest.approx(29.3)
    assert wb["coverage"]["F2"].number_format == "0.0%"
    published = frames["published_vs_computed"]
    assert published["Total (published)"].iloc[-1] == 47.7 and "Largest difference" in published.columns
    head = frames["headline"].set_index("Measure")
    assert round(head.loc["Total opportunity against best 5 peers", "Value"], 1) == 47.7
