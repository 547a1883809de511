"""The benchmark's floor is honest: notebooks executed in-process (``benchmarks/inprocess.py``: no kernel, no
papermill) give the reports the batch gives: the same published tables (what the xlsx is written from), the same HTML,
the same PDF pages."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from benchmarks.inprocess import IN_PROCESS, NotebookError, execute_in_process, inject_parameters
from qipp_helpers.pack.catalogue import WARM_UP
from qipp_helpers.pack.engines import KERNEL
from qipp_helpers.pack.runner import Job, run_jobs
from qipp_helpers.report.publish import published_book

from ..conftest import ROOT

NB = ROOT / "notebooks"
REPORTS = (
    ("monthly_position", "LLR", 6),
    ("under_delivery_drivers", "WL", 6),
    ("monthly_position", "LC", 5),
    ("frp_bridge", "LLR", 6),
)
# pandas' Styler gives every table a random id, and a report says when it was generated; nothing else may differ
_STYLER_ID = re.compile(r"T_[0-9a-f]{5}")
_GENERATED = re.compile(r"Generated \d{1,2} \w{3} \d{4} \d{2}:\d{2}")


def _same(text: str) -> str:
    return _GENERATED.sub("Generated (time)", _STYLER_ID.sub("T_x", text))


def _jobs(data: Path, out: Path) -> list[Job]:
    return [
        Job(
            NB / f"{name}.ipynb",
            {"fin_year": "2019-20", "month": month, "org": org, "data_dir": str(data)},
            out / org / f"M{month}",
            name,
            f"{org} {name} M{month}",
        )
        for name, org, month in REPORTS
    ]


@pytest.fixture(scope="module")
def both(demo_data_dir, tmp_path_factory):
    """The same reports run by the batch (warm kernels, papermill) and by the floor (in-process), two workers each."""
    out = {}
    for engine in (KERNEL, IN_PROCESS):
        folder = tmp_path_factory.mktemp(engine.name)
        results = run_jobs(
            _jobs(demo_data_dir.resolve(), folder), workers=2, progress=False, warm_up=WARM_UP, engine=engine
        )
        assert [r.status for r in results] == ["ok"] * len(REPORTS), [r.error for r in results]
        out[engine.name] = results
    return out


def _sheets(path: str) -> dict[str, list[tuple]]:
    wb = load_workbook(path)
    # the notes sheet says when the workbook was made: the one cell that may differ
    return {
        ws.title: [row for row in ws.iter_rows(values_only=True) if not (row and row[0] == "Generated")]
        for ws in wb.worksheets
    }


def test_floor_and_batch_publish_the_same_tables_and_pages(both):
    for kernel, floor in zip(both["kernel"], both["inprocess"], strict=True):
        label = kernel.job.label
        k_book, k_meta = published_book(Path(kernel.outputs["ipynb"]))
        f_book, f_meta = published_book(Path(floor.outputs["ipynb"]))
        assert _same(str(k_meta)) == _same(str(f_meta)) and list(k_book) == list(f_book) and len(k_book) >= 2, label
        for name in k_book:
            pd.testing.assert_frame_equal(k_book[name].frame, f_book[name].frame, obj=f"{label} {name}")
            assert k_book[name].layout() == f_book[name].layout(), (label, name)
        assert k_book.headline == f_book.headline and k_book.notes == f_book.notes, label
        assert _sheets(kernel.outputs["xlsx"]) == _sheets(floor.outputs["xlsx"]), label
        k_pdf, f_pdf = PdfReader(kernel.outputs["pdf"]), PdfReader(floor.outputs["pdf"])
        assert len(k_pdf.pages) == len(f_pdf.pages) >= 2, label
        k_html, f_html = (_same(Path(r.outputs["html"]).read_text(encoding="utf-8")) for r in (kernel, floor))
        assert k_html == f_html, label


def test_parameters_are_injected_as_papermill_injects_them():
    import nbformat

    nb = nbformat.read(NB / "monthly_position.ipynb", as_version=4)
    out = inject_parameters(nb, {"org": "WL", "month": 6})
    tags = [c.metadata.get("tags", []) for c in out.cells]
    at = next(i for i, t in enumerate(tags) if "parameters" in t)
    assert tags[at + 1] == ["injected-parameters"] and "org = 'WL'\nmonth = 6" in out.cells[at + 1].source
    assert len(out.cells) == len(nb.cells) + 1 and len(inject_parameters(out, {}).cells) == len(out.cells)


def _fail_in_process(folder: str) -> tuple:
    import nbformat

    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("print('before')"), nbformat.v4.new_code_cell("1 / 0")]
    )
    try:
        execute_in_process(nb, {}, cwd=Path(folder))
    except NotebookError as exc:
        cells = exc.notebook.cells
        return exc.ename, exc.cell_index, cells[1].outputs[0]["text"], cells[2].outputs[0]["output_type"]
    return ()


def test_a_failing_cell_keeps_its_error_output(tmp_path):
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(1) as pool:  # the shell lives in its own process, not in the test runner's
        found = pool.submit(_fail_in_process, str(tmp_path)).result()
    assert found == ("ZeroDivisionError", 2, "before\n", "error")
