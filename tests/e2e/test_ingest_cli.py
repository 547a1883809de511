"""`qipp ingest` and `qipp ingest-raw`: exit codes and located one-line messages."""

from __future__ import annotations

from typer.testing import CliRunner

from qipp_helpers.cli import app

from ..conftest import M6_WORKBOOK
from ..unit.test_ingest import messy_workbook, row


def test_cli_exit_code_and_message(tmp_path):
    src = messy_workbook(tmp_path / "bad.xlsx", rows=[row("1.1", "SDEC", "Red", "oops", 0, 0, 0, 0)])
    result = CliRunner().invoke(
        app, ["ingest", str(src), "--fin-year", "2019-20", "--month", "6", "--data-dir", str(tmp_path / "data")]
    )
    assert result.exit_code == 1
    assert "bad.xlsx, sheet 'ELR', row 4, column 'Sum of Plan YTD'" in result.output
    ok = CliRunner().invoke(
        app, ["ingest", str(M6_WORKBOOK), "--fin-year", "2019-20", "--month", "6", "--data-dir", str(tmp_path / "data")]
    )
    assert ok.exit_code == 0, ok.output
    assert "stored ELR 50 rows, LC 44 rows, WL 44 rows" in ok.output
    assert "reconciliation warning [WL" in ok.output


def test_ingest_raw_guards_rightcare_workbooks_too(tmp_path):
    folder = tmp_path / "data" / "raw" / "2019-20" / "rightcare"
    folder.mkdir(parents=True)
    (folder / "indicators.xlsx").write_bytes(b"PK\x03\x04 not really a zip")
    (folder.parent / "M06").mkdir()
    res = CliRunner().invoke(app, ["ingest-raw", "--data-dir", str(tmp_path / "data")])
    assert res.exit_code == 1 and "indicators.xlsx" in res.output
    assert not (tmp_path / "data" / "processed" / "rightcare_indicators.parquet").exists()


def test_ingest_raw_is_all_or_nothing_and_names_the_folder(tmp_path):
    """Every month folder is committed in one transaction: a bad file in the last one writes nothing at all."""
    from qipp_helpers.store import db

    from ..data.bad.corpus import CSV_HEADER, csv_file

    raw = tmp_path / "data" / "raw" / "2019-20"
    good = [CSV_HEADER, "1.1,SDEC,,,,Red,-10,0,-100,-90,-50", "1.2,Community Services Redesign,,,,Green,0,0,-5,-5,0"]
    for month in ("M01", "M02", "M03"):
        (raw / month).mkdir(parents=True)
        csv_file(raw / month / "ELR.csv", good)
    csv_file(raw / "M03" / "WL.csv", [CSV_HEADER, "1.1,SDEC,,,,Purple,0,0,0,0,0"])
    res = CliRunner().invoke(app, ["ingest-raw", "--data-dir", str(tmp_path / "data")])
    assert res.exit_code == 1, res.output
    assert "2019-20/M03/WL.csv, sheet 'WL', row 2, column 'Overall PMO RAG ratings': RAG rating 'Purple'" in res.output
    assert db.versions(tmp_path / "data") == []
    csv_file(raw / "M03" / "WL.csv", [CSV_HEADER, "1.1,SDEC,,,,Amber,0,0,0,0,0"])
    ok = CliRunner().invoke(app, ["ingest-raw", "--data-dir", str(tmp_path / "data")])
    assert ok.exit_code == 0, ok.output
    assert [v.entry["month"] for v in db.versions(tmp_path / "data")] == [1, 2, 3]  # a version per folder
    assert sorted(set(db.load_returns(tmp_path / "data")["month"])) == [1, 2, 3]
