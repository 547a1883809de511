"""The wheel carries every subpackage, the notebooks and the report template (pyproject.toml lists them)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

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


#: Modules that may import beyond the core dependencies, and the extra that declares what they need.
EXTRA_FOR = {
    "qipp_helpers/report/explore.py": "lab",  # the variance explorer: ipywidgets, in JupyterLab
    "qipp_helpers/pack/checks.py": "dev",  # `make checks`: pdfplumber, pdfminer, playwright, axe
    "qipp_helpers/pack/runner.py": "dask",  # qipp run --executor dask
}


def _declared(requirements: list[str]) -> set[str]:
    import re

    return {re.split(r"[<>=!~\[; ]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def _imports(path: Path) -> set[str]:
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.slow  # parses every module: make test, not make test-fast
def test_every_imported_package_is_declared():
    """An install from pyproject alone has what each module imports: nothing arrives only as another's dependency."""
    import sys
    from importlib.metadata import packages_distributions

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    core = _declared(project["dependencies"])
    extras = {name: _declared(reqs) for name, reqs in project["optional-dependencies"].items()}
    distributions = packages_distributions()
    undeclared = []
    for path in sorted((ROOT / "qipp_helpers").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        allowed = core | extras.get(EXTRA_FOR.get(rel, ""), set())
        for module in sorted(_imports(path) - set(sys.stdlib_module_names) - {"qipp_helpers", "__future__"}):
            dists = {d.lower().replace("_", "-") for d in distributions.get(module, [module])}
            if not dists & allowed:
                undeclared.append(f"{rel}: {module} ({', '.join(sorted(dists))})")
    assert not undeclared, "imported but not declared in pyproject.toml:\n" + "\n".join(undeclared)


def test_the_lab_extra_is_what_the_explorer_needs_and_no_more():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert _declared(project["optional-dependencies"]["lab"]) == {"ipywidgets", "jupyterlab"}
    assert not _declared(project["dependencies"]) & {"ipywidgets", "jupyterlab"}
    pinned = [line for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines() if "==" in line]
    assert not _declared(pinned) & {"ipywidgets", "jupyterlab"}


def test_the_version_is_written_once():
    from importlib.metadata import version

    import qipp_helpers

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert "version" not in project and project["dynamic"] == ["version"]
    assert version("qipp-workbooks") == qipp_helpers.__version__
