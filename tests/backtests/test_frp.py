"""The FRP bridge: Paper D Table 6 and Paper E's scheme table, from the published FRP workbook.

The bridge totals are asserted exactly (the FRP is printed in whole £000 and nothing is
rounded on the way). The printed Forecast Movement column is checked, not trusted: exactly the
three lines Paper E gets wrong are reported.
"""

from __future__ import annotations

import pytest

from qipp_helpers.report.frp.model import frp_bridge

from ..books import workbook_of
from ..oracle.paper_e_published import (
    ORG_SPLIT,
    PAPER_E_GRAND_TOTAL,
    PAPER_E_MOVEMENT_ERRORS,
    TABLE6_AFTER_FRP,
    TABLE6_FRP_GRAND_TOTAL,
    TABLE6_FRP_GROUPS,
    TABLE6_NOT_IN_FRP,
    TABLE6_NOT_IN_FRP_TOTAL,
    TABLE6_ORG_IMPACT,
    TABLE6_POSITION,
)


@pytest.fixture(scope="module")
def report(frp_tables):
    return frp_bridge(frp_tables, fin_year="2019-20", month=6, org="LLR")


def test_bridge_reproduces_table6_exactly(report):
    b = report.bridge.set_index("step")
    assert b.loc["Net Risk", "value"] == TABLE6_POSITION["Net Risk"]
    assert b.loc["Contract Triangulation", "value"] == TABLE6_POSITION["Contract Triangulation"]
    assert report.total("before_frp") == TABLE6_POSITION["Consistent Position Before FRP"] == -33881
    for group, value in TABLE6_FRP_GROUPS.items():
        assert b.loc[group, "value"] == value, group
    assert report.total("frp") == TABLE6_FRP_GRAND_TOTAL == 20619
    assert report.total("after_frp") == TABLE6_AFTER_FRP == -13262
    for start, value in TABLE6_NOT_IN_FRP.items():
        assert b.loc[next(s for s in b.index if s.startswith(start)), "value"] == value
    assert report.total("not_in_frp") == TABLE6_NOT_IN_FRP_TOTAL == 2089
    assert report.total("org_impact") == TABLE6_ORG_IMPACT == -11173


def test_organisation_split_adds_up_to_the_impact(report):
    split = report.bridge[report.bridge["section"] == "organisation"]
    assert dict(zip(split["org"], split["value"], strict=True)) == ORG_SPLIT
    assert split["value"].sum() == report.total("org_impact")


def test_table6_values_are_paper_e_balance_remaining_not_revised_forecast(report):
    groups = report.schemes[report.schemes["scheme"] == ""].set_index("group")
    assert groups.loc["Budgetary Review", "balance"] == TABLE6_FRP_GROUPS["Budgetary Review"] == 10765
    assert groups.loc["Budgetary Review", "revised"] == 11800  # Paper E's Revised Forecast, not Table 6's


def test_scheme_table_grand_total_matches_paper_e_except_the_movement(report):
    total = report.schemes.set_index("group").loc["Grand Total"]
    for col, printed in PAPER_E_GRAND_TOTAL.items():
        if col == "movement":
            assert total[col] == pytest.approx(PAPER_E_MOVEMENT_ERRORS["Grand Total"][1])  # -7,926
            assert printed == -12776
        else:
            assert total[col] == printed, col


def test_exactly_the_three_printed_errors_are_reported(report):
    got = {c.where: (c.printed, c.computed) for c in report.checks.itertuples(index=False)}
    assert got == PAPER_E_MOVEMENT_ERRORS
    assert set(report.checks["column"]) == {"Forecast Movement"}
    assert set(report.checks["source_sheet"]) == {"FRP Schemes"}


def test_waterfall_runs_from_zero_to_the_impact(report):
    steps = report.waterfall()
    level = 0.0
    for r in steps.itertuples(index=False):
        if r.kind == "total":
            assert level == pytest.approx(r.value), r.label
        level = r.value if r.kind == "total" else level + r.value
    assert steps.iloc[-1]["value"] == -11173


def test_narrative_says_the_paper_figures(report):
    text = report.narrative()
    for phrase in (
        "a deficit of £33.881m",
        "£20.619m",
        "a deficit of £13.262m",
        "a deficit of £11.173m",
        "Leicester City CCG £6.737m surplus",
        "West Leicestershire CCG (£9.622m)",
    ):
        assert phrase in text, phrase


def test_xlsx_sheets(report):
    sheets = workbook_of(report)
    assert list(sheets) == ["bridge", "organisation_impact", "schemes", "printed_vs_computed"]
    table = sheets["bridge"]
    assert [c.header for c in table.columns] == ["Step", "Section", "Revised forecast"]
    assert len(table.data) == 9  # lines only: Table 6's subtotals are total rows under them
    bridge = table.frame.set_index("step")
    assert bridge.loc["Consistent position before FRP", "value"] == -33881
    assert bridge.loc["FRP schemes", "value"] == 20619
    assert bridge.loc["Revised forecast position after FRP", "value"] == -13262
    assert bridge.loc["Organisation impact of all items", "value"] == -11173
    assert table.totals[-1].rows is None  # the impact adds up every line
    orgs = sheets["organisation_impact"].frame
    assert orgs.iloc[-1]["organisation"] == "Total" and orgs.iloc[-1]["value"] == -11173
    schemes = sheets["schemes"]
    assert schemes.frame.iloc[-1]["group"] == "Grand Total"
    assert set(schemes.data["scheme"]) - {""} == set(schemes.data["scheme"])  # scheme lines only; groups are totals
    grand = schemes.frame.iloc[-1]
    assert grand["revised"] - grand["submission"] == pytest.approx(-7926)  # c = b - a, not the printed -12,776
