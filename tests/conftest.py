"""Shared fixtures for unit/, backtests/ and e2e/: the embedded demo data, ingested once per session."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from filelock import FileLock

from qipp_helpers.ingest.layouts import ingest_files
from qipp_helpers.store.db import (
    load_adjustments,
    load_commentary,
    load_frp,
    load_returns,
    load_rightcare,
    load_warnings,
)

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw"
M6_WORKBOOK = RAW / "2019-20" / "M06" / "paper_d_m6_pmo_dashboards.xlsx"
FRP_WORKBOOK = RAW / "2019-20" / "M06" / "paper_e_system_frp.xlsx"
RIGHTCARE_DIR = RAW / "2019-20" / "rightcare"

# pandas' Styler gives every table a random id, and a report says when it was generated; nothing else may differ
_STYLER_ID = re.compile(r"T_[0-9a-f]{5}")
_GENERATED = re.compile(r"Generated \d{1,2} \w{3} \d{4} \d{2}:\d{2}")


def same_render(html: str) -> str:
    """A report's HTML but for what differs between any two renders of it: pandas' random table ids, the time."""
    return _GENERATED.sub("Generated (time)", _STYLER_ID.sub("T_x", html))


def run_args(
    data: Path,
    out: Path,
    *extra: str,
    org: str = "ELR",
    notebook: str = "monthly_position",
    formats: str | None = "html",
    jobs: int | None = 1,
) -> list[str]:
    """`qipp run` arguments for M6 2019/20 of ``org`` and ``notebook`` from ``data`` into ``out`` (the repo's
    notebooks), then ``extra``; ``formats``/``jobs`` None: the command's defaults."""
    args = ["run", "--fin-year", "2019-20", "--month", "6", "--org", org, "--notebook", notebook]
    args += ["--formats", formats] if formats is not None else []
    args += ["--jobs", str(jobs)] if jobs is not None else []
    return [*args, "--data-dir", str(data), "--out", str(out), "--notebooks-dir", str(ROOT / "notebooks"), *extra]


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with M1-M6 2019/20 and the RightCare indicators ingested from data/raw through the real ingest."""
    data = tmp_path_factory.mktemp("data")
    shutil.copytree(RAW, data / "raw")
    for month in range(1, 7):
        files = sorted((data / "raw" / "2019-20" / f"M{month:02d}").glob("*.xlsx"))
        ingest_files(files, "2019-20", month, data)
    ingest_files(sorted((data / "raw" / "2019-20" / "rightcare").glob("*.xlsx")), "2019-20", 6, data)
    return data


def _render_default_pack(data: Path, out: Path) -> Path:
    """`qipp run` of the default pack from ``data`` into ``out``; its month folder."""
    from typer.testing import CliRunner

    from qipp_helpers.cli import app

    args = ["run", "--fin-year", "2019-20", "--month", "6", "--org", "all", "--data-dir", str(data)]
    args += ["--out", str(out), "--notebooks-dir", str(ROOT / "notebooks"), "--jobs", "2"]
    args += ["--meeting-date", "2019-10-17", "--data-cutoff", "2019-10-04", "--marking", "OFFICIAL-SENSITIVE"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    folder = out / "2019-20" / "M06"
    assert f"the pack: {folder / 'QIPP_pack_2019-20_M06.pdf'}" in result.output
    return folder


@pytest.fixture(scope="session")
def default_pack(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Path:
    """The default pack (`make reports`: every organisation, 2019-20 M6, two jobs) with a meeting date, a data
    cut-off and a marking, rendered once per run; its month folder. e2e/test_pack_document.py reads the pack
    document and e2e/test_checks.py the pagination and accessibility of every report; a test that changes it
    works on a copy.

    Under pytest-xdist the first worker to ask renders it into the run's shared temporary folder while the
    others wait on a file lock (the render already uses both cores), as pytest-xdist's documentation advises
    for a session fixture that must run once."""
    if worker_id == "master":  # not distributed
        return _render_default_pack(demo_data_dir, tmp_path_factory.mktemp("pack"))
    shared = tmp_path_factory.getbasetemp().parent
    done = shared / "default_pack.done"
    with FileLock(str(shared / "default_pack.lock")):
        if not done.exists():
            folder = _render_default_pack(demo_data_dir, shared / "default_pack")
            done.write_text(str(folder))
    return Path(done.read_text())


@pytest.fixture(scope="session")
def m6_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder holding the published M6 workbook alone, ingested once per session (tests copy it: `m6_data`)."""
    data = tmp_path_factory.mktemp("m6") / "data"
    ingest_files([M6_WORKBOOK], "2019-20", 6, data)
    return data


@pytest.fixture
def m6_data(m6_store: Path, tmp_path: Path) -> Path:
    """A fresh copy of `m6_store` (what `ingest([M6_WORKBOOK], "2019-20", 6, data)` leaves), at tmp_path/data."""
    return Path(shutil.copytree(m6_store, tmp_path / "data"))


@pytest.fixture(scope="session")
def returns(demo_data_dir: Path):
    return load_returns(demo_data_dir)


@pytest.fixture(scope="session")
def adjustments(demo_data_dir: Path):
    return load_adjustments(demo_data_dir)


@pytest.fixture(scope="session")
def commentary(demo_data_dir: Path):
    return load_commentary(demo_data_dir)


@pytest.fixture(scope="session")
def warnings(demo_data_dir: Path):
    return load_warnings(demo_data_dir)


@pytest.fixture(scope="session")
def frp_tables(demo_data_dir: Path):
    return load_frp(demo_data_dir)


@pytest.fixture(scope="session")
def rightcare_tables(demo_data_dir: Path):
    return load_rightcare(demo_data_dir)
