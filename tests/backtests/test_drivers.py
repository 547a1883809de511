"""Paper D Tables 3 and 4 reproduced from the published M6 scheme rows (and last month's returns).

Table 4 is asserted row by row, organisation by organisation, to ±£3k (LLR ±£5k: three rounded
CCG figures), with no allowance for West Leicestershire's missing CHC row: the rows carry the stored
adjustment that locates it (see test_paper_d.py).
"""

from __future__ import annotations

import pytest

from qipp_helpers.analysis import drivers as d
from qipp_helpers.analysis import position as t
from qipp_helpers.analysis.adjustments import apply_adjustments
from qipp_helpers.report.drivers.model import under_delivery

from ..oracle.paper_d_published import TABLE3_MOVEMENT, TABLE4_DRIVERS, TABLE4_OFFSETS
from .test_paper_d import TOL_ORG

ORGS = ("LLR", "ELR", "WL", "LC")


@pytest.fixture(scope="module")
def adjusted(returns, adjustments):
    return apply_adjustments(returns, adjustments)


@pytest.fixture(scope="module")
def llr_drivers(adjusted):
    return d.drivers_table(t.select(adjusted, "2019-20", 6, "LLR"), "LLR")


def test_table4_every_row_every_org(llr_drivers):
    got = llr_drivers.set_index("item")
    assert list(got.index) == list(TABLE4_DRIVERS), "rows, and their order, as the paper prints them"
    for item, printed in TABLE4_DRIVERS.items():
        for org, value in zip(ORGS, printed, strict=True):
            assert got.loc[item, org] == pytest.approx(value, abs=TOL_ORG[org]), (item, org)


def test_table4_sections_and_threshold(llr_drivers):
    sections = dict(zip(llr_drivers["item"], llr_drivers["section"], strict=True))
    assert [i for i, s in sections.items() if s == "offset"] == list(TABLE4_OFFSETS)
    named = llr_drivers[llr_drivers["section"].isin(["driver", "offset"])]
    assert (named["LLR"].abs() > 300).all()
    # stretch rows are grouped with their scheme: 3.2 + 3.2a, 2.8 + 2.8a
    groups = dict(zip(llr_drivers["item"], llr_drivers["group"], strict=True))
    assert groups["High Cost Drugs"] == "3.2" and groups["System Pathway Opportunities (Gastro & Cardio)"] == "2.8"


def test_single_ccg_chooses_on_its_own_values(returns):
    elr = d.drivers_table(t.select(returns, "2019-20", 6, "ELR"), "ELR")
    assert list(elr.columns) == ["item", "section", "group", "ELR"]
    named = elr[elr["section"].isin(["driver", "offset"])].set_index("item")["ELR"]
    assert named.to_dict() == pytest.approx(
        {"Unidentified QIPP": 6166, "Falls": 350, "System Pathway Opportunities (Gastro & Cardio)": 334, "CHC": -1091},
        abs=3,
    )
    assert (named.abs() > 300).all()


def test_table3_movement_every_row(adjusted):
    now, prev = t.select(adjusted, "2019-20", 6, "LLR"), t.select(adjusted, "2019-20", 5, "LLR")
    got = d.movement_table(now, prev, "LLR").set_index("item")
    assert set(got.index) == set(TABLE3_MOVEMENT)
    for item, by_org in TABLE3_MOVEMENT.items():
        for org, value in by_org.items():
            assert got.loc[item, org] == pytest.approx(value, abs=TOL_ORG[org]), (item, org)
    assert set(got.index[got["section"] == "favourable"]) == {"Running Costs", "Continuing Healthcare"}
    assert got.loc["Total", "LLR"] == pytest.approx(now["fot"].sum() - prev["fot"].sum())


def test_narratives_read_like_the_paper(adjusted, warnings):
    r = under_delivery(adjusted, warnings, fin_year="2019-20", month=6, org="LLR")
    text = r.drivers_narrative()
    assert text.startswith("Forecast under-delivery of £18.275m is driven mainly by Unidentified QIPP (£10.989m)")
    assert "offset by over-delivery on CHC" in text
    move = r.movement_narrative()
    assert move.startswith("The forecast out-turn has moved adversely by £0.516m since last month")
    assert "Diagnostics (£0.876m)" in move and "favourable movements on Continuing Healthcare" in move
