"""The returns tracker: received (file, when, version), expected but missing, late, re-submitted."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from qipp_helpers.analysis import tracker as tr
from qipp_helpers.ingest.layouts import ingest_files
from qipp_helpers.report.tracker import month_tracker, tracker_lines
from qipp_helpers.store.db import load_returns, versions

from ..conftest import RAW

M7 = RAW / "2019-20" / "M07"


def _corrected(path: Path, folder: Path) -> Path:
    """A copy of a return with the first scheme's Actual YTD changed by £1k, as an SRO's correction."""
    wb = load_workbook(path)
    cell = wb["Return"]["I4"]
    cell.value = cell.value - 1
    out = folder / path.name
    wb.save(out)
    return out


def _tracker(data: Path):
    return month_tracker(load_returns(data), versions(data), fin_year="2019-20", month=7)


@pytest.mark.slow  # three ingests into a store copy: make test, not make test-fast
def test_missing_then_late_then_resubmitted(demo_data_dir: Path, tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(demo_data_dir / "processed", data / "processed")
    ingest_files([M7 / "ELR_return.xlsx", M7 / "LC_return.xlsx"], "2019-20", 7, data)
    t = _tracker(data).table.set_index("org")
    assert t.loc["WL", "state"] == tr.MISSING and t.loc["WL", "note"] == "no return held"
    assert t.loc["ELR", "state"] == tr.RECEIVED and t.loc["ELR", "file"] == "ELR_return.xlsx"
    first = int(t.loc["ELR", "version"])

    ingest_files([M7 / "WL_return.xlsx"], "2019-20", 7, data)  # WL returns late: a later version
    t = _tracker(data).table.set_index("org")
    assert t.loc["WL", "state"] == tr.PARTLY and int(t.loc["WL", "version"]) == first + 1
    assert (t.loc["WL", "lines"], t.loc["WL", "carried"]) == (43, 1)

    # ELR sends its return again, one figure corrected (the same file again changes nothing: no new version)
    assert all(s.unchanged for s in ingest_files([M7 / "ELR_return.xlsx"], "2019-20", 7, data))
    ingest_files([_corrected(M7 / "ELR_return.xlsx", tmp_path)], "2019-20", 7, data)
    tracked = _tracker(data)
    elr = tracked.table[tracked.table["org"] == "ELR"]
    assert list(elr["state"]) == [tr.RESUBMITTED] and int(elr["version"].iloc[0]) == first + 2
    lines = tracker_lines(tracked)
    assert lines[0] == "Returns for Month 7 2019/20 (October 2019)"
    assert "ELR: re-submitted (51 lines returned, 0 carried forward)" in lines
    assert "    WL 2.6 Follow Up Outpatients" in lines
