"""RightCare: Derbyshire's published Table 3 reproduced, Table 4 set against it, LLR's plan from Paper D.

The indicator data is synthetic, calibrated to Table 3; the tables it must reproduce and the plan
it is set against are published (oracle: ``tests/oracle/paper_derbyshire_published.py``).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from qipp_helpers.analysis import rightcare as rc
from qipp_helpers.reference import derbyshire_table3, derbyshire_table4
from qipp_helpers.report.rightcare.model import rightcare_opportunity

from ..books import workbook_of
from ..conftest import ROOT
from ..oracle.paper_derbyshire_published import TABLE3, TABLE3_TOTAL, TABLE4, TABLE4_TOTAL

SEED = ROOT.parent / "shared" / "seeds" / "002_f488bb41e71ea0f1.txt"
COLS = ("elective", "non_elective", "prescribing", "total")


@pytest.fixture(scope="module")
def ddccg(rightcare_tables, returns):
    return rightcare_opportunity(rightcare_tables, returns, fin_year="2019-20", month=6, org="DDCCG")


@pytest.mark.parametrize("area", list(TABLE3))
def test_computed_derbyshire_opportunity_equals_table3(ddccg, area):
    row = ddccg.table.set_index("programme_area").loc[area]
    for col, printed in zip(COLS, TABLE3[area], strict=True):
        assert row[col] == pytest.approx(printed, abs=0.05), (area, col)  # rounds to the printed £0.1m
        assert round(row[col], 1) == printed, (area, col)


def test_computed_derbyshire_totals_equal_table3(ddccg):
    total = ddccg.table.set_index("programme_area").loc["Total"]
    assert [round(total[c], 1) for c in COLS] == list(TABLE3_TOTAL)  # 17.5, 26.7, 3.5, 47.7
    assert rc.compare_published(ddccg.table, derbyshire_table3())["max_difference"].max() < 0.01
    assert "£47.7m" in ddccg.narrative() and "elective £17.5m" in ddccg.narrative()


def test_derbyshire_is_four_ccgs_each_against_its_own_peers(ddccg, rightcare_tables, returns):
    assert ddccg.ccgs == ("ER", "HW", "ND", "SD")
    groups = rc.peer_groups(rightcare_tables["peers"])
    assert all(len(groups[c]) == 10 for c in ddccg.ccgs)
    assert len({tuple(sorted(groups[c])) for c in ddccg.ccgs}) == 4  # four different peer groups
    parts = [
        rightcare_opportunity(rightcare_tables, returns, fin_year="2019-20", month=6, org=c).table for c in ddccg.ccgs
    ]
    summed = sum(p.set_index("programme_area")[list(COLS)] for p in parts)
    pd.testing.assert_frame_equal(summed, ddccg.table.set_index("programme_area")[list(COLS)], atol=1e-9)


def test_derbyshire_coverage_sets_table4_against_the_opportunity(ddccg):
    cov = ddccg.coverage.set_index("qipp_programme")
    for programme, (_target, total) in TABLE4.items():
        assert cov.loc[programme, "qipp_plan"] == total
    assert cov.loc["Planned Care", "opportunity"] == pytest.approx(17.5, abs=0.01)
    assert cov.loc["Planned Care", "pct_covered"] == pytest.approx(11.0 / 17.5, abs=0.001)
    assert cov.loc["Urgent Care", "pct_covered"] == pytest.approx(5.5 / 26.7, abs=0.001)
    total = ddccg.coverage.set_index("point_of_delivery").loc["Total"]
    assert total["qipp_plan"] == pytest.approx(29.3) and total["opportunity"] == pytest.approx(47.7, abs=0.01)
    assert "Table 4" in ddccg.coverage_source
    assert "£29.3m" in ddccg.coverage_narrative() and "63%" in ddccg.coverage_narrative()


def test_llr_coverage_comes_from_the_scheme_returns(rightcare_tables, returns):
    report = rightcare_opportunity(rightcare_tables, returns, fin_year="2019-20", month=6, org="LLR")
    cov = report.coverage.set_index("qipp_programme")
    # Paper D M6 annual plans, ELR + WL + LC (savings negative in the returns, positive £m here)
    assert cov.loc["Planned Care", "qipp_plan"] == pytest.approx((2632 + 2559 + 2738) / 1000)
    assert cov.loc["Urgent Care", "qipp_plan"] == pytest.approx((827 + 970 + 1046) / 1000)
    assert cov.loc["Medicines Management", "qipp_plan"] == pytest.approx((4956 + 4811 + 4811) / 1000)
    assert report.published is None and report.coverage_provenance[0].startswith("published")
    assert all(p.startswith("synthetic") for p in report.provenance)


def test_xlsx_tables(ddccg):
    sheets = workbook_of(ddccg)
    assert list(sheets)[:2] == ["opportunity", "coverage"]
    opp = sheets["opportunity"]
    assert [c.header for c in opp.columns] == ["Programme area", "Elective", "Non-elective", "Prescribing", "Total"]
    assert [c.kind for c in opp.columns[1:]] == ["gbpm"] * 4  # £m as Table 3 prints, not rounded in the cells
    frame = opp.frame
    assert list(frame.columns) == ["programme_area", "elective", "non_elective", "prescribing", "total"]
    assert frame.iloc[-1]["programme_area"] == "Total" and round(frame.iloc[-1]["total"], 1) == 47.7
    assert len(opp.data) == len(TABLE3) and opp.totals[0].rows is None
    assert sheets["coverage"].frame.iloc[-1]["point_of_delivery"] == "Total"
    published = sheets["published_vs_computed"]
    assert {c.header: c.total_rule for c in published.columns}["Total (published)"] == "value"  # as printed
    assert published.frame.iloc[-1]["published_total"] == TABLE3_TOTAL[-1]


def test_reference_csvs_equal_the_oracle():
    t3 = derbyshire_table3().set_index("programme_area")
    for area, figures in TABLE3.items():
        assert tuple(t3.loc[area, list(COLS)]) == figures
    assert tuple(t3.loc["Total", list(COLS)]) == TABLE3_TOTAL
    t4 = derbyshire_table4().set_index("programme")
    for programme, (target, total) in TABLE4.items():
        assert (t4.loc[programme, "target"], t4.loc[programme, "total"]) == (target, total)
    assert (t4.loc["Total", "target"], t4.loc["Total", "total"]) == TABLE4_TOTAL


@pytest.mark.skipif(not SEED.exists(), reason="source paper not present")
def test_oracle_is_printed_in_the_paper():
    text = SEED.read_text(encoding="utf-8").splitlines()
    start = next(i for i, x in enumerate(text) if x.startswith("Programme Area\tElective"))
    table3 = [re.sub(r"\s+", " ", x) for x in text[start : start + 14]]
    for area, figures in [*TABLE3.items(), ("Total", TABLE3_TOTAL)]:
        printed = " ".join(f"{v:.1f}" for v in figures)
        assert any(x.startswith(area) and x.endswith(printed) for x in table3), area
    start = next(i for i, x in enumerate(text) if x.startswith("Table 4 summarises"))
    table4 = text[start : start + 25]
    for programme, (target, total) in [*TABLE4.items(), ("Total", TABLE4_TOTAL)]:
        line = next(x for x in table4 if x.split("\t")[0] == programme)
        numbers = [float(v) for v in re.findall(r"\d+(?:\.\d+)?", line)]
        assert (numbers[0], numbers[-1]) == (target, total), programme
