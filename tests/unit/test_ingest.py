"""Ingest: messy-but-valid exports are read; bad input gets one clear error and writes nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from openpyxl import Workbook

from qipp_helpers.core.errors import IngestError
from qipp_helpers.ingest.dashboard import REQUIRED
from qipp_helpers.ingest.layouts import ingest
from qipp_helpers.store.db import load_returns, load_warnings, read_log

from ..conftest import M6_WORKBOOK

HEADER = list(REQUIRED.values())
DESC = (
    "On track to hit target / Meet key criteria",
    "On track to hit target / Meet key criteria",
    "Planned activity(ies) is (are) progressing according to plan",
)


def row(no, name, rag, *money):
    return [no, name, *DESC, rag, *money]


def messy_workbook(path: Path, *, sheet="ELR", rows=None, total=None) -> Path:
    """A dashboard as real exports come: title rows, a repeated header, continuation rows, text money."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    ws.append(["Appendix 3 ELR CCG QIPP Dashboard"])
    ws.append([])
    ws.append(["<u>Scheme no. for LLR Summary Report</u>", *HEADER[1:]])
    for r in rows or [
        row("1.1", "Same Day Emergency Care", "Red", "(198)", 3, "£-593", "(357)", "-174"),
        row("1.2", "Community Services Redesign", "green", "(31)", "-", "(61)", 140, None),
        ["Appendix 3 ELR CCG QIPP Dashboard"],
        HEADER,
        row(None, "Community Services Redesign", "Amber", 0, 0, 0, "£1,234", "£1,234"),
        row("1.2 a", "Community Services Redesign Stretch", "Completed", "", "", "(162)", "(162)", 0),
    ]:
        ws.append(r)
    if total is not None:
        ws.append(["Grand Total", None, None, None, None, None, *total])
    wb.save(path)
    return path


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_messy_export_is_read(tmp_path):
    src = messy_workbook(tmp_path / "elr.xlsx", total=[-229, 3, -816, 855, 1060])
    summary = ingest([src], "2019-20", 7, tmp_path / "data")
    df = load_returns(tmp_path / "data")
    assert summary.rows == {"ELR": 4}
    assert list(df["scheme_no"]) == ["1.1", "1.2", "1.2", "1.2a"]  # continuation row inherits 1.2
    assert list(df["rag"]) == ["Red", "Green", "Amber", "Blue"]
    assert list(df["annual_plan"]) == [-593.0, -61.0, 0.0, -162.0]
    assert list(df["assured"]) == [-174.0, 0.0, 1234.0, 0.0]
    assert list(df["workstream"]) == ["Urgent Care", "Community Health", "Community Health", "Community Health"]
    assert list(df["source_row"]) == [4, 5, 8, 9]  # spreadsheet row numbers
    assert summary.warnings == []  # the Grand Total agrees
    assert df["provenance"].iloc[0] == "return file: elr.xlsx"


def test_grand_total_mismatch_is_a_stored_warning(tmp_path):
    src = messy_workbook(tmp_path / "elr.xlsx", total=[-229, 3, -1816, 855, 1060])
    ingest([src], "2019-20", 7, tmp_path / "data")
    w = load_warnings(tmp_path / "data")
    assert len(w) == 1
    assert (w.iloc[0]["sheet"], w.iloc[0]["column"]) == ("ELR", "Annual Plan")
    assert w.iloc[0]["difference"] == pytest.approx(-1000)


def test_csv_of_one_organisation(tmp_path):
    src = tmp_path / "wl.csv"
    lines = [
        ",".join(f'"{h}"' for h in HEADER),
        '4.1,Continuing Healthcare,,,,Green,"(379)","(406)","(807)","(888)","(888)"',
        ',Continuing Healthcare,,,,Green,"£-10","-","(20)","(20)",',
    ]
    src.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    ingest([src], "2019-20", 6, tmp_path / "data", org="WL")
    df = load_returns(tmp_path / "data")
    assert list(df["org"]) == ["WL", "WL"]
    assert list(df["scheme_no"]) == ["4.1", "4.1"]
    assert df["annual_plan"].sum() == -827


def test_reingest_replaces_exactly_that_slice_and_logs(tmp_path, m6_data):
    data = m6_data  # M6 ingested
    other = messy_workbook(tmp_path / "elr7.xlsx")
    ingest([other], "2019-20", 7, data)
    before = load_returns(data)
    one_row = [row("1.1", "Same Day Emergency Care", "Red", 1, 2, 3, 4, 5)]
    ingest([messy_workbook(tmp_path / "elr7b.xlsx", rows=one_row)], "2019-20", 7, data)
    after = load_returns(data)
    m6 = before[before["month"] == 6]
    assert after[after["month"] == 6].equals(m6)  # M6 untouched
    assert len(after[(after["month"] == 7) & (after["org"] == "ELR")]) == 1
    assert set(after["org"]) == {"ELR", "WL", "LC"}  # LLR is never stored as rows
    assert [e["month"] for e in read_log(data)] == [6, 7, 7]
    assert read_log(data)[0]["files"][0]["sha256"] == hashlib.sha256(M6_WORKBOOK.read_bytes()).hexdigest()


@pytest.mark.slow  # four ingests into one store: make test, not make test-fast
def test_org_with_a_multi_sheet_workbook_replaces_only_that_organisation(tmp_path, m6_data):
    """Issue 15: `--org WL` with the three-CCG workbook ingests WL's sheet alone; ELR and LC stay as they were."""
    data = m6_data  # M6 ingested
    one_row = [row("1.1", "Same Day Emergency Care", "Red", 1, 2, 3, 4, 5)]
    ingest([messy_workbook(tmp_path / "elr.xlsx", rows=one_row)], "2019-20", 6, data)  # ELR now one row
    ingest([messy_workbook(tmp_path / "wl.xlsx", sheet="WL", rows=one_row)], "2019-20", 6, data)  # and WL
    before = load_returns(data)
    ingest([M6_WORKBOOK], "2019-20", 6, data, org="WL")
    after = load_returns(data)
    for org in ("ELR", "LC"):
        assert (
            after[after["org"] == org]
            .reset_index(drop=True)
            .equals(before[before["org"] == org].reset_index(drop=True))
        )
    assert len(after[after["org"] == "ELR"]) == 1
    assert len(before[before["org"] == "WL"]) == 1 and len(after[after["org"] == "WL"]) > 1  # WL's sheet again
    entry = read_log(data)[-1]  # the log says what was replaced and what was left out
    assert entry["orgs"] == ["WL"] and entry["left_out"] == [
        "paper_d_m6_pmo_dashboards.xlsx: LLR, ELR, LC (only --org WL was ingested)"
    ]


BAD_CASES = {
    "text_in_money": (row("1.1", "SDEC", "Red", "abc", 0, 0, 0, 0), "row 4, column 'Sum of Plan YTD': not a money"),
    "excel_error": (
        row("1.1", "SDEC", "Red", 0, "#REF!", 0, 0, 0),
        "column 'Sum of Actuals YTD': not a money value: '#REF!'",
    ),
    "bad_rag": (row("1.1", "SDEC", "Purple", 0, 0, 0, 0, 0), "column 'Overall PMO RAG ratings': RAG rating 'Purple'"),
    "unknown_scheme": (row("99.9", "Mystery", "Red", 0, 0, 0, 0, 0), "scheme number '99.9' has no workstream"),
    "blank_first_scheme_no": (row(None, "SDEC", "Red", 0, 0, 0, 0, 0), "scheme number is blank"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_cell_is_named_and_nothing_is_written(tmp_path, m6_data, case):
    bad_row, expected = BAD_CASES[case]
    data = m6_data  # M6 ingested
    before = tree_digest(data / "processed")
    src = messy_workbook(tmp_path / "bad.xlsx", rows=[bad_row])
    raw_before = src.read_bytes()
    with pytest.raises(IngestError) as err:
        ingest([src], "2019-20", 6, data)
    assert "bad.xlsx, sheet 'ELR'" in str(err.value)
    assert expected in str(err.value)
    assert tree_digest(data / "processed") == before
    assert src.read_bytes() == raw_before


def test_every_problem_in_a_file_is_reported_together(tmp_path):
    src = messy_workbook(
        tmp_path / "bad.xlsx",
        rows=[
            row("1.1", "SDEC", "Purple", "x", 0, 0, 0, 0),
            row("1.4", "IUC", "Red", 0, 0, "#DIV/0!", 0, 0),
        ],
    )
    with pytest.raises(IngestError) as err:
        ingest([src], "2019-20", 6, tmp_path / "data")
    assert len(err.value.problems) == 3
    assert not (tmp_path / "data" / "processed" / "returns.parquet").exists()


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("missing_header", "missing column 'Sum of Revised FOT'"),
        ("no_header", "no header row found"),
        ("unknown_sheet", "sheet 'XYZ': sheet name is not a known organisation code"),
        ("not_xlsx", "corrupt or truncated .xlsx"),
        ("xls", "Excel 97-2003 workbook (.xls) is not read"),
        ("csv_without_org", "say which with --org"),
    ],
)
def test_file_level_problems(tmp_path, setup, expected):
    path = tmp_path / "in.xlsx"
    if setup == "missing_header":
        wb = Workbook()
        wb.active.title = "WL"
        wb.active.append([h for h in HEADER if h != "Sum of Revised FOT"])
        wb.save(path)
    elif setup == "no_header":
        wb = Workbook()
        wb.active.title = "WL"
        wb.active.append(["just", "some", "cells"])
        wb.save(path)
    elif setup == "unknown_sheet":
        messy_workbook(path, sheet="XYZ")
    elif setup == "not_xlsx":
        path.write_bytes(b"PK\x03\x04 truncated")
    elif setup == "xls":
        path = tmp_path / "in.xls"
        path.write_bytes(b"\xd0\xcf\x11\xe0")
    elif setup == "csv_without_org":
        path = tmp_path / "in.csv"
        path.write_text(",".join(HEADER) + "\n")
    with pytest.raises(IngestError) as err:
        ingest([path], "2019-20", 6, tmp_path / "data")
    assert expected in str(err.value)
    assert not (tmp_path / "data" / "processed" / "returns.parquet").exists()


@pytest.mark.parametrize(
    ("fin_year", "month", "expected"), [("2019-21", 6, "financial year"), ("2019-20", 13, "month must be 1-12")]
)
def test_bad_period(tmp_path, fin_year, month, expected):
    with pytest.raises(IngestError, match=expected):
        ingest([M6_WORKBOOK], fin_year, month, tmp_path / "data")


def test_published_workbook_holds_all_198_rows_marked_published(tmp_path):
    from qipp_helpers.ingest.dashboard import read_xlsx

    res = read_xlsx(M6_WORKBOOK)
    assert sum(len(s.records) for s in res.sheets) == 198
    assert {s.org: len(s.records) for s in res.sheets} == {"LLR": 60, "ELR": 50, "WL": 44, "LC": 44}
    assert all(res.provenance[o].startswith("published: Paper D Appendix") for o in ("ELR", "WL", "LC", "LLR"))
