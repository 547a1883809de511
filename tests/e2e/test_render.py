"""Tests for qipp_helpers.pack.render: papermill execution, HTML and PDF output."""

from __future__ import annotations

import contextlib
import re
import zlib
from pathlib import Path

import nbformat
import pytest
from papermill.exceptions import PapermillExecutionError

from qipp_helpers.pack.render import (
    execute_notebook,
    notebook_to_html,
    render_report,
)

EXTERNAL_RESOURCE = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", re.IGNORECASE)

TABLE_CELL = """\
import numpy as np
import pandas as pd

df = pd.DataFrame(
    {
        "Organisation": [f"Org {i}" for i in range(80)],
        "Plan": np.arange(80) * 1234.5,
        "Actual": np.arange(80) * 1111.1,
    }
)
df.style.format(precision=2)
"""

PLOT_CELL = """\
%matplotlib inline
import matplotlib.pyplot as plt

fig, ax = plt.subplots(figsize=(6, 2.5))
ax.plot(range(10), [v * x for v in range(10)])
plt.show()
"""


def _notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = list(cells)
    return nb


def _pdf_page_count(data: bytes) -> int:
    try:
        import pypdf
    except ImportError:
        pass
    else:
        import io

        return len(pypdf.PdfReader(io.BytesIO(data)).pages)
    # WeasyPrint puts page objects in compressed object streams: inflate them all.
    chunks = [data]
    for match in re.finditer(rb"stream\r?\n(.*?)endstream", data, re.DOTALL):
        with contextlib.suppress(zlib.error):
            chunks.append(zlib.decompressobj().decompress(match.group(1)))
    return sum(len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", chunk)) for chunk in chunks)


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("render")
    params = nbformat.v4.new_code_cell("x = 1")
    params.metadata["tags"] = ["parameters"]
    nb = _notebook(
        params,
        nbformat.v4.new_markdown_cell("## Summary\n\nNarrative text for the board."),
        nbformat.v4.new_code_cell('print(f"x is {x}")'),
        nbformat.v4.new_code_cell(TABLE_CELL),
        nbformat.v4.new_code_cell(PLOT_CELL),
        nbformat.v4.new_code_cell('import warnings; warnings.warn("leak")'),
    )
    source = work / "source.ipynb"
    nbformat.write(nb, source)
    out = work / "out" / "executed.ipynb"
    execute_notebook(source, out, {"x": 2})
    return out


@pytest.fixture(scope="module")
def rendered(executed: Path) -> dict[str, Path]:
    return render_report(
        executed,
        executed.parent / "reports",
        "report",
        formats={"html", "pdf"},
        title='QIPP "test" report',
        header_lines=["NHS Example ICB", "Period: M06 2025/26", "Generated 2025-01-01 09:00"],
    )


def test_execute_injects_parameters(executed: Path) -> None:
    nb = nbformat.read(executed, as_version=4)
    injected = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
    assert len(injected) == 1
    assert "x = 2" in injected[0].source
    assert not list(executed.parent.glob(".*.tmp*")), "temporary file left behind"


def test_html_is_clean_and_self_contained(rendered: dict[str, Path]) -> None:
    html = rendered["html"].read_text(encoding="utf-8")
    assert "x is 2" in html  # stdout kept, parameters applied
    assert "Narrative text for the board." in html
    assert "NHS Example ICB" in html and "Period: M06 2025/26" in html
    assert "<thead>" in html
    # No prompts, no source code, no warnings.
    assert "In [" not in html and "In&nbsp;[" not in html and "Out[" not in html
    assert "warnings.warn" not in html
    assert "import pandas" not in html
    assert "leak" not in html
    assert "UserWarning" not in html
    # Embedded image, nothing fetched from the network.
    assert re.search(r"<img[^>]+src=\"data:image/png;base64,", html)
    assert not EXTERNAL_RESOURCE.search(html)
    assert "require.js" not in html and "MathJax" not in html


def test_report_pages_link_back_to_the_front_page_on_screen_only(rendered: dict[str, Path]) -> None:
    html = rendered["html"].read_text(encoding="utf-8")
    back = re.search(r'<nav [^>]*class="qipp-back"[^>]*>\s*<a href="([^"]*)">([^<]*)</a>', html)
    assert back and back.group(1) == "../index.html" and "front page" in back.group(2)
    assert re.search(r"@media print \{\s*\.qipp-back \{\s*display: none;", html), "hidden in print and the PDF"


def test_pdf_is_multi_page(rendered: dict[str, Path]) -> None:
    pdf = rendered["pdf"]
    assert set(rendered) == {"html", "pdf"}
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    assert _pdf_page_count(data) > 1


def test_failing_notebook_is_saved_and_raises(tmp_path: Path) -> None:
    source = tmp_path / "fail.ipynb"
    nbformat.write(_notebook(nbformat.v4.new_code_cell('raise ValueError("boom")')), source)
    out = tmp_path / "out" / "fail_executed.ipynb"
    with pytest.raises(PapermillExecutionError, match="boom"):
        execute_notebook(source, out, {})
    assert out.exists()
    nb = nbformat.read(out, as_version=4)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert errors and errors[0].ename == "ValueError" and errors[0].evalue == "boom"
    assert [p.name for p in out.parent.iterdir()] == [out.name]
    # A failed run can still be rendered; papermill's "In [n]" banner is dropped.
    html = notebook_to_html(out, title="Failed run")
    assert "boom" in html and "In [" not in html


def test_render_report_rejects_unknown_format(executed: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="formats"):
        render_report(executed, tmp_path, "x", formats={"docx"}, title="t")
    with pytest.raises(ValueError, match="formats"):
        render_report(executed, tmp_path, "x", formats=set(), title="t")


CHART_CELL = """\
%matplotlib inline
import pandas as pd
from qipp_helpers.report.position import charts as position_charts

split = pd.DataFrame({"organisation": ["A", "B"], "annual_plan": [-100.0, -50.0], "fot": [-80.0, -45.0],
                      "assured": [-70.0, -40.0]})
position_charts.org_split(split, context="A and B, Month 6");
"""
HISTORY_CELL = "print('history database', get_ipython().history_manager.enabled)"


@pytest.mark.parametrize("warm", [False, True], ids=["own kernel", "warm kernel"])
def test_charts_carry_alt_text_and_the_pdf_is_tagged(tmp_path: Path, warm: bool) -> None:
    import pypdf

    source = tmp_path / "chart.ipynb"
    nbformat.write(_notebook(nbformat.v4.new_code_cell(CHART_CELL), nbformat.v4.new_code_cell(HISTORY_CELL)), source)
    out = tmp_path / "out" / "chart.ipynb"
    execute_notebook(source, out, {}, cwd=tmp_path, warm=warm)
    written = render_report(out, tmp_path / "r", "chart", formats={"html", "pdf"}, title="Chart test")
    html = written["html"].read_text(encoding="utf-8")
    assert '<html lang="en-GB">' in html
    (img,) = re.findall(r"<img [^>]*>", html)
    assert 'alt="Bar chart: annual plan, forecast out-turn and PMO assured value by organisation, A and B, ' in img
    assert "A plan 100, forecast 80, assured 70; B plan 50, forecast 45, assured 40." in img
    width = re.search(r' width="(\d+)"', img)
    assert width and f'style="width: {width.group(1)}px"' in img and re.search(r' height="\d+"', img)
    assert "No description has been provided" not in html
    assert "history database False" in html  # no shared IPython history: no "Session/line number" errors
    reader = pypdf.PdfReader(written["pdf"])
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en-GB" and root["/MarkInfo"]["/Marked"] and "/StructTreeRoot" in root
    assert reader.metadata.title == "Chart test"
    assert b'pdfuaid:part="1"' in root["/Metadata"].get_object().get_data()
