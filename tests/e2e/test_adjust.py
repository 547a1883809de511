"""Adjustments you can trust (issue 28.3): each has an id; a duplicate of a held adjustment, a scheme the return
does not hold and an amount larger than the plan are refused; one can be taken back as a new version; the help's
examples make sense on the demo data."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from qipp_helpers.cli import app
from qipp_helpers.ingest.layouts import ingest_files
from qipp_helpers.store import db

from ..conftest import M6_WORKBOOK

M6 = ["--fin-year", "2019-20", "--month", "6"]


@pytest.fixture
def data(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    ingest_files([M6_WORKBOOK], "2019-20", 6, folder)
    return folder


def adjust(data: Path, *args: str):
    return CliRunner().invoke(app, ["adjust", *M6, "--data-dir", str(data), *args])


def refused(result, *words: str) -> bool:
    return result.exit_code == 1 and "nothing was written" in result.output and all(w in result.output for w in words)


def test_duplicates_unknown_schemes_and_absurd_amounts_are_refused(data: Path):
    versions = len(db.versions(data))
    # the old help's example: WL's missing CHC line, which the ingest already derived from the LLR dashboard
    chc = ["--org", "WL", "--scheme", "4.1", "--amount", "annual_plan=-664", "--amount", "fot=-374"]
    twice = adjust(data, *chc, "--reason", "CHC line missing from the WL return; LLR dashboard 4.1")
    assert refused(twice, "WL 4.1 already has an adjustment of annual_plan, fot (ADJ-2019-20-M06-WL-4.1", "--duplicate")
    assert refused(adjust(data, "--org", "ELR", "--scheme", "9.9", "--amount", "fot=-20", "--reason", "r"), "9.9")
    huge = adjust(data, "--org", "ELR", "--scheme", "8.2", "--amount", "fot=-99999", "--reason", "typed in £")
    assert refused(huge, "larger than ELR's whole 2019-20 M6 annual plan of (26,642)")
    assert len(db.versions(data)) == versions  # nothing was written
    new = adjust(data, "--org", "ELR", "--scheme", "9.9", "--scheme-name", "Late scheme", "--amount", "fot=-20")
    assert new.exit_code != 0 and "--reason" in new.output  # no reason: refused
    new = adjust(data, "--org", "ELR", "--scheme", "9.9", "--scheme-name", "Late scheme", "--amount", "fot=-20",
                 "--reason", "Agreed at QAG")  # fmt: skip
    assert new.exit_code == 0 and "adjustment ADJ-2019-20-M06-ELR-MANUAL-1 recorded" in new.output, new.output
    meant = adjust(data, *chc, "--reason", "A second CHC gap, agreed", "--duplicate")
    assert meant.exit_code == 0 and "ADJ-2019-20-M06-WL-MANUAL-1" in meant.output, meant.output
    assert len(db.versions(data)) == versions + 2


def test_an_adjustment_is_listed_with_its_id_and_taken_back_as_a_new_version(data: Path):
    # the help's example, as typed, makes sense on the demo data
    added = adjust(data, "--org", "ELR", "--scheme", "8.2", "--amount", "fot=-20", "--reason",
                   "Vacancy savings agreed at QAG after the return")  # fmt: skip
    assert added.exit_code == 0, added.output
    listed = adjust(data).output
    assert "ADJ-2019-20-M06-ELR-MANUAL-1  ELR 8.2 [PMO manual]: fot (20)" in listed
    assert "ADJ-2019-20-M06-WL-4.1  WL 4.1 Continuing Healthcare [derived from combined dashboard]" in listed
    before = db.versions(data)[-1].number
    gone = adjust(data, "--remove", "ADJ-2019-20-M06-ELR-MANUAL-1", "--reason", "Entered against the wrong month")
    assert gone.exit_code == 0, gone.output
    assert f"store version {before + 1}: adjustment ADJ-2019-20-M06-ELR-MANUAL-1 removed (ELR: fot (20))" in gone.output
    assert "MANUAL-1" not in adjust(data).output
    log = db.versions(data)[-1].entry
    assert log["kind"] == "adjustment removed" and log["reason"] == "Entered against the wrong month"
    held = db.load_adjustments(data, as_of=before)  # the version before still holds it
    assert "ADJ-2019-20-M06-ELR-MANUAL-1" in set(held["adjustment_id"])
    assert refused(adjust(data, "--remove", "ADJ-2019-20-M06-WL-4.1", "--reason", "r"), "not a manual adjustment")
    assert refused(adjust(data, "--remove", "ADJ-2019-20-M06-ELR-MANUAL-1", "--reason", "r"), "no such adjustment")
    assert adjust(data, "--remove", "ADJ-2019-20-M06-ELR-MANUAL-1").exit_code != 0  # a reason is required
    assert db.versions(data)[-1].number == before + 1
