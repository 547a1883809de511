"""Statistical process control: XmR charts in the NHS "Making Data Count" style. Pure; no plotting.

An XmR (individuals and moving range) chart of points x1..xn has:

- mean: the arithmetic mean of the points;
- moving ranges: |x(i) - x(i-1)| for i = 2..n (the first point has none);
- process limits: mean ± 2.66 × mean moving range (2.66 = 3 / 1.128, the d2 constant for ranges of two);
- near-limit lines: mean ± 2/3 × 2.66 × mean moving range (the "2 sigma" lines of the two-of-three rule).

A point shows *special-cause* variation when a Making Data Count rule flags it (:class:`Rules` says
which apply and how long a run must be, where the guidance varies):

1. **outside the limits**: strictly above the upper or strictly below the lower process limit
   (a point exactly on a limit is inside);
2. **shift**: 7 (or, in some guidance, 8) or more consecutive points on the same side of the mean;
   every point of the run is flagged. A point exactly on the mean is on neither side, so it
   **breaks** a run (as the NHS-R community's "plot the dots" does): a flat series never signals;
3. **trend**: 7 (or 6) or more consecutive points each higher than the one before, or each lower;
   two equal consecutive points break a trend; every point of it is flagged;
4. **two of three**: two of three consecutive points close to a limit (beyond a near-limit line but
   not outside the limits), all three on the same side of the mean; the close points are flagged.

Each chart gets a *variation* icon from its latest point (common cause, or special cause improving,
concerning or neither, higher or lower) and, where a target exists, an *assurance* icon from where
the target sits against the limits (consistently passing, consistently failing, hit or miss).
Limits are recalculated only on request (*rebasing* at given points), each phase from its own
points. With fewer than 15 points the limits are provisional: charts should say so.

Only real points count. :func:`trend` sets synthetic (demonstration) points aside before anything
is computed: they never enter the mean, the limits, a rebased phase or the rules, and with fewer than
:data:`MIN_RULE_POINTS` real points there are no limits and no signals at all.

Checked against the ``abspc`` package (Aneurin Bevan UHB) on generated series, rule by rule
(``tests/unit/test_spc_oracle.py``); its variation icon reads the latest special-cause point anywhere
in the series, where Making Data Count (and this module) read the latest point.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: 3 / d2 for moving ranges of two consecutive points.
LIMIT_FACTOR = 2.66
#: The near-limit lines of the two-of-three rule: two thirds of the way from the mean to a limit.
CLOSE_FACTOR = LIMIT_FACTOR * 2 / 3
#: Consecutive points on one side of the mean that make a shift (Making Data Count: 7; some guidance 8).
RUN_LENGTH = SHIFT_LENGTH = 7
#: Consecutive points rising (or falling) that make a trend (Making Data Count: 7; some guidance 6).
TREND_LENGTH = 7
#: Fewer points than this give provisional limits (Making Data Count asks for 15 to 20).
MIN_POINTS = 15
#: Fewer real points than this: no limits, no special-cause rules (a shift alone needs 7 points).
MIN_RULE_POINTS = RUN_LENGTH
#: Which way is better for a measure: ``increase``, ``decrease`` or None (neither).
DIRECTIONS = ("increase", "decrease")


@dataclass(frozen=True)
class Rules:
    """The special-cause rules to apply: run lengths where the guidance varies, two-of-three on or off."""

    shift: int = SHIFT_LENGTH
    trend: int = TREND_LENGTH
    two_of_three: bool = True

    def __post_init__(self) -> None:
        if self.shift < 2 or self.trend < 3:
            raise ValueError(f"a shift needs at least 2 points and a trend 3 (got {self.shift}, {self.trend})")


def moving_ranges(values: Sequence[float] | pd.Series) -> pd.Series:
    """|x(i) - x(i-1)| for each point; NaN for the first."""
    s = pd.Series(values, dtype=float)
    return s.diff().abs()


def sides(values: Sequence[float] | pd.Series, centre: float) -> pd.Series:
    """+1 above ``centre``, -1 below, 0 on it (within a relative tolerance of 1e-9, for float sums)."""
    s = pd.Series(values, dtype=float)
    diff = s - centre
    on = diff.abs() <= 1e-9 * max(1.0, abs(centre))
    return pd.Series(np.where(on, 0, np.sign(diff)), index=s.index, dtype=int)


def _runs(codes: np.ndarray, length: int, extra: int = 0) -> np.ndarray:
    """True over every run of ``length`` or more equal non-zero codes (and the ``extra`` points after it)."""
    flags = np.zeros(len(codes) + extra, dtype=bool)
    start = 0
    for i in range(1, len(codes) + 1):
        if i == len(codes) or codes[i] != codes[start]:
            if codes[start] != 0 and i - start >= length:
                flags[start : i + extra] = True
            start = i
    return flags


def run_flags(values: Sequence[float] | pd.Series, centre: float, length: int = RUN_LENGTH) -> pd.Series:
    """Shift: True for every point of a run of ``length`` or more consecutive points on one side of ``centre``.

    Points on the centre are on neither side and end a run.
    """
    side = sides(values, centre)
    return pd.Series(_runs(side.to_numpy(), length), index=side.index)


def trend_flags(values: Sequence[float] | pd.Series, length: int = TREND_LENGTH) -> pd.Series:
    """Trend: True for every point of ``length`` or more consecutive points each above (or each below) the one
    before. Two equal consecutive points break a trend."""
    s = pd.Series(values, dtype=float)
    if len(s) < 2:
        return pd.Series(False, index=s.index)
    steps = np.sign(np.diff(s.to_numpy()))
    return pd.Series(_runs(steps, length - 1, extra=1), index=s.index)


def two_of_three_flags(
    values: Sequence[float] | pd.Series, centre: float, upper: float, lower: float, near_upper: float, near_lower: float
) -> pd.Series:
    """Two of three: True for a point close to a limit (beyond its near-limit line, not outside the limits) in
    a window of three consecutive points, all on one side of ``centre``, of which at least two are close."""
    s = pd.Series(values, dtype=float)
    v = s.to_numpy()
    close = (v <= upper) & (v >= lower) & ((v > near_upper) | (v < near_lower))
    side = sides(s, centre).to_numpy()
    flags = np.zeros(len(v), dtype=bool)
    for i in range(len(v) - 2):
        window = slice(i, i + 3)
        if close[window].sum() >= 2 and abs(side[window].sum()) == 3:
            flags[window] |= close[window]
    return pd.Series(flags, index=s.index)


@dataclass(frozen=True)
class XmR:
    """An XmR chart's figures for one series (index = the x labels, e.g. month numbers)."""

    values: pd.Series
    mean: float
    moving_range: pd.Series
    mean_moving_range: float
    upper: float
    lower: float
    outside: pd.Series
    run: pd.Series
    trend: pd.Series = field(default_factory=lambda: pd.Series(dtype=bool))
    two_of_three: pd.Series = field(default_factory=lambda: pd.Series(dtype=bool))
    near_upper: float = float("nan")
    near_lower: float = float("nan")
    rules: Rules = field(default_factory=Rules)

    @property
    def special_cause(self) -> pd.Series:
        """Points flagged by any rule."""
        out = self.outside | self.run
        for extra in (self.trend, self.two_of_three):
            if len(extra):
                out = out | extra.reindex(out.index, fill_value=False)
        return out

    @property
    def side(self) -> pd.Series:
        """+1 above the mean, -1 below, 0 on it."""
        return sides(self.values, self.mean)

    @property
    def provisional(self) -> bool:
        """True when the limits rest on fewer than :data:`MIN_POINTS` points."""
        return len(self.values) < MIN_POINTS

    def frame(self) -> pd.DataFrame:
        """One row per point: value, moving_range, mean, upper, lower, outside, run, special_cause, trend,
        two_of_three."""
        return pd.DataFrame(
            {
                "value": self.values,
                "moving_range": self.moving_range,
                "mean": self.mean,
                "upper": self.upper,
                "lower": self.lower,
                "outside": self.outside,
                "run": self.run,
                "special_cause": self.special_cause,
                "trend": self.trend.reindex(self.values.index, fill_value=False),
                "two_of_three": self.two_of_three.reindex(self.values.index, fill_value=False),
            },
            index=self.values.index,
        )


def xmr(values: Sequence[float] | pd.Series, *, run_length: int = RUN_LENGTH, rules: Rules | None = None) -> XmR:
    """The XmR chart of ``values`` in order; missing values are dropped first.

    ``rules`` says which rules apply (default: :class:`Rules` with a shift of ``run_length``). One point
    has a mean but no moving range, so no limits (NaN) and no flags; none has NaN everywhere.
    """
    rules = rules or Rules(shift=run_length)
    s = pd.Series(values, dtype=float).dropna()
    mr = moving_ranges(s)
    mean = float(s.mean()) if len(s) else float("nan")
    mean_mr = float(mr.mean()) if len(s) > 1 else float("nan")
    upper, lower = mean + LIMIT_FACTOR * mean_mr, mean - LIMIT_FACTOR * mean_mr
    near_upper, near_lower = mean + CLOSE_FACTOR * mean_mr, mean - CLOSE_FACTOR * mean_mr
    outside = ((s > upper) | (s < lower)) if len(s) > 1 else pd.Series(False, index=s.index)
    near = (
        two_of_three_flags(s, mean, upper, lower, near_upper, near_lower) if len(s) > 1 and rules.two_of_three else None
    )
    return XmR(
        values=s,
        mean=mean,
        moving_range=mr,
        mean_moving_range=mean_mr,
        upper=upper,
        lower=lower,
        outside=outside.astype(bool),
        run=run_flags(s, mean, rules.shift),
        trend=trend_flags(s, rules.trend),
        two_of_three=near if near is not None else pd.Series(False, index=s.index),
        near_upper=near_upper,
        near_lower=near_lower,
        rules=rules,
    )


def phases(
    values: Sequence[float] | pd.Series, rebase: Sequence[object] = (), *, rules: Rules | None = None
) -> list[XmR]:
    """XmR charts of ``values`` split at the ``rebase`` labels: each phase's limits from its own points only.

    A rebase label starts a new phase; a label not among the points is an error (limits are recalculated
    only where asked, at a point that exists).
    """
    s = pd.Series(values, dtype=float).dropna()
    missing = [r for r in rebase if r not in s.index]
    if missing:
        raise ValueError(f"cannot rebase at {', '.join(map(str, missing))}: no such point")
    cuts = sorted(s.index.get_loc(r) for r in rebase)
    bounds = [0, *[c for c in cuts if c > 0], len(s)]
    return [xmr(s.iloc[a:b], rules=rules) for a, b in itertools.pairwise(bounds) if b > a]


def direction(chart: XmR, label: object) -> int:
    """+1 if a special-cause point signals higher values, -1 lower: outside a limit, else a trend's slope, else its
    side of the mean."""
    v = chart.values
    x = float(v.loc[label])
    if x > chart.upper:
        return 1
    if x < chart.lower:
        return -1
    trend = chart.trend.reindex(v.index, fill_value=False)
    if trend.loc[label] and not chart.run.loc[label]:
        i = v.index.get_loc(label)
        j = i - 1 if i > 0 else i + 1
        step = float(v.iloc[max(i, j)] - v.iloc[min(i, j)])
        return 1 if step > 0 else -1
    return int(np.sign(x - chart.mean)) or 1


def variation(chart: XmR, improvement: str | None = None) -> str:
    """The variation icon of a chart, from its latest point: ``common cause``, or ``improving``, ``concerning`` or
    ``neither`` (no better direction given) followed by ``high``/``low``; '' for an empty chart."""
    if improvement is not None and improvement not in DIRECTIONS:
        raise ValueError(f"improvement must be one of {', '.join(DIRECTIONS)} or None, not {improvement!r}")
    if chart.values.empty:
        return ""
    last = chart.values.index[-1]
    if not bool(chart.special_cause.loc[last]):
        return "common cause"
    up = direction(chart, last) > 0
    where = "high" if up else "low"
    if improvement is None:
        return f"neither {where}"
    good = up == (improvement == "increase")
    return f"{'improving' if good else 'concerning'} {where}"


def assurance(chart: XmR, target: float | None, improvement: str | None) -> str:
    """The assurance icon against ``target``: ``pass`` (the limits all on the target's good side, so the process
    consistently meets it), ``fail`` (all on its bad side), ``hit or miss`` (the target between the limits);
    '' with no target, no direction or no limits."""
    if target is None or improvement not in DIRECTIONS or not np.isfinite([chart.upper, chart.lower]).all():
        return ""
    if improvement == "increase":
        return "pass" if chart.lower > target else "fail" if chart.upper < target else "hit or miss"
    return "pass" if chart.upper < target else "fail" if chart.lower > target else "hit or miss"


@dataclass(frozen=True)
class Trend:
    """A series for an XmR chart split by where its points come from.

    ``chart`` is the XmR of the real points only (published or returned) since the last rebase;
    ``earlier`` the phases before it (each with its own limits); ``synthetic`` holds the synthetic
    points, to be drawn as such, never computed from. ``ruled`` says whether there are enough real
    points (:data:`MIN_RULE_POINTS`) for limits and special-cause rules at all.
    """

    chart: XmR
    synthetic: pd.Series
    earlier: tuple[XmR, ...] = ()

    @property
    def charts(self) -> list[XmR]:
        """Every phase, oldest first (one unless rebased)."""
        return [*self.earlier, self.chart]

    @property
    def real(self) -> pd.Series:
        """The real points, every phase."""
        return pd.concat([c.values for c in self.charts]) if self.earlier else self.chart.values

    @property
    def values(self) -> pd.Series:
        """Every point, real and synthetic, in index order (for display)."""
        return pd.concat([self.real, self.synthetic]).sort_index()

    @property
    def ruled(self) -> bool:
        """True when the real points are enough for limits and the rules."""
        return len(self.real) >= MIN_RULE_POINTS

    @property
    def needed(self) -> int:
        """How many more real points the rules need (0 when :attr:`ruled`)."""
        return max(0, MIN_RULE_POINTS - len(self.real))

    @property
    def signals(self) -> pd.Series:
        """Special-cause flags of the real points (every phase); all False when the points are too few for the rules."""
        flags = pd.concat([c.special_cause for c in self.charts]) if self.earlier else self.chart.special_cause
        return flags & self.ruled

    @property
    def provisional(self) -> bool:
        """Limits drawn from fewer than :data:`MIN_POINTS` real points."""
        return self.ruled and self.chart.provisional

    def variation(self, improvement: str | None = None) -> str:
        """The variation icon (see :func:`variation`); '' when the points are too few for the rules."""
        return variation(self.chart, improvement) if self.ruled else ""

    def assurance(self, target: float | None, improvement: str | None) -> str:
        """The assurance icon (see :func:`assurance`); '' when the points are too few for the rules."""
        return assurance(self.chart, target, improvement) if self.ruled else ""


def trend(
    values: Sequence[float] | pd.Series,
    *,
    synthetic: Sequence[object] = (),
    rebase: Sequence[object] = (),
    rules: Rules | None = None,
) -> Trend:
    """The XmR chart of the points of ``values`` whose index label is not in ``synthetic``.

    Synthetic points are kept apart in :attr:`Trend.synthetic`; missing values are dropped first.
    ``rebase``: labels of real points where the limits are recalculated (never a synthetic point).
    """
    s = pd.Series(values, dtype=float).dropna()
    fake = s.index.isin(list(synthetic))
    bad = [r for r in rebase if r in set(s.index[fake])]
    if bad:
        raise ValueError(
            f"cannot rebase at synthetic point(s) {', '.join(map(str, bad))}: limits come from real points"
        )
    charts = phases(s[~fake], rebase, rules=rules) or [xmr(s[~fake], rules=rules)]
    return Trend(chart=charts[-1], synthetic=s[fake], earlier=tuple(charts[:-1]))
