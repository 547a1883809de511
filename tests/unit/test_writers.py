"""The output writers' registry: adding a format is one writer module and one registry line.

A toy ``.txt`` writer, registered with one line, is written by the runner, removed with a failed report's
files, offered by a run's options and linked from the front page, with nothing else changed. The notebook's
execution is replaced by a notebook that publishes what a report publishes (no kernel is started).
"""

from __future__ import annotations

from pathlib import Path

import nbformat

from qipp_helpers.pack import render, writers
from qipp_helpers.pack.batch import RunOptions
from qipp_helpers.pack.front import FrontPage, collect_reports
from qipp_helpers.pack.index import render_index
from qipp_helpers.pack.runner import Job, discard_outputs, run_job
from qipp_helpers.pack.writers import Executed, Writer
from qipp_helpers.report.publish import MIME


def test_the_registry_lists_html_pdf_and_xlsx_and_the_pack_merges_the_pdf():
    assert writers.names() == ("html", "pdf", "xlsx")
    assert [(w.suffix, w.label) for w in writers.selected()] == [
        (".html", "web page"),
        (".pdf", "PDF"),
        (".xlsx", "Excel workbook"),
    ]
    assert writers.merged().name == "pdf"
    assert [w.name for w in writers.selected(["xlsx", "html", "docx"])] == ["html", "xlsx"]


def _write_txt(report: Executed, path: Path) -> int:
    tables = ", ".join(report.book.tables)
    path.write_text(f"{report.title} ({report.period})\n{report.banner[0]}\ntables: {tables}\n", encoding="utf-8")
    return 0


def _publishing_notebook(notebook: Path, executed: Path, parameters: dict, **_: object) -> None:
    """Stands in for papermill: the executed notebook publishes a title, period, banner and one table."""
    payload = {
        "meta": {"title": "Toy report", "period": "M6 2019-20", "banner": ["Data: published"]},
        "tables": {"moves": {"columns": ["Scheme", "£000"], "data": [["A", -12.0]]}},
        "order": ["moves"],
    }
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("display_data", data={MIME: payload})]))
    nbformat.write(nb, executed)


def test_one_registry_line_makes_the_runner_write_a_format_and_the_front_page_link_it(tmp_path, monkeypatch):
    monkeypatch.setitem(writers.WRITERS, "txt", Writer("txt", ".txt", "plain text", "a text file", _write_txt))
    monkeypatch.setattr(render, "execute_notebook", _publishing_notebook)
    folder = tmp_path / "M06"
    job = Job(tmp_path / "monthly_position.ipynb", {}, folder / "ELR", "monthly_position", "ELR monthly_position M6")

    result = run_job(job, ("txt",))

    assert result.status == "ok", result.error
    assert sorted(result.outputs) == ["ipynb", "txt"]
    txt = folder / "ELR" / "monthly_position.txt"
    assert txt.read_text(encoding="utf-8") == "Toy report (M6 2019-20)\nData: published\ntables: moves\n"
    assert sorted(p.name for p in (folder / "ELR").iterdir()) == ["monthly_position.ipynb", "monthly_position.txt"]
    # a run renders it unless told otherwise
    assert RunOptions("2019-20", [6]).formats == ("html", "pdf", "xlsx", "txt")

    entry = {
        "notebook": "monthly_position",
        "org": "ELR",
        "status": "ok",
        "outputs": {fmt: f"ELR/{Path(p).name}" for fmt, p in result.outputs.items()},
        "banner": result.banner,
    }
    [report] = collect_reports(folder, [entry])
    assert report.files == {"txt": txt} and report.pdf is None
    page = render_index(FrontPage("2019-20", 6, [report], summary=None, notes=[]))
    assert (
        "<a href='ELR/monthly_position.txt' aria-label='Monthly position — East Leicestershire &amp; Rutland CCG: "
        "plain text'>plain text</a>"
    ) in page
    assert "as a web page, a PDF, an Excel workbook (for analysts) and a text file." in page

    # a failed report leaves no file of the new format looking current
    assert discard_outputs(job, ("txt",)) == [txt] and not txt.exists()
