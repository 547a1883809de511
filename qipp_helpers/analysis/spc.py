"""Statistical process control: XmR charts in the NHS "Making Data Count" style. Pure; no plotting.

An XmR (individuals and moving range) chart of points x1..xn has:

- mean: the arithmetic mean of the points;
- moving ranges: |x(i) - x(i-1)| for i = 2..n (the first point has none);
- process limits: mean ± 2.66 × mean moving range (2.66 = 3 / 1.128, the d2 constant for ranges of two).

A point shows *special-cause* variation when either Making Data Count rule flags it:

1. **outside the limits**: strictly above the upper or strictly below the lower process limit
   (a point exactly on a limit is inside);
2. **a run**: 7 or more consecutive points on the same side of the mean; every point of the run
   is flagged. A point exactly on the mean is on neither side, so it **breaks** a run (as the
   NHS-R community's "plot the dots" does): a flat series never signals a run.

Not implemented: the trend rule (7 points rising or falling), the 2-of-3 near-the-limit rule,
screening of large moving ranges and rebasing. With fewer than 15 points the limits are
provisional: charts should say so.

Only real points count. :func:`trend` sets synthetic (demonstration) points aside before anything
is computed: they never enter the mean, the limits or the rules, and with fewer than
:data:`MIN_RULE_POINTS` real points there are no limits and no signals at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: 3 / d2 for moving ranges of two consecutive points.
LIMIT_FACTOR = 2.66
#: Consecutive points on one side of the mean that make a run.
RUN_LENGTH = 7
#: Fewer points than this give provisional limits (Making Data Count asks for 15 to 20).
MIN_POINTS = 15
#: Fewer real points than this: no limits, no special-cause rules (a run alone needs 7 points).
MIN_RULE_POINTS = RUN_LENGTH


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


def run_flags(values: Sequence[float] | pd.Series, centre: float, length: int = RUN_LENGTH) -> pd.Series:
    """True for every point of a run of ``length`` or more consecutive points on one side of ``centre``.

    Points on the centre are on neither side and end a run.
    """
    side = sides(values, centre)
    flags = np.zeros(len(side), dtype=bool)
    start = 0
    arr = side.to_numpy()
    for i in range(1, len(arr) + 1):
        if i == len(arr) or arr[i] != arr[start]:
            if arr[start] != 0 and i - start >= length:
                flags[start:i] = True
            start = i
    return pd.Series(flags, index=side.index)


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

    @property
    def special_cause(self) -> pd.Series:
        """Points flagged by either rule."""
        return self.outside | self.run

    @property
    def side(self) -> pd.Series:
        """+1 above the mean, -1 below, 0 on it."""
        return sides(self.values, self.mean)

    @property
    def provisional(self) -> bool:
        """True when the limits rest on fewer than :data:`MIN_POINTS` points."""
        return len(self.values) < MIN_POINTS

    def frame(self) -> pd.DataFrame:
        """One row per point: value, moving_range, mean, upper, lower, outside, run, special_cause."""
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
            },
            index=self.values.index,
        )


def xmr(values: Sequence[float] | pd.Series, *, run_length: int = RUN_LENGTH) -> XmR:
    """The XmR chart of ``values`` in order; missing values are dropped first.

    One point has a mean but no moving range, so no limits (NaN) and no flags; none has NaN everywhere.
    """
    s = pd.Series(values, dtype=float).dropna()
    mr = moving_ranges(s)
    mean = float(s.mean()) if len(s) else float("nan")
    mean_mr = float(mr.mean()) if len(s) > 1 else float("nan")
    upper = mean + LIMIT_FACTOR * mean_mr
    lower = mean - LIMIT_FACTOR * mean_mr
    outside = ((s > upper) | (s < lower)) if len(s) > 1 else pd.Series(False, index=s.index)
    return XmR(
        values=s,
        mean=mean,
        moving_range=mr,
        mean_moving_range=mean_mr,
        upper=upper,
        lower=lower,
        outside=outside.astype(bool),
        run=run_flags(s, mean, run_length),
    )


@dataclass(frozen=True)
class Trend:
    """A series for an XmR chart split by where its points come from.

    ``chart`` is the XmR of the real points only (published or returned); ``synthetic`` holds the
    synthetic points, to be drawn as such, never computed from. ``ruled`` says whether there are
    enough real points (:data:`MIN_RULE_POINTS`) for limits and special-cause rules at all.
    """

    chart: XmR
    synthetic: pd.Series

    @property
    def real(self) -> pd.Series:
        """The real points."""
        return self.chart.values

    @property
    def values(self) -> pd.Series:
        """Every point, real and synthetic, in index order (for display)."""
        return pd.concat([self.chart.values, self.synthetic]).sort_index()

    @property
    def ruled(self) -> bool:
        """True when the real points are enough for limits and the rules."""
        return len(self.chart.values) >= MIN_RULE_POINTS

    @property
    def signals(self) -> pd.Series:
        """Special-cause flags of the real points; all False when the points are too few for the rules."""
        return self.chart.special_cause & self.ruled

    @property
    def provisional(self) -> bool:
        """Limits drawn from fewer than :data:`MIN_POINTS` real points."""
        return self.ruled and self.chart.provisional


def trend(values: Sequence[float] | pd.Series, *, synthetic: Sequence[object] = ()) -> Trend:
    """The XmR chart of the points of ``values`` whose index label is not in ``synthetic``.

    Synthetic points are kept apart in :attr:`Trend.synthetic`; missing values are dropped first.
    """
    s = pd.Series(values, dtype=float).dropna()
    fake = s.index.isin(list(synthetic))
    return Trend(chart=xmr(s[~fake]), synthetic=s[fake])
