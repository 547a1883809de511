"""End to end: `qipp run` renders circulated HTML, PDF and xlsx from ingested data."""

from __future__ import annotations

import re
import shutil

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from typer.testing import CliRunner

from qipp_helpers.cli import app

from ..conftest import ROOT
from ..workbook_checks import check_workbook, not_added


@pytest.fixture(scope="module")
def rendered(default_pack, demo_data_dir, tmp_path_factory):
    """The default pack (every organisation's reports, rendered once per test run: conftest's `default_pack`),
    copied, then the wholly synthetic RightCare reports of LLR and ELR added to it by a run for that notebook alone
    (``--include-illustrative``, issue 25): the month folder, whose manifest now lists both runs' reports."""
    out = tmp_path_factory.mktemp("reports")
    shutil.copytree(default_pack.parent.parent, out, dirs_exist_ok=True)
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--fin-year",
            "2019-20",
            "--month",
            "6",
            "--org",
            "LLR",
            "--org",
            "ELR",
            "--notebook",
            "rightcare_opportunity",
            "--data-dir",
            str(demo_data_dir),
            "--out",
            str(out),
            "--notebooks-dir",
            str(ROOT / "notebooks"),
            "--jobs",
            "1",
            "--marking",
            "OFFICIAL-SENSITIVE",
            "--include-illustrative",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "2 rendered, 0 unchanged, 0 skipped, 0 failed" in result.output
    return out / "2019-20" / "M06"


def test_outputs_exist(rendered):
    for org, name in [
        ("LLR", "monthly_position"),
        ("ELR", "monthly_position"),
        ("LLR", "under_delivery_drivers"),
        ("ELR", "under_delivery_drivers"),
        ("LLR", "frp_bridge"),
        ("LLR", "rightcare_opportunity"),
    ]:
        for ext in ("ipynb", "html", "pdf", "xlsx"):
            assert (rendered / org / f"{name}.{ext}").stat().st_size > 1000, (org, name, ext)
    assert not (rendered / "ELR" / "frp_bridge.ipynb").exists()


def _text(path):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", path.read_text(encoding="utf-8")))


def test_drivers_report_reads_like_table3_and_table4(rendered):
    html = (rendered / "LLR" / "under_delivery_drivers.html").read_text(encoding="utf-8")
    text = _text(rendered / "LLR" / "under_delivery_drivers.html")
    for phrase in (
        "Main drivers of under delivery &gt;£300k:",
        "Offset by:",
        "Unidentified QIPP 10,989 6,166 4,823 0",
        "S117 &amp; AHP - 1819 FYE (336) 0 0 (336)",
        "Favourable movements:",
        "Adverse movements:",
        "Diagnostics 876 292 292 292",
        "Forecast under-delivery of £18.275m",  # with the WL CHC adjustment, as Paper D
    ):
        assert phrase in text, phrase
    assert html.count("data:image/png;base64") >= 2  # both waterfalls
    for leak in ("Traceback", "Warning", "In [", "report = "):
        assert leak not in text, leak
    pdf = PdfReader(rendered / "LLR" / "under_delivery_drivers.pdf")
    ptext = "\n".join(p.extract_text() for p in pdf.pages)
    assert "Table 4" in ptext and "Table 3" in ptext and f"Page 1 of {len(pdf.pages)}" in ptext
    wb = load_workbook(rendered / "LLR" / "under_delivery_drivers.xlsx", data_only=True)
    rows = list(wb["drivers"].iter_rows(values_only=True))
    assert list(rows[0]) == ["Scheme group", "Section", "LLR", "ELR", "WL", "LC"] and rows[-1][0] == "Total"
    assert rows[-1][2] == pytest.approx(18275, abs=5) and rows[-2] == (None,) * 6  # Table 4 total, under a blank row
    assert list(wb["fot_movement"].iter_rows(values_only=True))[-1][2] == pytest.approx(516, abs=1)


def test_frp_report_shows_the_bridge_and_the_printed_errors(rendered):
    text = _text(rendered / "LLR" / "frp_bridge.html")
    for phrase in (
        "Consistent position before FRP (33,881)",
        "FRP schemes 20,619",
        "Revised forecast position after FRP (13,262)",
        "Organisation impact of all items (11,173)",
        "Leicester City CCG 6,737",
        "Printed figures that do not add up (3)",
        "Grand Total Forecast Movement (12,776) (7,926) (4,850)",
    ):
        assert phrase in text, phrase
    pdf = PdfReader(rendered / "LLR" / "frp_bridge.pdf")
    assert "Table 6" in "\n".join(p.extract_text() for p in pdf.pages)
    wb = load_workbook(rendered / "LLR" / "frp_bridge.xlsx", data_only=True)
    bridge = {r[0]: r[2] for r in wb["bridge"].iter_rows(values_only=True)}
    assert bridge["Revised forecast position after FRP"] == -13262
    assert bridge["Organisation impact of all items"] == -11173
    assert list(wb["organisation_impact"].iter_rows(values_only=True))[-1] == ("Total", -11173)


def test_html_is_clean_and_self_contained(rendered):
    html = (rendered / "LLR" / "monthly_position.html").read_text(encoding="utf-8")
    text = re.sub(r"<[^>]+>", " ", html)
    for leak in ("In [", "Traceback", "Warning", "warn(", "from qipp_helpers", "report = ", "<script src"):
        assert leak not in text and leak not in html, leak
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["']?https?:""", html)
    assert html.count("data:image/png;base64") >= 4  # the charts are embedded
    # figures of Paper D reach the page, formatted as the paper prints them
    for figure in ("(47,688)", "(65,963)", "(10,989)", "(16,768)", "(1,973)", "516", "(44,840)"):
        assert figure in text, figure
    # the WL gap is said, not hidden: the adjustment is named under the headline and explained in section 6
    assert "Includes an adjustment of (664) annual plan" in text and "Control totals and adjustments" in text
    assert "(22,378)" in text and "(65,302)" in text  # WL's printed total; LLR's plan as received
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
    wb = load_workbook(rendered / "LLR" / "monthly_position.xlsx", data_only=True)
    expected = {
        "ytd_by_workstream": ["Workstream", "Plan", "Deliveries", "Variance", "% of target achieved"],
        "fot_by_workstream": ["Workstream", "Plan", "Forecast out-turn", "Variance", "Monthly movement"],
        "fot_by_rag": [
            "Programme area",
            "Green",
            "Amber",
            "Red",
            "(Completed)",
            "Grand total",
            "PMO assured value",
        ],
        "red_schemes": None,
        "schemes": None,
    }
    for sheet, columns in expected.items():
        rows = list(wb[sheet].iter_rows(values_only=True))
        if columns:
            assert list(rows[0]) == columns, sheet
        assert "Total" in rows[-1][:2], sheet
        assert all(v is None for v in rows[-2]), sheet  # a blank row keeps the total out of the data
    fot = {r[0]: r for r in wb["fot_by_workstream"].iter_rows(values_only=True)}
    assert fot["Total"][1] == pytest.approx(-65963)  # signs as in the paper: savings negative
    assert fot["Total"][4] == pytest.approx(516)
    assert fot["Unidentified"][1] == pytest.approx(-10989)
    ytd = {r[0]: r for r in wb["ytd_by_workstream"].iter_rows(values_only=True)}
    assert ytd["Total"][4] == pytest.approx(22943 / 65963, abs=0.0005)  # % of target achieved: of the annual plan
    schemes = wb["schemes"]
    assert schemes.auto_filter.ref == f"A1:N{schemes.max_row - 2}" and schemes.freeze_panes == "D2"
    assert schemes.max_row - 3 > 100  # every scheme line of LLR, filterable


def test_every_workbook_is_usable_by_an_analyst(rendered):
    """Every report's xlsx: pandas and openpyxl read it, human headers, money columns add up to live SUM totals."""
    books = sorted(rendered.rglob("*.xlsx"))
    assert len(books) == 12  # the default pack's ten reports and the two illustrative RightCare reports
    for path in books:
        frames = check_workbook(path, unsummed=not_added)
        notes = dict(zip(frames["notes"]["Note"], frames["notes"]["Detail"], strict=False))
        assert notes["Protective marking"] == "OFFICIAL-SENSITIVE", path
        assert notes["Period"] == "Month 6 2019/20 (September 2019)", path
        assert re.fullmatch(r"store version \d+, committed .+", notes["Data version"]), path
        assert "Units and signs" in notes and "Provenance" in notes, path
        assert "banner" not in " ".join(frames["notes"]["Note"]) and "see section" not in str(notes), path
    notes = check_workbook(rendered / "LLR" / "monthly_position.xlsx")["notes"]
    warned = notes.loc[notes["Note"] == "Reconciliation warning", "Detail"].tolist()
    assert any("WL dashboard Grand Total for Annual Plan is (22,378)" in w for w in warned)
    head = pd.read_excel(rendered / "LLR" / "monthly_position.xlsx", sheet_name="headline").set_index("Measure")
    assert head.loc["SRO forecast out-turn (FOT)", "Value"] == pytest.approx(-47688, abs=5)
    assert head.loc["Forecast under-delivery (FOT − plan; positive = short of plan)", "Value"] == pytest.approx(
        18275, abs=5
    )
    frp = pd.read_excel(rendered / "LLR" / "frp_bridge.xlsx", sheet_name="notes")
    assert "a deficit is negative and FRP savings are positive" in " ".join(frp["Detail"])


def test_org_without_data_is_skipped_not_failed(demo_data_dir, tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--fin-year",
            "2019-20",
            "--month",
            "7",
            "--org",
            "ELR",
            "--data-dir",
            str(demo_data_dir),
            "--out",
            str(tmp_path),
            "--notebooks-dir",
            str(ROOT / "notebooks"),
            "--notebook",
            "monthly_position",
        ],
    )  # RightCare data is held per year, so that notebook would render
    assert result.exit_code == 1
    assert "skipped monthly_position M7 for ELR: no 2019-20 M7 returns for ELR" in result.output


NOTEBOOKS = ("monthly_position", "under_delivery_drivers")


def test_index_and_manifest(rendered):
    import json

    manifest = json.loads((rendered / "manifest.json").read_text())
    assert manifest["fin_year"] == "2019-20" and manifest["month"] == 6 and manifest["qipp_helpers"]
    assert {(r["notebook"], r["org"], r["status"]) for r in manifest["reports"]} == {
        *((notebook, org, "ok") for org in ("LLR", "ELR", "WL", "LC") for notebook in NOTEBOOKS),
        ("frp_bridge", "LLR", "ok"),
        ("rightcare_opportunity", "DDCCG", "ok"),
        ("rightcare_opportunity", "LLR", "ok"),  # added by the second run: the default pack's reports kept
        ("rightcare_opportunity", "ELR", "ok"),
    }
    skipped = {(s["notebook"], s["org"]): s["reason"] for s in manifest["skipped"] if s["month"] == 6}
    for org in ("ELR", "WL", "LC"):
        assert skipped["frp_bridge", org] == "the FRP is held for the system (LLR), not for a single organisation"
    assert skipped["monthly_position", "DDCCG"] == "no QIPP returns are held for it (a RightCare or FRP organisation)"
    assert ("rightcare_opportunity", "WL") in skipped and ("rightcare_opportunity", "LLR") not in skipped
    assert all(len(h) == 64 for h in manifest["inputs"].values()) and "processed/returns.parquet" in manifest["inputs"]
    assert all(r["seconds"] > 0 and r["input_hash"] for r in manifest["reports"])
    index = (rendered / "index.html").read_text()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", index))
    assert "OFFICIAL-SENSITIVE" in text and "QIPP Assurance Group pack" in text
    assert "LLR/monthly_position.pdf" in index and "LLR/frp_bridge.html" in index
    assert "(65,963) (47,688) 18,275 (44,840) 516" in text  # LLR headline: plan, FOT, under delivery, assured
    assert "Reconciliation warnings" in text and "(22,378)" in text
    assert "the FRP is held for the system" in text
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["']?https?:""", index)


def test_every_pdf_page_carries_org_period_provenance_and_marking(rendered):
    pdf = PdfReader(rendered / "LLR" / "under_delivery_drivers.pdf")
    for page in pdf.pages:
        text = page.extract_text()
        assert "OFFICIAL-SENSITIVE" in text and "Month 6 2019/20" in text and "Data: M6: published" in text
        assert "(LLR)" in text and "Generated" in text


def test_xlsx_sheets_keep_the_order_the_notebook_published(rendered):
    wb = load_workbook(rendered / "LLR" / "monthly_position.xlsx", read_only=True)
    assert wb.sheetnames == [
        "notes",
        "headline",
        "ytd_by_workstream",
        "fot_by_workstream",
        "fot_by_rag",
        "red_schemes",
        "schemes",
        "ytd_by_workstream_by_org",
        "fot_by_workstream_by_org",
        "executive_summary",
        "red_scheme_commentary",
        "adjustments",
        "printed_reconciliation",  # every printed Paper D cell beside the pack's (issue 25)
        "Forecast realism",  # issue 24; no "Changes since last month" at M6: M5 is synthetic, nothing compared
        "Workstream headlines",
    ]
    drivers = load_workbook(rendered / "LLR" / "under_delivery_drivers.xlsx", read_only=True).sheetnames
    assert drivers[:4] == ["notes", "headline", "drivers", "fot_movement"]
    assert {"driver_commentary", "movement_commentary", "adjustments"} <= set(drivers)
