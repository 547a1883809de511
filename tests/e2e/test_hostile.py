"""Text from returns is inert everywhere: in workbooks the product writes (templates, every sheet), in HTML, PDF
and charts. Names that look like formulas, Markdown links, web addresses, HTML or mathtext stay plain text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from typer.testing import CliRunner

from qipp_helpers.cli import app
from qipp_helpers.ingest.layouts import ingest_files
from qipp_helpers.ingest.sro_return import write_template
from qipp_helpers.store.db import load_returns
from qipp_helpers.synthetic.workbooks import write_dashboard

from ..conftest import run_args

HOSTILE = {
    "1.1": "[js](javascript:alert(1))",
    "1.2": "$\\frac{$ saving of $500",
    "2.1": "<script>alert('x')</script> & <b>bold</b>",
    "2.2": "=cmd|' /C calc'!A0",
    "3.1": "see https://evil.example/x and www.evil.example",
}
MILESTONE = "+SUM(1,2) @risk -1 **bold** _it_ `code`"


@pytest.fixture(scope="module")
def hostile_data(tmp_path_factory: pytest.TempPathFactory, returns) -> Path:
    """ELR's M6 rows with hostile scheme names and descriptors, and an About sheet linking somewhere."""
    data = tmp_path_factory.mktemp("hostile")
    rows = returns[(returns["month"] == 6) & (returns["org"] == "ELR")].copy()
    for no, name in HOSTILE.items():
        rows.loc[rows["scheme_no"] == no, "scheme_name"] = name
    rows.loc[rows["scheme_no"] == "1.1", "milestones"] = MILESTONE
    path = data / "hostile.xlsx"
    write_dashboard(
        path, {"ELR": rows}, about={"ELR": "published: see [the paper](https://example.org/paper) www.x.org"}
    )
    ingest_files([path], "2019-20", 6, data)
    return data


def test_hostile_text_is_stored_exactly(hostile_data: Path):
    stored = load_returns(hostile_data)
    assert set(HOSTILE.values()) <= set(stored["scheme_name"])
    assert MILESTONE in set(stored["milestones"])


def test_the_template_writes_no_formula_in_any_sheet_and_reads_the_text_back(hostile_data: Path, tmp_path: Path):
    path = tmp_path / "ELR_return.xlsx"
    write_template(load_returns(hostile_data), fin_year="2019-20", month=7, org="ELR", path=path)
    wb = load_workbook(path)  # formulas as written, not cached values
    texts = []
    for ws in wb.worksheets:  # visible, hidden and very hidden
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
                    assert not cell.value.startswith(("=", "+", "-", "@")), (ws.title, cell.coordinate, cell.value)
    assert "'=cmd|' /C calc'!A0" in texts and "'" + MILESTONE in texts
    assert {"Last month", "qipp_template"} <= {ws.title for ws in wb.worksheets if ws.sheet_state != "visible"}


@pytest.fixture(scope="module")
def rendered(hostile_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("out")
    result = CliRunner().invoke(
        app, run_args(hostile_data, out, notebook="monthly_position,under_delivery_drivers", formats="html,pdf,xlsx")
    )
    assert result.exit_code == 0, result.output  # no report fails on mathtext, markup or formulas
    return out / "2019-20" / "M06" / "ELR"


@pytest.mark.parametrize("name", ["monthly_position", "under_delivery_drivers"])
def test_html_has_no_link_script_or_markup_from_returns(rendered: Path, name: str):
    page = (rendered / f"{name}.html").read_text(encoding="utf-8")
    hrefs = re.findall(r'href="([^"]*)"', page)
    # only the report's own anchors, and the way back to the month's front page
    assert all(h.startswith("#") or h == "../index.html" for h in hrefs), hrefs
    assert "<script>alert" not in page and "<b>bold</b>" not in page
    assert "javascript:alert" not in page.replace("&#58;", ":").split("<body", 1)[0]  # not in the head
    assert not re.search(r"<a [^>]*javascript", page)


@pytest.mark.parametrize("name", ["monthly_position", "under_delivery_drivers"])
def test_pdf_has_no_link_annotations_from_returns(rendered: Path, name: str):
    reader = PdfReader(rendered / f"{name}.pdf")
    uris = []
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            action = annot.get_object().get("/A")
            if action is not None and action.get_object().get("/URI"):
                uris.append(action.get_object()["/URI"])
    assert uris == []


def test_xlsx_keeps_formula_text_as_text(rendered: Path):
    wb = load_workbook(rendered / "monthly_position.xlsx")
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and "cmd|" in cell.value:
                    assert cell.data_type != "f" and not cell.value.startswith("=")
