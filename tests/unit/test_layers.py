"""The house's own rules about its code: which folder may import which, and no import circles.

Every module of ``qipp_helpers`` is parsed (not imported) and every import counts: at module level, inside a
function, or under ``if TYPE_CHECKING``.
"""

from __future__ import annotations

import ast
import functools
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "qipp_helpers"

#: The layers, lowest first: a module may import its own layer and the layers before it, never one after.
#: analysis sits below ingest: it is pure (pandas in, pandas out, imports only core and reference), and ingest
#: applies two of its rules as it stores a month (the derived adjustments, the FRP's arithmetic checks).
LAYERS = ("core", "store", "analysis", "ingest", "report", "pack", "cli")
#: Data and the names for it, usable by any layer (it imports only core).
ANYWHERE = ("reference",)
#: Folders that only the ones named may import: reports and the pack read the store, never the readers of raw files.
ONLY_FROM = {"ingest": ("cli", "synthetic")}
#: Demo and test data: may import any layer below pack; nothing in the product imports it.
SYNTHETIC = "synthetic"
#: Import circles allowed: none. A report object never imports its own tables, charts or workbook; they import it.
KNOWN_CIRCLES: list[list[str]] = []


def _modules() -> dict[str, Path]:
    """Every module's dotted name -> its file (a package by its ``__init__.py``)."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = ("qipp_helpers", *path.relative_to(PACKAGE).with_suffix("").parts)
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The ``qipp_helpers`` modules that ``name`` imports anywhere in its file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:  # `from . import pipeline` imports the module pipeline
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base)
    return {m for m in found if m in modules and m != name}


@functools.cache  # parsed once per session: the graph is read, never changed, by the tests below
def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imports(name, path, modules) for name, path in modules.items()}


def _folder(module: str) -> str:
    """The top folder of a module: 'qipp_helpers.ingest.pipeline' -> 'ingest'; the package itself -> ''."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _layer_problems(graph: dict[str, set[str]]) -> list[str]:
    problems = []
    for module, targets in sorted(graph.items()):
        here = _folder(module)
        for target in sorted(targets):
            there = _folder(target)
            if there in ("", here, *ANYWHERE):
                continue
            if there == SYNTHETIC:
                problems.append(f"{module} imports {target}: nothing outside synthetic/ imports it")
            elif here == SYNTHETIC:
                if LAYERS.index(there) >= LAYERS.index("pack"):
                    problems.append(f"{module} imports {target}: synthetic data is made below pack")
            elif here in ANYWHERE:
                if there != "core":
                    problems.append(f"{module} imports {target}: reference/ imports only core")
            elif there in ONLY_FROM and here not in ONLY_FROM[there]:
                problems.append(f"{module} imports {target}: only {' and '.join(ONLY_FROM[there])} import {there}/")
            elif LAYERS.index(there) > LAYERS.index(here):
                problems.append(f"{module} imports {target}, a layer above it ({there} is above {here})")
    return problems


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_every_module_is_in_a_known_folder():
    folders = {_folder(m) for m in _graph()}
    assert folders <= {"", *LAYERS, *ANYWHERE, SYNTHETIC}, folders - {"", *LAYERS, *ANYWHERE, SYNTHETIC}


def test_no_folder_imports_a_folder_above_it():
    assert _layer_problems(_graph()) == []


def test_analysis_is_pure():
    graph = _graph()
    assert {target for module, targets in graph.items() if _folder(module) == "analysis" for target in targets} <= {
        m for m in graph if _folder(m) in ("analysis", "core", "reference")
    }


def test_no_import_circles():
    assert [c for c in _circles(_graph()) if c not in KNOWN_CIRCLES] == []


def test_the_checks_see_what_they_should():
    """The graph finds function-level and relative imports, and the checks catch a made-up breach of each rule."""
    graph = _graph()
    assert "qipp_helpers.ingest.layouts" in graph["qipp_helpers.cli"]  # imported inside a command
    assert "qipp_helpers.ingest.pipeline" in graph["qipp_helpers.ingest.layouts"]  # `from . import pipeline`
    bad = {
        "qipp_helpers.core.a": {"qipp_helpers.store.b"},
        "qipp_helpers.store.b": {"qipp_helpers.core.a"},
        "qipp_helpers.report.c": {"qipp_helpers.synthetic.d"},
        "qipp_helpers.synthetic.d": {"qipp_helpers.pack.e"},
        "qipp_helpers.pack.e": {"qipp_helpers.ingest.f"},
        "qipp_helpers.ingest.f": set(),
    }
    assert _circles(bad) == [["qipp_helpers.core.a", "qipp_helpers.store.b"]]
    assert len(_layer_problems(bad)) == 4
