"""`qipp ingest` recognises the FRP workbook and says what it stored and which printed figures do not add up."""

from __future__ import annotations

from typer.testing import CliRunner

from qipp_helpers.cli import app

from ..conftest import FRP_WORKBOOK


def test_cli_ingest_recognises_the_frp_workbook(tmp_path):
    res = CliRunner().invoke(
        app,
        ["ingest", str(FRP_WORKBOOK), "--fin-year", "2019-20", "--month", "6", "--data-dir", str(tmp_path / "data")],
    )
    assert res.exit_code == 0, res.output
    assert "stored the LLR FRP as at 2019-10-04 (13 schemes)" in res.output
    assert "Grand Total Forecast Movement printed -12,776, computed -7,926" in res.output
