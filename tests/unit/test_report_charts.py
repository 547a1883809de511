"""Each report's charts are declared once in its report package (``report/<report>/charts.py``: ``CHARTS`` and one
report-level function per chart); a notebook draws a chart by one call, ``charts.<name>(report)``, choosing no data,
title or labels of its own, and leaks no stray value into the report."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path
from types import ModuleType

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[2]
#: The notebooks that draw a report's charts, by the report package whose charts they draw.
DRAWN_BY = {
    "monthly_position": "position",
    "under_delivery_drivers": "drivers",
    "frp_bridge": "frp",
    "rightcare_opportunity": "rightcare",
}


def _code(stem: str) -> list[tuple[str, ast.Module]]:
    """Each code cell of a notebook: its source and its syntax tree (IPython's %magic lines left out)."""
    nb = nbformat.read(ROOT / "notebooks" / f"{stem}.ipynb", as_version=4)
    sources = [c.source for c in nb.cells if c.cell_type == "code"]
    return [(s, ast.parse("\n".join(ln for ln in s.splitlines() if not ln.startswith("%")))) for s in sources]


def _cells(stem: str) -> list[ast.Module]:
    return [tree for _, tree in _code(stem)]


def _charts_module(cells: list[ast.Module]) -> ModuleType:
    """The ``charts`` module a notebook imports (from its own report package)."""
    (found,) = [
        node.module
        for cell in cells
        for node in ast.walk(cell)
        if isinstance(node, ast.ImportFrom) and any(a.name == "charts" for a in node.names)
    ]
    assert found
    return importlib.import_module(f"{found}.charts")


def _chart_calls(cells: list[ast.Module]) -> list[ast.Call]:
    return [
        node
        for cell in cells
        for node in ast.walk(cell)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "charts"
    ]


@pytest.mark.parametrize("stem", DRAWN_BY)
def test_a_notebook_draws_each_declared_chart_by_one_call_of_the_report(stem):
    cells = _cells(stem)
    module = _charts_module(cells)
    assert module.__name__ == f"qipp_helpers.report.{DRAWN_BY[stem]}.charts"
    calls = _chart_calls(cells)
    for call in calls:
        words = ast.unparse(call)
        assert [ast.unparse(a) for a in call.args] == ["report"] and not call.keywords, f"{stem}: {words}"
    drawn = [call.func.attr for call in calls if isinstance(call.func, ast.Attribute)]
    assert sorted(drawn) == sorted(module.CHARTS), (
        f"{stem} draws {drawn}, {module.__name__} declares {list(module.CHARTS)}"
    )
    assert all(callable(getattr(module, name)) for name in module.CHARTS)


@pytest.mark.parametrize("stem", DRAWN_BY)
def test_a_notebook_never_draws_with_the_primitives_itself(stem):
    src = "\n".join(source for source, _ in _code(stem))
    for word in ("chartkit", "signs_of=", "rightcare_chart_title", "rightcare_position_labels"):
        assert word not in src, f"{stem}: {word}"


@pytest.mark.parametrize("stem", DRAWN_BY)
def test_a_chart_cell_leaks_no_value(stem):
    """A chart call that ends its cell ends with ';', so the Figure (or None) it returns is never printed."""
    for source, cell in _code(stem):
        last = cell.body[-1] if cell.body else None
        if isinstance(last, ast.Expr) and any(last.value is call for call in _chart_calls([cell])):
            assert source.rstrip().endswith(";"), f"{stem}: {source}"
