"""The analyst's workbook: human headers, live SUM totals with cached values, filters, formats, inert text.

Small frames through :mod:`qipp_helpers.report.publish` (the layout a report hands over) and
:func:`qipp_helpers.pack.xlsx.write_tables_xlsx` (which only lays it out). The rendered demo pack's
workbooks are checked in ``tests/e2e/test_run.py`` and ``tests/e2e/test_rightcare_run.py``.
"""

from __future__ import annotations

import math

import nbformat
import pandas as pd
import pytest
from openpyxl import load_workbook

from qipp_helpers.pack.xlsx import cell_text, number_format, write_tables_xlsx
from qipp_helpers.report import publish as pub
from qipp_helpers.report.publish import Book, Column, Figure, Table, Total

from ..workbook_checks import check_workbook, data_and_totals

MONEY = "#,##0_);(#,##0);0_)"


def _table() -> Table:
    data = pd.DataFrame(
        {
            "workstream": ["CHC", "Planned Care", "Unidentified"],
            "plan": [-3673.4, -2148.25, -5398.0],
            "fot": [-4285.0, -1474.5, 0.0],
            "pct": [0.0656, 0.0226, 0.0],
            "schemes": [4, 7, 1],
            "opportunity_m": [1.2345, 0.05, 12.25],
        }
    )
    return Table(
        data,
        (
            Column("workstream", "Workstream"),
            Column("plan", "Plan", "gbp000"),
            Column("fot", "Forecast out-turn", "gbp000"),
            Column("pct", "% of target achieved", "pct"),
            Column("schemes", "Schemes", "count"),
            Column("opportunity_m", "Opportunity", "gbpm"),
        ),
        (Total({"workstream": "Total", "pct": 0.3486}),),
        title="Table 1: a test table (£000).",
    )


@pytest.fixture
def book_path(tmp_path):
    path = tmp_path / "report.xlsx"
    write_tables_xlsx(
        path,
        {"ytd": _table()},
        notes=[("Report", "QIPP Monthly Position — LLR"), ("Period", "Month 6 2019/20")],
        headline=[Figure("Annual QIPP plan", -65302.0), Figure("Share delivered", 0.3486, "pct")],
        title="QIPP Monthly Position — LLR",
        marking="OFFICIAL-SENSITIVE",
    )
    return path


def test_pandas_reads_human_headers_and_the_data_rows_add_up_to_the_total(book_path):
    df = pd.read_excel(book_path, sheet_name="ytd")
    assert list(df.columns) == [
        "Workstream",
        "Plan",
        "Forecast out-turn",
        "% of target achieved",
        "Schemes",
        "Opportunity",
    ]
    data, totals = data_and_totals(df)
    assert list(data["Workstream"]) == ["CHC", "Planned Care", "Unidentified"]
    assert len(totals) == 1 and totals.iloc[0]["Workstream"] == "Total"
    for col in ("Plan", "Forecast out-turn", "Schemes", "Opportunity"):
        assert data[col].sum() == pytest.approx(totals.iloc[0][col], abs=1e-9), col
    assert totals.iloc[0]["Plan"] == pytest.approx(-11219.65)  # full precision kept, not rounded to the format
    assert totals.iloc[0]["% of target achieved"] == pytest.approx(0.3486)  # given, not summed


def test_totals_are_live_sum_formulas_under_a_blank_row(book_path):
    ws = load_workbook(book_path)["ytd"]
    assert [c.value for c in ws[5]] == [None] * 6  # the blank row between data and total
    total = [c.value for c in ws[6]]
    assert total[0] == "Total" and total[1:3] == ["=SUM(B2:B4)", "=SUM(C2:C4)"]
    assert total[3] == pytest.approx(0.3486) and total[4:] == ["=SUM(E2:E4)", "=SUM(F2:F4)"]
    assert all(c.font.b for c in ws[6])
    cached = load_workbook(book_path, data_only=True)["ytd"]
    assert cached["B6"].value == pytest.approx(-11219.65) and cached["E6"].value == 12


def test_filter_freeze_and_number_formats_follow_the_column_kind(book_path):
    ws = load_workbook(book_path)["ytd"]
    assert ws.auto_filter.ref == "A1:F4"  # header and data rows: a sort never moves the total
    assert ws.freeze_panes == "B2"
    assert ws["B2"].number_format == MONEY and ws["B6"].number_format == MONEY
    assert ws["D2"].number_format == "0.0%"
    assert ws["E2"].number_format == "#,##0"
    assert ws["F2"].number_format == "#,##0.0_);(#,##0.0);0.0_)"
    assert ws["A2"].number_format == "@"
    assert ws["B2"].value == -3673.4  # the cell keeps what the format rounds
    assert ws.print_title_rows == "$1:$1" and "OFFICIAL-SENSITIVE" in ws.oddHeader.center.text


def test_notes_and_headline_sheets(book_path):
    wb = load_workbook(book_path)
    assert wb.sheetnames == ["notes", "headline", "ytd"]
    notes = pd.read_excel(book_path, sheet_name="notes")
    assert list(notes.columns) == ["Note", "Detail"]
    said = dict(zip(notes["Note"], notes["Detail"], strict=True))
    assert said["Report"] == "QIPP Monthly Position — LLR" and said["Period"] == "Month 6 2019/20"
    assert said["Sheet ytd"] == "Table 1: a test table (£000)."
    assert "SUM formula" in said["Totals"] and "full precision" in said["Rounding"]
    head = pd.read_excel(book_path, sheet_name="headline")
    assert list(head.columns) == ["Measure", "Value", "Unit"]
    assert list(head["Unit"]) == ["£000", "%"] and head["Value"].iloc[0] == -65302
    assert wb["headline"]["B2"].number_format == MONEY and wb["headline"]["B3"].number_format == "0.0%"
    for name in wb.sheetnames:
        assert wb[name].freeze_panes and wb[name].auto_filter.ref, name
    assert wb.properties.title == "QIPP Monthly Position — LLR" and wb.properties.category == "OFFICIAL-SENSITIVE"


def test_formula_looking_text_stays_text(tmp_path):
    evil = ["=1+1", '=HYPERLINK("http://x")', "@SUM(A1)", "+44 20", "-2", "=cmd|' /C calc'!A0", "http://example.com"]
    table = Table(
        pd.DataFrame({"name": evil, "v": [1.0] * len(evil)}),
        (Column("name", "Scheme name"), Column("v", "Plan", "gbp000")),
    )
    path = tmp_path / "t.xlsx"
    write_tables_xlsx(path, {"t": table}, notes=[("Provenance", "=2+2")])
    ws = load_workbook(path)["t"]
    for i, text in enumerate(evil, start=2):
        cell = ws.cell(i, 1)
        assert cell.data_type == "s", text  # a string, never a formula
        assert cell.value in (text, "'" + text), text
        assert not str(cell.value).startswith("="), text
    assert not ws.cell(8, 1).hyperlink  # a URL is not made a link
    notes = load_workbook(path)["notes"]
    assert notes["B2"].value == "'=2+2" and notes["B2"].data_type == "s"
    assert pd.read_excel(path, sheet_name="t")["Scheme name"].iloc[0] == "'=1+1"


def test_control_characters_do_not_break_the_writer(tmp_path):
    nasty = "A\x00B\x07C\x1bD\x7fE\ud800F\tG\nH"
    table = Table(
        pd.DataFrame({"k": pd.Series([nasty], dtype=object), "v": [1.0]}),
        (Column("k", "Name\x01"), Column("v", "Plan", "gbp000")),
    )
    path = tmp_path / "t.xlsx"
    write_tables_xlsx(path, {"sheet\x02[1]": table}, notes=[("Note\x03", nasty)], title="T\x04", marking="M\x05")
    wb = load_workbook(path)
    name = wb.sheetnames[1]
    assert name == "sheet␂_1_"
    assert wb[name]["A2"].value == "A␀B␇C␛D␡E\ufffdF\tG\nH"
    assert wb[name]["A1"].value == "Name␁" and wb["notes"]["A2"].value == "Note␃"
    assert cell_text("=x\x07") == "'=x␇"


def test_a_total_adds_up_only_the_rows_it_names(tmp_path):
    data = pd.DataFrame({"step": ["a", "b", "c", "d"], "value": [-28181.0, -5700.0, 10765.0, 130.0]})
    table = Table(
        data,
        (Column("step", "Step"), Column("value", "Value", "gbp000")),
        (Total({"step": "Before"}, (0, 1)), Total({"step": "Not b"}, (0, 2, 3)), Total({"step": "All"})),
    )
    path = tmp_path / "t.xlsx"
    write_tables_xlsx(path, {"bridge": table})
    ws = load_workbook(path)["bridge"]
    assert [ws.cell(r, 2).value for r in (7, 8, 9)] == ["=SUM(B2:B3)", "=SUM(B2:B2,B4:B5)", "=SUM(B2:B5)"]
    cached = load_workbook(path, data_only=True)["bridge"]
    assert [cached.cell(r, 2).value for r in (7, 8, 9)] == [-33881, -17286, -22986]
    assert table.frame["value"].tolist()[-3:] == [-33881, -17286, -22986]
    check_workbook(path)


def test_no_figures_means_a_blank_total_not_a_zero(tmp_path):
    data = pd.DataFrame({"w": ["CHC", "Other"], "movement": [math.nan, math.nan]})
    table = Table(
        data, (Column("w", "Workstream"), Column("movement", "Monthly movement", "gbp000")), (Total({"w": "Total"}),)
    )
    empty = Table(data.iloc[:0], table.columns, (Total({"w": "Total"}),), note="No previous month is held.")
    path = tmp_path / "t.xlsx"
    write_tables_xlsx(path, {"moves": table, "empty": empty})
    wb = load_workbook(path)
    assert wb["moves"]["B5"].value is None and wb["moves"]["A5"].value == "Total"
    assert wb["empty"].auto_filter.ref == "A1:B1" and wb["empty"]["A3"].value == "Total"


def test_from_frame_splits_the_total_row_and_refuses_one_that_does_not_add_up():
    frame = pd.DataFrame({"w": ["A", "B", "Total"], "plan": [1.0, 2.0, 3.0], "pct": [0.1, 0.2, 0.25]})
    cols = [Column("w", "W"), Column("plan", "Plan", "gbp000"), Column("pct", "%", "pct")]
    t = Table.from_frame(frame, cols, label="w")
    assert len(t.data) == 2 and t.totals == (Total({"w": "Total", "pct": 0.25}),)
    assert t.frame.equals(frame)
    bad = frame.assign(plan=[1.0, 2.0, 6.0])
    with pytest.raises(ValueError, match=r"add up to 3\.0"):
        Table.from_frame(bad, cols, label="w")
    with pytest.raises(ValueError, match="kind must be one of"):
        Column("x", "X", "money")


def test_bare_frames_of_an_older_payload_are_still_laid_out(tmp_path):
    ok = pd.DataFrame({"item": ["a", "b", "Total"], "LLR": [1.0, 2.0, 3.0], "pct_x": [0.1, 0.2, 0.3]})
    typed = pd.DataFrame({"programme_area": ["a", "Total"], "total": [1.25, 9.0]})  # a typed total that is not the sum
    path = tmp_path / "t.xlsx"
    write_tables_xlsx(path, {"ok": ok, "typed": typed}, notes={"report": "R"}, number_formats={"typed": "#,##0.0"})
    wb = load_workbook(path)
    assert [c.value for c in wb["ok"][1]] == ["Item", "LLR", "Pct x"]
    assert wb["ok"]["B5"].value == "=SUM(B2:B3)" and wb["ok"]["C5"].value == 0.3
    assert wb["typed"]["B4"].value == 9.0 and wb["typed"]["B2"].number_format == "#,##0.0_);(#,##0.0);0.0_)"


def _notebook_with(payloads: list[dict], path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("publish(...)", outputs=[nbformat.v4.new_output("display_data", data={pub.MIME: p})])
        for p in payloads
    ]
    nbformat.write(nb, path)
    return path


def test_publish_round_trip_keeps_layout_headline_notes_and_the_plain_frames(tmp_path, monkeypatch):
    sent = []
    monkeypatch.setattr(pub, "display", lambda obj, raw: sent.append(obj[pub.MIME]))
    book = Book({"ytd": _table()}, [Figure("Annual QIPP plan", -65302.0)], [("Units", "£000")])
    pub.publish(book, title="T", period="M6")
    path = _notebook_with(sent, tmp_path / "nb.ipynb")
    back, meta = pub.published_book(path)
    assert meta == {"title": "T", "period": "M6"} and list(back) == ["ytd"]
    assert back["ytd"].columns == _table().columns and back["ytd"].totals == _table().totals
    assert back.headline == [Figure("Annual QIPP plan", -65302.0)] and back.notes == [("Units", "£000")]
    frames, _ = pub.published(path)  # the older reader: data then total rows, snake_case
    assert list(frames["ytd"].columns) == ["workstream", "plan", "fot", "pct", "schemes", "opportunity_m"]
    assert frames["ytd"].iloc[-1]["workstream"] == "Total" and frames["ytd"].iloc[-1]["plan"] == pytest.approx(
        -11219.65
    )


def test_a_payload_without_layouts_is_read_as_before(tmp_path):
    frame = pd.DataFrame({"item": ["a", "Total"], "v": [1.5, 1.5]})
    old = {
        "meta": {"title": "Old", "number_formats": {"t": "#,##0.0"}},
        "order": ["t"],
        "tables": {"t": {"columns": ["item", "v"], "data": frame.values.tolist()}},
    }
    book, meta = pub.published_book(_notebook_with([old], tmp_path / "nb.ipynb"))
    assert meta["title"] == "Old" and book["t"].columns[1].kind == "gbpm" and len(book["t"].totals) == 1
    assert book.headline == [] and book.notes == []


def test_number_formats():
    assert number_format("gbp000") == MONEY
    assert number_format("gbpm") == "#,##0.0_);(#,##0.0);0.0_)"
    assert number_format("gbpm", 2) == "#,##0.00_);(#,##0.00);0.00_)"
    assert number_format("pct") == "0.0%" and number_format("count") == "#,##0" and number_format("text") == "@"
