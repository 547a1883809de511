"""Forecast realism: can the forecast out-turn be delivered at the rate delivered so far? Pure; no files.

For one month's scheme rows, grouped by scheme, workstream, organisation or programme area
(money in £000, savings negative, as every other table):

- ``run_rate``: year-to-date delivery per month so far, actual YTD / month (straight line);
- ``remaining``: what the rest of the year must still deliver, FOT − actual YTD;
- ``needed_rate``: that per remaining month, remaining / (12 − month);
- ``multiple``: needed rate / run rate, the multiple of the run rate the forecast needs (1.0 = carry on
  as now); infinite where the forecast needs a saving but nothing has been delivered yet, 0 where
  nothing more is needed;
- ``plan_share``: plan YTD / annual plan, the plan's own profile to date; ``profile`` says whether
  it is ``straight-line`` (within :data:`PROFILE_TOLERANCE` of month / 12), ``back-loaded`` or
  ``front-loaded``; ``profile_multiple`` is the multiple against that profile: remaining / (actual
  YTD × (1 − share) / share), which equals ``multiple`` for a straight-line plan;
- ``over_assured``: how far the FOT exceeds the PMO assured value, FOT / assured − 1 (0.25 = a
  forecast 25% larger than the PMO is confident of; infinite where nothing is assured);
- ``flagged`` and ``reasons``: the multiple (on the chosen basis) above ``multiple_threshold``, or
  the FOT above assured by more than ``assured_threshold``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .position import TOTAL

#: Default: flag a forecast that needs more than twice the run rate delivered so far.
MULTIPLE_THRESHOLD = 2.0
#: Default: flag a forecast more than 10% larger than the PMO assured value.
ASSURED_THRESHOLD = 0.10
#: A plan whose share to date is within this of month / 12 is taken as straight-line.
PROFILE_TOLERANCE = 0.02
#: The bases a multiple can be judged on.
BASES: tuple[str, ...] = ("straight-line", "profile")
#: The grouping of each level of :func:`realism`.
LEVELS: dict[str, list[str]] = {
    "scheme": ["scheme_no", "scheme_name", "workstream"],
    "workstream": ["workstream"],
    "organisation": ["org"],
    "programme_area": ["programme_area"],
}
MONEY = ("plan_ytd", "actual_ytd", "annual_plan", "fot", "assured")


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    """num / den, NaN where den is 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.Series(np.where(den != 0, num / den.where(den != 0, 1.0), np.nan), index=num.index)


def multiples(remaining: pd.Series, expected: pd.Series) -> pd.Series:
    """remaining / expected, where ``expected`` is what the run so far would deliver in the same time.

    Savings are negative: a saving still needed (remaining < 0) with no saving delivered yet
    (expected >= 0) is infinite; nothing more needed (remaining >= 0) is 0.
    """
    out = _ratio(remaining, expected)
    out = out.where(~((remaining < 0) & (expected >= 0)), np.inf)
    return out.where(remaining < 0, 0.0)


def _profile(share: pd.Series, plan: pd.Series, month: int) -> pd.Series:
    straight = month / 12
    label = np.where(
        (share - straight).abs() <= PROFILE_TOLERANCE,
        "straight-line",
        np.where(share < straight, "back-loaded", "front-loaded"),
    )
    return pd.Series(np.where(plan == 0, "no plan", label), index=share.index)


def measures(df: pd.DataFrame, month: int) -> pd.DataFrame:
    """``df`` (with the money columns) plus the realism measures of the module docstring (no flags)."""
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1 to 12, not {month}")
    out = df.copy()
    left = 12 - month
    out["run_rate"] = out["actual_ytd"] / month
    out["remaining"] = out["fot"] - out["actual_ytd"]
    out["needed_rate"] = out["remaining"] / left if left else np.nan
    out["multiple"] = multiples(out["remaining"], out["actual_ytd"] * left / month) if left else np.nan
    share = _ratio(out["plan_ytd"], out["annual_plan"])
    out["plan_share"] = share
    out["profile"] = _profile(share, out["annual_plan"], month)
    usable = (share > 0) & (share < 1)
    expected = out["actual_ytd"] * (1 - share) / share.where(usable, 1.0)
    out["profile_multiple"] = multiples(out["remaining"], expected).where(usable, np.nan) if left else np.nan
    over = _ratio(out["fot"], out["assured"]) - 1
    nothing_assured = (out["assured"] >= 0) & (out["fot"] < 0)
    out["over_assured"] = over.where(~nothing_assured, np.inf).where(out["fot"] < 0, np.nan)
    return out


def judged_multiple(df: pd.DataFrame, basis: str = "straight-line") -> pd.Series:
    """The multiple a flag judges: straight-line, or (``basis="profile"``) the profile's where it is defined."""
    if basis not in BASES:
        raise ValueError(f"basis must be one of {', '.join(BASES)}, not {basis!r}")
    if basis == "straight-line":
        return df["multiple"]
    return df["profile_multiple"].where(df["profile_multiple"].notna(), df["multiple"])


def flags(
    df: pd.DataFrame,
    *,
    multiple_threshold: float = MULTIPLE_THRESHOLD,
    assured_threshold: float = ASSURED_THRESHOLD,
    basis: str = "straight-line",
) -> pd.DataFrame:
    """``df`` (from :func:`measures`) with ``flagged`` (bool) and ``reasons`` (short codes, ``;``-separated):
    ``multiple`` (needs more than the threshold times the run rate), ``nothing delivered`` (a saving
    forecast, none delivered yet), ``over assured`` (FOT above assured by more than the threshold)."""
    if multiple_threshold <= 0 or assured_threshold < 0:
        raise ValueError("thresholds must be positive (multiple) and not negative (assured)")
    m = judged_multiple(df, basis)
    none_yet = np.isinf(m.fillna(0.0))
    high = (m > multiple_threshold) & ~none_yet
    over = df["over_assured"] > assured_threshold
    reasons = [
        "; ".join(r for r, on in (("multiple", a), ("nothing delivered", b), ("over assured", c)) if on)
        for a, b, c in zip(high, none_yet, over, strict=True)
    ]
    return df.assign(flagged=high | none_yet | over, reasons=reasons)


def realism(
    rows: pd.DataFrame,
    month: int,
    *,
    level: str = "scheme",
    multiple_threshold: float = MULTIPLE_THRESHOLD,
    assured_threshold: float = ASSURED_THRESHOLD,
    basis: str = "straight-line",
) -> pd.DataFrame:
    """The realism of one month's forecasts at ``level`` (a key of :data:`LEVELS`), with a Total row.

    Rows of the same group are summed first (a scheme across organisations, as :func:`position.schemes`
    does). ``programme_area`` needs rows that carry one (e.g. :func:`programme.programme_lines`).
    Ordered by the money still needed, largest first; the Total row is the whole and is flagged too.
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    keys = LEVELS[level]
    label = "scheme_name" if level == "scheme" else keys[0]
    grouped = rows.groupby(keys, sort=False, dropna=False)[list(MONEY)].sum().reset_index()
    grouped = grouped.iloc[np.argsort((grouped["fot"] - grouped["actual_ytd"]).to_numpy(), kind="stable")]
    total = pd.DataFrame([{label: TOTAL, **rows[list(MONEY)].sum().to_dict()}])
    body = pd.concat([grouped, total], ignore_index=True).rename(columns={label: "label"})
    body = body.fillna({c: "" for c in keys if c != label}).astype({c: float for c in MONEY})
    out = measures(body, month)
    return flags(out, multiple_threshold=multiple_threshold, assured_threshold=assured_threshold, basis=basis)


def flagged(table: pd.DataFrame) -> pd.DataFrame:
    """The flagged lines of a :func:`realism` table, Total row left out."""
    return table[table["flagged"] & (table["label"] != TOTAL)].reset_index(drop=True)
