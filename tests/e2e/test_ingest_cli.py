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
