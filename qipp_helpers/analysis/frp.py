"""The system financial recovery plan (FRP): Paper E's scheme table and Paper D Table 6's bridge.

Pure functions of the stored FRP tables. The FRP speaks the system's language, not QIPP's:
a deficit is negative and FRP savings are positive (Paper D Table 6's signs).

The printed columns of the FRP workbook are checked, not trusted. Paper E defines
``c = b - a`` (forecast movement), ``e = b - d`` (balance remaining) and ``f = e - a``
(in-month movement); group and Grand Total lines are sums of their schemes; the position
lines add up to the printed subtotals. :func:`checks` lists every printed figure that does
not (Paper E's Grand Total forecast movement prints -12,776; b - a is -7,926).
"""

from __future__ import annotations

import math

import pandas as pd

from ..core.orgs import org_name, organisations
from ..core.vocab import (
    BEFORE,
    FRP_DERIVED,
    FRP_INPUTS,
    FRP_LABELS,
    FRP_PRINTED,
    FRP_SUBTOTAL_LABELS,
    NOT_IN_FRP,
    ORG_IMPACT,
)

TOLERANCE_K = 0.5  # the workbook prints whole £000


def scheme_values(lines: pd.DataFrame) -> pd.DataFrame:
    """Scheme lines with c, e, f computed from a, b, d (blank = 0), in workbook order."""
    s = lines[lines["kind"] == "scheme"].copy()
    for c in FRP_INPUTS:
        s[c] = s[FRP_PRINTED[c]].fillna(0.0)
    s["movement"] = s["revised"] - s["submission"]
    s["balance"] = s["revised"] - s["delivered"]
    s["in_month_movement"] = s["balance"] - s["submission"]
    return s.reset_index(drop=True)


def _sum(df: pd.DataFrame) -> dict[str, float]:
    return {c: float(df[c].sum()) for c in (*FRP_INPUTS, *FRP_DERIVED)}


def group_table(lines: pd.DataFrame) -> pd.DataFrame:
    """Paper E's summary: a, b, c, d, e, f by scheme group (workbook order) and a Grand Total."""
    s = scheme_values(lines)
    order = list(dict.fromkeys(s["group"]))
    rows = [{"group": g, **_sum(s[s["group"] == g])} for g in order]
    rows.append({"group": "Grand Total", **_sum(s)})
    return pd.DataFrame(rows)


def scheme_table(lines: pd.DataFrame) -> pd.DataFrame:
    """Every scheme under its group line, with computed values and RAG (Paper E's scheme table)."""
    s = scheme_values(lines)
    out = []
    for g, block in s.groupby("group", sort=False):
        out.append({"group": g, "scheme": "", "rag": "", **_sum(block)})
        out += [
            {"group": g, "scheme": r.scheme, "rag": r.rag, **{c: getattr(r, c) for c in (*FRP_INPUTS, *FRP_DERIVED)}}
            for r in block.itertuples(index=False)
        ]
    out.append({"group": "Grand Total", "scheme": "", "rag": "", **_sum(s)})
    return pd.DataFrame(out)[
        ["group", "scheme", *FRP_INPUTS[:2], "movement", "delivered", "balance", "in_month_movement", "rag"]
    ]


def position_lines(position: pd.DataFrame, section: str) -> pd.DataFrame:
    """The stored position lines of one section (not the printed subtotals)."""
    return position[(position["kind"] == "line") & (position["section"] == section)].reset_index(drop=True)


def bridge(lines: pd.DataFrame, position: pd.DataFrame) -> pd.DataFrame:
    """Paper D Table 6 as a bridge: before FRP → FRP schemes by group → after FRP → other items → impact.

    Columns: step, section, kind (``line`` or ``total``), org, value (£000, deficit negative).
    FRP groups carry their *forecast balance remaining* (e), which is what Table 6 prints
    under "Revised Forecast". The organisation split of the impact closes the table.
    """
    groups = group_table(lines)
    rows: list[dict] = []

    def add(step: str, section: str, kind: str, value: float, org: str = "") -> None:
        rows.append({"step": step, "section": section, "kind": kind, "org": org, "value": float(value)})

    before = position_lines(position, BEFORE)
    for r in before.itertuples(index=False):
        add(r.item, "before_frp", "line", r.value)
    consistent = float(before["value"].sum())
    add(FRP_SUBTOTAL_LABELS["before_frp"], "before_frp", "total", consistent)
    body = groups[groups["group"] != "Grand Total"]
    for r in body.itertuples(index=False):
        add(r.group, "frp", "line", r.balance)
    frp_total = float(body["balance"].sum())
    add(FRP_SUBTOTAL_LABELS["frp"], "frp", "total", frp_total)
    after = consistent + frp_total
    add(FRP_SUBTOTAL_LABELS["after_frp"], "after_frp", "total", after)
    other = position_lines(position, NOT_IN_FRP)
    for r in other.itertuples(index=False):
        add(r.item, "not_in_frp", "line", r.value)
    add(FRP_SUBTOTAL_LABELS["not_in_frp"], "not_in_frp", "total", float(other["value"].sum()))
    add(FRP_SUBTOTAL_LABELS["org_impact"], "org_impact", "total", after + float(other["value"].sum()))
    for r in position_lines(position, ORG_IMPACT).itertuples(index=False):
        name = org_name(r.org) if r.org in organisations().orgs else (r.item or r.org)
        add(name, "organisation", "line", r.value, r.org)
    return pd.DataFrame(rows)


def bridge_total(b: pd.DataFrame, section: str) -> float:
    """One subtotal of :func:`bridge` (``before_frp``, ``frp``, ``after_frp``, ``not_in_frp``, ``org_impact``)."""
    return float(b.loc[(b["section"] == section) & (b["kind"] == "total"), "value"].iloc[0])


def waterfall_steps(b: pd.DataFrame) -> pd.DataFrame:
    """The bridge as chart steps (label, value, kind) from zero to the organisation impact."""
    keep = b[
        (b["section"] != "organisation")
        & ~((b["section"] == "frp") & (b["kind"] == "total"))
        & ~((b["section"] == "not_in_frp") & (b["kind"] == "total"))
    ]
    steps = [
        {"label": r.step, "value": r.value, "kind": "total" if r.kind == "total" else "step"}
        for r in keep.itertuples(index=False)
    ]
    return pd.DataFrame(steps)


def checks(lines: pd.DataFrame, position: pd.DataFrame) -> pd.DataFrame:
    """Every printed figure that differs from what the workbook's own figures compute.

    Columns: where (line), column (as printed), printed, computed, difference, source_sheet,
    source_row. A blank printed cell is "not printed", never a difference.
    """
    out: list[dict] = []

    def check(where: str, column: str, printed: float, computed: float, sheet: str, row: int) -> None:
        if printed is None or (isinstance(printed, float) and math.isnan(printed)):
            return
        if abs(printed - computed) > TOLERANCE_K:
            out.append(
                {
                    "where": where,
                    "column": column,
                    "printed": float(printed),
                    "computed": float(computed),
                    "difference": float(printed) - float(computed),
                    "source_sheet": sheet,
                    "source_row": int(row),
                }
            )

    s = scheme_values(lines)
    for r in s.itertuples(index=False):
        for c in FRP_DERIVED:
            check(r.scheme, FRP_LABELS[c], getattr(r, FRP_PRINTED[c]), getattr(r, c), r.source_sheet, r.source_row)
    totals = lines[lines["kind"] != "scheme"]
    for r in totals.itertuples(index=False):
        block = s if r.kind == "grand_total" else s[s["group"] == r.group]
        sums = _sum(block)
        name = "Grand Total" if r.kind == "grand_total" else r.group
        for c in (*FRP_INPUTS, *FRP_DERIVED):
            check(name, FRP_LABELS[c], getattr(r, FRP_PRINTED[c]), sums[c], r.source_sheet, r.source_row)
    b = bridge(lines, position)
    computed = {k: bridge_total(b, k) for k in ("before_frp", "after_frp", "not_in_frp", "org_impact")}
    for r in position[position["kind"] == "total"].itertuples(index=False):
        check(r.item, "Value", r.value, computed[r.section], r.source_sheet, r.source_row)
    split = position_lines(position, ORG_IMPACT)
    if len(split):
        first = split.iloc[0]
        check(
            "Organisation split (sum of organisations)",
            "Value",
            float(split["value"].sum()),
            computed["org_impact"],
            first["source_sheet"],
            first["source_row"],
        )
    return pd.DataFrame(
        out, columns=["where", "column", "printed", "computed", "difference", "source_sheet", "source_row"]
    )
