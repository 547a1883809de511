"""The FRP reader and store: bad cells are located, nothing is half-written, re-ingest replaces its slice.

The published bridge (Paper D Table 6, Paper E) is in ``tests/backtests/test_frp.py``.
"""

from __future__ import annotations

import shutil

import pytest
from openpyxl import load_workbook

from qipp_helpers.analysis import frp
from qipp_helpers.core.errors import IngestError
from qipp_helpers.ingest.layouts import ingest_frp
from qipp_helpers.report.frp.model import frp_bridge
from qipp_helpers.store.db import load_frp, processed_dir

from ..conftest import FRP_WORKBOOK


def test_frp_for_a_ccg_or_a_month_not_held_is_a_clear_lookup_error(frp_tables):
    with pytest.raises(LookupError, match="held for the system"):
        frp_bridge(frp_tables, fin_year="2019-20", month=6, org="ELR")
    with pytest.raises(LookupError, match=r"no FRP held for LLR in 2019-20 month 5 \(held: 2019-20 M6\)"):
        frp_bridge(frp_tables, fin_year="2019-20", month=5, org="LLR")


def _snapshot(data):
    folder = processed_dir(data)
    return {p.name: p.read_bytes() for p in folder.glob("*") if p.is_file()} if folder.exists() else {}


def _broken_copy(tmp_path, edits):
    path = tmp_path / "frp.xlsx"
    shutil.copy(FRP_WORKBOOK, path)
    wb = load_workbook(path)
    for sheet, cell, value in edits:
        wb[sheet][cell] = value
    wb.save(path)
    return path


def test_bad_frp_input_names_every_cell_and_writes_nothing(tmp_path):
    data = tmp_path / "data"
    ingest_frp(FRP_WORKBOOK, "2019-20", 6, data)
    before = _snapshot(data)
    bad = _broken_copy(
        tmp_path,
        [
            ("FRP Schemes", "I5", "Purple"),
            ("FRP Schemes", "D6", "lots"),
            ("FRP Position", "C10", "../UHL"),
            ("FRP Position", "A3", "Somewhere"),
        ],
    )
    with pytest.raises(IngestError) as err:
        ingest_frp(bad, "2019-20", 6, data)
    text = str(err.value)
    assert "4 problems" in text
    assert "frp.xlsx, sheet 'FRP Schemes', row 5, column 'RAG Status': RAG status 'Purple'" in text
    assert "sheet 'FRP Schemes', row 6, column 'Revised Forecast': not a money value: 'lots'" in text
    assert "sheet 'FRP Position', row 10, column 'Organisation': organisation '../UHL'" in text
    assert "sheet 'FRP Position', row 3, column 'Section'" in text
    assert _snapshot(data) == before


def test_missing_sheet_is_reported(tmp_path):
    path = tmp_path / "frp.xlsx"
    shutil.copy(FRP_WORKBOOK, path)
    wb = load_workbook(path)
    del wb["FRP Position"]
    wb.save(path)
    with pytest.raises(IngestError, match="no sheet named 'FRP Position'"):
        ingest_frp(path, "2019-20", 6, tmp_path / "data")
    assert not (tmp_path / "data" / "processed" / "frp_lines.parquet").exists()


@pytest.mark.slow  # three FRP ingests: make test, not make test-fast
def test_reingest_replaces_the_slice_and_keeps_other_months(tmp_path):
    data = tmp_path / "data"
    ingest_frp(FRP_WORKBOOK, "2019-20", 6, data)
    ingest_frp(FRP_WORKBOOK, "2019-20", 7, data)
    ingest_frp(FRP_WORKBOOK, "2019-20", 6, data)
    lines = load_frp(data)["lines"]
    assert lines.groupby("month").size().to_dict() == {6: 19, 7: 19}
    assert len(load_frp(data)["checks"]) == 6


def test_frp_checks_blank_printed_cells_are_not_differences():
    import pandas as pd

    lines = pd.DataFrame(
        [
            {
                "kind": "group_total",
                "group": "G",
                "scheme": "",
                "rag": "",
                "printed_submission": 10.0,
                "printed_revised": 12.0,
                "printed_delivered": float("nan"),
                "printed_movement": float("nan"),
                "printed_balance": 12.0,
                "printed_in_month_movement": 2.0,
                "source_sheet": "S",
                "source_row": 2,
            },
            {
                "kind": "scheme",
                "group": "G",
                "scheme": "x",
                "rag": "Green",
                "printed_submission": 10.0,
                "printed_revised": 12.0,
                "printed_delivered": float("nan"),
                "printed_movement": float("nan"),
                "printed_balance": 12.0,
                "printed_in_month_movement": 3.0,
                "source_sheet": "S",
                "source_row": 3,
            },
        ]
    )
    position = pd.DataFrame(columns=["kind", "section", "item", "org", "value", "source_sheet", "source_row"])
    found = frp.checks(lines, position)
    assert list(found["where"]) == ["x"] and found.iloc[0]["printed"] == 3.0 and found.iloc[0]["computed"] == 2.0
