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
    assert lines[:3] == [
        "Returns for Month 7 2019/20 (October 2019)",
        "Due by the end of Thursday 7 November 2019 (working day 5 after month end)",
        "ELR: received (51 lines returned, 0 carried forward)",
    ]
    # ingested today, long after the due day, with no received time stated: late; LC's return is overdue
    assert lines[3].startswith("    ELR_return.xlsx  received 20") and "  late by " in lines[3]
    assert any(line.startswith("LC: missing (no return held; overdue by ") for line in lines)
    assert "    WL 2.6 Follow Up Outpatients" in lines
    m6 = CliRunner().invoke(app, ["status", "--fin-year", "2019-20", "--month", "6", "--data-dir", str(data)])
    assert "  received " in m6.output and "  published, not a return  store version " in m6.output
    assert "late by" not in m6.output  # Paper D's dashboards are transcribed, not returns: no due date
    other = CliRunner().invoke(
        app, ["status", "--fin-year", "2019-20", "--month", "7", "--data-dir", str(data), "--due-working-day", "7"]
    )
    assert "Due by the end of Monday 11 November 2019 (working day 7 after month end)" in other.output
    # LC's return, ingested now but received on the evening of the due day (qipp ingest --received): on time
    args = ["ingest", str(m7 / "LC_return.xlsx"), "--fin-year", "2019-20", "--month", "7", "--data-dir", str(data)]
    assert CliRunner().invoke(app, [*args, "--received", "2019-11-07 18:30"]).exit_code == 0
    lc = CliRunner().invoke(app, ["status", "--fin-year", "2019-20", "--month", "7", "--data-dir", str(data)])
    assert "    LC_return.xlsx  received 2019-11-07 18:30  on time  store version " in lc.output
    wrong = CliRunner().invoke(app, [*args, "--received", "7 Nov"])
    assert wrong.exit_code == 2 and "is not a date (YYYY-MM-DD)" in wrong.output
    bad = CliRunner().invoke(app, ["status", "--fin-year", "2019-20", "--month", "13", "--data-dir", str(data)])
    assert bad.exit_code != 0 and "--month must be 1-12" in bad.output


def test_status_says_the_demo_late_return_is_late(demo_data_dir, tmp_path):
    """The demo's M7 and M8 folders through `qipp ingest-raw`: their RECEIVED.txt says when each return came in;
    WL's M8 return is five days late, every other return on time."""
    data = tmp_path / "data"
    shutil.copytree(demo_data_dir / "processed", data / "processed")
    for month in ("M07", "M08"):
        shutil.copytree(RAW / "2019-20" / month, data / "raw" / "2019-20" / month)
    assert CliRunner().invoke(app, ["ingest-raw", "--data-dir", str(data)]).exit_code == 0
    m8 = CliRunner().invoke(app, ["status", "--fin-year", "2019-20", "--month", "8", "--data-dir", str(data)])
    assert m8.exit_code == 0, m8.output
    lines = m8.output.splitlines()
    assert lines[1] == "Due by the end of Friday 6 December 2019 (working day 5 after month end)"
    received = [line.split("  store version")[0] for line in lines if line.startswith("    ") and ".xlsx" in line]
    assert received == [
        "    ELR_return.xlsx  received 2019-12-04 11:20  on time",
        "    WL_return.xlsx  received 2019-12-11 11:30  late by 5 days",
        "    LC_return.xlsx  received 2019-12-05 14:02  on time",
    ]
    m7 = CliRunner().invoke(app, ["status", "--fin-year", "2019-20", "--month", "7", "--data-dir", str(data)])
    assert "late by" not in m7.output and m7.output.count("  on time  ") == 3
