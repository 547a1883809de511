"""XmR charts and the Making Data Count special-cause rules, against series worked by hand."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from qipp_helpers.analysis import spc


def test_worked_example_outside_limit_and_long_run():
    # Eleven months: 4, 6 alternating for ten months, then 27.
    values = [4, 6, 4, 6, 4, 6, 4, 6, 4, 6, 27]
    # By hand:
    #   mean = (5 × 4 + 5 × 6 + 27) / 11 = 77 / 11 = 7
    #   moving ranges: nine of |6 − 4| = 2, then |27 − 6| = 21; sum 18 + 21 = 39 over 10 ranges -> 3.9
    #   limits = 7 ± 2.66 × 3.9 = 7 ± 10.374 -> upper 17.374, lower −3.374
    #   27 > 17.374: outside. The first ten points are all below 7: a run of 10 (>= 7), all flagged.
    c = spc.xmr(values)
    assert c.mean == pytest.approx(7.0)
    assert math.isnan(c.moving_range.iloc[0])
    assert c.moving_range.iloc[1:].tolist() == [2.0] * 9 + [21.0]
    assert c.mean_moving_range == pytest.approx(3.9)
    assert c.upper == pytest.approx(17.374)
    assert c.lower == pytest.approx(-3.374)
    assert c.outside.tolist() == [False] * 10 + [True]
    assert c.run.tolist() == [True] * 10 + [False]
    assert c.special_cause.all()
    assert c.side.tolist() == [-1] * 10 + [1]


def test_worked_example_run_of_seven_flagged_run_of_six_not():
    # Seven months of 8, 9 then six months of 2, 3.
    values = [8, 9, 8, 9, 8, 9, 8, 2, 3, 2, 3, 2, 3]
    # By hand: mean = (4 × 8 + 3 × 9 + 3 × 2 + 3 × 3) / 13 = 74 / 13 = 5.692
    #   moving ranges: six of 1, |2 − 8| = 6, five of 1: sum 17 over 12 -> 1.4167
    #   limits = 5.692 ± 2.66 × 1.4167 = 5.692 ± 3.768 -> 9.461 and 1.924: no point outside.
    #   Seven points above the mean (a run: flagged), then six below (too short: not flagged).
    c = spc.xmr(values)
    assert c.mean == pytest.approx(74 / 13)
    assert c.mean_moving_range == pytest.approx(17 / 12)
    assert c.upper == pytest.approx(74 / 13 + 2.66 * 17 / 12)
    assert c.lower == pytest.approx(74 / 13 - 2.66 * 17 / 12)
    assert not c.outside.any()
    assert c.run.tolist() == [True] * 7 + [False] * 6


def test_common_cause_series_flags_nothing():
    # mean 54 / 9 = 6; moving ranges 2,1,1,2,1,1,2,1 -> 11 / 8 = 1.375; limits 6 ± 3.6575; every third point on the mean
    c = spc.xmr([5, 7, 6, 5, 7, 6, 5, 7, 6])
    assert (c.mean, c.mean_moving_range) == (6.0, 1.375)
    assert c.upper == pytest.approx(9.6575)
    assert not c.special_cause.any()


def test_points_on_the_mean_break_a_run():
    # 4 is below a centre of 5; 5 is on it and belongs to neither side.
    assert spc.run_flags([4] * 7, centre=5).all()
    assert not spc.run_flags([4] * 6, centre=5).any()
    assert not spc.run_flags([4, 4, 4, 5, 4, 4, 4, 4], centre=5).any()  # runs of 3 and 4, not one of 8
    assert spc.run_flags([6] * 7 + [4], centre=5).tolist() == [True] * 7 + [False]
    assert spc.run_flags([6] * 7 + [4] * 7, centre=5).all()  # two runs, one each side
    assert spc.run_flags([4, 4, 4, 5, 4, 4, 4, 4, 4, 4, 4], centre=5).tolist() == [False] * 4 + [True] * 7


def test_flat_series_has_no_signal():
    c = spc.xmr([100.0] * 9)  # every point on the mean; limits collapse onto it
    assert c.mean_moving_range == 0 and c.upper == c.lower == 100.0
    assert not c.special_cause.any()


def test_alternating_series_and_rule_length_parameter():
    # mean 0, moving ranges all 2 -> limits ± 5.32; alternating sides never make a run
    c = spc.xmr([1, -1, 1, -1, 1, -1])
    assert c.upper == pytest.approx(5.32)
    assert spc.run_flags([1, 1, 1], centre=0, length=3).all()
    assert not spc.xmr([1, -1] * 10).special_cause.any()


def test_short_and_missing_series():
    one = spc.xmr([5.0])
    assert one.mean == 5.0 and math.isnan(one.upper) and not one.special_cause.any()
    empty = spc.xmr([])
    assert math.isnan(empty.mean) and empty.frame().empty
    gappy = spc.xmr(pd.Series([1.0, float("nan"), 3.0], index=[4, 5, 6]))
    assert gappy.values.index.tolist() == [4, 6] and gappy.moving_range.iloc[1] == 2.0


def test_frame_keeps_the_index_and_provisional_flag():
    c = spc.xmr(pd.Series([3.0, 5.0, 4.0], index=[1, 2, 3]))
    f = c.frame()
    assert f.index.tolist() == [1, 2, 3]
    assert list(f.columns) == ["value", "moving_range", "mean", "upper", "lower", "outside", "run", "special_cause"]
    assert c.provisional and not spc.xmr(range(15)).provisional


# --- only real months count ------------------------------------------------------------------------


def test_synthetic_points_never_enter_the_chart():
    real = pd.Series([5.0, 7, 6, 5, 7, 6, 5, 7, 6], index=range(4, 13))
    wild = pd.Series([500.0, -900.0, 0.0], index=[1, 2, 3])
    tr = spc.trend(pd.concat([wild, real]), synthetic=[1, 2, 3])
    plain = spc.xmr(real)
    assert tr.real.index.tolist() == list(range(4, 13)) and tr.synthetic.index.tolist() == [1, 2, 3]
    assert (tr.chart.mean, tr.chart.upper, tr.chart.lower) == (plain.mean, plain.upper, plain.lower)
    assert tr.values.index.tolist() == list(range(1, 13))  # all points, for display
    assert tr.ruled and not tr.signals.any()


def test_a_signal_that_only_synthetic_points_make_is_no_signal():
    # as synthetic months: the 7 low points would be a run and drag the mean under the real ones
    low = pd.Series([1.0] * 7, index=range(1, 8))
    real = pd.Series([10.0, 11, 10, 11, 10, 11, 10], index=range(8, 15))
    everything = spc.xmr(pd.concat([low, real]))
    assert everything.special_cause.any()
    tr = spc.trend(pd.concat([low, real]), synthetic=list(range(1, 8)))
    assert tr.ruled and not tr.signals.any()


def test_too_few_real_points_no_limits_no_signals():
    # six real points with one far out: xmr flags it, but six points are too few for the rules
    values = [0.0, 0.0, 0.0, 0.0, 0.0, 100.0]
    assert spc.xmr(values).outside.iloc[-1]
    tr = spc.trend(values)
    assert not tr.ruled and not tr.signals.any() and not tr.provisional
    assert spc.MIN_RULE_POINTS == spc.RUN_LENGTH == 7
    assert spc.trend([1.0, 2, 3, 4, 5, 6, 7]).ruled
