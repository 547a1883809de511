"""One table model: each table is declared once (in its report's ``tables`` module, e.g.
:mod:`qipp_helpers.report.position.tables`) and both outputs, the HTML/PDF Styler and the workbook sheet,
take their headers, kinds and captions from that declaration."""

from __future__ import annotations

import re
from html import escape

import pandas as pd
import pytest
from openpyxl import load_workbook

from qipp_helpers.pack.xlsx import write_tables_xlsx
from qipp_helpers.report import realism as realism_page
from qipp_helpers.report import workstreams as workstream_page
from qipp_helpers.report.drivers import tables as drivers_tables
from qipp_helpers.report.drivers.model import under_delivery
from qipp_helpers.report.frp import tables as frp_page
from qipp_helpers.report.frp.model import frp_bridge
from qipp_helpers.report.position import tables as position_tables
from qipp_helpers.report.position.model import monthly_position
from qipp_helpers.report.rightcare import tables as rightcare_page
from qipp_helpers.report.rightcare.model import rightcare_opportunity
from qipp_helpers.report.tables import Col, TableSpec, money, per_group, text

from ..books import workbook_of


def _html_headers(styler) -> list[str]:
    return [str(c) for c in styler.data.columns]


@pytest.fixture(scope="module")
def position(returns, warnings, adjustments, commentary):
    return monthly_position(
        returns, warnings, fin_year="2019-20", month=6, org="ELR", adjustments=adjustments, commentary=commentary
    )


@pytest.fixture(scope="module")
def drivers(returns, warnings, adjustments, commentary):
    return under_delivery(
        returns, warnings, fin_year="2019-20", month=6, org="LLR", adjustments=adjustments, commentary=commentary
    )


def test_the_monthly_position_tables_take_both_outputs_headers_from_one_declaration(position):
    shown = {
        "ytd_by_workstream": position_tables.table1(position),
        "fot_by_workstream": position_tables.table2(position),
        "fot_by_rag": position_tables.table5(position),
        "red_schemes": position_tables.red_table(position),
    }
    book = workbook_of(position)
    for filled in (
        position_tables.ytd(position),
        position_tables.fot(position),
        position_tables.rag_spec(position),
        position_tables.red_spec(position),
    ):
        spec = filled.spec
        assert _html_headers(shown[spec.name]) == spec.headers("html"), spec.name
        assert [c.header for c in book[spec.name].columns] == spec.headers("xlsx"), spec.name
        assert [c.kind for c in book[spec.name].columns] == [c.kind for c in spec.columns_for("xlsx")]
        assert shown[spec.name].caption == spec.caption and book[spec.name].title == spec.title
    # every scheme line: the workbook's sheet, and (as printed) the pack's dashboards, one declaration
    schemes = position_tables.schemes(position).spec
    assert [c.header for c in book["schemes"].columns] == schemes.headers("xlsx")
    assert schemes.headers("html") == [
        "No.",
        "Scheme name",
        "Milestones",
        "Financial benefits",
        "Risk/issue",
        "Overall PMO RAG",
        "Plan YTD",
        "Actuals YTD",
        "Annual plan",
        "Revised FOT",
        "PMO assured value",
    ]
    # Tables 1 and 2 print exactly the workbook's headers; Table 5 and Appendix 1 say where the paper differs
    assert position_tables.table1(position).data.columns.tolist() == [
        c.header for c in book["ytd_by_workstream"].columns
    ]
    assert position_tables.ytd(position).spec.headers("html") == [
        "Workstream",
        "Plan",
        "Deliveries",
        "Variance",
        "% of target achieved",
    ]
    rag = position_tables.rag_spec(position).spec
    assert [h for h, x in zip(rag.headers("html"), rag.headers("xlsx"), strict=True) if h != x] == [
        "Confidence / assured"
    ]
    assert _html_headers(position_tables.red_table(position))[:6] == [
        "No.",
        "Scheme name",
        "Deliverables",
        "Milestones",
        "Total risks",
        "Issues",
    ]


def test_the_executive_summary_too(returns, warnings, adjustments, commentary):
    llr = monthly_position(
        returns, warnings, fin_year="2019-20", month=6, org="LLR", adjustments=adjustments, commentary=commentary
    )
    summary = position_tables.executive_summary(llr, llr.executive_summary_sheet())
    assert _html_headers(position_tables.programme_table(llr)) == summary.spec.headers("html")
    assert [c.header for c in workbook_of(llr)["executive_summary"].columns] == summary.spec.headers("xlsx")
    assert "FOT % of target" in summary.spec.headers("html") and "PMO risk rating" in summary.spec.headers("xlsx")
    assert "PMO risk rating" not in summary.spec.headers("html")  # printed in a table of its own


def test_the_system_tables_and_every_sheet_too(returns, warnings, adjustments, commentary, drivers):
    llr = monthly_position(
        returns, warnings, fin_year="2019-20", month=6, org="LLR", adjustments=adjustments, commentary=commentary
    )
    book = workbook_of(llr)
    for filled, styler in (
        (position_tables.ytd_by_org(llr), position_tables.table1(llr)),
        (position_tables.fot_by_org(llr), position_tables.table2(llr)),
    ):
        spec = filled.spec
        # the HTML's two-level header (a group per CCG and the system), the workbook's flat headers
        assert styler.data.columns.tolist() == spec.header_pairs()
        assert [c.header for c in book[spec.name].columns] == spec.headers("xlsx")
        assert styler.caption == spec.caption and book[spec.name].title == spec.title
        assert [g for g, _ in spec.header_pairs()][1::4] == llr.system_orgs
    assert position_tables.ytd_by_org(llr).spec.header_pairs()[1:5] == [
        ("ELR", "Plan"),
        ("ELR", "Deliveries"),
        ("ELR", "Variance"),
        ("ELR", "% of target"),
    ]
    assert position_tables.fot_by_org(llr).spec.headers("xlsx")[1:5] == [
        "ELR Plan",
        "ELR Forecast out-turn",
        "ELR Variance",
        "ELR Monthly movement",
    ]
    # every sheet but the two added after the declared ones (changes, printed reconciliation) is declared
    for report, declared in ((llr, position_tables.sheets(llr)), (drivers, drivers_tables.sheets(drivers))):
        book = workbook_of(report)
        assert [f.spec.name for f in declared] == [n for n in book if n not in ("changes", "printed_reconciliation")]
        for f in declared:
            assert [c.header for c in book[f.spec.name].columns] == f.spec.headers("xlsx"), f.spec.name
            assert [c.kind for c in book[f.spec.name].columns] == [c.kind for c in f.spec.columns_for("xlsx")]
            assert book[f.spec.name].title == f.spec.title, f.spec.name
    assert [c.header for c in workbook_of(drivers)["driver_commentary"].columns][3] == drivers.org


def test_the_drivers_frp_and_rightcare_tables_too(drivers, frp_tables, rightcare_tables, returns):
    book = workbook_of(drivers)
    for filled, styler in ((drivers_tables.drivers_spec(drivers), drivers_tables.drivers_table(drivers)),):
        assert _html_headers(styler) == filled.spec.headers("html")
        assert [c.header for c in book[filled.spec.name].columns] == filled.spec.headers("xlsx")
        assert filled.spec.headers("xlsx") == ["Scheme group", "Section", *drivers.orgs]
    frp = frp_bridge(frp_tables, fin_year="2019-20", month=6, org="LLR")
    book = workbook_of(frp)
    pairs = ((frp_page.bridge, frp_page.bridge_table), (frp_page.org_impact_spec, frp_page.org_impact_table))
    pairs += ((frp_page.frp_schemes, frp_page.frp_scheme_table),)
    for declare, render in pairs:
        spec = declare(frp).spec
        assert _html_headers(render(frp)) == spec.headers("html")
        assert [c.header for c in book[spec.name].columns] == spec.headers("xlsx")
    rc = rightcare_opportunity(rightcare_tables, returns, fin_year="2019-20", month=6, org="DDCCG")
    book = workbook_of(rc)
    pairs = (
        (rightcare_page.opportunity, rightcare_page.rightcare_table),
        (rightcare_page.by_ccg, rightcare_page.rightcare_by_ccg_table),
        (rightcare_page.benchmarks, rightcare_page.rightcare_benchmark_table),
        (rightcare_page.published, rightcare_page.rightcare_published_table),
    )
    for declare, render in pairs:
        spec = declare(rc).spec
        assert _html_headers(render(rc)) == spec.headers("html")
        assert [c.header for c in book[spec.name].columns] == spec.headers("xlsx")
        assert {c.kind for c in spec.columns_for("xlsx")} <= {"text", "gbpm", "pct"}


def test_the_forecast_realism_and_workstream_tables_too(position):
    fr = realism_page.forecast_realism(position)
    pairs = (
        (realism_page.organisation_spec, realism_page.organisation_table),
        (realism_page.programme_area_spec, realism_page.programme_area_table),
        (realism_page.workstream_spec, realism_page.workstream_table),
        (realism_page.flagged_schemes_spec, realism_page.flagged_schemes_table),
        (realism_page.schemes_spec, realism_page.schemes_table),
    )
    for declare, render in pairs:
        spec, shown = declare(fr).spec, render(fr)
        assert _html_headers(shown) == spec.headers("html") and shown.caption == spec.caption, spec.name
    book = realism_page.with_sheet(workbook_of(position), fr)
    sheet, spec = book[realism_page.SHEET], realism_page.sheet_spec(fr).spec
    assert [c.header for c in sheet.columns] == spec.headers("xlsx") and sheet.title == spec.title
    assert [c.kind for c in sheet.columns] == [c.kind for c in spec.columns_for("xlsx")]
    # one field, declared once: the page prints its multiple in words, the sheet holds the number
    multiple = realism_page.FIELDS["multiple"]
    assert multiple.html_header in realism_page.workstream_spec(fr).spec.headers("html")
    assert multiple.header in spec.headers("xlsx") and sheet.data["multiple"].dtype.kind == "f"
    assert "×" in realism_page.workstream_table(fr).to_html()

    pages = workstream_page.workstream_pages(position)
    book = workstream_page.with_sheets(workbook_of(position), pages)
    spec, shown = workstream_page.ratings_spec(pages[0]), workstream_page.ratings_table(pages[0])
    assert _html_headers(shown) == spec.headers("html") and shown.caption == escape(spec.caption, quote=False)
    sheet = book[workstream_page.SHEET]
    assert [c.header for c in sheet.columns] == spec.headers("xlsx") == ["Organisation", *spec.headers("html")]
    assert [c.kind for c in sheet.columns] == [c.kind for c in spec.columns_for("xlsx")] and sheet.title == spec.title


def test_a_figure_printed_in_words_keeps_its_number_in_the_workbook():
    spec = TableSpec(
        "words",
        (text("line", "Line"), Col("times", "Times the rate", "number", decimals=2, printed="Times", printed_as=str)),
    )
    filled = spec.fill(pd.DataFrame({"line": ["A"], "times": [1.5]}))
    html = filled.styler().to_html()
    assert ">1.5<" in html and "text-align: right" in html and _html_headers(filled.styler()) == ["Line", "Times"]
    assert filled.table().columns[1].header == "Times the rate" and filled.table().data["times"].tolist() == [1.5]


def test_a_declared_table_as_display_text_for_a_layout_that_prints_it_itself():
    """The pack's front matter prints a declared table from its headers, alignment and display text (display):
    money in brackets, % and counts by kind, blanks for what is missing, HTML-only columns read from their source."""
    spec = TableSpec(
        "shown",
        (
            text("name", "Name"),
            money("gap", "Gap"),
            Col("share", "Share", "pct"),
            Col("n", "Lines", "count"),
            text("second", "Second view", only="html", source="name"),
            text("raw", "Raw", only="xlsx"),
        ),
    )
    data = pd.DataFrame(
        {"name": ["A", None], "gap": [-1234.4, None], "share": [0.0617, None], "n": [3.0, None], "raw": [1, 2]}
    )
    shown = spec.display(data)
    assert list(shown.columns) == ["name", "gap", "share", "n", "second"]
    assert shown.iloc[0].tolist() == ["A", "(1,234)", "6.2%", "3", "A"]
    assert shown.iloc[1].tolist() == ["", "–", "–", "", ""]
    assert [c.key for c in spec.columns_for("html") if c.numeric] == ["gap", "share", "n"]


def test_a_table_declared_once_appears_in_both_outputs(tmp_path):
    spec = TableSpec(
        "new_table",
        (
            text("area", "Programme area"),
            money("saving", "Saving"),
            Col("share", "Share of plan", "pct"),
            text("code", "Code", only="xlsx"),
            text("area_note", "Printed note", only="html", source="area"),
        ),
        caption="New table: savings by area (£000)",
        title="A new table's sheet title (£000).",
        label="area",
    )
    data = pd.DataFrame(
        {
            "area": ["Planned care", "Prescribing", "Total"],
            "saving": [-1234.0, 500.0, -734.0],
            "share": [0.25, 0.1, 0.35],
            "code": ["PC", "RX", ""],
        }
    )
    filled = spec.fill(data)
    html = filled.styler().to_html()
    assert _html_headers(filled.styler()) == ["Programme area", "Saving", "Share of plan", "Printed note"]
    for shown in ("Programme area", "Saving", "Share of plan", "(1,234)", "500", "25.0%", "New table: savings by"):
        assert shown in html
    assert "Code" not in html and "PC" not in html
    assert "font-weight: bold" in html  # the Total row
    path = tmp_path / "new.xlsx"
    write_tables_xlsx(path, {spec.name: filled.table()})
    ws = load_workbook(path)[spec.name]
    assert [ws.cell(1, i).value for i in range(1, 5)] == ["Programme area", "Saving", "Share of plan", "Code"]
    assert ws.cell(2, 2).value == -1234 and ws.cell(3, 4).value == "RX"
    cached = load_workbook(path, data_only=True)[spec.name]
    total_row = next(r for r in range(2, 10) if cached.cell(r, 1).value == "Total")
    assert cached.cell(total_row, 2).value == -734
    assert filled.table().title == spec.title


def test_column_groups_print_a_two_level_header_and_write_flat_headers(tmp_path):
    spec = TableSpec(
        "by_org",
        (
            text("area", "Area"),
            *per_group(["AB", "CD"], (money("plan", "Plan"), money("fot", "FOT out-turn", printed="FOT"))),
        ),
        caption="By organisation (£000)",
        title="A grouped sheet (£000).",
        label="area",
    )
    data = pd.DataFrame(
        {
            "area": ["One", "Two", "Total"],
            "ab_plan": [-100.0, -50.0, -150.0],
            "ab_fot": [-80.0, -40.0, -120.0],
            "cd_plan": [-10.0, -5.0, -15.0],
            "cd_fot": [-8.0, -4.0, -12.0],
        }
    )
    filled = spec.fill(data)
    styler = filled.styler()
    assert styler.data.columns.tolist() == [("", "Area"), ("AB", "Plan"), ("AB", "FOT"), ("CD", "Plan"), ("CD", "FOT")]
    html = styler.to_html()
    assert 'class="qipp-table qipp-system"' in html and "font-size: 7pt" in html and "(150)" in html
    ruled = {
        c
        for sel, props in re.findall(r"([^{}]+)\{([^}]*)\}", html)
        if "border-left" in props
        for c in re.findall(r"_col(\d+)", sel)
    }
    assert ruled == {"1", "3"}  # a rule before each group's first column
    assert "font-weight: bold" in html  # the Total row
    assert spec.headers("xlsx") == ["Area", "AB Plan", "AB FOT out-turn", "CD Plan", "CD FOT out-turn"]
    path = tmp_path / "grouped.xlsx"
    write_tables_xlsx(path, {spec.name: filled.table()})
    ws = load_workbook(path)[spec.name]
    assert [ws.cell(1, i).value for i in range(1, 6)] == spec.headers("xlsx")


def test_a_column_kind_or_output_that_is_not_known_is_refused():
    with pytest.raises(ValueError, match="kind"):
        Col("x", "X", "pounds")
    with pytest.raises(ValueError, match="only"):
        Col("x", "X", only="pdf")
