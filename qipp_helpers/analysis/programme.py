"""Paper D's executive summary: the QIPP programme by programme area and planning stage, as pure functions.

Each scheme row is given a programme area (Acute Services, Community Health services, ...) and
a planning stage (pipeline / design / developed) from two maps keyed by scheme number and,
where a CCG's line differs, organisation (the stage map also by programme area, where a
scheme's plan in one area is at another stage than in the next). A map row may carry a
``share`` below 1 when a scheme's line is split between areas or stages; the shares of one line
add up to 1. Rows the maps do not name fall back to a rule: the area of their workstream, and
for the stage, unidentified QIPP = pipeline, completed (Blue) = developed, anything else
``unstaged`` (shown, never guessed). Lines with no scheme (rounding and unallocated
adjustments) take their area's stage split pro rata, so the stages still add up to the area's
target. Money stays in £000 with savings negative, as every other table; the paper prints this
one with savings positive.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd

from ..core import vocab
from ..reference import normalise_scheme_no

TOTAL = "Total"
UNMAPPED = "Not mapped"
UNSTAGED = "unstaged"

#: Paper D's programme areas, in the order of its executive summary.
AREAS: tuple[str, ...] = vocab.QIPP_AREAS
STAGES: tuple[str, ...] = ("pipeline", "design", "developed")
_TITLES = vocab.PLANNING_STAGES  # the stages as a return spells them

#: The programme area a workstream's schemes fall in unless the map says otherwise (the rule the map starts from).
WORKSTREAM_AREAS: dict[str, str] = vocab.WORKSTREAM_AREAS

COLUMNS: tuple[str, ...] = (
    "programme_area",
    "qipp_target",
    "pipeline",
    "design",
    "developed",
    UNSTAGED,
    "pct_developed",
    "ytd_plan",
    "ytd_achieved",
    "pct_ytd_achieved",
    "fot",
    "pct_target_achieved",
    "risk_rating",
)


def _table(table: pd.DataFrame | None, column: str) -> pd.DataFrame:
    cols = ["scheme_no", "org", "programme_area", column, "share"]
    if table is None or table.empty:
        return pd.DataFrame(columns=cols)
    t = table.copy()
    t["scheme_no"] = t["scheme_no"].map(normalise_scheme_no)
    for c in ("org", "programme_area"):
        t[c] = t[c].fillna("").astype(str) if c in t else ""
    t["share"] = pd.to_numeric(t["share"], errors="coerce").fillna(1.0) if "share" in t else 1.0
    return t[cols]


def _assign(keys: pd.DataFrame, table: pd.DataFrame, column: str, by: list[str]) -> pd.DataFrame:
    """(_part, value, share) for every key the map names, the most specific entry winning.

    ``by`` are the optional key columns besides scheme_no (org, and for stages programme_area): an
    entry naming more of them beats one that leaves them blank (blank = any).
    """
    found, left = [], keys
    levels = [[c for c, on in zip(by, mask, strict=True) if on] for mask in _masks(len(by))]
    for named in levels:
        blank = [c for c in by if c not in named]
        rows = table
        for c in named:
            rows = rows[rows[c] != ""]
        for c in blank:
            rows = rows[rows[c] == ""]
        hit = left.merge(rows[["scheme_no", *named, column, "share"]], on=["scheme_no", *named])
        found.append(hit[["_part", column, "share"]])
        left = left[~left["_part"].isin(hit["_part"])]
    return pd.concat(found, ignore_index=True)


def _masks(n: int) -> list[tuple[bool, ...]]:
    """Every on/off combination of n key columns, most columns named first."""
    return sorted(itertools.product((True, False), repeat=n), key=lambda m: -sum(m))


def programme_lines(rows: pd.DataFrame, area_map: pd.DataFrame, stage_map: pd.DataFrame) -> pd.DataFrame:
    """Each scheme row split into its (programme area, planning stage) parts, money scaled by the shares.

    Columns: the rows' own columns, programme_area, stage, share (area share x stage share), and
    the money columns multiplied by ``share``. Summed over a row's parts the money is the row's.
    A row that carries its own ``programme_area`` / ``planning_stage`` (a returned line) is that one
    part: the maps are used only for rows that carry none (the published M6 import, dashboards).
    A stage map entry may name a programme area: it then applies to the scheme's plan in that area.
    """
    r = rows.reset_index(drop=True).copy()
    r["_row"] = np.arange(len(r))
    r["scheme_no"] = r["scheme_no"].map(normalise_scheme_no)
    r = _from_siblings(r)
    own_area = _own(r, "programme_area", AREAS)
    own_stage = _own(r, "planning_stage", _TITLES).str.lower()
    r = r.drop(columns=[c for c in ("programme_area", "stage") if c in r])
    keys = r.loc[own_area == "", ["_row", "org", "scheme_no"]].rename(columns={"_row": "_part"})
    areas = _assign(keys, _area_table(area_map), "programme_area", ["org"]).rename(columns={"_part": "_row"})
    missing = r[(own_area == "") & ~r["_row"].isin(areas["_row"])]
    fallback = pd.DataFrame(
        {
            "_row": missing["_row"],
            "programme_area": missing["workstream"].map(WORKSTREAM_AREAS).fillna(UNMAPPED),
            "share": 1.0,
        }
    )
    returned = pd.DataFrame({"_row": r.loc[own_area != "", "_row"], "programme_area": own_area[own_area != ""]})
    areas = pd.concat([areas, fallback, returned.assign(share=1.0)], ignore_index=True)
    areas = areas.rename(columns={"share": "share_area"})
    areas["_part"] = np.arange(len(areas))
    keys = areas.merge(r[["_row", "org", "scheme_no", "rag"]], on="_row")
    staged = keys["_row"].map(own_stage) != ""
    schemeless = (keys["scheme_no"] == "") & ~staged
    todo = keys[~schemeless & ~staged]
    stages = _assign(todo, _table(stage_map, "stage"), "stage", ["org", "programme_area"])
    missing = todo[~todo["_part"].isin(stages["_part"])]
    rule = np.where(
        missing["scheme_no"] == "UNIDENTIFIED", "pipeline", np.where(missing["rag"] == "Blue", "developed", UNSTAGED)
    )
    own = pd.DataFrame({"_part": keys.loc[staged, "_part"], "stage": keys.loc[staged, "_row"].map(own_stage)})
    stages = pd.concat(
        [stages, pd.DataFrame({"_part": missing["_part"], "stage": rule, "share": 1.0}), own.assign(share=1.0)],
        ignore_index=True,
    )
    stages = pd.concat([stages, _pro_rata(keys[schemeless], areas, stages, r)], ignore_index=True)
    parts = areas.merge(stages, on="_part")
    parts["share"] = parts["share_area"] * parts["share"]
    out = r.merge(parts[["_row", "programme_area", "stage", "share"]], on="_row")
    for col in ("annual_plan", "plan_ytd", "actual_ytd", "fot", "assured"):
        if col in out:
            out[col] = out[col] * out["share"]
    return out.drop(columns="_row")


def _from_siblings(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows without fields (an adjustment attributed to a scheme) take those of the scheme's first returned
    line in the same organisation, so a returned month never falls back to the derived maps for them."""
    if "programme_area" not in rows or "planning_stage" not in rows:
        return rows
    fields = ["programme_area", "planning_stage"]
    has = (_own(rows, "programme_area", AREAS) != "") & (_own(rows, "planning_stage", _TITLES) != "")
    if has.all() or not has.any():
        return rows
    first = rows[has].drop_duplicates(["org", "scheme_no"]).set_index(["org", "scheme_no"])[fields]
    blank = rows.index[~has & (rows["scheme_no"] != "")]
    keys = pd.MultiIndex.from_frame(rows.loc[blank, ["org", "scheme_no"]])
    found = first.reindex(keys)
    out = rows.copy()
    for c in fields:
        out.loc[blank, c] = found[c].fillna("").to_numpy()
    return out


def _own(rows: pd.DataFrame, column: str, values: tuple[str, ...]) -> pd.Series:
    """A row's own value of ``column`` where it carries one of ``values``, else ''."""
    if column not in rows:
        return pd.Series("", index=rows.index)
    own = rows[column].fillna("").astype(str)
    return own.where(own.isin(values), "")


def returned_fields(rows: pd.DataFrame) -> bool:
    """True if every row carries its own programme area and planning stage (the summary is the returns' own)."""
    return (
        bool(len(rows))
        and (_own(rows, "programme_area", AREAS) != "").all()
        and (_own(rows, "planning_stage", _TITLES) != "").all()
    )


def _pro_rata(keys: pd.DataFrame, areas: pd.DataFrame, stages: pd.DataFrame, rows: pd.DataFrame) -> pd.DataFrame:
    """Stages for lines with no scheme (rounding, unallocated adjustments): their area's split, pro rata."""
    if keys.empty:
        return pd.DataFrame(columns=["_part", "stage", "share"])
    plan = areas.merge(stages, on="_part").merge(rows[["_row", "annual_plan"]], on="_row")
    plan["amount"] = plan["annual_plan"] * plan["share_area"] * plan["share"]
    split = plan.groupby(["programme_area", "stage"])["amount"].sum()
    out = []
    for part, area in zip(keys["_part"], keys["programme_area"], strict=True):
        mine = split[area] if area in split.index.get_level_values(0) else pd.Series(dtype=float)
        total = mine.sum()
        if not len(mine) or total == 0:
            out.append({"_part": part, "stage": UNSTAGED, "share": 1.0})
            continue
        out += [{"_part": part, "stage": st, "share": v / total} for st, v in mine.items() if v != 0]
    return pd.DataFrame(out, columns=["_part", "stage", "share"])


def _area_table(area_map: pd.DataFrame | None) -> pd.DataFrame:
    cols = ["scheme_no", "org", "programme_area", "share"]
    if area_map is None or area_map.empty:
        return pd.DataFrame(columns=cols)
    t = area_map.copy()
    t["scheme_no"] = t["scheme_no"].map(normalise_scheme_no)
    t["org"] = t["org"].fillna("").astype(str) if "org" in t else ""
    t["share"] = pd.to_numeric(t["share"], errors="coerce").fillna(1.0) if "share" in t else 1.0
    return t[cols]


def _ratio(num: pd.Series, den: pd.Series) -> pd.Series:
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.Series(np.where(den != 0, num / den.where(den != 0, 1.0), np.nan), index=num.index)


def executive_summary(
    rows: pd.DataFrame,
    area_map: pd.DataFrame,
    stage_map: pd.DataFrame,
    risk_ratings: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Paper D's executive summary: by programme area, QIPP target (annual plan), its planning stage
    split, % developed, YTD plan and achieved, % achieved, FOT and % of target, and the PMO risk rating.

    ``rows``: one month's scheme rows (with adjustments applied, if any). ``area_map`` and
    ``stage_map``: scheme_no, org ("" = every organisation), programme_area / stage, share.
    ``risk_ratings``: programme_area, risk_rating (passed through; Paper D's list). Rows are the
    paper's areas in its order, then ``Not mapped`` if any row has no area, then ``Total``. The
    ``unstaged`` column holds plan the stage map does not cover (0 when it covers everything).
    """
    lines = programme_lines(rows, area_map, stage_map)
    by_area = lines.groupby("programme_area")
    target = by_area["annual_plan"].sum()
    stage = lines.pivot_table(
        index="programme_area", columns="stage", values="annual_plan", aggfunc="sum", fill_value=0.0
    )
    order = [*AREAS, *([UNMAPPED] if UNMAPPED in target.index else [])]
    out = pd.DataFrame({"programme_area": order})
    out["qipp_target"] = target.reindex(order, fill_value=0.0).to_numpy()
    for s in (*STAGES, UNSTAGED):
        out[s] = stage[s].reindex(order, fill_value=0.0).to_numpy() if s in stage else 0.0
    out["ytd_plan"] = by_area["plan_ytd"].sum().reindex(order, fill_value=0.0).to_numpy()
    out["ytd_achieved"] = by_area["actual_ytd"].sum().reindex(order, fill_value=0.0).to_numpy()
    out["fot"] = by_area["fot"].sum().reindex(order, fill_value=0.0).to_numpy()
    total = {"programme_area": TOTAL, **{c: out[c].sum() for c in out.columns if c != "programme_area"}}
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    out["pct_developed"] = _ratio(out["developed"], out["qipp_target"])
    out["pct_ytd_achieved"] = _ratio(out["ytd_achieved"], out["ytd_plan"])
    out["pct_target_achieved"] = _ratio(out["fot"], out["qipp_target"])
    risk = {}
    if risk_ratings is not None and len(risk_ratings):
        risk = dict(zip(risk_ratings["programme_area"], risk_ratings["risk_rating"], strict=True))
    out["risk_rating"] = [risk.get(a, "") for a in out["programme_area"]]
    return out[list(COLUMNS)]
