"""The QAG pack's report objects against Paper D: the system view (Tables 1, 2 and 4 per CCG), the
executive summary by programme area, commentary beside drivers, movements and red-rated schemes,
and the control-total adjustments, on by default and one switch away from the returns as received.

The report objects are built as the notebooks build them: stored returns, warnings, adjustments and
commentary of the demo data folder (``conftest.demo_data_dir``, ingested through the real ingest).
"""

from __future__ import annotations

import pytest

from qipp_helpers.report import blocks
from qipp_helpers.report.drivers import tables as drivers_tables
from qipp_helpers.report.drivers.model import under_delivery
from qipp_helpers.report.position import tables as position_tables
from qipp_helpers.report.position.model import monthly_position
from qipp_helpers.report.summary import headlines

from ..books import workbook_of
from ..oracle.paper_d_published import TABLE1_YTD, TABLE2_FOT, TABLE3_MOVEMENT, TABLE4_DRIVERS

FY = "2019-20"
TOL = {"ELR": 3.0, "WL": 3.0, "LC": 3.0, "LLR": 5.0}
#: The sentence under every table the WL CHC adjustment touches (Table 2's measures).
WL_NOTE = (
    "Includes an adjustment of (664) annual plan and (374) forecast out-turn to WL CHC: a Continuing "
    "Healthcare line in the LLR dashboard missing from WL's own return."
)


@pytest.fixture(scope="module")
def stored(returns, warnings, adjustments, commentary):
    return {"returns": returns, "warnings": warnings, "adjustments": adjustments, "commentary": commentary}


def _report(build, stored, org="LLR", **kw):
    """``build`` (monthly_position or under_delivery) for ``org`` at M6 from the stored demo data."""
    return build(
        stored["returns"],
        stored["warnings"],
        fin_year=FY,
        month=6,
        org=org,
        adjustments=stored["adjustments"],
        commentary=stored["commentary"],
        **kw,
    )


def _mp(stored, org="LLR", **kw):
    return _report(monthly_position, stored, org, **kw)


def _ud(stored, org="LLR", **kw):
    return _report(under_delivery, stored, org, **kw)


@pytest.fixture(scope="module")
def llr(stored):
    return _mp(stored)


@pytest.fixture(scope="module")
def llr_drivers(stored):
    return _ud(stored)


# --- the system view ------------------------------------------------------------------------------


def test_system_table1_is_paper_d_table1_per_ccg_column(llr):
    assert llr.system_orgs == ["ELR", "WL", "LC", "LLR"]  # East, West, City, LLR, as printed
    got = llr.system_ytd().set_index("workstream")
    assert list(got.index) == list(TABLE1_YTD)
    for ws, by_org in TABLE1_YTD.items():
        for org, (plan, deliveries, variance, pct) in by_org.items():
            p = org.lower()
            assert got.at[ws, f"{p}_plan"] == pytest.approx(plan, abs=TOL[org]), (ws, org)
            assert got.at[ws, f"{p}_deliveries"] == pytest.approx(deliveries, abs=TOL[org]), (ws, org)
            assert got.at[ws, f"{p}_variance"] == pytest.approx(variance, abs=TOL[org]), (ws, org)
            pct_tol = 0.006 if ws == "Total" else 0.0011
            assert got.at[ws, f"{p}_pct_of_target_achieved"] == pytest.approx(pct, abs=pct_tol), (ws, org)


def test_system_table2_is_paper_d_table2_per_ccg_column(llr):
    got = llr.system_fot().set_index("workstream")
    assert list(got.index) == list(TABLE2_FOT)
    for ws, by_org in TABLE2_FOT.items():
        for org, printed in by_org.items():
            p = org.lower()
            cols = [f"{p}_plan", f"{p}_fot", f"{p}_variance", f"{p}_monthly_movement"]
            for col, value in zip(cols, printed, strict=True):
                assert got.at[ws, col] == pytest.approx(value, abs=TOL[org]), (ws, col)


def test_system_table4_is_paper_d_table4_per_ccg_column(llr_drivers):
    assert llr_drivers.orgs == ["LLR", "ELR", "WL", "LC"]  # Table 4's column order
    got = llr_drivers.drivers.set_index("item")
    assert list(got.index) == list(TABLE4_DRIVERS)
    for item, printed in TABLE4_DRIVERS.items():
        for org, value in zip(llr_drivers.orgs, printed, strict=True):
            assert got.at[item, org] == pytest.approx(value, abs=TOL[org]), (item, org)
    sheets = workbook_of(llr_drivers)
    assert [c.header for c in sheets["drivers"].columns] == ["Scheme group", "Section", "LLR", "ELR", "WL", "LC"]


def test_system_tables_reach_the_xlsx_and_the_page(llr):
    sheets = workbook_of(llr)
    old = ["ytd_by_workstream", "fot_by_workstream", "fot_by_rag", "red_schemes", "schemes"]
    assert [n for n in sheets if n in old] == old  # new sheets are added after the existing ones
    assert list(sheets).index("schemes") < list(sheets).index("ytd_by_workstream_by_org")
    assert {"ytd_by_workstream_by_org", "fot_by_workstream_by_org", "executive_summary", "adjustments"} <= set(sheets)
    fot = sheets["fot_by_workstream_by_org"].frame.set_index("workstream")
    assert fot.at["Total", "wl_plan"] == pytest.approx(-22378) and fot.at["Total", "llr_fot"] == pytest.approx(-47688)
    html = position_tables.table2(llr).to_html()
    for org in ("ELR", "WL", "LC", "LLR"):
        assert f">{org}<" in html
    assert "(22,378)" in html and "(65,963)" in html and "(47,688)" in html


def test_a_single_ccg_report_stays_as_it_is(stored):
    elr = _mp(stored, "ELR")
    assert elr.system_orgs == [] and elr.programme is None
    assert [n for n in workbook_of(elr)][:5] == [
        "ytd_by_workstream",
        "fot_by_workstream",
        "fot_by_rag",
        "red_schemes",
        "schemes",
    ]
    assert "ytd_by_workstream_by_org" not in workbook_of(elr)
    assert "Plan" in position_tables.table1(elr).to_html() and ">WL<" not in position_tables.table1(elr).to_html()


# --- the executive summary by programme area ---------------------------------------------------------


def test_executive_summary_reproduces_the_published_totals(llr):
    total = llr.programme.set_index("programme_area").loc["Total"]
    got = {c: round(-total[c]) for c in ("qipp_target", "pipeline", "design", "developed", "ytd_plan")}
    got |= {c: round(-total[c]) for c in ("ytd_achieved", "fot")}
    assert got == {
        "qipp_target": 65963,
        "pipeline": 11942,
        "design": 5918,
        "developed": 48103,
        "ytd_plan": 31514,
        "ytd_achieved": 22943,
        "fot": 47688,
    }
    assert round(100 * total["pct_developed"]) == 73
    ratings = dict(zip(llr.programme["programme_area"], llr.programme["risk_rating"], strict=True))
    assert ratings["Unidentified"] == "High Risk" and ratings["Continuing Care services"] == "Low Risk"


def test_executive_summary_says_how_areas_and_stages_were_assigned(llr):
    basis, against = llr.programme_notes()
    assert "not fields of the returns" in basis and "fitted" in basis and "not facts about those schemes" in basis
    assert "1.2, 1.2a, 6.1, 6.2, 6.5, 6.6, 7.3" in basis  # the schemes whose area split was fitted
    assert "within £3k" in against and "target 65,963" in against and "FOT 47,688" in against
    html = position_tables.programme_table(llr).to_html()
    assert "(65,963)" in html and "(11,942)" in html and "73%" in html
    assert "Medium Risk" in position_tables.risk_rating_table(llr).to_html()


def test_risk_ratings_only_where_the_pmo_published_them(stored):
    m5 = monthly_position(
        stored["returns"], stored["warnings"], fin_year=FY, month=5, org="LLR", adjustments=stored["adjustments"]
    )
    assert (m5.programme["risk_rating"] == "").all() and m5.programme_published is None
    assert "No PMO risk ratings" in position_tables.risk_rating_table(m5).data


# --- commentary ----------------------------------------------------------------------------------------


def _texts(table, item):
    return " ".join(table.loc[table["item"] == item, "text"])


def test_commentary_beside_falls_diagnostics_and_sdec(llr_drivers):
    beside = llr_drivers.driver_commentary()
    assert "Steady Steps" in _texts(beside, "Falls")
    assert "43% reduction in activity" in _texts(beside, "Diagnostics") and "10%" in _texts(beside, "Diagnostics")
    assert "January 2020" in _texts(beside, "Same Day Emergency Care (SDEC)")
    # the group's own narrative comes before the item printed once about several groups ("explanations above")
    falls = beside[beside["item"] == "Falls"]
    assert falls["text"].iloc[0].startswith("The year to date non elective activity")
    assert falls["text"].iloc[-1].startswith("The explanations above")
    movement = llr_drivers.movement_commentary()
    assert "Steady Steps" in _texts(movement, "Falls") and "43%" in _texts(movement, "Diagnostics")
    block = drivers_tables.driver_commentary_block(llr_drivers)
    # Table 3 comes first (Paper D's order): its comments are referred to under Table 4, never printed twice
    assert "Steady Steps" not in block and block.count("Explained by their commentary under Table 3") == 1
    assert "January 2020" in block and "Commentary on Table 4" in block
    # the item Paper D prints once about several lines is printed once, under all the lines it explains
    shared = falls["text"].iloc[-1]
    assert block.count(blocks.md_text(shared)) == 1 and "See the comment" not in block
    assert "- **Diagnostics** (LLR under-delivery 876); **Falls** (692); **Community Services Redesign** (656)" in block
    assert "under-delivery narrative" not in block  # Table 4's own narrative needs no source tag
    assert "Steady Steps" in drivers_tables.movement_commentary_block(llr_drivers)
    sheet = workbook_of(llr_drivers)["driver_commentary"].frame
    assert "Steady Steps" in " ".join(sheet.loc[sheet["item"] == "Falls", "commentary"])


def test_commentary_beside_red_rated_schemes(llr):
    red = llr.red_commentary()
    assert "January 2020" in _texts(red, "1.1 Same Day Emergency Care")
    assert "Steady Steps" in _texts(red, "1.5 Falls")
    block = position_tables.red_commentary_block(llr)
    assert "Commentary on the red-rated schemes" in block
    assert "No commentary received" in block and "Children" in block  # 7.2 Children's efficiencies has none


def test_lines_without_commentary_are_listed(llr_drivers, stored):
    missing = llr_drivers.missing_commentary()
    assert list(missing["item"]) == ["S117 & AHP - 1819 FYE"]  # Unidentified QIPP is not a scheme
    assert missing["value"].iloc[0] == pytest.approx(-336, abs=TOL["LLR"])
    assert llr_drivers.missing_movement_commentary().empty  # Paper D explains every Table 3 line
    listed = "No commentary received for these lines of Table 4: S117 & AHP - 1819 FYE (offset, (336))."
    assert blocks.md_text(listed) in drivers_tables.driver_commentary_block(llr_drivers)  # shown as inert plain text
    sheet = workbook_of(llr_drivers)["driver_commentary"].frame.set_index("item")
    assert sheet.at["S117 & AHP - 1819 FYE", "commentary"] == "no commentary received"
    assert sheet.at["Unidentified QIPP", "commentary"] == "no commentary expected: not a scheme"
    # with no commentary held at all, every named driver is listed
    bare = under_delivery(stored["returns"], stored["warnings"], fin_year=FY, month=6, org="LLR")
    assert len(bare.missing_commentary()) == len(TABLE4_DRIVERS) - 3  # less Unidentified, Other, Total


def test_a_ccg_report_shows_the_system_commentary_marked_as_the_systems(stored):
    wl = _ud(stored, "WL")
    beside = wl.driver_commentary()
    pccc = beside[beside["item"] == "PCCC Budget Alignment QIPP"]
    assert (pccc["org"] == "LLR").all() and "WL CCG (£0.365m)" in pccc["text"].iloc[0]
    assert "(from LLR)" in drivers_tables.driver_commentary_block(wl)


def test_commentary_is_plain_text(stored):
    hostile = stored["commentary"].copy()
    hostile.loc[hostile["scheme_no"] == "1.5", "text"] = "[click](javascript:alert(1)) <b>bold</b> $x$ **loud**"
    r = under_delivery(
        stored["returns"],
        stored["warnings"],
        fin_year=FY,
        month=6,
        org="LLR",
        adjustments=stored["adjustments"],
        commentary=hostile,
    )
    block = drivers_tables.driver_commentary_block(r)
    assert "<b>" not in block and "](" not in block and "**loud**" not in block
    assert "&lt;b&gt;bold" in block and "&#91;click&#93;" in block


# --- adjustments: on by default, one switch away ---------------------------------------------------


def test_headline_ties_to_paper_d_and_as_received_gives_the_old_totals(stored, llr):
    h = llr.headline
    assert (h.annual_plan, h.fot, h.under_delivery, h.assured, h.movement) == pytest.approx(
        (-65963, -47688, 18275, -44840, 516), abs=1
    )
    raw = _mp(stored, as_received=True)
    g = raw.headline
    assert (g.annual_plan, g.fot, g.under_delivery, g.assured) == pytest.approx((-65302, -47313, 17989, -44465))
    assert raw.adjustments.empty and raw.received is None
    assert raw.system_fot().set_index("workstream").at["CHC", "wl_plan"] == pytest.approx(-2296 + 664)
    assert llr.received.annual_plan == pytest.approx(-65302)  # shown beside the adjusted figures
    drivers_raw = _ud(stored, as_received=True)
    assert drivers_raw.drivers.set_index("item").at["Total", "LLR"] == pytest.approx(17989)


def test_front_page_headlines_take_the_adjustments(stored):
    heads = {h["org"]: h for h in headlines(stored["returns"], FY, 6, stored["adjustments"])}
    assert heads["LLR"]["annual_plan"] == pytest.approx(-65963) and heads["LLR"]["movement"] == pytest.approx(516)
    assert heads["WL"]["adjustments"].startswith("Includes an adjustment of (664) annual plan")
    assert heads["LLR"]["provenance"] == "published"
    old = {h["org"]: h for h in headlines(stored["returns"], FY, 6)}
    assert old["LLR"]["annual_plan"] == pytest.approx(-65302) and old["LLR"]["adjustments"] == ""


def test_every_table_the_adjustment_touches_says_so(llr, llr_drivers):
    for table in ("table2", "table4"):
        note = (llr if table == "table2" else llr_drivers).adjustment_note(table)
        assert note.startswith(WL_NOTE), table
    assert llr.adjustment_note("table1").startswith(
        "Includes an adjustment of (323) YTD plan and (184) YTD delivered to WL CHC"
    )
    assert "(374) assured value" in llr.adjustment_note("table5")
    assert llr_drivers.adjustment_note("table3").startswith("Includes an adjustment of (374) forecast out-turn")
    assert "Rounding adjustments of at most £" in llr.adjustment_note("table2")
    assert llr.adjustment_note("red") == ""  # the WL CHC line is Green: Appendix 1 does not include it
    note = blocks.reconciliation_note(llr)  # under the headline, as inert text
    assert note.startswith(
        "> **Note:** " + blocks.md_text("Includes an adjustment of (664) annual plan, (323) YTD plan")
    )
    assert blocks.md_text("make the totals of ELR, LC and WL equal their printed Grand Totals.") in note


def test_the_data_quality_section_explains_the_adjustment_in_plain_words(llr):
    text = blocks.warnings_block(llr)
    assert "Control totals and adjustments" in text
    assert (
        "The LLR combined dashboard has a Continuing Healthcare line for WL that WL&#39;s own return does not have"
        in (text)
    )
    assert "LLR dashboard 4.1 Continuing Healthcare annual plan &#40;2,012&#41; minus ELR + LC rows" in text
    assert "Rounding" in text and "7 rounding adjustments" in text
    assert "(65,302)" in text  # the figures as received, beside the adjusted ones
    for blame in ("do not add up", "Reconciliation warning", "returns do not"):
        assert blame not in text, blame
    table = blocks.control_totals_table(llr).data.set_index(["Organisation", "Measure"])
    assert table.loc[("WL", "annual plan"), "Printed Grand Total"] == pytest.approx(-22378)
    assert table.loc[("WL", "annual plan"), "Scheme lines as received"] == pytest.approx(-21715)
    assert table.loc[("WL", "annual plan"), "In this report"] == pytest.approx(-22378)


def test_table3_movement_per_ccg_through_the_adjustment(llr_drivers):
    got = llr_drivers.movement.set_index("item")
    for item, by_org in TABLE3_MOVEMENT.items():
        for org, value in by_org.items():
            assert got.at[item, org] == pytest.approx(value, abs=TOL[org]), (item, org)
