"""Drivers and movement tables: they add up, honour the threshold, and say when a month is missing.

The published Tables 3 and 4 themselves are in ``tests/backtests/test_drivers.py``.
"""

from __future__ import annotations

import pandas as pd
import pytest

from qipp_helpers.analysis import drivers as d
from qipp_helpers.analysis import position as t
from qipp_helpers.core.orgs import members
from qipp_helpers.report import narrative
from qipp_helpers.report.drivers.model import under_delivery

from ..books import workbook_of


@pytest.mark.parametrize("org", ["ELR", "WL", "LC", "LLR"])
def test_drivers_add_up_to_fot_minus_plan(returns, org):
    rows = t.select(returns, "2019-20", 6, org)
    table = d.drivers_table(rows, org)
    body = table[table["section"] != "total"]
    total = table.loc[table["section"] == "total"].iloc[0]
    for col in d.shown_orgs(org):
        mine = rows[rows["org"].isin(members(col))]
        expected = mine["fot"].sum() - mine["annual_plan"].sum()
        assert body[col].sum() == pytest.approx(total[col])
        assert total[col] == pytest.approx(expected)


def test_threshold_zero_names_every_group_and_other_is_empty(returns):
    rows = t.select(returns, "2019-20", 6, "LC")
    table = d.drivers_table(rows, "LC", threshold=0)
    assert table.loc[table["item"] == "Other", "LC"].iloc[0] == pytest.approx(0)


def test_movement_without_previous_month_is_empty_and_said(returns):
    rows = t.select(returns, "2019-20", 6, "ELR")
    table = d.movement_table(rows, None, "ELR")
    assert table.empty
    assert "No previous month" in narrative.movement(table, "ELR")


def test_waterfall_runs_from_plan_to_fot(returns, warnings):
    r = under_delivery(returns, warnings, fin_year="2019-20", month=6, org="LLR")
    steps = r.drivers_waterfall()
    assert steps.iloc[0]["label"] == "Annual plan" and steps.iloc[-1]["label"] == "Forecast out-turn"
    assert steps.iloc[0]["value"] + steps.loc[steps["kind"] == "step", "value"].sum() == pytest.approx(
        steps.iloc[-1]["value"]
    )
    move = r.movement_waterfall()
    assert move.iloc[0]["value"] + move.loc[move["kind"] == "step", "value"].sum() == pytest.approx(
        move.iloc[-1]["value"]
    )


def test_xlsx_sheets_have_the_papers_shape(returns, warnings):
    sheets = workbook_of(under_delivery(returns, warnings, fin_year="2019-20", month=6, org="LLR"))
    for name in ("drivers", "fot_movement"):
        assert [c.header for c in sheets[name].columns] == ["Scheme group", "Section", "LLR", "ELR", "WL", "LC"]
        assert list(sheets[name].frame.columns) == ["item", "section", "LLR", "ELR", "WL", "LC"]
        assert sheets[name].frame.iloc[-1]["item"] == "Total" and "Total" not in set(sheets[name].data["item"])
        assert set(sheets[name].data["section"]) <= {"Driver", "Offset", "Favourable", "Adverse", "Other"}


def test_unlisted_group_is_labelled_from_its_base_scheme():
    rows = pd.DataFrame(
        {
            "scheme_no": ["10.1", "10.1a"],
            "scheme_name": ["New Thing", "New Thing Stretch"],
            "org": ["ELR", "ELR"],
            "fot": [-50.0, 0.0],
            "annual_plan": [-500.0, -100.0],
        }
    )
    table = d.drivers_table(rows, "ELR")
    assert table.iloc[0]["item"] == "New Thing" and table.iloc[0]["ELR"] == pytest.approx(550)
