"""The benchmark's floor is honest: notebooks executed in-process (``benchmarks/inprocess.py``: no kernel, no
papermill) give the reports the batch gives: the same published tables (what the xlsx is written from), the same HTML,
the same PDF pages. The batch's reports are the default pack's (conftest's ``default_pack``, rendered once per run by
``qipp run``), and LC's M5 position, which that pack lacks, is rendered by both engines here."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pandas as pd
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from benchmarks.inprocess import IN_PROCESS, NotebookError, execute_in_process, inject_parameters
from qipp_helpers.pack.catalogue import WARM_UP
from qipp_helpers.pack.engines import KERNEL
from qipp_helpers.pack.runner import Job, run_jobs
from qipp_helpers.report.publish import published_book

from ..conftest import ROOT, same_render

NB = ROOT / "notebooks"
IN_PACK = (("monthly_position", "LLR", 6), ("under_delivery_drivers", "WL", 6), ("frp_bridge", "LLR", 6))
REPORTS = (*IN_PACK, ("monthly_position", "LC", 5))
MARKING = "OFFICIAL-SENSITIVE"  # the default pack's


def _jobs(data: Path, pack: Path, out: Path) -> list[Job]:
    """The reports' jobs: those of the default pack with the parameters its run gave them (its store snapshot)."""

    def parameters(name: str, org: str, month: int) -> dict:
        if (name, org, month) in IN_PACK:
            return dict(nbformat.read(pack / org / f"{name}.ipynb", as_version=4).metadata.papermill.parameters)
        return {"fin_year": "2019-20", "month": month, "org": org, "data_dir": str(data)}

    return [
        Job(NB / f"{name}.ipynb", parameters(name, org, month), out / org / f"M{month}", name, f"{org} {name} M{month}")
        for name, org, month in REPORTS
    ]


def _outputs(folder: Path, name: str) -> dict[str, str]:
    return {fmt: str(folder / f"{name}.{fmt}") for fmt in ("ipynb", "html", "pdf", "xlsx")}


@pytest.fixture(scope="module")
def both(demo_data_dir, default_pack, tmp_path_factory):
    """The reports' outputs ({format: path}) as the batch made them (warm kernels, papermill: the default pack's, and
    LC's M5 here) and as the floor makes them (in-process, two workers), in ``REPORTS`` order."""
    out: dict[str, list[dict[str, str]]] = {}
    for engine in (KERNEL, IN_PROCESS):
        jobs = _jobs(demo_data_dir.resolve(), default_pack, tmp_path_factory.mktemp(engine.name))
        jobs = jobs if engine is IN_PROCESS else jobs[len(IN_PACK) :]
        results = run_jobs(jobs, workers=2, progress=False, warm_up=WARM_UP, engine=engine, marking=MARKING)
        assert [r.status for r in results] == ["ok"] * len(jobs), [r.error for r in results]
        out[engine.name] = [r.outputs for r in results]
    out["kernel"][:0] = [_outputs(default_pack / org, name) for name, org, _ in IN_PACK]
    return out


def _sheets(path: str) -> dict[str, list[tuple]]:
    wb = load_workbook(path)
    # the notes sheet says when the workbook was made: the one cell that may differ
    return {
        ws.title: [row for row in ws.iter_rows(values_only=True) if not (row and row[0] == "Generated")]
        for ws in wb.worksheets
    }


def test_floor_and_batch_publish_the_same_tables_and_pages(both):
    for (name, org, month), kernel, floor in zip(REPORTS, both["kernel"], both["inprocess"], strict=True):
        label = f"{org} {name} M{month}"
        k_book, k_meta = published_book(Path(kernel["ipynb"]))
        f_book, f_meta = published_book(Path(floor["ipynb"]))
        assert (
            same_render(str(k_meta)) == same_render(str(f_meta)) and list(k_book) == list(f_book) and len(k_book) >= 2
        ), label
        for name in k_book:
            pd.testing.assert_frame_equal(k_book[name].frame, f_book[name].frame, obj=f"{label} {name}")
            assert k_book[name].layout() == f_book[name].layout(), (label, name)
        assert k_book.headline == f_book.headline and k_book.notes == f_book.notes, label
        assert _sheets(kernel["xlsx"]) == _sheets(floor["xlsx"]), label
        k_pdf, f_pdf = PdfReader(kernel["pdf"]), PdfReader(floor["pdf"])
        assert len(k_pdf.pages) == len(f_pdf.pages) >= 2, label
        k_html, f_html = (same_render(Path(r["html"]).read_text(encoding="utf-8")) for r in (kernel, floor))
        assert k_html == f_html, label


def test_parameters_are_injected_as_papermill_injects_them():
    nb = nbformat.read(NB / "monthly_position.ipynb", as_version=4)
    out = inject_parameters(nb, {"org": "WL", "month": 6})
    tags = [c.metadata.get("tags", []) for c in out.cells]
    at = next(i for i, t in enumerate(tags) if "parameters" in t)
    assert tags[at + 1] == ["injected-parameters"] and "org = 'WL'\nmonth = 6" in out.cells[at + 1].source
    assert len(out.cells) == len(nb.cells) + 1 and len(inject_parameters(out, {}).cells) == len(out.cells)


def _fail_in_process(folder: str) -> tuple:
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
