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
    keys = " ".join(strip_keys())
    result = subprocess.run(
        [str(tool), "--verify", "--extra-keys", keys, *map(str, copies)], capture_output=True, text=True
    )
    assert result.returncode == 0, f"run `make strip` before committing:\n{result.stdout}{result.stderr}"


def strip_keys() -> list[str]:
    """The extra keys the Makefile's git filter and `make strip` remove (NB_EXTRA_KEYS)."""
    text = (ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ")
    line = next(x for x in text.splitlines() if x.startswith("NB_EXTRA_KEYS :="))
    return line.split(":=", 1)[1].split()


def as_jupyterlab_saves(text: str) -> str:
    """The notebook after a kernel ran it in JupyterLab and it was saved: outputs, execution counts,
    widget state, the kernel's display name and its language details (as ipykernel reports them)."""
    nb = nbformat.reads(text, as_version=4)
    for n, cell in enumerate(c for c in nb.cells if c.cell_type == "code"):
        cell.execution_count = n + 1
        cell.outputs = [nbformat.v4.new_output("stream", text="ran\n")]
        cell.metadata["execution"] = {"iopub.status.busy": "2026-12-05T09:00:00.000Z"}
    nb.metadata["kernelspec"] = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
    nb.metadata["language_info"] = {
        "codemirror_mode": {"name": "ipython", "version": 3},
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "name": "python",
        "nbconvert_exporter": "python",
        "pygments_lexer": "ipython3",
        "version": "3.11.2",
    }
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}, "version_major": 2}}
    return nbformat.writes(nb) + "\n"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_running_and_saving_a_notebook_leaves_git_status_clean(path):
    """What the git filter (`make git-filter`: nbstripout with NB_EXTRA_KEYS) makes of a run and saved notebook
    is byte for byte what git holds, so `git status` shows nothing after an analyst has used it."""
    import sys

    held = committed(path)
    tool = Path(sys.executable).parent / "nbstripout"
    result = subprocess.run(
        [str(tool), "--extra-keys", " ".join(strip_keys())],
        input=as_jupyterlab_saves(held),
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout == held


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_make_lab_saves_a_run_notebook_byte_for_byte_as_git_holds_it(path):
    """`make lab`'s pre-save hook: the saved file is what git holds, so even its size is unchanged and git
    status stays clean (a clean filter alone still shows the file as modified)."""
    from qipp_helpers.report.lab_save import strip_on_save

    held = committed(path)
    model = {"type": "notebook", "content": nbformat.reads(as_jupyterlab_saves(held), as_version=4)}
    strip_on_save(model)
    assert nbformat.writes(model["content"]) + "\n" == held
    assert "--ContentsManager.pre_save_hook=qipp_helpers.report.lab_save.strip_on_save" in (
        ROOT / "Makefile"
    ).read_text(encoding="utf-8")
