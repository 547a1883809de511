"""The bad-input corpus: every malformed input gets one clear, located error and changes nothing."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qipp_helpers.cli import app
from qipp_helpers.ingest.layouts import ingest

from ..conftest import M6_WORKBOOK
from ..data.bad.corpus import CASES


def digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    """A data folder holding M6 (so templates can be made from it) and a raw/ folder."""
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "raw" / "2019-20" / "M06").mkdir(parents=True)
    shutil.copy(M6_WORKBOOK, folder / "raw" / "2019-20" / "M06")
    ingest([M6_WORKBOOK], "2019-20", 6, folder)
    return folder


def test_corpus_is_big_enough():
    assert len(CASES) >= 40


@pytest.mark.parametrize("name", sorted(CASES))
def test_bad_input(data, name):
    case = CASES[name]
    folder = data / "raw" / "bad" / name
    folder.mkdir(parents=True)
    files = case.make(folder, data)
    processed, raw = digest(data / "processed"), digest(data / "raw")
    result = CliRunner().invoke(
        app,
        [
            "ingest",
            *map(str, files),
            "--fin-year",
            case.fin_year,
            "--month",
            case.month,
            "--data-dir",
            str(data),
            *case.options,
        ],
    )
    assert result.exit_code != 0, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    message = result.output
    assert case.expect in message, message
    located = [line for line in message.splitlines() if case.expect in line or case.expect.startswith("3 problems")]
    for part in case.where:
        assert part in message, (part, message)
        if not case.expect.startswith("3 problems"):
            assert any(part in line for line in located), (part, located)
    assert "Traceback" not in message
    assert digest(data / "processed") == processed
    assert digest(data / "raw") == raw
    shutil.rmtree(folder)  # the 50 MB and bomb files do not outlive their case
