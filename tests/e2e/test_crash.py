"""Crash tests: a process killed at named points of an ingest or a run leaves the previous version intact, and
the next command needs no clean-up. Faults are injected with QIPP_FAULT=<point> (qipp_helpers.core.faults)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from qipp_helpers.core.faults import FAULT_EXIT_CODE
from qipp_helpers.store import db

from ..conftest import M6_WORKBOOK, RAW, ROOT, run_args

M5 = RAW / "2019-20" / "M05" / "synthetic_m05_pmo_dashboards.xlsx"


def qipp(*args: str, fault: str | None = None, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("QIPP_FAULT", None)
    if fault:
        env["QIPP_FAULT"] = fault
    return subprocess.run(
        [sys.executable, "-m", "qipp_helpers.cli", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="module")
def m5_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding the synthetic M5 dashboards, ingested once by `qipp ingest` (tests copy it: `data`)."""
    folder = tmp_path_factory.mktemp("m5") / "data"
    r = qipp("ingest", str(M5), "--fin-year", "2019-20", "--month", "5", "--data-dir", str(folder))
    assert r.returncode == 0, r.stderr
    return folder


@pytest.fixture
def data(m5_store: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(m5_store, tmp_path / "data"))


def stray_temps(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if ".tmp" in p.name]


@pytest.mark.parametrize(
    "point", ["ingest.prepared", "store.begin", "store.after_rows", "store.before_commit", "store.after_commit"]
)
def test_an_ingest_killed_at_any_point_leaves_one_whole_version(data: Path, point: str):
    before = db.versions(data)
    returns_before = db.load_returns(data)
    r = qipp("ingest", str(M6_WORKBOOK), "--fin-year", "2019-20", "--month", "6", "--data-dir", str(data), fault=point)
    assert r.returncode == FAULT_EXIT_CODE, (r.stdout, r.stderr)
    after = db.versions(data)
    if point == "store.after_commit":  # killed after the commit: the new version is whole
        assert len(after) == len(before) + 1
        assert set(db.load_returns(data)["month"]) == {5, 6}
        assert len(db.load_warnings(data))  # the M6 warnings arrived with the M6 rows, in the same version
    else:  # killed before: nothing of it is visible
        assert [v.number for v in after] == [v.number for v in before]
        assert db.load_returns(data).equals(returns_before)
    assert not stray_temps(data / "processed")
    again = qipp("ingest", str(M6_WORKBOOK), "--fin-year", "2019-20", "--month", "6", "--data-dir", str(data))
    assert again.returncode == 0, again.stderr  # no manual clean-up
    assert db.versions(data)[-1].entry["files"][0]["name"] == M6_WORKBOOK.name


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory, demo_data_dir: Path) -> tuple[Path, Path]:
    out = tmp_path_factory.mktemp("reports")
    r = qipp(*run_args(demo_data_dir, out))
    assert r.returncode == 0, r.stderr
    return demo_data_dir, out


@pytest.mark.parametrize("point", ["run.snapshot_taken", "run.rendered", "run.manifest_written"])
def test_a_run_killed_at_any_point_keeps_a_readable_pack_and_the_next_run_needs_no_clean_up(rendered, tmp_path, point):
    data, first = rendered
    out = tmp_path / "reports"
    shutil.copytree(first, out)
    month = out / "2019-20" / "M06"
    (month / "ELR" / ".monthly_position.0123456789abcdef0123456789abcdef.tmp.html").write_text("half")
    before = json.loads((month / "manifest.json").read_text())
    args = [
        "run",
        "--fin-year",
        "2019-20",
        "--month",
        "6",
        "--org",
        "WL",
        "--notebook",
        "monthly_position",
        "--formats",
        "html",
        "--jobs",
        "1",
        "--data-dir",
        str(data),
        "--out",
        str(out),
        "--notebooks-dir",
        str(ROOT / "notebooks"),
    ]
    r = qipp(*args, fault=point)
    assert r.returncode == FAULT_EXIT_CODE, (r.stdout, r.stderr)
    manifest = json.loads((month / "manifest.json").read_text())  # old or new, never half
    assert manifest in (before,) or {e["org"] for e in manifest["reports"]} == {"ELR", "WL"}
    again = qipp(*args)
    assert again.returncode == 0, again.stderr
    manifest = json.loads((month / "manifest.json").read_text())
    assert {e["org"] for e in manifest["reports"]} == {"ELR", "WL"}  # the earlier report kept its place
    assert not stray_temps(out)
    index = (month / "index.html").read_text()
    assert "ELR/monthly_position.html" in index and "WL/monthly_position.html" in index
