"""End to end: `qipp run` renders circulated HTML, PDF and xlsx from ingested data."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from typer.testing import CliRunner

from qipp_helpers.cli import app

from .conftest import ROOT


@pytest.fixture(scope="module")
def rendered(demo_data_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    result = CliRunner().invoke(app, [
        "run", "--fin-year", "2019-20", "--month", "6", "--org", "LLR", "--org", "ELR",
        "--data-dir", str(demo_data_dir), "--out", str(out), "--notebooks-dir", str(ROOT / "notebooks"),
        "--jobs", "2"])
    assert result.exit_code == 0, result.output
    assert "2 rendered, 0 skipped, 0 failed" in result.output
    return out / "2019-20" / "M06"


def test_outputs_exist(rendered):
    for org in ("LLR", "ELR"):
        for ext in ("ipynb", "html", "pdf", "xlsx"):
            assert (rendered / org / f"monthly_position.{ext}").stat().st_size > 1000, (org, ext)


def test_html_is_clean_and_self_contained(rendered):
    html = (rendered / "LLR" / "monthly_position.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", html)
    for leak in ("In [", "Traceback", "Warning", "warn(", "from qipp_helpers", "report = ", "<script src"):
        assert leak not in text and leak not in html, leak
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["']?https?:""", html)
    assert html.count("data:image/png;base64") >= 4  # the charts are embedded
    # figures of Paper D reach the page, formatted as the paper prints them
    for figure in ("(47,313)", "(65,302)", "(10,989)", "(16,768)", "(1,973)", "517"):
        assert figure in text, figure
    assert "Reconciliation warnings" in text and "(22,378)" in text  # the WL gap is said, not hidden
    assert "synthetic" in text and "published: Paper D Appendix 4" in text


def test_pdf_is_a4_landscape_with_every_section(rendered):
    reader = PdfReader(rendered / "LLR" / "monthly_position.pdf")
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape
    assert round(float(box.width)) == 842  # A4
    text = "\n".join(p.extract_text() for p in reader.pages)
    for heading in ("Executive summary", "Table 1", "Table 2", "Table 5", "Appendix 1", "Provenance"):
        assert heading in text, heading
    assert f"Page 1 of {len(reader.pages)}" in text
    assert "Traceback" not in text and "In [" not in text


def test_xlsx_sheets_columns_and_totals(rendered):
    wb = load_workbook(rendered / "LLR" / "monthly_position.xlsx", read_only=True)
    expected = {
        "ytd_by_workstream": ["workstream", "plan", "deliveries", "variance", "pct_of_target_achieved"],
        "fot_by_workstream": ["workstream", "plan", "fot", "variance", "monthly_movement"],
        "fot_by_rag": ["programme_area", "green", "amber", "red", "completed", "total", "assured"],
        "red_schemes": None,
        "schemes": None,
    }
    for sheet, columns in expected.items():
        rows = list(wb[sheet].iter_rows(values_only=True))
        if columns:
            assert list(rows[0]) == columns, sheet
        assert "Total" in rows[-1][:2], sheet
    fot = {r[0]: r for r in wb["fot_by_workstream"].iter_rows(values_only=True)}
    assert fot["Total"][1] == pytest.approx(-65302)  # signs as in the paper: savings negative
    assert fot["Total"][4] == pytest.approx(517)
    assert fot["Unidentified"][1] == pytest.approx(-10989)


def test_org_without_data_is_skipped_not_failed(demo_data_dir, tmp_path):
    result = CliRunner().invoke(app, [
        "run", "--fin-year", "2019-20", "--month", "7", "--org", "ELR", "--data-dir", str(demo_data_dir),
        "--out", str(tmp_path), "--notebooks-dir", str(ROOT / "notebooks")])
    assert result.exit_code == 1
    assert "skipped ELR: no 2019-20 M7 returns for ELR" in result.output
