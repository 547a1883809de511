"""Derive the scheme -> programme area map and each scheme's planning stage for Paper D's executive summary.

Paper D's first table reports the M6 programme by *programme area* (Acute Services, Community
Health services, ...) and *planning stage* (pipeline / design / developed), but its dashboards
(Appendices 2-5) carry neither field. This script builds the two maps from the published M6
rows so that :func:`qipp_helpers.analysis.programme.executive_summary` reproduces the table,
and records how each assignment was made (``basis``). Method:

1. Rows: the CCG rows of the published M6 workbook plus the adjustment derived from the LLR
   dashboard (WL's missing Continuing Healthcare row; :mod:`qipp_helpers.analysis.adjustments`).
   The rounding adjustments (a few £k per CCG, no scheme) are in the rows the product sums, so
   the targets the fit aims at are the published figures less what they bring to each area
   (their workstream's area; their stage split pro rata, as the product does).
2. Areas the paper fixes (``basis`` "paper"): Continuing Care services = the CHC workstream,
   Prescribing = Medicines Management, Running costs = Corporate, Unidentified = unidentified
   QIPP, and Primary Care = the Primary Care workstream *less 6.1 Primary Care Co-ordinators*:
   with 6.1 out, all four published figures (target, YTD plan, YTD achieved, FOT) are met to
   £1k; with it in, none is.
3. The rest (£27.7m) by a workstream rule (``basis`` "workstream rule"): Planned Care, Urgent
   Care, Contracting and Integrated Teams -> Acute Services; Community Health, Children's and
   6.1 -> Community Health services; Mental Health and 9.1 (LPT *MH* short-term cost
   reduction, by its name) -> Mental Health Services.
4. The rule misses the published Acute / Community / Mental Health split by up to £4.1m, and no
   assignment of whole schemes comes within £40k of it: the paper's split does not follow the
   dashboards' scheme lines. So a linear programme (scipy / HiGHS) gives each of those schemes
   a share in each of the three areas, moving as little plan (£) away from the rule as it can
   while meeting every published cell of the three areas (target, YTD plan, YTD achieved, FOT)
   to £3k; 6.5 LPT Growth QIPP (a reduction of the Leicestershire Partnership Trust contract,
   which covers community and mental health services) may only be shared between those two.
   Schemes given shares get ``basis`` "fitted to published area totals": they make the demo
   table tie; they are not known facts about the schemes.
5. Stages: unidentified QIPP is pipeline and completed (Blue) schemes are developed (rules); WL's
   PCCC line is pipeline for the plan it does not forecast, as Table 4's narrative says (the 326
   is Primary Care's published pipeline). Then a small mixed-integer programme marks the fewest
   schemes (whole where possible, least-delivering first) as pipeline or design so that every
   area's published pipeline and design amounts, and their totals, are met to £1k
   (``basis`` "fitted to published stage split"); every other scheme is developed.

Writes qipp_helpers/reference/programme_area_map.csv and planning_stage_map.csv (a row with
org blank applies to every CCG; an org row replaces it for that CCG's line), then prints the
executive summary computed from them minus the published one.

    python scripts/derive_programme_areas.py           # fit (needs scipy) and write
    python scripts/derive_programme_areas.py --check   # recompute from the committed maps only
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from qipp_helpers.analysis import adjustments as adj
from qipp_helpers.analysis.programme import AREAS, WORKSTREAM_AREAS, executive_summary, programme_lines
from qipp_helpers.core.orgs import organisations
from qipp_helpers.core.vocab import MONEY_COLUMNS
from qipp_helpers.ingest.dashboard import read_xlsx
from qipp_helpers.reference import (
    paper_d_executive_summary,
    paper_d_risk_ratings,
    planning_stage_map,
    programme_area_map,
    workstream_map,
)

ROOT = Path(__file__).resolve().parents[1]
WORKBOOK = ROOT / "data" / "raw" / "2019-20" / "M06" / "paper_d_m6_pmo_dashboards.xlsx"
OUT = ROOT / "qipp_helpers" / "reference"
FY, MONTH = "2019-20", 6

ACUTE, COMMUNITY, MH = "Acute Services", "Community Health services", "Mental Health Services"
FITTED_AREAS = (ACUTE, COMMUNITY, MH)
MEASURES = ("annual_plan", "plan_ytd", "actual_ytd", "fot")
TARGET = {"annual_plan": "qipp_target", "plan_ytd": "ytd_plan", "actual_ytd": "ytd_achieved", "fot": "fot"}
AREA_TOL = 2.8  # £000: each cell to £3k, less a margin for shares written to 4 places
STAGE_TOL = 1.5  # £000, each area's pipeline and design (their totals: TOTAL_STAGE_TOL)
TOTAL_STAGE_TOL = 0.5
SPLITTABLE = {"6.5"}  # LPT Growth QIPP: an LPT contract reduction across community and mental health
SPLIT_AREAS = (COMMUNITY, MH)
RULE_OVERRIDES = {
    "6.1": (COMMUNITY, "paper", "outside Primary Care: the published Primary Care figures are the workstream less 6.1"),
    "9.1": (MH, "workstream rule", "LPT MH short-term cost reduction: a mental health scheme by its name"),
}
PAPER_AREAS = {
    "Continuing Care services",
    "Prescribing",
    "Primary Care",
    "Running costs",
    "Unidentified",
}


def m6_rows() -> pd.DataFrame:
    """Published M6 CCG rows plus their adjustments (the located WL row, rounding), with workstreams."""
    result = read_xlsx(WORKBOOK)
    ccg, combined, printed = [], [], []
    for sheet in result.sheets:
        recs = [{**r, "fin_year": FY, "month": MONTH, "source_file": WORKBOOK.name} for r in sheet.records]
        if sheet.org in organisations().groups:
            combined += recs
            continue
        for r in recs:
            r["workstream"] = workstream_map()[r["scheme_no"]]
        ccg += recs
        printed.append({"fin_year": FY, "month": MONTH, "org": sheet.org, **sheet.printed_total})
    rows = pd.DataFrame(ccg)
    found = adj.derive_adjustments(rows, pd.DataFrame(printed), pd.DataFrame(combined))
    return adj.apply_adjustments(rows, found)


def targets(rows: pd.DataFrame) -> pd.DataFrame:
    """What the scheme lines must add up to: the published table less what lines without a scheme bring."""
    pub = published()
    loose = rows[rows["scheme_no"] == ""]
    area = loose["workstream"].map(WORKSTREAM_AREAS)
    for measure, col in TARGET.items():
        pub[col] = pub[col] - loose[measure].groupby(area).sum().reindex(pub.index, fill_value=0.0)
    plan = loose["annual_plan"].groupby(area).sum().reindex(pub.index, fill_value=0.0)
    published_target = published()["qipp_target"]
    for stage in ("pipeline", "design", "developed"):
        weight = (published()[stage] / published_target.where(published_target != 0, 1.0)).fillna(0.0)
        pub[stage] = pub[stage] - plan * weight
    return pub


def published() -> pd.DataFrame:
    """The published executive summary in stored terms (savings negative)."""
    p = paper_d_executive_summary().set_index("programme_area")
    money = ["qipp_target", "pipeline", "design", "developed", "ytd_plan", "ytd_achieved", "fot"]
    p[money] = -p[money]
    return p


def rule_area(no: str, workstream: str) -> tuple[str, str, str]:
    if no in RULE_OVERRIDES:
        return RULE_OVERRIDES[no]
    area = WORKSTREAM_AREAS[workstream]
    basis = "paper" if area in PAPER_AREAS else "workstream rule"
    note = {
        "Continuing Care services": "CHC workstream = Continuing Care services (target 8,000; FOT 10,000)",
        "Prescribing": "Medicines Management workstream = Prescribing (target 14,578)",
        "Primary Care": "Primary Care workstream less 6.1 = Primary Care (target 3,750)",
        "Running costs": "Corporate workstream = Running costs (target 990)",
        "Unidentified": "unidentified QIPP",
    }.get(area, f"{workstream} workstream")
    return area, basis, note


def lines(rows: pd.DataFrame) -> pd.DataFrame:
    """One line per (org, scheme), money summed, with the area the rule gives it."""
    g = rows.groupby(["org", "scheme_no"], sort=True)
    out = g.agg(
        workstream=("workstream", "first"),
        rag=("rag", lambda s: "/".join(sorted(set(s)))),
        **{m: (m, "sum") for m in MONEY_COLUMNS},
    ).reset_index()
    rule = [rule_area(n, w) for n, w in zip(out["scheme_no"], out["workstream"], strict=True)]
    out["rule_area"], out["rule_basis"], out["rule_note"] = zip(*rule, strict=True)
    return out


def schemes(ln: pd.DataFrame) -> pd.DataFrame:
    """One unit per scheme (every CCG's line together), money summed, with its rule area."""
    out = ln.groupby("scheme_no", sort=True).agg(
        rule_area=("rule_area", "first"),
        rule_basis=("rule_basis", "first"),
        rule_note=("rule_note", "first"),
        **{m: (m, "sum") for m in MONEY_COLUMNS},
    )
    return out.reset_index()


def fit_areas(units: pd.DataFrame, pub: pd.DataFrame) -> pd.DataFrame:
    """Each scheme's share in Acute / Community / MH: least plan moved from the rule, every cell to £3k."""
    from scipy.optimize import linprog

    pool = units[units["rule_area"].isin(FITTED_AREAS) & (units[list(MEASURES)].abs().sum(axis=1) > 0)]
    pool = pool.reset_index(drop=True)
    n, k = len(pool), len(FITTED_AREAS)
    v = -pool[list(MEASURES)].to_numpy(dtype=float)
    cost = np.zeros(n * k)
    upper = np.ones(n * k)
    for i in range(n):
        for a, area in enumerate(FITTED_AREAS):
            if area != pool.at[i, "rule_area"]:
                cost[i * k + a] = abs(v[i, 0]) + 10.0  # £ of plan moved (+ a little per move)
            if pool.at[i, "scheme_no"] in SPLITTABLE and area not in SPLIT_AREAS:
                upper[i * k + a] = 0.0
    a_eq = np.zeros((n, n * k))
    for i in range(n):
        a_eq[i, i * k : (i + 1) * k] = 1.0
    a_ub, b_ub = [], []
    for a, area in enumerate(FITTED_AREAS):
        for m, measure in enumerate(MEASURES):
            r = np.zeros(n * k)
            r[a::k] = v[:, m]
            target = -pub.at[area, TARGET[measure]]
            a_ub += [r, -r]
            b_ub += [target + AREA_TOL, -(target - AREA_TOL)]
    res = linprog(
        cost,
        A_ub=np.array(a_ub),
        b_ub=b_ub,
        A_eq=a_eq,
        b_eq=np.ones(n),
        bounds=list(zip(np.zeros(n * k), upper, strict=True)),
        method="highs",
    )
    if res.status != 0:
        raise SystemExit(f"area fit failed: {res.message}")
    x = res.x.reshape(n, k)
    out = []
    for i in range(n):
        if abs(x[i, FITTED_AREAS.index(pool.at[i, "rule_area"])] - 1) < 1e-6:
            continue
        for a, area in enumerate(FITTED_AREAS):
            if x[i, a] > 1e-6:
                out.append({"scheme_no": pool.at[i, "scheme_no"], "area": area, "share": round(float(x[i, a]), 4)})
    return pd.DataFrame(out, columns=["scheme_no", "area", "share"])


def area_map(units: pd.DataFrame, fitted: pd.DataFrame) -> list[dict]:
    """The map rows: the rule's area per scheme, or the fitted shares where the fit moved it."""
    out = []
    for u in sorted(units.itertuples(), key=lambda u: _order(u.scheme_no)):
        f = fitted[fitted["scheme_no"] == u.scheme_no]
        if f.empty:
            out.append(
                {
                    "scheme_no": u.scheme_no,
                    "org": "",
                    "programme_area": u.rule_area,
                    "share": 1,
                    "basis": u.rule_basis,
                    "note": u.rule_note,
                }
            )
            continue
        why = "LPT contract (community and mental health); " if u.scheme_no in SPLITTABLE else ""
        for r in f.itertuples():
            out.append(
                {
                    "scheme_no": u.scheme_no,
                    "org": "",
                    "programme_area": r.area,
                    "share": r.share,
                    "basis": "fitted to published area totals",
                    "note": f"{why}rule: {u.rule_area}; {r.share:.1%} of the scheme fitted to {r.area}",
                }
            )
    return out


#: Stages the paper's narrative gives directly: (scheme, org) -> (stage, what it says). The share is
#: the line's plan not forecast: WL PCCC plan (691) less its forecast (365) = 326, Primary Care's
#: published pipeline (326.31).
PAPER_STAGES = {
    ("3.6", "WL"): (
        "pipeline",
        "Table 4 narrative: WL PCCC forecast £0.365m below its plan £0.691m, further mitigations still to be "
        "identified; the unforecast 326 is Primary Care's published pipeline (326.31)",
    ),
}


def paper_stages(ln: pd.DataFrame) -> pd.DataFrame:
    out = []
    for (no, org), (stage, note) in PAPER_STAGES.items():
        line = ln[(ln["scheme_no"] == no) & (ln["org"] == org)].iloc[0]
        share = round(float((line["annual_plan"] - line["fot"]) / line["annual_plan"]), 4)
        out.append({"scheme_no": no, "org": org, "stage": stage, "share": share, "basis": "paper", "note": note})
    return pd.DataFrame(out)


def fit_stages(parts: pd.DataFrame, pub: pd.DataFrame, given: pd.DataFrame) -> pd.DataFrame:
    """Pipeline and design shares per (scheme, area): every area's published amounts, and the totals, to £1k.

    ``parts``: plan by (programme_area, scheme_no, org) with the line's RAG and FOT. A unit is a
    scheme's plan in one area. Rules (unidentified = pipeline, completed = developed) and the
    paper's own stages (``given``) are fixed first; then the fewest units, whole where possible
    and least-delivering first, are marked.
    """
    from scipy.optimize import Bounds, LinearConstraint, milp

    parts = parts[parts["annual_plan"] != 0]
    fixed = {area: {"pipeline": 0.0, "design": 0.0} for area in AREAS}
    for r in parts[parts["scheme_no"] == "UNIDENTIFIED"].itertuples():
        fixed[r.programme_area]["pipeline"] += r.annual_plan
    for g in given.itertuples():
        for r in parts[(parts["scheme_no"] == g.scheme_no) & (parts["org"] == g.org)].itertuples():
            fixed[r.programme_area][g.stage] += r.annual_plan * g.share
    blue = parts.groupby("scheme_no")["rag"].agg(lambda s: (s == "Blue").all())
    free = parts[
        (parts["scheme_no"] != "UNIDENTIFIED")
        & ~parts["scheme_no"].map(blue)
        & ~parts["scheme_no"].isin(set(given["scheme_no"]))
    ]
    units = free.groupby(["programme_area", "scheme_no"], sort=True)[["annual_plan", "fot"]].sum().reset_index()
    plan = -units["annual_plan"].to_numpy(dtype=float)
    ratio = np.clip(-units["fot"].to_numpy(dtype=float) / np.where(plan != 0, plan, 1.0), 0, 1.5)
    need = {a: {s: -(pub.at[a, s] - fixed[a][s]) for s in ("pipeline", "design")} for a in AREAS}
    n = len(units)
    # variables: share s[i, st] (2n), then used z[i, st] (2n); st 0 = pipeline, 1 = design
    nv = 4 * n
    cost = np.zeros(nv)
    for i in range(n):
        for st in range(2):
            cost[2 * n + 2 * i + st] = 2.0 + ratio[i]  # using a unit at all, more the more of it is forecast ...
            cost[2 * i + st] = -1.0  # ... less the share used: a whole unit costs less than part of one
    rows, lo, hi = [], [], []
    for st, name in enumerate(("pipeline", "design")):
        total = np.zeros(nv)
        for area in AREAS:
            r = np.zeros(nv)
            idx = np.flatnonzero(units["programme_area"].to_numpy() == area)
            r[2 * idx + st] = plan[idx]
            rows.append(r)
            lo.append(need[area][name] - STAGE_TOL)
            hi.append(need[area][name] + STAGE_TOL)
            total += r
        rows.append(total)  # the areas' differences must not all lean one way: the Total to £1k too
        all_need = sum(need[a][name] for a in AREAS)
        lo.append(all_need - TOTAL_STAGE_TOL)
        hi.append(all_need + TOTAL_STAGE_TOL)
    for i in range(n):
        r = np.zeros(nv)
        r[2 * i : 2 * i + 2] = 1
        rows.append(r)
        lo.append(0.0)
        hi.append(1.0)
        for st in range(2):
            r = np.zeros(nv)
            r[2 * i + st] = 1
            r[2 * n + 2 * i + st] = -1
            rows.append(r)
            lo.append(-np.inf)
            hi.append(0.0)
    integrality = np.r_[np.zeros(2 * n), np.ones(2 * n)].astype(int)
    res = milp(
        cost,
        constraints=LinearConstraint(np.array(rows), lo, hi),
        integrality=integrality,
        bounds=Bounds(0, 1),
        options={"time_limit": 300},
    )
    if res.x is None or res.status != 0:
        raise SystemExit(f"stage fit failed: {res.message}")
    share = res.x[: 2 * n].reshape(n, 2)
    out = []
    for i, unit in units.iterrows():
        for st, name in enumerate(("pipeline", "design")):
            if share[i, st] > 1e-6:
                out.append(
                    {
                        "scheme_no": unit["scheme_no"],
                        "programme_area": unit["programme_area"],
                        "stage": name,
                        "share": share[i, st],
                    }
                )
    return pd.DataFrame(out, columns=["scheme_no", "programme_area", "stage", "share"])


def stage_map(units: pd.DataFrame, ln: pd.DataFrame, fitted: pd.DataFrame, given: pd.DataFrame) -> list[dict]:
    """Stage rows: a rule or default per scheme; fitted shares (per area where the scheme spans areas);
    the paper's own per-CCG stages."""
    area_count = fitted.attrs.get("areas", pd.Series(dtype=int))
    out = []

    def row(no: str, org: str, area: str, stage: str, share: float, basis: str, note: str) -> None:
        out.append(
            {
                "scheme_no": no,
                "org": org,
                "programme_area": area,
                "stage": stage,
                "share": share,
                "basis": basis,
                "note": note,
            }
        )

    for no in sorted(units["scheme_no"], key=_order):
        mine = ln[(ln["scheme_no"] == no) & (ln["annual_plan"] != 0)]
        if no == "UNIDENTIFIED":
            base = ("pipeline", "rule: unidentified QIPP is pipeline", "")
        elif len(mine) and (mine["rag"] == "Blue").all():
            base = ("developed", "rule: completed (Blue) schemes are developed", "")
        else:
            base = ("developed", "default: developed", "no published stage amount needs it")
        f = fitted[fitted["scheme_no"] == no]
        spans = int(area_count.get(no, 1))
        if f.empty or spans > 1:
            row(no, "", "", base[0], 1, base[1], base[2])
        for area, part in f.groupby("programme_area", sort=True):
            where = area if spans > 1 else ""
            used = 0.0
            for r in part.itertuples():
                share = round(float(r.share), 4)
                note = f"{area}: {share:.1%} of the scheme's plan fitted to the published {r.stage} amount"
                row(no, "", where, r.stage, share, "fitted to published stage split", note)
                used += share
            if used < 1 - 1e-6:
                row(no, "", where, "developed", round(1 - used, 4), "fitted to published stage split", "the rest")
        for g in given[given["scheme_no"] == no].itertuples():
            row(no, g.org, "", g.stage, g.share, "paper", g.note)
            row(no, g.org, "", "developed", round(1 - g.share, 4), "paper", f"the plan {g.org} forecasts")
    return out


def _order(no: str) -> tuple:
    if no == "UNIDENTIFIED":
        return (99, 0, "")
    head, _, tail = no.partition(".")
    digits = "".join(c for c in tail if c.isdigit())
    return (int(head), int(digits or 0), tail[len(digits) :])


def write(name: str, rows: list[dict]) -> None:
    with (OUT / name).open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {OUT / name} ({len(rows)} rows)")


def compare(rows: pd.DataFrame) -> pd.DataFrame:
    got = executive_summary(rows, programme_area_map(), planning_stage_map(), paper_d_risk_ratings()).set_index(
        "programme_area"
    )
    pub = published()
    cols = ["qipp_target", "pipeline", "design", "developed", "ytd_plan", "ytd_achieved", "fot"]
    diff = (got.loc[pub.index, cols] - pub[cols]).round(1)
    diff.columns = [f"d_{c}" for c in cols]
    return diff


def main(argv: list[str]) -> None:
    all_rows = m6_rows()
    rows = all_rows[all_rows["scheme_no"] != ""]  # the lines a map can name
    if "--check" not in argv:
        try:
            import scipy.optimize  # noqa: F401
        except ImportError:
            raise SystemExit("the fit needs scipy (pip install scipy); --check recomputes without it") from None
        pub = targets(all_rows)
        ln = lines(rows)
        units = schemes(ln)
        write("programme_area_map.csv", area_map(units, fit_areas(units, pub)))
        parts = programme_lines(
            rows, programme_area_map(), pd.DataFrame(columns=["scheme_no", "org", "stage", "share"])
        )
        parts = parts.groupby(["programme_area", "scheme_no", "org"], as_index=False).agg(
            rag=("rag", lambda s: "/".join(sorted(set(s)))), annual_plan=("annual_plan", "sum"), fot=("fot", "sum")
        )
        given = paper_stages(ln)
        fitted = fit_stages(parts, pub, given)
        fitted.attrs["areas"] = parts[parts["annual_plan"] != 0].groupby("scheme_no")["programme_area"].nunique()
        write("planning_stage_map.csv", stage_map(units, ln, fitted, given))
    pd.set_option("display.width", 200)
    print("computed minus published (£000, savings negative):")
    print(compare(all_rows).to_string())


if __name__ == "__main__":
    main(sys.argv)
