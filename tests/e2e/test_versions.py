"""A run reads ONE store version and records it; an ingest during a run changes nothing it reads; a past pack can
be rendered again exactly (--as-of); qipp history lists every version."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from qipp_helpers.cli import app
from qipp_helpers.ingest.layouts import ingest_files
from qipp_helpers.pack.batch import RunOptions, run_pack
from qipp_helpers.store import db
from qipp_helpers.synthetic.workbooks import write_dashboard

from ..conftest import M6_WORKBOOK, RAW, ROOT, run_args

M5 = RAW / "2019-20" / "M05" / "synthetic_m05_pmo_dashboards.xlsx"


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    ingest_files([M5], "2019-20", 5, folder)
    ingest_files([M6_WORKBOOK], "2019-20", 6, folder)
    return folder


def changed_elr(data: Path, tmp_path: Path) -> Path:
    """ELR's M6 return again, with every forecast 10% lower (a later, corrected return)."""
    rows = db.load_returns(data).query("month == 6 and org == 'ELR'").copy()
    rows["fot"] = rows["fot"] * 0.9
    path = tmp_path / "elr_corrected.xlsx"
    write_dashboard(path, {"ELR": rows}, about={"ELR": "published: corrected"})
    return path


def fot_total(xlsx: Path) -> float:
    table = pd.read_excel(xlsx, sheet_name=1)  # the first table after the notes
    money = [c for c in table.columns if "out-turn" in str(c).lower() or str(c).lower() in ("fot", "forecast out-turn")]
    return float(table[money[0]].iloc[-1])


def test_an_ingest_during_a_run_changes_nothing_the_run_reads(data: Path, tmp_path: Path):
    corrected = changed_elr(data, tmp_path)
    before = db.versions(data)[-1].number

    def ingest_meanwhile(_workers: int) -> None:  # called once the run has pinned its version
        ingest_files([corrected], "2019-20", 6, data)

    out = tmp_path / "reports"
    opts = RunOptions(
        fin_year="2019-20",
        months=[6],
        orgs=["ELR"],
        notebooks=["monthly_position"],
        formats=("xlsx",),
        data_dir=data,
        out=out,
        notebooks_dir=ROOT / "notebooks",
        jobs=1,
    )
    outcome = run_pack(opts, on_start=ingest_meanwhile)
    assert outcome.failed == 0 and outcome.version == before
    assert db.versions(data)[-1].number == before + 1  # the ingest committed, and did not wait for the run
    manifest = json.loads((out / "2019-20" / "M06" / "manifest.json").read_text())
    assert manifest["store"]["version"] == before
    assert manifest["reports"][0]["store_version"] == before
    held = db.load_returns(data, as_of=before).query("month == 6 and org == 'ELR'")["fot"].sum()
    adj = db.load_adjustments(data, as_of=before).query("month == 6 and org == 'ELR' and measure == 'fot'")
    held += adj["amount"].sum()  # the report includes the control-total (here rounding) adjustments
    published = pd.read_excel(out / "2019-20" / "M06" / "ELR" / "monthly_position.xlsx", sheet_name=None)
    totals = [df for name, df in published.items() if "workstream" in name.lower() and "fot" in name.lower()]
    assert totals, list(published)
    assert totals[0].iloc[-1].astype(str).str.contains(f"{abs(held):,.0f}".replace(",", "")).any() or any(
        abs(abs(float(v)) - abs(held)) < 0.5 for v in totals[0].iloc[-1] if isinstance(v, (int, float))
    )


def test_as_of_renders_a_past_version_and_history_lists_every_version(data: Path, tmp_path: Path):
    ingest_files([changed_elr(data, tmp_path)], "2019-20", 6, data)
    versions = db.versions(data)
    assert [v.number for v in versions] == [1, 2, 3]
    history = CliRunner().invoke(app, ["history", "--data-dir", str(data)])
    assert history.exit_code == 0
    for v in versions:
        assert f"version {v.number} " in history.output
    assert M6_WORKBOOK.name in history.output and "sha256" in history.output and "returns +" in history.output
    out = tmp_path / "reports"
    args = run_args(data, out, formats="xlsx")
    past = CliRunner().invoke(app, [*args, "--as-of", "2"])
    assert past.exit_code == 0, past.output
    manifest = json.loads((out / "2019-20" / "M06" / "as-of-v2" / "manifest.json").read_text())
    assert manifest["store"]["version"] == 2 and manifest["store"]["as_of"] == "2"
    assert (
        db.load_returns(data, as_of=2).query("month == 6")["fot"].sum()
        != db.load_returns(data).query("month == 6")["fot"].sum()
    )
    bad = CliRunner().invoke(app, [*args, "--as-of", "99"])
    assert bad.exit_code != 0 and "Traceback" not in bad.output and bad.output.count("\n") == 1
