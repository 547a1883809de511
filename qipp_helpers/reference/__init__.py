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
