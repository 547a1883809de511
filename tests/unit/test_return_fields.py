"""The fields a returned line carries (programme area, planning stage, status, owner, risk, action):
the template's columns, pre-filled and validated; located errors; the store columns, old stores included."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from openpyxl import load_workbook

from qipp_helpers.core.errors import IngestError
from qipp_helpers.core.vocab import RETURN_FIELDS
from qipp_helpers.ingest.layouts import ingest_files
from qipp_helpers.ingest.sro_return import COLUMNS, RETURN_SHEET, write_template
from qipp_helpers.store.db import load_returns
from qipp_helpers.store.schema import RETURN_COLUMNS

from ..data.bad.corpus import cell, fill

HEADERS = (
    "Programme area",
    "Planning stage",
    "Status",
    "Scheme owner",
    "Key risk",
    "Mitigation",
    "Action owner",
    "Action due",
)


@pytest.fixture
def data(demo_data_dir: Path, tmp_path: Path) -> Path:
    """A copy of the demo store (M1-M6 held)."""
    shutil.copytree(demo_data_dir / "processed", tmp_path / "data" / "processed")
    return tmp_path / "data"


def _template(data: Path, org: str = "ELR") -> Path:
    path = data.parent / f"{org}_return.xlsx"
    write_template(load_returns(data), fin_year="2019-20", month=7, org=org, path=path)
    return path


def test_store_and_template_carry_the_fields(data: Path):
    assert RETURN_COLUMNS[-len(RETURN_FIELDS) :] == RETURN_FIELDS
    path = _template(data)
    ws = load_workbook(path)[RETURN_SHEET]
    header = [c.value for c in ws[3]]
    assert tuple(header[-8:]) == HEADERS
    first = {k: ws.cell(4, list(COLUMNS).index(k) + 1).value for k in COLUMNS}
    # pre-filled from M6, whose published rows carry no fields: the derived map's area and stage
    assert (first["scheme_no"], first["programme_area"], first["planning_stage"], first["status"]) == (
        "1.1",
        "Acute Services",
        "Design",
        "Active",
    )
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation if dv.type == "list"}
    for key in ("programme_area", "planning_stage", "status"):
        letter = ws.cell(3, list(COLUMNS).index(key) + 1).column_letter
        assert any(sq.startswith(f"{letter}4:") for sq in lists), key


@pytest.mark.slow  # fills and ingests two returns into a store copy: make test, not make test-fast
def test_returned_fields_are_stored(data: Path):
    path = fill(
        _template(data),
        edit=lambda wb: (
            cell("Return", 4, "planning_stage", "developed")(wb),  # any case: stored as the list spells it
            cell("Return", 4, "scheme_owner", "A. Example")(wb),
            cell("Return", 4, "key_risk", "Bed capacity over winter")(wb),
            cell("Return", 4, "action_due", "30/11/2019")(wb),
            cell("Return", 5, "status", "Closed")(wb),
        ),
    )
    ingest_files([path], "2019-20", 7, data)
    m7 = load_returns(data).query("month == 7").reset_index(drop=True)
    assert m7.loc[0, ["planning_stage", "scheme_owner", "action_due"]].tolist() == [
        "Developed",
        "A. Example",
        "2019-11-30",
    ]
    assert m7.loc[1, "status"] == "Closed"
    assert m7["programme_area"].ne("").all() and m7["planning_stage"].ne("").all()
    # the next template is pre-filled from M7's own fields
    wb = load_workbook(_m8_template(data))
    ws = wb[RETURN_SHEET]
    col = {k: i for i, k in enumerate(COLUMNS, start=1)}
    assert ws.cell(4, col["planning_stage"]).value == "Developed"
    assert ws.cell(4, col["scheme_owner"]).value == "A. Example"
    assert ws.cell(5, col["status"]).value == "Closed"


def _m8_template(data: Path) -> Path:
    path = data.parent / "ELR_m8.xlsx"
    write_template(load_returns(data), fin_year="2019-20", month=8, org="ELR", path=path)
    return path


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("status", "Paused", "'Paused' is not one of Active, New, Closed"),
        # the other fields: make test, not make test-fast (each builds and ingests a template)
        pytest.param("programme_area", " ", "Programme area is blank", marks=pytest.mark.slow),
        pytest.param(
            "planning_stage",
            "Delivered",
            "'Delivered' is not one of Pipeline, Design, Developed",
            marks=pytest.mark.slow,
        ),
        pytest.param("action_due", "next week", "'next week' is not a date", marks=pytest.mark.slow),
    ],
)
def test_bad_fields_are_located(data: Path, key: str, value, message: str):
    path = fill(_template(data), edit=cell("Return", 6, key, value))
    with pytest.raises(IngestError) as exc:
        ingest_files([path], "2019-20", 7, data)
    text = str(exc.value)
    assert message in text
    assert f"sheet 'Return', row 6, column '{COLUMNS[key]}'" in text


@pytest.mark.slow  # rewrites a store copy and commits to it: make test, not make test-fast
def test_a_store_from_before_the_fields_keeps_working(data: Path):
    """A store written before the returns table had the fields: read with the fields blank, and the
    next commit adds the columns (old rows blank) without touching what was held."""
    before = load_returns(data)
    con = duckdb.connect(str(data / "processed" / "store.duckdb"))
    con.execute("DROP VIEW returns")
    for f in RETURN_FIELDS:
        con.execute(f'ALTER TABLE returns_history DROP COLUMN "{f}"')
    con.execute("UPDATE meta SET value = 'old' WHERE key = 'tables'")
    con.close()
    old = load_returns(data)
    assert list(old.columns) == list(RETURN_COLUMNS) and (old[list(RETURN_FIELDS)] == "").all().all()
    ingest_files([fill(_template(data))], "2019-20", 7, data)
    after = load_returns(data)
    held = after[after["month"] <= 6].reset_index(drop=True)
    assert held.equals(before.reset_index(drop=True))
    assert after.query("month == 7")["status"].eq("Active").all()
