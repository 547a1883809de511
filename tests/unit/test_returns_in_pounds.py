"""Returns in pounds (issue 25): a template in £ or one filled to the pound in £000 is stored, summed and
carried unrounded to the end; only the display rounds to £000 (the workbook keeps every pound, formatted)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from qipp_helpers.core.errors import IngestError
from qipp_helpers.ingest.layouts import ingest_files
from qipp_helpers.ingest.sro_return import COLUMNS, META_SHEET, PMO_SHEET, RETURN_SHEET, write_template
from qipp_helpers.store.db import load_returns, load_warnings

from ..books import workbook_of
from ..data.bad.corpus import cell, fill

FY = "2019-20"
COL = {k: i for i, k in enumerate(COLUMNS, start=1)}


@pytest.fixture
def data(demo_data_dir: Path, tmp_path: Path) -> Path:
    """A copy of the demo store (M1-M6 held)."""
    shutil.copytree(demo_data_dir / "processed", tmp_path / "data" / "processed")
    return tmp_path / "data"


def _template(data: Path, units: str) -> Path:
    path = data.parent / f"ELR_return_{'pounds' if units == '£' else 'k'}.xlsx"
    write_template(load_returns(data), fin_year=FY, month=7, org="ELR", path=path, units=units)
    return path


def _three_lines_of(ws) -> list[int]:
    """The rows of the first workstream with at least three lines on the Return sheet (first three)."""
    rows: dict[str, list[int]] = {}
    for r in range(4, ws.max_row + 1):
        if ws.cell(r, COL["last_fot"]).value is not None:
            rows.setdefault(ws.cell(r, COL["workstream"]).value, []).append(r)
    return next(v[:3] for v in rows.values() if len(v) >= 3)


def test_a_template_in_pounds_says_so_and_prefills_pounds(data: Path):
    k, pounds = _template(data, "£000"), _template(data, "£")
    wk, wp = load_workbook(k), load_workbook(pounds)
    assert "· £, savings negative" in wp[RETURN_SHEET]["A1"].value
    assert "£000" not in wp[RETURN_SHEET]["A1"].value and "(£)" in wp[PMO_SHEET]["A1"].value
    meta = {r[0]: r[1] for r in wp[META_SHEET].iter_rows(values_only=True)}
    assert meta["units"] == "£"
    for key in ("last_fot", "annual_plan", "last_actual_ytd"):
        assert wp[RETURN_SHEET].cell(4, COL[key]).value == pytest.approx(
            wk[RETURN_SHEET].cell(4, COL[key]).value * 1000
        )
    assert wp[PMO_SHEET]["D4"].value == pytest.approx(wk[PMO_SHEET]["D4"].value * 1000)
    with pytest.raises(ValueError, match="units '\\$' is not one of £000, £"):
        write_template(load_returns(data), fin_year=FY, month=7, org="ELR", path=data.parent / "x.xlsx", units="$")


@pytest.mark.slow  # a template written, filled, ingested and reported twice
@pytest.mark.parametrize("units", ["£", "£000"])
def test_a_return_to_the_pound_is_kept_unrounded_to_the_end(data: Path, units: str, tmp_path: Path):
    """Three lines each 0.4 (£000: £400) above last month: stored as such, the workstream and the total 1.2
    above; the table shows £000 rounded, the workbook cell holds the 1.2 exactly under a £000 format."""
    from qipp_helpers.pack.xlsx import write_tables_xlsx
    from qipp_helpers.report.position import tables as position_tables
    from qipp_helpers.report.position.model import monthly_position

    path = _template(data, units)
    wb = load_workbook(path)
    ws = wb[RETURN_SHEET]
    rows = _three_lines_of(ws)
    workstream = ws.cell(rows[0], COL["workstream"]).value
    picked = [(str(ws.cell(r, 1).value), int(ws.cell(r, 2).value)) for r in rows]
    step = 400 if units == "£" else 0.4  # £400 either way

    def to_the_pound(book):
        for r in rows:
            book[RETURN_SHEET].cell(r, COL["fot"], book[RETURN_SHEET].cell(r, COL["last_fot"]).value + step)

    fill(path, fot_delta=0, actual_delta=0, edit=to_the_pound)
    ingest_files([path], FY, 7, data)
    stored = load_returns(data)
    m6 = stored[(stored["month"] == 6) & (stored["org"] == "ELR")].set_index(["scheme_no", "row"])
    m7 = stored[(stored["month"] == 7) & (stored["org"] == "ELR")]
    lines = m7.assign(line=m7.groupby("scheme_no").cumcount() + 1).set_index(["scheme_no", "line"])
    for key in picked:
        got = lines.loc[key, "fot"]
        assert got != round(got) and got % 1 == pytest.approx(0.4, abs=1e-9)  # the M6 lines are whole £000
    assert m7["fot"].sum() - m6["fot"].sum() == pytest.approx(1.2, abs=1e-9)

    r = monthly_position(stored, load_warnings(data), fin_year=FY, month=7, org="ELR")
    fot = r.fot.set_index("workstream")
    total, ws_fot = fot.loc["Total", "fot"], fot.loc[workstream, "fot"]
    assert total == pytest.approx(m6["fot"].sum() + 1.2, abs=1e-9) and total % 1 == pytest.approx(0.2, abs=1e-6)
    assert ws_fot % 1 == pytest.approx(0.2, abs=1e-6)
    html = position_tables.table2(r).to_html()
    shown = f"({abs(round(total)):,.0f})" if total < 0 else f"{round(total):,.0f}"
    assert shown in html and f"{abs(total):,.1f}" not in html  # the display rounds, to £000

    out = tmp_path / "monthly_position.xlsx"
    write_tables_xlsx(out, workbook_of(r).tables, title=r.title)
    book = load_workbook(out, data_only=True)  # a total is a SUM formula stored with its value
    kept = [
        (ws.title, c.number_format)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, float) and c.value == pytest.approx(total, abs=1e-9)
    ]
    assert kept and all(f.startswith("#,##0") for _, f in kept), kept  # every pound kept, shown as £000
    assert {"fot_by_workstream", "fot_by_rag", "schemes"} <= {t for t, _ in kept}  # Tables 2 and 5, every line


def test_a_k_figure_in_a_pounds_return_is_ambiguous_and_located(data: Path):
    path = fill(_template(data, "£"), fot_delta=0, actual_delta=0, edit=cell("Return", 4, "fot", "-250k"))
    with pytest.raises(IngestError) as err:
        ingest_files([path], FY, 7, data)
    text = str(err.value)
    assert "ambiguous money value '-250k'" in text and "Return" in text and "row 4" in text and "Revised FOT" in text


def test_template_units_other_than_pounds_or_thousands_are_refused(data: Path):
    path = _template(data, "£000")

    def units(book):
        ws = book[META_SHEET]
        for r in range(1, ws.max_row + 1):
            if ws.cell(r, 1).value == "units":
                ws.cell(r, 2, "£m")

    fill(path, fot_delta=0, actual_delta=0, edit=units)
    with pytest.raises(IngestError, match="template units '£m' are not one of £000, £"):
        ingest_files([path], FY, 7, data)
