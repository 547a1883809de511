"""Workstream headlines and key risks: each workstream's milestone, benefit and risk RAG, and the risks returned.

Pure functions of one month's scheme rows. A scheme's three ratings are read from its PMO
descriptors (:func:`position.descriptor_rag`); a workstream's rating on each is the one under which
the largest part of its annual plan sits (ties go to the worse rating), so a small red scheme does
not colour a large green workstream, and the counts beside it show every scheme's rating. The key
risks, mitigations, owners and due dates are the returns' own fields where the returns carry them
(``key_risk``, ``mitigation``, ``action_owner``, ``action_due``, ``scheme_owner``); where they do not,
the functions say so rather than show anything.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from ..core.vocab import RETURN_FIELDS, WORKSTREAMS
from .position import descriptor_rag

#: The PMO's three descriptors, in Paper D's order, with their headers.
DIMENSIONS: dict[str, str] = {
    "milestones": "Milestones",
    "financial_benefits": "Financial benefits",
    "risk_issue": "Risk/issue",
}
#: Worst first.
RATINGS: tuple[str, ...] = ("Red", "Amber", "Green")
#: The returns' risk fields (issue 23's template columns).
RISK_FIELDS: tuple[str, ...] = ("key_risk", "mitigation", "action_owner", "action_due", "scheme_owner")
SAME, BETTER, WORSE = "same", "↑", "↓"


def _rating(scheme_ratings: pd.Series, weights: pd.Series) -> str:
    """The rating carrying the most weight (ties: the worse); '' when no scheme is rated."""
    rated = scheme_ratings.isin(RATINGS)
    if not rated.any():
        return ""
    w = weights[rated].abs()
    if w.sum() == 0:
        w = pd.Series(1.0, index=w.index)
    by = w.groupby(scheme_ratings[rated]).sum()
    top = by.max()
    return next(r for r in RATINGS if by.get(r, -1.0) == top)


def _counts(scheme_ratings: pd.Series) -> str:
    """'R1 A3 G2': how many schemes hold each rating."""
    return " ".join(f"{r[0]}{int((scheme_ratings == r).sum())}" for r in RATINGS if (scheme_ratings == r).any())


def workstream_ratings(rows: pd.DataFrame) -> pd.DataFrame:
    """Per workstream with schemes this month: the three descriptor ratings, their scheme counts, schemes, plan, FOT.

    Lines with no scheme number (control-total adjustments) carry no descriptors and are left out.
    Columns: workstream, schemes, annual_plan, fot, then for each dimension ``<dim>`` (Red/Amber/Green/'')
    and ``<dim>_counts``. Workstreams in Paper D's order.
    """
    schemes = rows[rows["scheme_no"].astype(str) != ""]
    out = []
    for ws in WORKSTREAMS:
        part = schemes[schemes["workstream"] == ws]
        if part.empty:
            continue
        line: dict[str, object] = {
            "workstream": ws,
            "schemes": int(part["scheme_no"].nunique()),
            "annual_plan": float(part["annual_plan"].sum()),
            "fot": float(part["fot"].sum()),
        }
        for dim in DIMENSIONS:
            ratings = part[dim].fillna("").map(descriptor_rag)
            line[dim] = _rating(ratings, part["annual_plan"])
            line[f"{dim}_counts"] = _counts(ratings)
        out.append(line)
    cols = ["workstream", "schemes", "annual_plan", "fot", *[c for d in DIMENSIONS for c in (d, f"{d}_counts")]]
    return pd.DataFrame(out, columns=cols)


def _move(now: str, before: str) -> str:
    if now not in RATINGS or before not in RATINGS:
        return ""
    if now == before:
        return SAME
    return BETTER if RATINGS.index(now) > RATINGS.index(before) else WORSE


def changes(now: pd.DataFrame, before: pd.DataFrame | None) -> pd.Series:
    """Per workstream of ``now``: 'same' when no rating moved since ``before``, else each move ('milestones ↓');
    '' where a workstream has no rating last month (or ``before`` is None)."""
    if before is None:
        return pd.Series("", index=now.index)
    prev = before.set_index("workstream")
    out = []
    for _, row in now.iterrows():
        if row["workstream"] not in prev.index:
            out.append("")
            continue
        moves = {dim: _move(row[dim], prev.at[row["workstream"], dim]) for dim in DIMENSIONS}
        moved = [f"{DIMENSIONS[d].lower()} {m}" for d, m in moves.items() if m in (BETTER, WORSE)]
        known = any(m for m in moves.values())
        out.append(", ".join(moved) if moved else (SAME if known else ""))
    return pd.Series(out, index=now.index)


def period_end(fin_year: str, month: int) -> date:
    """The last day of a financial-year month: (2019-20, 6) -> 30 September 2019."""
    start = int(fin_year[:4])
    cal_month = (month + 2) % 12 + 1
    year = start if month <= 9 else start + 1
    following = date(year + (cal_month == 12), cal_month % 12 + 1, 1)
    return date.fromordinal(following.toordinal() - 1)


def has_risk_fields(rows: pd.DataFrame) -> bool:
    """True when the returns carry the key-risk fields at all: older stores lack the columns, and rows imported
    from a dashboard (the published M6) leave every field a return template carries blank."""
    if "key_risk" not in rows.columns:
        return False
    present = [f for f in RETURN_FIELDS if f in rows.columns]
    return bool(len(rows)) and bool(rows[present].fillna("").astype(str).ne("").any().any())


def key_risks(rows: pd.DataFrame, as_at: date) -> pd.DataFrame:
    """Every returned key risk: workstream, org, scheme, risk, mitigation, owners, due date and whether the
    action is overdue (due before ``as_at``, the end of the month reported). Empty when none is recorded.

    Text stays as returned (inert); a due date that is not an ISO date is kept and never called overdue.
    """
    cols = ["workstream", "org", "scheme_no", "scheme_name", *RISK_FIELDS, "overdue"]
    if not has_risk_fields(rows):
        return pd.DataFrame(columns=cols)
    r = rows.reindex(columns=[c for c in cols if c != "overdue"]).astype(object)
    r = r.where(r.notna(), "")
    for c in RISK_FIELDS:
        r[c] = r[c].astype(str).str.strip()
    r = r[(r["key_risk"] != "") | (r["mitigation"] != "")]
    # ISO text, or a date the store kept as a timestamp ('2019-09-15 00:00:00'): the date part either way
    due = pd.to_datetime(r["action_due"].str[:10], format="%Y-%m-%d", errors="coerce")
    r = r.assign(
        action_due=[
            d.strftime("%Y-%m-%d") if pd.notna(d) else text for d, text in zip(due, r["action_due"], strict=True)
        ],
        overdue=[bool(pd.notna(d) and d.date() < as_at) for d in due],
    )
    order = {w: i for i, w in enumerate(WORKSTREAMS)}
    r = r.assign(_o=r["workstream"].map(order)).sort_values(["_o", "scheme_no", "org"], kind="stable")
    return r.drop(columns="_o").reset_index(drop=True)[cols]
