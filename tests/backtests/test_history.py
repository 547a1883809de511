"""Honest history: trends and SPC use only months that are not synthetic.

M1-M5 2019/20 are synthetic demonstration months; M6 is published (Paper D), and M5's forecast
out-turn is published at workstream level (M6 less Paper D Table 2's monthly movement). So the
forecast trend has two real months, in-month delivery none, and no XmR limit or special-cause
signal may come from the invented months.
"""

from __future__ import annotations

import pytest

from qipp_helpers.analysis import spc
from qipp_helpers.core.vocab import WORKSTREAMS
from qipp_helpers.report.position import charts as position_charts
from qipp_helpers.report.position.model import monthly_position

from ..oracle.paper_d_published import TABLE2_FOT
from .test_paper_d import TOL_ORG

FY = "2019-20"


@pytest.fixture(scope="module")
def llr(returns, warnings):
    return monthly_position(returns, warnings, fin_year=FY, month=6, org="LLR")


def test_real_months_of_each_measure(llr):
    assert llr.synthetic_months == [1, 2, 3, 4, 5]
    assert llr.real_months["fot"] == [5, 6]
    assert llr.real_months["actual_ytd"] == [6] and llr.real_months["annual_plan"] == [6]
    assert llr.real_months["delivered"] == []  # M6 delivery = M6 YTD less a synthetic M5 YTD
    assert llr.history_notes == [
        "M5 forecast out-turn by workstream (drawn solid): worked back from the M6 figures (M6: published) less "
        "Paper D Table 2's monthly movement"
    ]


@pytest.mark.parametrize("org", ["ELR", "WL", "LC", "LLR"])
def test_m5_forecast_is_the_published_m6_less_table2_movement(returns, warnings, org):
    r = monthly_position(returns, warnings, fin_year=FY, month=6, org=org)
    m5 = r.trends[r.trends["month"] == 5].set_index("workstream")["fot"]
    m6 = r.trends[r.trends["month"] == 6].set_index("workstream")["fot"]
    for ws, by_org in TABLE2_FOT.items():
        if ws not in WORKSTREAMS:
            continue
        _plan, _fot, _variance, movement = by_org[org]
        # M6 rows as received (WL lacks a CHC row; its movement is printed, so M5 = M6 rows - movement)
        assert m5[ws] == pytest.approx(m6[ws] - movement, abs=TOL_ORG[org] + 1), (org, ws)


def test_no_signal_or_limit_from_synthetic_months(llr):
    for measure in ("fot", "delivered"):
        for ws, tr in llr.trend_panels(measure).items():
            assert set(tr.real.index) == set(llr.real_months[measure]), (measure, ws)
            assert set(tr.synthetic.index) == set(tr.values.index) - set(llr.real_months[measure])
            assert not tr.ruled and not tr.signals.any(), (measure, ws)
    # what the old chart did: computed from all six months, Medicines Management's M6 was "less saving"
    mm = llr.trend_panels("fot")["Medicines Management"]
    assert spc.xmr(mm.values).special_cause.loc[6]
    assert not mm.signals.any()


def test_synthetic_values_cannot_move_the_real_trend(returns, warnings, llr):
    bent = returns.copy()
    fake = (bent["fin_year"] == FY) & (bent["month"] <= 4)
    bent.loc[fake, "fot"] = bent.loc[fake, "fot"] * 7 - 1000
    other = monthly_position(bent, warnings, fin_year=FY, month=6, org="LLR")
    for ws, tr in llr.trend_panels("fot").items():
        again = other.trend_panels("fot")[ws]
        assert again.real.equals(tr.real) and not again.synthetic.equals(tr.synthetic), ws


@pytest.mark.slow  # draws the charts: make test, not make test-fast
def test_charts_say_so_on_the_chart(llr):
    fig = position_charts.xmr_chart(llr.trend_panels("fot"), title="FOT", notes=llr.history_notes)
    texts = [t.get_text() for t in fig.texts]
    assert any(t.startswith("2 real months (M5, M6): too few for process limits") for t in texts)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "M1–M4: synthetic demonstration data, not returns (never used for limits or signals)" in legend
    assert "Mean" not in legend
    for ax in fig.axes[: len(WORKSTREAMS)]:
        assert not [ln for ln in ax.lines if ln.get_linestyle() == "--"], "no limits drawn"
        hollow = [c for c in ax.collections if len(c.get_offsets()) == 4]
        assert hollow and (hollow[0].get_facecolors()[:, :3] == 1).all(), "synthetic points hollow"
    trend = position_charts.fot_trend(llr.history, real=llr.real_months, notes=llr.history_notes)
    labels = [t.get_text() for t in trend.axes[0].texts]
    assert "M1–M5: synthetic demonstration data, not returns" in labels
    assert [t for t in labels if t[0].isdigit()] == ["47,830", "47,313"], "values labelled for real months only"


@pytest.mark.parametrize("org", ["ELR", "WL", "LC", "LLR"])
def test_last_months_total_forecast_is_this_months_less_the_published_movement(returns, warnings, adjustments, org):
    """The trend chart's M5 total is the one the drivers waterfall starts from (Paper D: LLR 47,688 + 516 = 48,204),
    not the sum of Table 2's rounded workstream movements (517 for LLR)."""
    r = monthly_position(returns, warnings, fin_year=FY, month=6, org=org, adjustments=adjustments)
    h = r.history.set_index("month")["fot"]
    assert round(-h.loc[5]) == round(-h.loc[6]) + round(r.headline.movement)
    if org == "LLR":
        assert (round(-h.loc[6]), round(r.headline.movement), round(-h.loc[5])) == (47688, 516, 48204)
