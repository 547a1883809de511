"""Reference data shipped with the package (see README.md in this folder)."""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources

import pandas as pd


def normalise_scheme_no(value: object) -> str:
    """'1.2 a' -> '1.2a', 'unidentified' -> 'UNIDENTIFIED', 4.1 (a number) -> '4.1'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _normalise_text(str(value))


@cache
def _normalise_text(value: str) -> str:
    text = re.sub(r"\s+", "", value).strip()
    if not text:
        return ""
    return text.upper() if text.isalpha() else text.lower()


@cache
def workstream_map() -> dict[str, str]:
    """Scheme number -> workstream, derived from Paper D Tables 1 and 2 (see README.md)."""
    with resources.files(__package__).joinpath("workstream_map.csv").open(encoding="utf-8") as fh:
        return {normalise_scheme_no(r["scheme_no"]): r["workstream"] for r in csv.DictReader(fh)}


def scheme_group(scheme_no: str) -> str:
    """The scheme group of a scheme number: its stretch suffix dropped ('3.2a' -> '3.2')."""
    no = normalise_scheme_no(scheme_no)
    return no if no.isalpha() else re.sub(r"[a-z]+$", "", no)


@cache
def scheme_group_labels() -> dict[str, tuple[str, str]]:
    """Scheme group -> (Table 4 label, Table 3 label) as Paper D prints them (see README.md)."""
    with resources.files(__package__).joinpath("scheme_groups.csv").open(encoding="utf-8") as fh:
        return {
            normalise_scheme_no(r["group"]): (r["label"], r["movement_label"] or r["label"]) for r in csv.DictReader(fh)
        }


def _reference_frame(name: str) -> pd.DataFrame:
    with resources.files(__package__).joinpath(name).open(encoding="utf-8") as fh:
        return pd.read_csv(fh)


#: PUBLISHED: the month of the forecast an FRP return reports, by (system, as-at date). Paper E Appendix 1 (LLR,
#: 4 Oct 2019) heads its columns "Revised Forecast Month 4" and "Month 4 Forecast/ Scheme Balance Likely": the
#: Month 6 pack carries the system's Month 4 FRP forecast, and says so.
FRP_FORECAST_MONTHS = {("LLR", "2019-10-04"): 4}

#: Organisations whose RightCare opportunity table is published (Derbyshire Table 3): their report is never
#: wholly illustrative, whatever the indicators behind it.
RIGHTCARE_PUBLISHED = ("DDCCG",)

#: The period whose monthly movement Paper D Table 2 prints (paper_d_table2_movement.csv).
PAPER_D_PERIOD = ("2019-20", 6)


def paper_d_table2_movement() -> pd.DataFrame:
    """PUBLISHED Paper D Table 2 monthly movement (M5 to M6 2019/20), workstream rows × CCG columns, £000.

    Positive = adverse. With the published M6 forecast it gives M5's forecast by workstream.
    """
    return _reference_frame("paper_d_table2_movement.csv").set_index("workstream").astype(float)


def derbyshire_table3() -> pd.DataFrame:
    """PUBLISHED Derbyshire Table 3: RightCare opportunity vs best 5 peers by programme area × POD, £m (README.md)."""
    return _reference_frame("derbyshire_table3_rightcare.csv")


def derbyshire_table4() -> pd.DataFrame:
    """PUBLISHED Derbyshire Table 4: 2019/20 QIPP plan by commissioning programme, £m (README.md)."""
    return _reference_frame("derbyshire_table4_plan.csv").fillna({"programme": ""})


def _reference_strings(name: str) -> pd.DataFrame:
    """A reference CSV read with every column as text (scheme numbers like 2.10 stay as printed)."""
    with resources.files(__package__).joinpath(name).open(encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def paper_d_commentary() -> pd.DataFrame:
    """PUBLISHED Paper D M6 narrative under Tables 3 and 4 and the QAG items (section 2.1), verbatim (README.md).

    One row per item and scheme group: an item the paper prints about several groups (the
    "Falls/Diagnostics/CSR/HCD/End of Life/" line) appears once for each, with the same text and
    ``order``. ``kind`` is movement | driver | qag; ``text`` is inert plain text.
    """
    df = _reference_strings("paper_d_commentary.csv")
    df["scheme_group"] = df["scheme_group"].str.split()
    df = df.explode("scheme_group", ignore_index=True)
    df["scheme_group"] = df["scheme_group"].map(normalise_scheme_no)
    return df.astype({"month": int, "order": int})


def paper_d_executive_summary() -> pd.DataFrame:
    """PUBLISHED Paper D executive summary by programme area, as printed (£000 savings positive, whole %; README.md)."""
    df = _reference_strings("paper_d_executive_summary.csv")
    for col in df.columns:
        if col not in ("programme_area", "provenance"):
            df[col] = pd.to_numeric(df[col].replace("", None), errors="raise").astype(float)
    return df


def paper_d_risk_ratings() -> pd.DataFrame:
    """PUBLISHED Paper D "PMO Risk RAG Rating" per programme area (README.md)."""
    return _reference_strings("paper_d_risk_ratings.csv")


def programme_area_map() -> pd.DataFrame:
    """Scheme (and, where a CCG's line differs, organisation) -> Paper D programme area, with share and basis.

    Derived by ``scripts/derive_programme_areas.py``: from the paper, by workstream rule, or fitted
    to the published area totals (``basis``; README.md). ``org`` "" = every organisation.
    """
    df = _reference_strings("programme_area_map.csv")
    df["scheme_no"] = df["scheme_no"].map(normalise_scheme_no)
    return df.astype({"share": float})


def planning_stage_map() -> pd.DataFrame:
    """Scheme (and organisation where it differs) -> planning stage (pipeline / design / developed), share, basis.

    Derived by ``scripts/derive_programme_areas.py`` (README.md): rules, the paper's narrative, or
    fitted to the published stage split of each programme area.
    """
    df = _reference_strings("planning_stage_map.csv")
    df["scheme_no"] = df["scheme_no"].map(normalise_scheme_no)
    return df.astype({"share": float})


def prefilled_fields(rows: pd.DataFrame) -> pd.DataFrame:
    """Scheme lines with the fields a return template pre-fills: last month's where the return held them;
    otherwise (a month imported from a dashboard, e.g. the published M6) the programme area and planning
    stage the derived maps give most of the line's plan, or its workstream's area. Last month's New
    becomes Active; Closed stays Closed (a Grey-rated line without a status is Closed). The SRO confirms
    or corrects them; the changes since last month compare a return with these where last month had none."""
    from ..core.vocab import PLANNING_STAGES, QIPP_AREAS, RETURN_FIELDS, WORKSTREAM_AREAS

    out = rows.copy()
    for f in RETURN_FIELDS:
        out[f] = out[f].fillna("").astype(str) if f in out else ""
    areas, stages = programme_area_map(), planning_stage_map()
    for i, rec in out.iterrows():
        area = rec["programme_area"] or _derived(areas, rec["scheme_no"], rec["org"], "programme_area")
        area = area or WORKSTREAM_AREAS.get(rec["workstream"], "")
        stage = rec["planning_stage"] or _derived(stages, rec["scheme_no"], rec["org"], "stage", area).title()
        out.at[i, "programme_area"] = area if area in QIPP_AREAS else ""
        out.at[i, "planning_stage"] = stage if stage in PLANNING_STAGES else ""
        closed = rec["status"] == "Closed" or (not rec["status"] and rec.get("rag") == "Grey")  # Grey = closed
        out.at[i, "status"] = "Closed" if closed else "Active"
    return out


def _derived(table: pd.DataFrame, scheme_no: str, org: str, column: str, area: str | None = None) -> str:
    """The value a derived map gives most of a line's plan: an entry naming the organisation (and, for
    stages, the programme area) beats one that leaves it blank; '' if the map does not name the scheme."""
    rows = table[(table["scheme_no"] == normalise_scheme_no(scheme_no)) & table["org"].isin([org, ""])]
    if area is not None:
        rows = rows[rows["programme_area"].isin([area, ""])]
    if rows.empty:
        return ""
    rank = (rows["org"] != "").astype(int) * 2
    if area is not None:
        rank += (rows["programme_area"] != "").astype(int)
    best = rows[rank == rank.max()]
    return str(best.loc[best["share"].idxmax(), column])


def paper_d_risks() -> pd.DataFrame:
    """PUBLISHED risk narrative, verbatim (README.md): Paper D section 1.4's risks by programme area, its section 2.1
    QAG outcome, its FRP risk note under Table 6 (section 1.5) and Paper E's summary of the FRP position.

    ``kind`` is risk | qag_outcome | frp_risk | frp_summary; ``provenance`` names the paper and section;
    ``text`` is inert plain text.
    """
    return _reference_strings("paper_d_risks.csv").astype({"month": int, "order": int})


def paper_d_printed_tables() -> pd.DataFrame:
    """PUBLISHED money cells of Paper D's Tables 1, 2, 5 and Appendix 1 as printed (£000, savings negative).

    One row per cell: fin_year, month, table, org, row, column, printed, source (README.md). Held so the
    pack can reconcile the tables it rebuilds from rounded scheme lines against the printed paper.
    """
    df = _reference_strings("paper_d_printed_tables.csv")
    return df.astype({"month": int, "printed": float})
