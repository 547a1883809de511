"""Notebooks stay thin and diffable: no outputs, a parameters cell, python3 kernel, inline charts."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_clean(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code), "strip outputs: make strip"
    assert "parameters" in code[0].metadata.get("tags", []), "first code cell must be tagged parameters"
    src = "\n".join(c.source for c in code)
    assert "%matplotlib inline" in src
    assert "open(" not in src and "read_excel" not in src and "read_parquet" not in src, "notebooks never open files"
    assert "print(" not in src, "prints leak into circulated reports"


def test_notebooks_are_as_nbstripout_leaves_them():
    import subprocess
    import sys

    tool = Path(sys.executable).parent / "nbstripout"
    result = subprocess.run([str(tool), "--verify", *map(str, NOTEBOOKS)], capture_output=True, text=True)
    assert result.returncode == 0, f"run `make strip` before committing:\n{result.stdout}{result.stderr}"
