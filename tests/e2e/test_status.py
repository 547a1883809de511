"""`qipp status`: the returns tracker on the command line."""

from __future__ import annotations

import shutil

from typer.testing import CliRunner

from qipp_helpers.cli import app
from qipp_helpers.ingest.layouts import ingest_files

from ..conftest import RAW


def test_status_lists_received_missing_and_carried(demo_data_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_data_dir / "processed", data / "processed")
    m7 = RAW / "2019-20" / "M07"
    ingest_files([m7 / "ELR_return.xlsx", m7 / "WL_return.xlsx"], "2019-20", 7, data)
    res = CliRunner().invoke(app, ["status", "--fin-year", "2019-20", "--month", "7", "--data-dir", str(data)])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[:2] == [
        "Returns for Month 7 2019/20 (October 2019)",
        "ELR: received (51 lines returned, 0 carried forward)",
    ]
    assert "LC: missing (no return held)" in lines and "    WL 2.6 Follow Up Outpatients" in lines
    bad = CliRunner().invoke(app, ["status", "--fin-year", "2019-20", "--month", "13", "--data-dir", str(data)])
    assert bad.exit_code != 0 and "--month must be 1-12" in bad.output
