"""The wheel carries every subpackage, the notebooks and the report template (pyproject.toml lists them)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_every_package_folder_is_listed_in_pyproject():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(config["packages"])
    found = {"qipp_helpers"} | {
        ".".join(p.relative_to(ROOT).parts)
        for p in (ROOT / "qipp_helpers").rglob("*")
        if p.is_dir() and "__pycache__" not in p.parts
    }
    assert found | {"qipp_helpers.notebooks"} == listed
    assert config["package-dir"] == {"qipp_helpers.notebooks": "notebooks"}


def test_the_pack_notebooks_are_found_without_a_notebooks_folder(tmp_path, monkeypatch):
    from qipp_helpers.pack.catalogue import CATALOGUE, notebooks_dir

    monkeypatch.chdir(tmp_path)  # no ./notebooks here: the installed (or checked-out) copy is used
    where = notebooks_dir()
    assert all((where / f"{name}.ipynb").is_file() for name in CATALOGUE)
