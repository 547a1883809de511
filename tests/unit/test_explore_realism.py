"""The explorer's forecast realism tab and trend icons follow its filters (issue 24)."""

from __future__ import annotations

import pytest

from qipp_helpers.report.explore import VarianceExplorer

pytestmark = pytest.mark.slow  # drives the explorer's widgets and draws their charts: make test, not make test-fast


@pytest.fixture(scope="module")
def explorer(returns, warnings, adjustments, commentary):
    return VarianceExplorer(returns, warnings, fin_year="2019-20", month=6, org="LLR", adjustments=adjustments)


def _line(table, label):
    return table[table["label"] == label].iloc[0]


def test_realism_tab_follows_the_filters(explorer):
    assert explorer.tabs.titles[-1] == "Forecast realism"
    total = _line(explorer.realism, "Total")
    assert total["remaining"] == pytest.approx(-24745.0) and total["actual_ytd"] == pytest.approx(-22943.0)
    assert _line(explorer.realism, "Same Day Emergency Care")["flagged"]
    assert "flagged" in explorer.realism_html.value and "Same Day Emergency Care" in explorer.realism_html.value

    explorer.workstream.value = "Urgent Care"
    total = _line(explorer.realism, "Total")
    assert total["multiple"] == pytest.approx(13.79, abs=0.01)  # Urgent Care: (2,071 - 140) / 140
    assert set(explorer.realism["workstream"]) == {"Urgent Care", ""}
    explorer.min_variance.value = 1e6
    assert explorer.realism.empty and "No scheme passes" in explorer.realism_html.value
    explorer.min_variance.value = 0.0
    explorer.workstream.value = "All"


def test_trend_icons_say_how_many_more_months_are_needed(explorer):
    # M6 (published) and M5's forecast (published through Table 2's movement): two real months of seven
    assert all(v == ("", "") for v in explorer.icons.values())
    assert "the rules need 7 real months (5 more)" in explorer.icons_html.value
