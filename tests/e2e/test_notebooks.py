"""Notebooks stay thin and diffable: no outputs, a parameters cell, python3 kernel, inline charts.

What is checked is what git holds (the staged copy): an analyst who runs the explorer and saves it
does not break the tests, and `make` installs an nbstripout git filter so outputs never reach a commit.
Outside a git checkout the files themselves are checked.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def committed(path: Path) -> str:
    """The staged content of a notebook (what a commit would hold), else the file's."""
    result = subprocess.run(["git", "show", f":{path.relative_to(ROOT)}"], cwd=ROOT, capture_output=True, text=True)
    return result.stdout if result.returncode == 0 else path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_clean(path):
    nb = nbformat.reads(committed(path), as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "strip outputs: make strip"
    assert "parameters" in code[0].metadata.get("tags", []), "first code cell must be tagged parameters"
    src = "\n".join(c.source for c in code)
    assert "%matplotlib inline" in src
    assert "open(" not in src and "read_excel" not in src and "read_parquet" not in src, "notebooks never open files"
    assert "print(" not in src, "prints leak into circulated reports"


def test_notebooks_are_as_nbstripout_leaves_them(tmp_path):
    import sys

    copies = []
    for path in NOTEBOOKS:
        copy = tmp_path / path.name
        copy.write_text(committed(path), encoding="utf-8")
        copies.append(copy)
    tool = Path(sys.executable).parent / "nbstripout"
    result = subprocess.run([str(tool), "--verify", *map(str, copies)], capture_output=True, text=True)
    assert result.returncode == 0, f"run `make strip` before committing:\n{result.stdout}{result.stderr}"
