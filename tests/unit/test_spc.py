"""XmR charts and the Making Data Count special-cause rules, against series worked by hand."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
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
    assert list(f.columns)[:8] == ["value", "moving_range", "mean", "upper", "lower", "outside", "run", "special_cause"]
    assert list(f.columns)[8:] == ["trend", "two_of_three"]
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


# --- the complete rule set: each rule on a series made to fire it (issue 24) ---------------------------


def test_trend_rule_fires_on_seven_rising_points_not_six_and_equal_neighbours_break_it():
    # 10, 10, then 11..17 rising (7 points), then 12: the seven rising points are flagged, from 10 (the start of
    # the climb: 10 -> 11 is the first rise) -- 10, 11, ..., 16 is seven points, and 17 makes eight.
    values = [10, 10, 11, 12, 13, 14, 15, 16, 17, 12]
    flags = spc.trend_flags(values)
    assert flags.tolist() == [False, True, True, True, True, True, True, True, True, False]
    assert not spc.trend_flags([1, 2, 3, 4, 5, 6]).any()  # six points: too short for 7 ...
    assert spc.trend_flags([1, 2, 3, 4, 5, 6], length=6).all()  # ... enough where the guidance says 6
    assert not spc.trend_flags([1, 2, 3, 3, 4, 5, 6, 7]).any()  # the repeated 3 breaks it: runs of 3 and 5
    assert spc.trend_flags([9, 8, 7, 6, 5, 4, 3]).all()  # falling counts too
    c = spc.xmr([1, 2, 3, 4, 5, 6, 7])
    assert c.trend.all() and not c.run.any() and c.special_cause.all()


def test_two_of_three_rule_fires_on_two_points_near_the_upper_limit():
    # a flat 0, 1 series with two points at 3.5 and 3.6 among three above the mean:
    values = [0, 1, 0, 1, 0, 1, 0, 1, 3.5, 2, 3.6, 1, 0, 1, 0]
    c = spc.xmr(values)
    # mean 14.1 / 15 = 0.94; the near line sits at mean + 1.773 x mean MR, the limit at mean + 2.66 x mean MR
    assert c.near_upper == pytest.approx(c.mean + 2.66 * 2 / 3 * c.mean_moving_range)
    assert c.near_upper < 3.5 < 3.6 < c.upper  # close, not outside
    assert c.two_of_three.tolist() == [False] * 8 + [True, False, True] + [False] * 4
    assert not c.outside.any()
    assert not spc.xmr(values, rules=spc.Rules(two_of_three=False)).two_of_three.any()


def test_two_close_points_on_opposite_sides_are_not_two_of_three():
    values = [0, 1, 0, 1, 0, 1, 0, 1, 3.5, -2.6, 0, 1, 0, 1, 0]
    c = spc.xmr(values)
    assert c.near_lower > -2.6 > c.lower and c.near_upper < 3.5 < c.upper
    assert not c.two_of_three.any()


def test_shift_length_is_configurable_seven_or_eight():
    seven_below = [1.0] * 7 + [9.0] * 3
    assert spc.xmr(seven_below).run.iloc[:7].all()
    assert not spc.xmr(seven_below, rules=spc.Rules(shift=8)).run.any()
    with pytest.raises(ValueError, match="a shift needs at least 2 points"):
        spc.Rules(shift=1)


def test_outside_rule_fires_above_and_below():
    c = spc.xmr([5, 5, 5, 5, 6, 5, 5, 5, 5, 5, 5, -20, 5, 5, 30])
    assert c.outside.tolist() == [False] * 11 + [True, False, False, True]


def test_rebasing_recalculates_limits_only_where_asked_and_only_from_real_points():
    values = pd.Series([10.0, 11, 10, 11, 10, 11, 10, 30, 31, 30, 31, 30, 31, 30], index=range(1, 15))
    whole = spc.trend(values)
    assert whole.chart.mean == pytest.approx(values.mean()) and not whole.earlier
    rebased = spc.trend(values, rebase=[8])
    assert [c.mean for c in rebased.charts] == [pytest.approx(73 / 7), pytest.approx(213 / 7)]
    assert rebased.real.index.tolist() == list(range(1, 15))
    assert not rebased.signals.any()  # each phase alone is common cause; unrebased the step is a shift
    assert whole.signals.any()
    with pytest.raises(ValueError, match="synthetic"):
        spc.trend(values, synthetic=[8], rebase=[8])
    with pytest.raises(ValueError, match="no such point"):
        spc.trend(values, rebase=[20])


# --- icons ---------------------------------------------------------------------------------------------


def test_variation_icon_reads_the_latest_point():
    common = spc.xmr([5, 7, 6, 5, 7, 6, 5, 7, 6])
    assert spc.variation(common, "increase") == "common cause"
    high = spc.xmr([5, 5, 5, 5, 6, 5, 5, 5, 5, 5, 5, 5, 5, 5, 30])
    assert spc.variation(high, "increase") == "improving high"
    assert spc.variation(high, "decrease") == "concerning high"
    assert spc.variation(high, None) == "neither high"
    falling = spc.xmr([20, 20, 21, 20, 21, 20, 21, 20, 19, 18, 17, 16, 15, 14, 13.5])
    assert falling.trend.iloc[-1] and spc.variation(falling, "decrease") == "improving low"
    earlier = spc.xmr([8, 9, 8, 9, 8, 9, 40, 9, 8, 9, 8, 9, 8, 9, 8, 9, 12])
    assert earlier.outside.iloc[6] and not earlier.special_cause.iloc[-1]
    assert spc.variation(earlier, "increase") == "common cause"  # the latest point decides, not the spike
    with pytest.raises(ValueError, match="improvement must be"):
        spc.variation(common, "up")


def test_assurance_icon_from_the_target_against_the_limits():
    c = spc.xmr([5, 7, 6, 5, 7, 6, 5, 7, 6])  # limits 2.34 .. 9.66
    assert spc.assurance(c, 2.0, "increase") == "pass"
    assert spc.assurance(c, 10.0, "increase") == "fail"
    assert spc.assurance(c, 6.0, "increase") == "hit or miss"
    assert spc.assurance(c, 10.0, "decrease") == "pass" and spc.assurance(c, 2.0, "decrease") == "fail"
    assert spc.assurance(c, None, "increase") == "" and spc.assurance(c, 6.0, None) == ""


def test_too_few_real_points_say_how_many_more_and_show_no_icons():
    tr = spc.trend(pd.Series([1.0, 2.0, 9.0], index=[4, 5, 6]), synthetic=[4])
    assert not tr.ruled and tr.needed == 5
    assert tr.variation("increase") == "" and tr.assurance(0.0, "increase") == ""
    assert spc.trend(range(7)).needed == 0


def test_the_chart_draws_icons_from_real_points_and_says_how_many_more_months_are_needed():
    from qipp_helpers.report.position import charts as position_charts

    spike = pd.Series([100.0, 96, 103, 98, 101, 97, 102, 99, 100, 140], index=range(1, 11))
    fig = position_charts.xmr_chart({"Spike": spc.trend(spike)}, title="t", targets={"Spike": 90.0})
    assert "Latest point: Spike improving high." in fig.alt
    assert "a trend of 7 rising or falling; two of three near a limit." in fig.key
    drawn = {t.get_text() for t in fig.axes[0].texts}
    assert {"H", "?"} <= drawn  # special cause high; the target of 90 sits between the limits
    few = position_charts.xmr_chart({"Spike": spc.trend(spike, synthetic=list(range(1, 9)))}, title="t")
    assert "(they need 7: 5 more), so none are drawn." in " ".join(t.get_text() for t in few.texts)
    assert not few.axes[0].texts  # no icons without limits
    plt.close(fig)
    plt.close(few)
