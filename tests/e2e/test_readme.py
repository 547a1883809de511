"""The README's commands work as typed: each fenced bash command is run, in order, in a copy of the project.

The slow or machine-level ones are left to what runs them anyway: `make reports`/`make test` (CI runs
`make test`; the e2e pack tests render the default pack), `make lab` (the Jupyter server test), conda
(not installed here) and a whole-pack `qipp run` (the pack tests). Everything else (`qipp` ingest,
history, adjust, template, one report, help, version; `make help`) must succeed as written, with the
environment active as the README says (`source .venv/bin/activate`: its bin folder first on PATH).
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
SKIP = (
    re.compile(r"^make (reports|test|test-fast|lint|lab)\b"),
    re.compile(r"^conda "),
    re.compile(r"^qipp run (?!.*--notebook)"),  # the whole pack: rendered by the pack tests
)


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", text, flags=re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            line = re.sub(r"\s+#.*$", "", line).strip()
            if line and not line.startswith("#"):
                commands.append(line)
    return commands


def test_the_readme_has_commands_for_each_step():
    commands = readme_commands()
    assert commands[:2] == ["make reports", "make test"]
    for verb in ("qipp ingest ", "qipp ingest-raw", "qipp history", "qipp adjust", "qipp template", "qipp run "):
        assert any(c.startswith(verb) for c in commands), verb


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("project")
    for part in ("data/raw", "notebooks", "scripts"):
        shutil.copytree(ROOT / part, folder / part)
    for name in ("Makefile", "README.md", "pyproject.toml", "requirements.txt", "requirements-dev.txt"):
        shutil.copy(ROOT / name, folder / name)
    return folder


def test_readme_commands_run_as_typed(project: Path):
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    env.pop("QIPP_FAULT", None)
    ran = []
    for command in readme_commands():
        if any(p.search(command) for p in SKIP):
            continue
        result = subprocess.run(command, shell=True, cwd=project, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"`{command}` failed:\n{result.stdout}\n{result.stderr}"
        assert "Traceback" not in result.stdout + result.stderr, command
        ran.append(command)
    assert len(ran) >= 10, ran
    assert (project / "reports" / "2019-20" / "M07" / "returns" / "ELR_return.xlsx").is_file()
    assert (project / "reports" / "2019-20" / "M06" / "LLR" / "under_delivery_drivers.pdf").is_file()
