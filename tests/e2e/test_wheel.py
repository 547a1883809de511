"""The wheel is built from what git holds (`make wheel`: `git archive HEAD`), so it ships the notebooks
without outputs whatever state the working copies are in after an analyst has run them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _in_git() -> bool:
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True).returncode == 0


@pytest.mark.skipif(not _in_git(), reason="not a git checkout: nothing for git to hold")
def test_the_wheel_ships_the_notebooks_git_holds_without_outputs(tmp_path):
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "git archive --format=tar HEAD" in make, "make wheel builds from what git holds"
    src, dist = tmp_path / "src", tmp_path / "dist"
    src.mkdir()
    archive = subprocess.run(["git", "archive", "--format=tar", "HEAD"], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive.stdout, check=True)
    build = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(src)]
    subprocess.run(build, capture_output=True, check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    (wheel,) = dist.glob("qipp_workbooks-*.whl")
    with zipfile.ZipFile(wheel) as z:
        shipped = {n: json.loads(z.read(n)) for n in z.namelist() if n.endswith(".ipynb")}
    committed = sorted(p.name for p in (src / "notebooks").glob("*.ipynb"))
    assert sorted(Path(n).name for n in shipped) == committed
    for name, nb in shipped.items():
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c["outputs"] and c["execution_count"] is None for c in code), name
        assert "widgets" not in nb["metadata"] and set(nb["metadata"]["language_info"]) == {"name"}, name
