"""Why the forecast falls short of plan: Paper D Tables 3 and 4, as pure functions of DataFrames.

Both tables work on *scheme groups*: a scheme number with its stretch and continuation rows
(``3.2`` + ``3.2a`` = High Cost Drugs). Groups past a threshold are named, the rest are one
``Other`` line, and a ``Total`` line closes the table, so every table adds up.

Signs are the paper's: under-delivery = FOT − annual plan in stored (savings-negative) terms,
so a positive value is savings short of plan and a negative value an over-delivery (an offset);
FOT movement = this month's FOT − last month's, so positive is adverse.
"""

from __future__ import annotations

import pandas as pd

from ..core.orgs import members, organisations
from ..reference import scheme_group, scheme_group_labels

TOTAL = "Total"
OTHER = "Other"

#: Paper D Table 4 names drivers of more than £300k; Table 3 names movements over £100k.
DRIVER_THRESHOLD = 300.0
MOVEMENT_THRESHOLD = 100.0


#: A scaled threshold is rounded to this (£000), so a reader sees £75k rather than £77.1k.
THRESHOLD_STEP = 5.0


def system_of(org: str) -> str | None:
    """The group (system) a CCG belongs to, e.g. LC -> LLR; None for a group itself or an organisation in none."""
    return next((g for g, m in organisations().groups.items() if org in m and org != g), None)


def scaled_threshold(org_plan: float, system_plan: float, threshold: float = DRIVER_THRESHOLD) -> float:
    """A CCG's driver threshold: the system's ``threshold`` times the CCG's share of the system's annual plan.

    Paper D names drivers over £300k on LLR's plan of £66m; at that size LC's (£17m) gap would be almost
    all "Other". Scaled, LC's threshold is £75k (300 × 16,943 / 65,963, to the nearest £5k), so "Other"
    holds the small lines only. Never below one step (£5k); the system's own threshold is unchanged.
    """
    if not system_plan or not org_plan:
        return float(threshold)
    share = abs(org_plan) / abs(system_plan)
    return max(THRESHOLD_STEP, round(threshold * share / THRESHOLD_STEP) * THRESHOLD_STEP)


def shown_orgs(org: str) -> list[str]:
    """The value columns of a table for ``org``: LLR then its CCGs (as the paper), or the CCG alone."""
    groups = organisations().groups
    return [org, *groups[org]] if org in groups else [org]


def group_labels(rows: pd.DataFrame, *, movement: bool = False) -> dict[str, str]:
    """Scheme group -> the label the paper prints (Table 3 wording if ``movement``)."""
    paper = scheme_group_labels()
    out: dict[str, str] = {}
    for no, name in zip(rows["scheme_no"], rows["scheme_name"], strict=True):
        g = scheme_group(no)
        if g in out:
            continue
        if g in paper:
            out[g] = paper[g][1 if movement else 0]
        else:
            base = rows.loc[rows["scheme_no"] == g, "scheme_name"]
            out[g] = str(base.iloc[0]) if len(base) else str(name)
    return out


def by_group(rows: pd.DataFrame, value: str, org: str) -> pd.DataFrame:
    """Sum ``value`` by scheme group for each organisation shown (index = group)."""
    cols = shown_orgs(org)
    if rows.empty:
        return pd.DataFrame(columns=cols, dtype=float)
    grid = rows.assign(group=rows["scheme_no"].map(scheme_group)).pivot_table(
        index="group", columns="org", values=value, aggfunc="sum", fill_value=0.0
    )
    grid = grid.reindex(columns=list(members(org)), fill_value=0.0)
    if org in organisations().groups:
        grid.insert(0, org, grid.sum(axis=1))
    return grid[cols].astype(float)


def _threshold_table(
    values: pd.DataFrame,
    labels: dict[str, str],
    *,
    key: str,
    threshold: float,
    first: str,
    second: str,
    positive_first: bool,
    total: pd.Series,
) -> pd.DataFrame:
    """Name groups past ``threshold`` on column ``key``, the rest as Other, then Total."""
    cols = list(values.columns)
    v = values[key]
    pos = values[v > threshold].sort_values(key, ascending=False, kind="stable")
    neg = values[v < -threshold].sort_values(key, ascending=True, kind="stable")
    blocks = [(first, pos), (second, neg)] if positive_first else [(first, neg), (second, pos)]
    parts = []
    for section, block in blocks:
        part = block.reset_index().rename(columns={"index": "group"})
        part.insert(0, "item", [labels.get(g, g) for g in part["group"]])
        part.insert(1, "section", section)
        parts.append(part)
    named = (
        pd.concat(parts, ignore_index=True)
        if any(len(p) for p in parts)
        else pd.DataFrame(columns=["item", "section", "group", *cols])
    )
    other = total - named[cols].sum() if len(named) else total.copy()
    tail = pd.DataFrame(
        [
            {"item": OTHER, "section": "other", "group": "", **other.to_dict()},
            {"item": TOTAL, "section": "total", "group": "", **total.to_dict()},
        ]
    )
    out = pd.concat([named, tail], ignore_index=True) if len(named) else tail
    out[cols] = out[cols].astype(float)
    return out[["item", "section", "group", *cols]]


def drivers_table(rows: pd.DataFrame, org: str, threshold: float = DRIVER_THRESHOLD) -> pd.DataFrame:
    """Paper D Table 4: drivers of under-delivery (annual plan − FOT, positive = short) by scheme group.

    Groups short of plan by more than ``threshold`` (£000) on ``org``'s own value are listed
    largest first (section ``driver``); groups over-delivering by more than it are the offsets
    (section ``offset``); the rest is ``Other``; ``Total`` = FOT − annual plan (LLR M6: 18,275).
    Columns: item, section, group, then one column per organisation shown (LLR, ELR, WL, LC).
    """
    fot = by_group(rows, "fot", org)
    plan = by_group(rows, "annual_plan", org)
    values = fot.sub(plan, fill_value=0.0)
    total = values.sum() if len(values) else pd.Series(0.0, index=shown_orgs(org))
    return _threshold_table(
        values,
        group_labels(rows),
        key=org,
        threshold=threshold,
        first="driver",
        second="offset",
        positive_first=True,
        total=total,
    )


def movement_table(
    rows: pd.DataFrame, previous: pd.DataFrame | None, org: str, threshold: float = MOVEMENT_THRESHOLD
) -> pd.DataFrame:
    """Paper D Table 3: FOT movement since last month by scheme group, favourable then adverse.

    Movement = this month's FOT − last month's (positive = adverse). Groups that moved by more
    than ``threshold`` on ``org``'s value are named, largest first; ``Total`` is the whole
    monthly movement (LLR M6: 516). Empty (no rows) when no previous month is held.
    """
    cols = shown_orgs(org)
    if previous is None or previous.empty:
        return pd.DataFrame(columns=["item", "section", "group", *cols])
    now = by_group(rows, "fot", org)
    before = by_group(previous, "fot", org)
    values = now.sub(before, fill_value=0.0)
    labels = group_labels(pd.concat([rows, previous], ignore_index=True), movement=True)
    return _threshold_table(
        values,
        labels,
        key=org,
        threshold=threshold,
        first="favourable",
        second="adverse",
        positive_first=False,
        total=values.sum(),
    )


def waterfall_steps(drivers: pd.DataFrame, org: str, annual_plan: float, fot: float) -> pd.DataFrame:
    """Bridge from annual plan to FOT through each driver, offset and Other (savings, £000).

    Columns: label, value, kind. ``total`` rows are levels (annual plan, FOT as positive savings);
    ``step`` rows change the level (a driver of 1,000 is a step of −1,000 savings).
    """
    body = drivers[drivers["section"] != "total"]
    steps = [{"label": "Annual plan", "value": -annual_plan, "kind": "total"}]
    steps += [{"label": r["item"], "value": -r[org], "kind": "step"} for _, r in body.iterrows() if abs(r[org]) >= 0.5]
    steps.append({"label": "Forecast out-turn", "value": -fot, "kind": "total"})
    return pd.DataFrame(steps)
