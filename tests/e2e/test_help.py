"""`qipp --help` and every command's help read as a user reads them, and their examples run as typed.

Each ``Example:`` line of every command's help is run, in the order the commands are listed (``ingest-raw``
first, so the store holds the demo data), in a copy of the project's data. As in the README test, a
whole-pack ``qipp run`` is left to the pack tests that render it anyway.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
QIPP = Path(sys.executable).parent / "qipp"
COMMANDS = ("ingest", "ingest-raw", "template", "run", "adjust", "history", "status")
WHOLE_PACK = re.compile(r"^qipp run (?!.*--notebook)")


def help_text(*args: str, columns: int = 80) -> str:
    env = {**os.environ, "COLUMNS": str(columns)}
    return subprocess.run([str(QIPP), *args, "--help"], env=env, capture_output=True, text=True, check=True).stdout


def examples(text: str) -> list[str]:
    """The commands under ``Example:``, continuation lines (ending in a backslash) joined, comments dropped."""
    block = text.split("Example:", 1)[1].split("\n\n", 1)[0] if "Example:" in text else ""
    joined = block.replace("\\\n", " ")
    return [re.sub(r"\s+#.*$", "", line).strip() for line in joined.splitlines() if line.strip()]


def test_the_command_list_gives_each_command_a_whole_sentence():
    text = help_text()
    listing = text.split("Commands:", 1)[1]
    entries = re.split(r"\n  (?=\S)", "\n" + listing.strip("\n"))
    summaries = {e.split()[0]: " ".join(e.split()[1:]) for e in entries if e.strip()}
    assert set(summaries) == set(COMMANDS)
    for name, summary in summaries.items():
        assert summary.endswith(".") and "..." not in summary, (name, summary)
    assert summaries["run"] == "Render the QAG pack for the months and organisations asked for."


@pytest.mark.parametrize("command", COMMANDS)
def test_help_shows_types_as_words_and_never_breaks_a_word(command):
    text = help_text(command)
    assert not re.search(r"<(str|int|float|path|Path|list\[[^\]]*\])>", text), text
    assert re.search(r"\b(TEXT|INTEGER|PATH)\b", text), text
    broken = [line for line in text.splitlines() if re.search(r"\w-$", line)]
    assert not broken, broken


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("help-examples")
    shutil.copytree(ROOT / "data" / "raw", folder / "data" / "raw")
    shutil.copytree(ROOT / "notebooks", folder / "notebooks")
    return folder


def test_every_help_example_runs_as_typed(project: Path):
    env = {**os.environ, "PATH": f"{QIPP.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("QIPP_FAULT", None)
    order = ["ingest-raw", *(c for c in COMMANDS if c != "ingest-raw")]
    ran, outputs = [], {}
    for command in order:
        found = examples(help_text(command))
        assert found, f"qipp {command} --help has no example"
        for line in found:
            if WHOLE_PACK.search(line):
                continue
            result = subprocess.run(line, shell=True, cwd=project, env=env, capture_output=True, text=True, timeout=900)
            assert result.returncode == 0, f"`{line}` failed:\n{result.stdout}\n{result.stderr}"
            assert "Traceback" not in result.stdout + result.stderr, line
            ran.append(line)
            outputs[line] = result.stdout
    assert len(ran) >= 8, ran
    added = [out for line, out in outputs.items() if line.startswith("qipp adjust") and "--amount" in line]
    # the example adds a new adjustment (not one ingest derived), and the --remove example takes it back
    assert added and all("adjustment ADJ-2019-20-M06-ELR-MANUAL-1 recorded" in out for out in added), added
    removed = [out for line, out in outputs.items() if line.startswith("qipp adjust") and "--remove" in line]
    assert removed and all("ADJ-2019-20-M06-ELR-MANUAL-1 removed" in out for out in removed), removed
