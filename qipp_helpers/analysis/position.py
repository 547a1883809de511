"""The monthly position tables of Paper D, as pure functions of DataFrames.

No files, no printing. Money stays in £000 with savings negative, exactly as the paper's
tables; formatting is :mod:`qipp_helpers.report.fmt`'s job. Every table ends with a ``Total`` row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..core.orgs import members
from ..core.vocab import RAGS, WORKSTREAMS

TOTAL = "Total"


def select(returns: pd.DataFrame, fin_year: str, month: int, org: str) -> pd.DataFrame:
    """The scheme rows of one organisation (or group, e.g. LLR = ELR + WL + LC) for one month."""
    mask = (returns["fin_year"] == fin_year) & (returns["month"] == month) & returns["org"].isin(members(org))
    return returns.loc[mask].reset_index(drop=True)


def missing_members(returns: pd.DataFrame, fin_year: str, month: int, org: str) -> list[str]:
    """The members of ``org`` with no returns held for the month ([] = the month is complete for ``org``).

    The one test of completeness: a group's figures are shown only when every member has returned.
    """
    held = set(returns.loc[(returns["fin_year"] == fin_year) & (returns["month"] == month), "org"])
    return [m for m in members(org) if m not in held]


def complete_rows(returns: pd.DataFrame, fin_year: str, month: int, org: str) -> pd.DataFrame | None:
    """The month's rows of ``org`` if every member returned, else None."""
    rows = select(returns, fin_year, month, org)
    return rows if set(rows["org"]) == set(members(org)) else None


def available_periods(returns: pd.DataFrame, org: str) -> list[tuple[str, int]]:
    """(fin_year, month) pairs for which every member of ``org`` has returns, in order."""
    need = set(members(org))
    held = returns.groupby(["fin_year", "month"])["org"].agg(set)
    return sorted(k for k, orgs in held.items() if need <= orgs)


def _with_total(df: pd.DataFrame, label_col: str, sum_cols: list[str]) -> pd.DataFrame:
    total = {label_col: TOTAL, **{c: df[c].sum(min_count=1) for c in sum_cols}}
    return pd.concat([df, pd.DataFrame([total])], ignore_index=True)


def _by_workstream(rows: pd.DataFrame, col: str) -> pd.Series:
    return rows.groupby("workstream")[col].sum().reindex(list(WORKSTREAMS), fill_value=0.0)


def ytd_by_workstream(rows: pd.DataFrame) -> pd.DataFrame:
    """Paper D Table 1: YTD plan, deliveries, variance and % of target achieved by workstream.

    As in the paper, % of target achieved divides YTD deliveries by the organisation's whole
    ANNUAL plan (ELR: 8,875 / 26,642 = 33%), not by the YTD plan.
    """
    annual = rows["annual_plan"].sum()
    out = pd.DataFrame({"workstream": list(WORKSTREAMS)})
    out["plan"] = _by_workstream(rows, "plan_ytd").to_numpy()
    out["deliveries"] = _by_workstream(rows, "actual_ytd").to_numpy()
    out["variance"] = out["deliveries"] - out["plan"]
    out = _with_total(out, "workstream", ["plan", "deliveries", "variance"])
    out["pct_of_target_achieved"] = out["deliveries"] / annual if annual else np.nan
    return out


def fot_by_workstream(rows: pd.DataFrame, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Paper D Table 2: annual plan, FOT, variance and monthly movement in FOT by workstream.

    Variance = FOT - plan (positive = under-delivery). Movement = this month's FOT minus the
    previous month's returns (positive = adverse); NaN where no previous month is held.
    """
    out = pd.DataFrame({"workstream": list(WORKSTREAMS)})
    out["plan"] = _by_workstream(rows, "annual_plan").to_numpy()
    out["fot"] = _by_workstream(rows, "fot").to_numpy()
    out["variance"] = out["fot"] - out["plan"]
    if previous is not None and len(previous):
        out["monthly_movement"] = out["fot"] - _by_workstream(previous, "fot").to_numpy()
    else:
        out["monthly_movement"] = np.nan
    return _with_total(out, "workstream", ["plan", "fot", "variance", "monthly_movement"])


RAG_COLUMNS = {"Green": "green", "Amber": "amber", "Red": "red", "Blue": "completed", "Grey": "closed"}


def fot_by_rag(rows: pd.DataFrame) -> pd.DataFrame:
    """Paper D Table 5: FOT by programme area and overall PMO RAG, with the PMO assured value.

    Blue (completed) is the paper's "(Completed)" column; Grey (closed) schemes get a column
    only when they carry a forecast.
    """
    pivot = rows.pivot_table(index="workstream", columns="rag", values="fot", aggfunc="sum", fill_value=0.0)
    pivot = pivot.reindex(index=list(WORKSTREAMS), columns=list(RAGS), fill_value=0.0)
    out = pd.DataFrame({"programme_area": list(WORKSTREAMS)})
    for rag in RAGS:
        out[RAG_COLUMNS[rag]] = pivot[rag].to_numpy()
    out["total"] = _by_workstream(rows, "fot").to_numpy()
    out["assured"] = _by_workstream(rows, "assured").to_numpy()
    if not out["closed"].any():
        out = out.drop(columns="closed")
    return _with_total(out, "programme_area", [c for c in out.columns if c != "programme_area"])


def descriptor_rag(text: str) -> str:
    """The RAG a PMO descriptor stands for (Paper D's milestone / benefit / risk wording)."""
    t = (text or "").lower()
    if not t:
        return ""
    if "have not been implemented" in t or "high risk" in t:
        return "Red"
    if "mitigating actions have been implemented" in t or "medium risk" in t or "mitigation actions are in" in t:
        return "Amber"
    if "on track" in t or "according to plan" in t:
        return "Green"
    return "?"


def red_schemes(rows: pd.DataFrame) -> pd.DataFrame:
    """Paper D Appendix 1: red-rated schemes with their descriptor RAGs, annual plan and FOT.

    Rows of the same scheme (number and name) are summed across organisations; a Total
    row closes the table (LLR M6: plan (16,762), FOT (1,974)).
    """
    red = rows[rows["rag"] == "Red"]
    cols = [
        "scheme_no",
        "scheme_name",
        "workstream",
        "milestones",
        "financial_benefits",
        "risk_issue",
        "rag",
        "annual_plan",
        "fot",
    ]
    if red.empty:
        return _with_total(
            pd.DataFrame(columns=cols).astype({"annual_plan": float, "fot": float}),
            "scheme_name",
            ["annual_plan", "fot"],
        )
    agg = (
        red.groupby(["scheme_no", "scheme_name"], sort=False)
        .agg(
            workstream=("workstream", "first"),
            milestones=("milestones", "first"),
            financial_benefits=("financial_benefits", "first"),
            risk_issue=("risk_issue", "first"),
            annual_plan=("annual_plan", "sum"),
            fot=("fot", "sum"),
        )
        .reset_index()
    )
    for c in ("milestones", "financial_benefits", "risk_issue"):
        agg[c] = agg[c].map(descriptor_rag)
    agg["rag"] = "Red"
    agg = agg.sort_values("scheme_name", key=lambda s: s.str.lower(), kind="stable")[cols]
    out = _with_total(agg.reset_index(drop=True), "scheme_name", ["annual_plan", "fot"])
    out.loc[out.index[-1], ["scheme_no", "workstream", "milestones", "financial_benefits", "risk_issue", "rag"]] = ""
    return out


def schemes(rows: pd.DataFrame, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Scheme-level detail: one line per scheme number and name (rows of a scheme summed).

    Under-delivery = annual plan minus... expressed as FOT - plan (positive = short of plan);
    movement = FOT change since the previous month's returns.
    """
    keys = ["scheme_no", "scheme_name", "workstream"]
    agg = (
        rows.groupby(keys, sort=False)
        .agg(
            rag=("rag", lambda s: "/".join(dict.fromkeys(s))),
            orgs=("org", lambda s: ", ".join(dict.fromkeys(s))),
            plan_ytd=("plan_ytd", "sum"),
            actual_ytd=("actual_ytd", "sum"),
            annual_plan=("annual_plan", "sum"),
            fot=("fot", "sum"),
            assured=("assured", "sum"),
        )
        .reset_index()
    )
    agg["variance"] = agg["fot"] - agg["annual_plan"]
    if previous is not None and len(previous):
        prev = previous.groupby(keys)["fot"].sum()
        agg["monthly_movement"] = agg["fot"] - prev.reindex(pd.MultiIndex.from_frame(agg[keys])).fillna(0.0).to_numpy()
    else:
        agg["monthly_movement"] = np.nan
    return _with_total(
        agg, "scheme_name", ["plan_ytd", "actual_ytd", "annual_plan", "fot", "assured", "variance", "monthly_movement"]
    ).fillna({"scheme_no": "", "workstream": "", "rag": "", "orgs": ""})


@dataclass(frozen=True)
class Headline:
    """The figures of the paper's executive summary for one organisation and month (£000)."""

    org: str
    fin_year: str
    month: int
    annual_plan: float
    plan_ytd: float
    actual_ytd: float
    fot: float
    under_delivery: float
    unidentified: float
    assured: float
    movement: float | None
    red_plan: float
    red_fot: float


def headline(rows: pd.DataFrame, previous: pd.DataFrame | None, *, org: str, fin_year: str, month: int) -> Headline:
    """Summary figures: plan, YTD, FOT, under-delivery (FOT - plan), unidentified, assured, movement."""
    red = rows[rows["rag"] == "Red"]
    unidentified = rows.loc[rows["workstream"] == "Unidentified", "annual_plan"].sum()
    movement = None
    if previous is not None and len(previous):
        movement = float(rows["fot"].sum() - previous["fot"].sum())
    return Headline(
        org=org,
        fin_year=fin_year,
        month=month,
        annual_plan=float(rows["annual_plan"].sum()),
        plan_ytd=float(rows["plan_ytd"].sum()),
        actual_ytd=float(rows["actual_ytd"].sum()),
        fot=float(rows["fot"].sum()),
        under_delivery=float(rows["fot"].sum() - rows["annual_plan"].sum()),
        unidentified=float(unidentified),
        assured=float(rows["assured"].sum()),
        movement=movement,
        red_plan=float(red["annual_plan"].sum()),
        red_fot=float(red["fot"].sum()),
    )


def org_split(returns: pd.DataFrame, fin_year: str, month: int, org: str) -> pd.DataFrame:
    """Plan, FOT and assured value for each member organisation and the whole (Paper D's CCG chart)."""
    rows = select(returns, fin_year, month, org)
    out = rows.groupby("org")[["annual_plan", "fot", "assured"]].sum().reindex(list(members(org)), fill_value=0.0)
    out = out.reset_index().rename(columns={"org": "organisation"})
    if len(out) > 1:
        out = _with_total(out, "organisation", ["annual_plan", "fot", "assured"])
    return out


def monthly_history(returns: pd.DataFrame, fin_year: str, org: str) -> pd.DataFrame:
    """Totals per month held for ``org`` in ``fin_year``: plan YTD, actual YTD, annual plan, FOT, assured."""
    rows = returns[(returns["fin_year"] == fin_year) & returns["org"].isin(members(org))]
    complete = [m for (fy, m) in available_periods(rows, org) if fy == fin_year]
    rows = rows[rows["month"].isin(complete)]
    cols = ["plan_ytd", "actual_ytd", "annual_plan", "fot", "assured"]
    return rows.groupby("month")[cols].sum().reset_index()


def workstream_monthly(returns: pd.DataFrame, fin_year: str, org: str) -> pd.DataFrame:
    """Each workstream's totals per month held for ``org`` in ``fin_year`` (complete months only).

    Columns: month, workstream, plan_ytd, actual_ytd, delivered, annual_plan, fot, assured. Every
    workstream appears every month (zeros where it has no schemes). ``delivered`` is the in-month
    delivery: actual YTD less the previous month's (M1: actual YTD); NaN when that month is not held.
    Summed over workstreams the money columns equal :func:`monthly_history`.
    """
    cols = ["plan_ytd", "actual_ytd", "annual_plan", "fot", "assured"]
    rows = returns[(returns["fin_year"] == fin_year) & returns["org"].isin(members(org))]
    months = [m for (fy, m) in available_periods(rows, org) if fy == fin_year]
    rows = rows[rows["month"].isin(months)]
    grid = pd.MultiIndex.from_product([months, list(WORKSTREAMS)], names=["month", "workstream"])
    out = rows.groupby(["month", "workstream"])[cols].sum().reindex(grid, fill_value=0.0).reset_index()
    out["month"] = out["month"].astype(int)
    before = out.assign(month=out["month"] + 1).set_index(["month", "workstream"])["actual_ytd"]
    prev = before.reindex(pd.MultiIndex.from_frame(out[["month", "workstream"]])).to_numpy()
    prev = np.where(out["month"] == 1, 0.0, prev)
    out.insert(4, "delivered", out["actual_ytd"] - prev)
    return out


def workstream_series(trends: pd.DataFrame, measure: str, workstream: str | None = None) -> pd.Series:
    """One measure of :func:`workstream_monthly` by month, for one workstream or (None) all of them."""
    df = trends if workstream is None else trends[trends["workstream"] == workstream]
    return df.groupby("month")[measure].sum(min_count=1).rename(measure)


def filter_schemes(
    table: pd.DataFrame, *, workstream: str | None = None, rag: str | None = None, min_variance: float = 0.0
) -> pd.DataFrame:
    """The :func:`schemes` table narrowed to a workstream, a RAG and ``|variance| >= min_variance``.

    A scheme whose rows carry several RAGs (``Green/Amber``) matches each of them. Schemes are
    ordered by variance, largest shortfall first; a new Total row closes the table.
    """
    body = table[table["scheme_name"] != TOTAL]
    keep = body["variance"].abs() >= float(min_variance or 0.0)
    if workstream:
        keep &= body["workstream"] == workstream
    if rag:
        keep &= body["rag"].map(lambda r: rag in str(r).split("/"))
    body = body[keep].sort_values("variance", ascending=False, kind="stable").reset_index(drop=True)
    sums = ["plan_ytd", "actual_ytd", "annual_plan", "fot", "assured", "variance", "monthly_movement"]
    return _with_total(body, "scheme_name", sums).fillna({"scheme_no": "", "workstream": "", "rag": "", "orgs": ""})


def scheme_history(
    returns: pd.DataFrame, fin_year: str, org: str, scheme_no: str, scheme_name: str, upto: int | None = None
) -> pd.DataFrame:
    """One scheme's line of :func:`schemes` for each month held (to month ``upto``), with RAG changes.

    Columns: month, rag, plan_ytd, actual_ytd, annual_plan, fot, assured, variance, rag_change
    (``"Amber → Red"`` in the month the RAG changed, else empty). Months without the scheme are left out.
    """
    return history_from_tables(schemes_by_month(returns, fin_year, org, upto=upto), scheme_no, scheme_name)


def schemes_by_month(
    returns: pd.DataFrame, fin_year: str, org: str, *, upto: int | None = None
) -> dict[int, pd.DataFrame]:
    """Month -> :func:`schemes` table of ``org`` for each month of ``fin_year`` held (to month ``upto``):
    computed once, every scheme's history is read from it (:func:`history_from_tables`)."""
    return {
        m: schemes(select(returns, fy, m, org))
        for fy, m in available_periods(returns, org)
        if fy == fin_year and (upto is None or m <= upto)
    }


def history_from_tables(tables: dict[int, pd.DataFrame], scheme_no: str, scheme_name: str) -> pd.DataFrame:
    """:func:`scheme_history` of one scheme from :func:`schemes_by_month` tables."""
    cols = ["month", "rag", "plan_ytd", "actual_ytd", "annual_plan", "fot", "assured", "variance"]
    out = []
    for m, table in tables.items():
        hit = table[(table["scheme_no"] == scheme_no) & (table["scheme_name"] == scheme_name)]
        if len(hit):
            out.append({"month": m, **hit.iloc[0][cols[1:]].to_dict()})
    df = pd.DataFrame(out, columns=cols)
    before = df["rag"].shift()
    changed = before.notna() & (df["rag"] != before)
    df["rag_change"] = [f"{b} → {r}" if c else "" for b, r, c in zip(before, df["rag"], changed, strict=True)]
    return df


def workstream_variances(ytd: pd.DataFrame, fot: pd.DataFrame) -> pd.DataFrame:
    """Tables 1 and 2 side by side, one line per workstream and Total.

    Columns: workstream, plan_ytd, actual_ytd, ytd_variance (from :func:`ytd_by_workstream`), annual_plan,
    fot, variance, monthly_movement (from :func:`fot_by_workstream`).
    """
    return pd.DataFrame(
        {
            "workstream": ytd["workstream"],
            "plan_ytd": ytd["plan"],
            "actual_ytd": ytd["deliveries"],
            "ytd_variance": ytd["variance"],
            "annual_plan": fot["plan"].to_numpy(),
            "fot": fot["fot"].to_numpy(),
            "variance": fot["variance"].to_numpy(),
            "monthly_movement": fot["monthly_movement"].to_numpy(),
        }
    )
