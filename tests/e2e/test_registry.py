"""One organisation registry everywhere: every command accepts exactly the organisations the data folder's
organisations.csv declares (else the built-in ones), whatever the process read before (issue 28.4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from qipp_helpers.cli import app
from qipp_helpers.core.orgs import use_organisations
from qipp_helpers.synthetic.cli import app as synthetic_app

from ..conftest import ROOT


@pytest.fixture
def declared(tmp_path: Path):
    """A data folder declaring S001 and S002 only, ingested; each command then starts as a fresh process does."""
    data = tmp_path / "demo"
    runner = CliRunner()
    made = runner.invoke(synthetic_app, ["--data-dir", str(data), "--orgs", "2", "--schemes", "3", "--months", "1"])
    assert made.exit_code == 0, made.output
    assert runner.invoke(app, ["ingest-raw", "--data-dir", str(data)]).exit_code == 0
    yield data
    use_organisations(None)  # back to LLR for the other tests


def qipp(*args: str):
    use_organisations(None)  # a new process knows only the built-in registry until it reads the data folder
    return CliRunner().invoke(app, list(args))


def test_every_command_takes_the_organisations_the_data_folder_declares(declared: Path, tmp_path: Path):
    period = ["--fin-year", "2019-20", "--month", "1", "--data-dir", str(declared)]
    out = ["--out", str(tmp_path / "r"), "--notebooks-dir", str(ROOT / "notebooks")]
    run = qipp("run", *period, *out, "--org", "S001", "--notebook", "monthly_position", "--formats", "html")
    assert run.exit_code == 0, run.output
    assert (tmp_path / "r" / "2019-20" / "M01" / "S001" / "monthly_position.html").is_file()
    ingest = qipp("ingest", str(declared / "raw" / "2019-20" / "M01" / "S002.csv"), "--org", "S002", *period)
    assert ingest.exit_code == 0 and "S002 3 rows" in ingest.output, ingest.output
    next_month = ["--fin-year", "2019-20", "--month", "2", "--data-dir", str(declared)]
    template = qipp("template", *next_month, "--org", "S002", "--out", str(tmp_path / "S002.xlsx"))
    assert template.exit_code == 0, template.output
    adjust = qipp("adjust", *period, "--org", "S001", "--scheme", "1.1", "--amount", "fot=-1", "--reason", "agreed")
    assert adjust.exit_code == 0 and "recorded" in adjust.output, adjust.output
    for command in (
        ("run", *period, *out, "--org", "ELR", "--notebook", "monthly_position"),
        ("adjust", *period, "--org", "ELR", "--amount", "fot=-1", "--reason", "x"),
        ("template", *next_month, "--org", "ELR", "--out", str(tmp_path / "ELR.xlsx")),
    ):
        refused = qipp(*command)
        assert refused.exit_code != 0 and "ELR" in refused.output and "S001" in refused.output, refused.output
        assert "Traceback" not in refused.output, refused.output
