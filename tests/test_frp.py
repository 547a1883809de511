"""The FRP bridge: Paper D Table 6 and Paper E's scheme table, from the published FRP workbook.

The bridge totals are asserted exactly (the FRP is printed in whole £000 and nothing is
rounded on the way). The printed Forecast Movement column is checked, not trusted: exactly the
three lines Paper E gets wrong are reported.
"""

from __future__ import annotations

import shutil

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from qipp_helpers.analysis import frp
from qipp_helpers.cli import app
from qipp_helpers.core.errors import IngestError
from qipp_helpers.ingest.pipeline import ingest_frp
from qipp_helpers.report.objects import frp_bridge
from qipp_helpers.store.db import load_frp, processed_dir

from .conftest import FRP_WORKBOOK
from .paper_e_published import (
    ORG_SPLIT,
    PAPER_E_GRAND_TOTAL,
    PAPER_E_MOVEMENT_ERRORS,
    TABLE6_AFTER_FRP,
    TABLE6_FRP_GRAND_TOTAL,
    TABLE6_FRP_GROUPS,
    TABLE6_NOT_IN_FRP,
    TABLE6_NOT_IN_FRP_TOTAL,
    TABLE6_ORG_IMPACT,
    TABLE6_POSITION,
)


@pytest.fixture(scope="module")
def report(frp_tables):
    return frp_bridge(frp_tables, fin_year="2019-20", month=6, org="LLR")


def test_bridge_reproduces_table6_exactly(report):
    b = report.bridge.set_index("step")
    assert b.loc["Net Risk", "value"] == TABLE6_POSITION["Net Risk"]
    assert b.loc["Contract Triangulation", "value"] == TABLE6_POSITION["Contract Triangulation"]
    assert report.total("before_frp") == TABLE6_POSITION["Consistent Position Before FRP"] == -33881
    for group, value in TABLE6_FRP_GROUPS.items():
        assert b.loc[group, "value"] == value, group
    assert report.total("frp") == TABLE6_FRP_GRAND_TOTAL == 20619
    assert report.total("after_frp") == TABLE6_AFTER_FRP == -13262
    for start, value in TABLE6_NOT_IN_FRP.items():
        assert b.loc[next(s for s in b.index if s.startswith(start)), "value"] == value
    assert report.total("not_in_frp") == TABLE6_NOT_IN_FRP_TOTAL == 2089
    assert report.total("org_impact") == TABLE6_ORG_IMPACT == -11173


def test_organisation_split_adds_up_to_the_impact(report):
    split = report.bridge[report.bridge["section"] == "organisation"]
    assert dict(zip(split["org"], split["value"], strict=True)) == ORG_SPLIT
    assert split["value"].sum() == report.total("org_impact")


def test_table6_values_are_paper_e_balance_remaining_not_revised_forecast(report):
    groups = report.schemes[report.schemes["scheme"] == ""].set_index("group")
    assert groups.loc["Budgetary Review", "balance"] == TABLE6_FRP_GROUPS["Budgetary Review"] == 10765
    assert groups.loc["Budgetary Review", "revised"] == 11800  # Paper E's Revised Forecast, not Table 6's


def test_scheme_table_grand_total_matches_paper_e_except_the_movement(report):
    total = report.schemes.set_index("group").loc["Grand Total"]
    for col, printed in PAPER_E_GRAND_TOTAL.items():
        if col == "movement":
            assert total[col] == pytest.approx(PAPER_E_MOVEMENT_ERRORS["Grand Total"][1])  # -7,926
            assert printed == -12776
        else:
            assert total[col] == printed, col


def test_exactly_the_three_printed_errors_are_reported(report):
    got = {c.where: (c.printed, c.computed) for c in report.checks.itertuples(index=False)}
    assert got == PAPER_E_MOVEMENT_ERRORS
    assert set(report.checks["column"]) == {"Forecast Movement"}
    assert set(report.checks["source_sheet"]) == {"FRP Schemes"}


def test_waterfall_runs_from_zero_to_the_impact(report):
    steps = report.waterfall()
    level = 0.0
    for r in steps.itertuples(index=False):
        if r.kind == "total":
            assert level == pytest.approx(r.value), r.label
        level = r.value if r.kind == "total" else level + r.value
    assert steps.iloc[-1]["value"] == -11173


def test_narrative_says_the_paper_figures(report):
    text = report.narrative()
    for phrase in (
        "a deficit of £33.881m",
        "£20.619m",
        "a deficit of £13.262m",
        "a deficit of £11.173m",
        "Leicester City CCG £6.737m surplus",
        "West Leicestershire CCG (£9.622m)",
    ):
        assert phrase in text, phrase


def test_xlsx_sheets(report):
    sheets = report.xlsx_tables()
    bridge = sheets["bridge"].set_index("step")
    assert list(sheets["bridge"].columns) == ["step", "section", "value"]
    assert bridge.loc["Revised forecast position after FRP", "value"] == -13262
    assert bridge.loc["Organisation impact of all items", "value"] == -11173
    assert sheets["schemes"].iloc[-1]["group"] == "Grand Total"


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


def test_reingest_replaces_the_slice_and_keeps_other_months(tmp_path):
    data = tmp_path / "data"
    ingest_frp(FRP_WORKBOOK, "2019-20", 6, data)
    ingest_frp(FRP_WORKBOOK, "2019-20", 7, data)
    ingest_frp(FRP_WORKBOOK, "2019-20", 6, data)
    lines = load_frp(data)["lines"]
    assert lines.groupby("month").size().to_dict() == {6: 19, 7: 19}
    assert len(load_frp(data)["checks"]) == 6


def test_cli_ingest_recognises_the_frp_workbook(tmp_path):
    res = CliRunner().invoke(
        app,
        ["ingest", str(FRP_WORKBOOK), "--fin-year", "2019-20", "--month", "6", "--data-dir", str(tmp_path / "data")],
    )
    assert res.exit_code == 0, res.output
    assert "stored the LLR FRP as at 2019-10-04 (13 schemes)" in res.output
    assert "Grand Total Forecast Movement printed -12,776, computed -7,926" in res.output


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
