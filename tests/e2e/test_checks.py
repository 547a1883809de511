"""The pack's automated checks: PDF pagination (pdfplumber) and HTML accessibility (axe-core in Chromium).

Each rule is shown to fail on a deliberately bad page built with the report stylesheet and to pass
on a good one; then both checks run over the demo pack.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import weasyprint
from pypdf import PdfReader

from qipp_helpers.pack import checks
from qipp_helpers.pack.checks import (
    MARGINS_MM,
    browser_unavailable_reason,
    check_html_accessibility,
    check_pdf,
    layout_problems,
    read_layout,
)
from qipp_helpers.pack.render import TEMPLATE_DIR

CSS = (TEMPLATE_DIR / "qipp_report" / "static" / "report.css").read_text(encoding="utf-8")
NO_BROWSER = browser_unavailable_reason()
needs_browser = pytest.mark.skipif(NO_BROWSER is not None, reason=f"accessibility check cannot run: {NO_BROWSER}")

# A 1x1 PNG: an image that needs alternative text.
PNG = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)


def _pdf(tmp_path: Path, name: str, body: str) -> Path:
    """``body`` laid out as a report page (the pack's stylesheet, A4 landscape) and written as a PDF."""
    html = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Check</title>'
        f"<style>{CSS}</style></head><body><main>{body}</main></body></html>"
    )
    path = tmp_path / f"{name}.pdf"
    weasyprint.HTML(string=html).write_pdf(path)
    return path


def _table(rows: int, *, break_before: int | None = None, caption: str = "Table 1: Plan by scheme (£000)") -> str:
    """A captioned table: a header row, ``rows`` body rows, a forced page break before row ``break_before``."""
    body = "".join(
        ("<tr style='break-before: page'>" if i == break_before else "<tr>")
        + f"<td>Scheme {i}</td><td>{i * 1000:,}</td></tr>"
        for i in range(1, rows + 1)
    )
    head = "<thead><tr><th>Scheme</th><th>Plan</th></tr></thead>"
    return f"<table><caption>{caption}</caption>{head}<tbody>{body}</tbody></table>"


def _rules(problems: list[checks.PageProblem]) -> list[tuple[int, str]]:
    return [(p.page, p.rule) for p in problems]


# --- headings -----------------------------------------------------------------------------------------


def test_heading_in_the_last_15_percent_of_a_page_fails(tmp_path):
    # push the heading down until its outline entry (read with pypdf, not by the check) is in the last 15%
    for spacer in range(150, 185, 2):
        path = _pdf(tmp_path, "low", f'<div style="height:{spacer}mm"></div><h2>Stranded heading</h2><p>One line.</p>')
        reader = PdfReader(path)
        (entry,) = reader.outline
        height = float(reader.pages[0].mediabox.height)
        if reader.get_destination_page_number(entry) == 0 and float(entry.top) < 0.15 * height:
            break
    else:
        pytest.fail("could not place a heading in the last 15% of page 1")
    problems = check_pdf(path)
    assert _rules(problems) == [(1, "heading-at-foot")]
    assert problems[0].text == "Stranded heading" and problems[0].file == path
    assert "last 15%" in problems[0].detail
    assert "page 1: heading-at-foot" in str(problems[0])


def test_heading_left_at_a_page_break_with_one_line_of_its_section_fails(tmp_path):
    body = (
        "<h2>1. Summary</h2>"
        + "<p>Enough text for the first section to fill part of the page.</p>" * 12
        + "<h2>2. Breakdown</h2><p>One line of introduction.</p>"
        + f'<div style="break-before: page">{_table(6)}</div>'  # the table goes overleaf
    )
    problems = check_pdf(_pdf(tmp_path, "strand", body))
    assert _rules(problems) == [(1, "heading-at-foot")]
    assert problems[0].text == "2. Breakdown" and "the rest is overleaf" in problems[0].detail


def test_headings_kept_with_their_sections_pass(tmp_path):
    body = (
        "<h2>1. Summary</h2>"
        + "<p>The first section, complete on page one.</p>" * 4
        + '<h2 style="break-before: page">2. Breakdown</h2><p>Its introduction.</p>'
        + _table(6)
        + "<h2>3. Notes</h2><p>Closing text.</p>"
    )
    path = _pdf(tmp_path, "good_headings", body)
    assert [h.text for page in read_layout(path) for h in page.headings] == ["1. Summary", "2. Breakdown", "3. Notes"]
    assert check_pdf(path) == []


# --- tables -------------------------------------------------------------------------------------------


def test_table_leaving_one_row_at_the_foot_of_a_page_fails(tmp_path):
    path = _pdf(tmp_path, "foot", "<p>Introduction.</p>" + _table(10, break_before=2))
    problems = check_pdf(path)
    assert _rules(problems) == [(1, "table-fragment")]
    assert problems[0].text == "Scheme 1 1,000"
    assert "1 body row" in problems[0].detail


def test_table_leaving_one_row_at_the_head_of_a_page_fails_header_rows_not_counted(tmp_path):
    path = _pdf(tmp_path, "head", "<p>Introduction.</p>" + _table(4, break_before=4))
    overleaf = read_layout(path)[1].tables[0]
    assert [r.header for r in overleaf.rows] == [True, False]  # the repeated header and one body row
    assert overleaf.header_text == "Scheme Plan"
    problems = check_pdf(path)
    assert _rules(problems) == [(2, "table-fragment")]
    assert problems[0].text == "Scheme 4 4,000"


def test_table_leaving_two_rows_fails_and_three_rows_pass(tmp_path):
    assert _rules(check_pdf(_pdf(tmp_path, "two", _table(8, break_before=7)))) == [(2, "table-fragment")]
    assert check_pdf(_pdf(tmp_path, "three", _table(8, break_before=6))) == []


def test_tables_broken_well_and_short_unbroken_tables_pass(tmp_path):
    body = _table(10, break_before=6) + "<p>Between the tables.</p>" + _table(2, caption="Table 2: Totals")
    path = _pdf(tmp_path, "good_tables", body)
    pages = read_layout(path)
    assert [[len(t.body_rows) for t in p.tables] for p in pages] == [[5], [5, 2]]
    assert check_pdf(path) == []


# --- text outside the page ---------------------------------------------------------------------------


def test_text_beyond_the_right_edge_fails(tmp_path):
    body = '<p>Inside the page.</p><p style="margin-left: 280mm; white-space: nowrap">Assured value 1,234</p>'
    problems = check_pdf(_pdf(tmp_path, "edge", body))
    assert _rules(problems) == [(1, "outside-page")]
    assert problems[0].text == "Assured value 1,234"


def test_text_inside_the_page_passes(tmp_path):
    assert check_pdf(_pdf(tmp_path, "inside", "<p>Assured value 1,234</p>")) == []


# --- a page left half empty -----------------------------------------------------------------------


def chart_function(height_mm: int) -> str:
    return f'<img src="{PNG}" alt="Bar chart: plan by month" style="width: 250mm; height: {height_mm}mm">'


def test_page_left_half_empty_when_the_next_chart_would_fit_fails(tmp_path):
    body = "<p>A short first page.</p>" + (
        f'<div style="break-before: page">{chart_function(70)}<p>How to read the chart.</p></div>'
    )
    problems = check_pdf(_pdf(tmp_path, "half", body))
    assert _rules(problems) == [(1, "page-half-empty")]
    assert "the chart opening page 2 needs" in problems[0].detail


def test_a_chart_that_would_not_fit_may_go_overleaf(tmp_path):
    body = "<p>Text.</p>" * 6 + chart_function(165)  # 165 mm does not fit under the text
    path = _pdf(tmp_path, "tall", body)
    assert len(read_layout(path)) == 2
    assert check_pdf(path) == []


def test_margins_match_the_report_stylesheet():
    """The check leaves the running header and footer (in the @page margins) out of the content."""
    margin = re.search(r"@page\s*{[^}]*?margin:\s*([^;]+);", CSS)
    assert margin is not None
    assert tuple(float(v.removesuffix("mm")) for v in margin.group(1).split()) == MARGINS_MM


# --- accessibility -----------------------------------------------------------------------------------


@needs_browser
def test_accessibility_check_fails_a_bad_page(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><title>Bad</title></head><body><main>'
        f'<h1>Report</h1><img src="{PNG}" width="40" height="20">'
        '<table><tr><th scope="col">RAG</th></tr>'
        '<tr><td style="background-color: #FFB81C; color: white">Orange</td></tr></table>'
        "</main></body></html>",
        encoding="utf-8",
    )
    found = check_html_accessibility(page)
    assert sorted({v.rule for v in found}) == ["color-contrast", "html-has-lang", "image-alt"]
    contrast = next(v for v in found if v.rule == "color-contrast")
    assert contrast.impact == "serious" and contrast.target == "td" and "#ffb81c" in contrast.summary
    assert next(v for v in found if v.rule == "image-alt").help == "Images must have alternative text"


@needs_browser
def test_accessibility_check_passes_a_good_page(tmp_path):
    page = tmp_path / "good.html"
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Good</title></head><body><main>'
        f'<h1>Report</h1><img src="{PNG}" alt="Bar chart: plan by month" width="40" height="20">'
        '<table><tr><th scope="col">RAG</th></tr>'
        '<tr><td style="background-color: #FFB81C; color: #212b32">Amber</td></tr></table>'
        "</main></body></html>",
        encoding="utf-8",
    )
    assert check_html_accessibility(page) == []


def test_entry_point_prints_problems_and_exits_non_zero(tmp_path, capsys):
    _pdf(tmp_path, "foot", _table(10, break_before=2))
    _pdf(tmp_path, "fine", "<p>Nothing wrong here.</p>")
    assert checks.main([str(tmp_path)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out == [
        f"{tmp_path / 'foot.pdf'}: page 1: table-fragment: "
        "table broken at the foot of the page with 1 body row on this side: 'Scheme 1 1,000'"
    ]
    (tmp_path / "foot.pdf").unlink()
    assert checks.main([str(tmp_path)]) == 0
    assert checks.main([str(tmp_path / "missing")]) == 2


# --- the demo pack ----------------------------------------------------------------------------------

DEMO_PDFS = [
    f"{org}/{nb}.pdf" for org in ("ELR", "WL", "LC", "LLR") for nb in ("monthly_position", "under_delivery_drivers")
] + ["LLR/frp_bridge.pdf", "DDCCG/rightcare_opportunity.pdf"]  # LLR's RightCare is illustrative: not by default
DEMO_HTML = [p.removesuffix(".pdf") + ".html" for p in DEMO_PDFS] + ["index.html"]


@pytest.fixture(scope="module")
def demo_pack(default_pack: Path) -> Path:
    """The default demo pack (`make reports`: every organisation, 2019-20 M6) rendered from the demo data, with a
    meeting date, a data cut-off and a marking on its front matter (conftest's `default_pack`, rendered once per
    session and shared with e2e/test_pack_document.py)."""
    return default_pack


def test_demo_pack_holds_every_report_pdf(demo_pack):
    assert sorted(str(p.relative_to(demo_pack)) for p in demo_pack.glob("*/*.pdf")) == sorted(DEMO_PDFS)  # the reports


@pytest.mark.parametrize("name", DEMO_PDFS)
def test_demo_pack_pagination(demo_pack, name):
    """No pagination problem, read from one parse of the PDF; and against a vacuous pass, every report's headings
    and tables are recognised."""
    pages = read_layout(demo_pack / name)
    headings = [h.text for p in pages for h in p.headings]
    assert headings[0].startswith(("QIPP", "System Financial Recovery Plan", "RightCare")), name
    assert any(re.match(r"1\. ", h) for h in headings), name
    assert sum(len(p.tables) for p in pages) >= 2, name
    assert [str(p) for p in layout_problems(demo_pack / name, pages)] == []


@pytest.fixture(scope="module")
def browser():
    if NO_BROWSER:
        pytest.skip(f"accessibility check cannot run: {NO_BROWSER}")
    with checks.chromium() as b:
        yield b


@needs_browser
@pytest.mark.parametrize("name", DEMO_HTML)
def test_demo_pack_accessibility(demo_pack, browser, name):
    assert [str(v) for v in check_html_accessibility(demo_pack / name, browser=browser)] == []


@pytest.mark.parametrize("name", DEMO_PDFS)
def test_demo_pack_charts_are_described_and_pdfs_tagged(demo_pack, name):
    """Every chart has alternative text built from its data (never nbconvert's placeholder); every PDF is
    tagged (PDF/UA-1) with its title and language."""
    html = (demo_pack / name.removesuffix(".pdf")).with_suffix(".html").read_text(encoding="utf-8")
    images = re.findall(r"<img [^>]*>", html)
    assert images, name
    for img in images:
        alt = re.search(r'alt="([^"]*)"', img)
        assert alt and re.match(r"(Bar|Stacked bar|Line|Waterfall|XmR|Dot) chart|Heatmap:", alt.group(1)), img[:200]
        assert re.search(r"\d", alt.group(1)), "the description gives figures"
    reader = PdfReader(demo_pack / name)
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB" and "/StructTreeRoot" in root and reader.metadata.title
