"""What changed since last month, from two held months of returns: pure functions of DataFrames.

A scheme line is known by (organisation, scheme number, line): the n-th row of a scheme number in
an organisation's return, in row order (as the return template numbers them). Comparing this
month's lines with last month's gives one row per change:

- ``RAG`` moves of the overall PMO rating (and :func:`rag_matrix`, from -> to with counts and plan);
- ``New scheme`` (a line this month that last month did not have), ``Closed`` (status Closed this
  month, not last), ``No return`` (a line carried forward because no return was received, or a line
  of last month with no line this month);
- ``Plan change`` (annual plan moved, with the reason the return gave), ``Stage move`` and
  ``Area move`` (planning stage and programme area);
- ``FOT movement``: the largest forecast out-turn movements, with the SRO's commentary beside each.

Last month's lines that carried no fields (a month imported from a dashboard, e.g. the published M6)
are compared with the values the return template pre-filled (:func:`qipp_helpers.reference.prefilled_fields`).
Money in £000, savings negative; a movement is this month less last month (positive = adverse).
"""

from __future__ import annotations

import pandas as pd

from ..core.vocab import RAGS
from ..reference import prefilled_fields

#: The kinds of change, in the order they are listed.
KINDS: tuple[str, ...] = (
    "RAG",
    "New scheme",
    "Closed",
    "No return",
    "Plan change",
    "Stage move",
    "Area move",
    "FOT movement",
)
COLUMNS: tuple[str, ...] = ("scheme_no", "scheme", "org", "change", "from", "to", "amount", "reason")
#: In the provenance of a line the merge carried forward because nobody returned it.
CARRIED = "carried forward from M"


def carried(provenance: pd.Series) -> pd.Series:
    """True for lines carried forward because no return was received (see :data:`CARRIED`)."""
    return provenance.astype(str).str.contains(CARRIED, regex=False)


#: How many of the largest FOT movements are listed.
TOP_MOVEMENTS = 5


def keyed(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows indexed by (org, scheme_no, line): line 1, 2, ... within a scheme number, in row order."""
    r = rows.sort_values(["org", "row"], kind="stable").reset_index(drop=True)
    r["line"] = r.groupby(["org", "scheme_no"]).cumcount() + 1
    return r.set_index(["org", "scheme_no", "line"])


def changes(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    commentary: pd.DataFrame | None = None,
    *,
    top: int = TOP_MOVEMENTS,
) -> pd.DataFrame:
    """Every change between last month's lines (``previous``) and this month's (``current``), one row each.

    ``commentary``: this month's (org, scheme_no, kind, text); ``plan_change`` rows give a plan change
    its reason, ``sro`` rows give the other changes the SRO's words. Columns :data:`COLUMNS`.
    """
    now, before = keyed(current), keyed(prefilled_fields(previous) if len(previous) else previous)
    both = now.index.intersection(before.index)
    out = [
        *_moves(now.loc[both], before.loc[both]),
        *_new_closed_missing(now, before),
        *_largest_movements(now.loc[both], before.loc[both], top),
    ]
    table = pd.DataFrame(out, columns=[*COLUMNS[:-1], "_key"])
    table["reason"] = _reasons(table, commentary)
    table["_order"] = table["change"].map(KINDS.index)
    table = table.sort_values(["_order", "org", "_key"], kind="stable")
    return table[list(COLUMNS)].reset_index(drop=True)


def _row(key: tuple, rec: pd.Series, change: str, old: object, new: object, amount: float) -> dict:
    org, scheme_no, line = key
    return {
        "scheme_no": scheme_no,
        "scheme": rec["scheme_name"],
        "org": org,
        "change": change,
        "from": old,
        "to": new,
        "amount": float(amount),
        "_key": (scheme_no, line),
    }


def _moves(now: pd.DataFrame, before: pd.DataFrame) -> list[dict]:
    """RAG, plan, stage and area changes of lines held both months (not of lines nobody returned)."""
    out = []
    for key, rec in now.iterrows():
        old = before.loc[key]
        if CARRIED in str(rec["provenance"]):
            continue
        if rec["rag"] != old["rag"]:
            out.append(_row(key, rec, "RAG", old["rag"], rec["rag"], rec["annual_plan"]))
        if abs(rec["annual_plan"] - old["annual_plan"]) > 0.05:
            delta = rec["annual_plan"] - old["annual_plan"]
            out.append(_row(key, rec, "Plan change", old["annual_plan"], rec["annual_plan"], delta))
        for field, kind in (("planning_stage", "Stage move"), ("programme_area", "Area move")):
            if rec[field] and old[field] and rec[field] != old[field]:
                out.append(_row(key, rec, kind, old[field], rec[field], rec["annual_plan"]))
    return out


def _new_closed_missing(now: pd.DataFrame, before: pd.DataFrame) -> list[dict]:
    """New lines, lines closed this month, and lines with no return (carried forward or absent)."""
    out = []
    for key, rec in now.iterrows():
        carried = CARRIED in str(rec["provenance"])
        if key not in before.index:
            out.append(_row(key, rec, "New scheme", "", rec["status"] or "New", rec["annual_plan"]))
        elif carried:
            out.append(_row(key, rec, "No return", "returned", "carried forward", rec["fot"]))
        elif rec["status"] == "Closed" and before.loc[key, "status"] != "Closed":
            out.append(_row(key, rec, "Closed", before.loc[key, "status"] or "Active", "Closed", rec["annual_plan"]))
    for key in before.index.difference(now.index):
        rec = before.loc[key]
        out.append(_row(key, rec, "No return", "returned", "no line", rec["fot"]))
    return out


def _largest_movements(now: pd.DataFrame, before: pd.DataFrame, top: int) -> list[dict]:
    """The ``top`` largest forecast out-turn movements (by size, either way) of lines held both months."""
    move = (now["fot"] - before["fot"]).round(1)
    move = move[move != 0]
    biggest = move.abs().sort_values(ascending=False, kind="stable").index[:top]
    return [
        _row(key, now.loc[key], "FOT movement", before.loc[key, "fot"], now.loc[key, "fot"], move[key])
        for key in biggest
    ]


def _reasons(table: pd.DataFrame, commentary: pd.DataFrame | None) -> list[str]:
    """The return's own words beside each change: a plan change's reason, else the SRO's commentary."""
    if commentary is None or commentary.empty or table.empty:
        return [""] * len(table)
    c = commentary[commentary["kind"].isin(["sro", "plan_change"])]
    said = {(o, s, k): t for o, s, k, t in zip(c["org"], c["scheme_no"], c["kind"], c["text"], strict=True)}
    out = []
    for org, no, change in zip(table["org"], table["scheme_no"], table["change"], strict=True):
        reason = said.get((org, no, "plan_change"), "") if change == "Plan change" else ""
        out.append(reason or said.get((org, no, "sro"), ""))
    return out


def rag_matrix(current: pd.DataFrame, previous: pd.DataFrame) -> pd.DataFrame:
    """Lines held both months by last month's RAG (rows) and this month's (columns): ``from``, ``to``,
    ``schemes`` (line count) and ``annual_plan`` (this month's, £000), every pair that occurs."""
    now, before = keyed(current), keyed(previous)
    both = now.index.intersection(before.index)
    pairs = pd.DataFrame(
        {"from": before.loc[both, "rag"], "to": now.loc[both, "rag"], "annual_plan": now.loc[both, "annual_plan"]}
    )
    grid = pairs.groupby(["from", "to"]).agg(schemes=("annual_plan", "size"), annual_plan=("annual_plan", "sum"))
    grid = grid.reset_index()
    order = {r: i for i, r in enumerate(RAGS)}
    grid = grid.sort_values(["from", "to"], key=lambda s: s.map(order).fillna(len(RAGS)), kind="stable")
    return grid.reset_index(drop=True)
