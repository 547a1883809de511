"""Rounding, stated and measured: the tables rebuilt from Paper D's rounded scheme lines, against the paper.

Paper D's dashboards print every scheme line rounded to £000; Tables 1, 2, 5 and Appendix 1 are sums
of those lines, so even with every Grand Total tied some cells differ from the printed paper by £1k-£6k.
The pack says so under every such table and its data-quality notes count, per table, the cells that
differ and the largest difference; the LLR workbook lists every cell.
"""

from __future__ import annotations

import pandas as pd
import pytest

from qipp_helpers.analysis import printed as pr
from qipp_helpers.analysis.adjustments import apply_adjustments
from qipp_helpers.reference import paper_d_printed_tables
from qipp_helpers.report import blocks
from qipp_helpers.report import printed as paper
from qipp_helpers.report.position.model import monthly_position
from qipp_helpers.report.summary import data_notes

from ..books import workbook_of
from ..oracle.paper_d_published import APPENDIX1_RED, TABLE1_YTD, TABLE2_FOT, TABLE5_RAG

FY = "2019-20"
# Measured against the printed paper (the reading of the rendered pack: 65 of 156, 75 of 208, 25 of 78).
EXPECTED = {"Table 1": (156, 65, 3.0), "Table 2": (208, 75, 3.0), "Table 5": (78, 25, 3.0), "Appendix 1": (26, 14, 6.0)}


@pytest.fixture(scope="module")
def cells(returns, adjustments):
    adjusted = apply_adjustments(returns, adjustments)
    return paper.cells(adjusted, fin_year=FY, month=6, org="LLR")


def test_reference_cells_are_the_oracle_figures():
    """The product's reference copy of the printed tables is the oracle, cell for cell."""
    ref = paper_d_printed_tables().set_index(["table", "org", "row", "column"])["printed"]
    for ws, by_org in TABLE1_YTD.items():
        for org, (plan, deliveries, variance, _pct) in by_org.items():
            assert [ref["Table 1", org, ws, c] for c in ("plan", "deliveries", "variance")] == [
                plan,
                deliveries,
                variance,
            ]
    for ws, by_org in TABLE2_FOT.items():
        for org, figures in by_org.items():
            got = [ref["Table 2", org, ws, c] for c in ("plan", "fot", "variance", "monthly_movement")]
            assert got == list(figures), (ws, org)
    cols = ("green", "amber", "red", "completed", "total", "assured")
    for area, figures in TABLE5_RAG.items():
        assert [ref["Table 5", "LLR", area, c] for c in cols] == list(figures), area
    for name, figures in APPENDIX1_RED.items():
        assert [ref["Appendix 1", "LLR", name, c] for c in ("annual_plan", "fot")] == list(figures), name


def test_cells_that_differ_and_largest_difference_per_table(cells):
    s = pr.summary(cells).set_index("table")
    for table, (n, differ, largest) in EXPECTED.items():
        assert (s.loc[table, "cells"], s.loc[table, "differ"], s.loc[table, "largest"]) == (n, differ, largest), table
        assert s.loc[table, "missing"] == 0, table
    assert list(s.index) == ["Table 1", "Table 2", "Table 5", "Appendix 1"]  # the paper's order


def test_the_differences_that_reach_the_summary_page(cells):
    """Red schemes (16,768)/(1,973) against the printed (16,762)/(1,974); WL under-delivery 7,807 against 7,806."""
    c = cells.set_index(["table", "org", "row", "column"])
    assert tuple(c.loc["Appendix 1", "LLR", "Total", "annual_plan"][["printed", "computed"]]) == (-16762, -16768)
    assert tuple(c.loc["Appendix 1", "LLR", "Total", "fot"][["printed", "computed"]]) == (-1974, -1973)
    assert tuple(c.loc["Table 2", "WL", "Total", "variance"][["printed", "computed"]]) == (7806, 7807)


def test_data_quality_notes_carry_the_reconciliation(returns, warnings, adjustments):
    notes = data_notes(returns, warnings, fin_year=FY, month=6, adjustments=adjustments)
    note = next(n for n in notes if "printed paper" in n.title)
    assert note.spec is paper.NOTE_TABLE
    assert note.spec.headers("html") == [
        "Paper D table",
        "Money cells printed",
        "Cells that differ",
        "Largest difference (£000)",
    ]
    rows = {title.split(":")[0]: row for title, row in note.table.set_index("title").iterrows()}
    for name, (n, differ, largest) in EXPECTED.items():
        assert rows[name]["cells"] == str(n)
        assert rows[name]["differ"] == str(differ)
        assert rows[name]["largest"] == f"{largest:,.0f}"
    text = " ".join(note.paragraphs)
    assert "Of the 468 printed money cells, 179 differ" in text
    assert "Appendix 1 LLR annual plan (16,768) (printed (16,762))" in text
    assert "Table 2 WL variance 7,807 (printed 7,806)" in text


def test_no_reconciliation_note_for_a_month_without_a_printed_paper(returns, warnings, adjustments):
    notes = data_notes(returns, warnings, fin_year=FY, month=5, adjustments=adjustments)
    assert not any("printed paper" in n.title for n in notes)


@pytest.fixture(scope="module")
def llr(returns, warnings, adjustments, commentary):
    return monthly_position(
        returns, warnings, fin_year=FY, month=6, org="LLR", adjustments=adjustments, commentary=commentary
    )


@pytest.mark.parametrize(
    ("table", "words"),
    [
        ("table1", "65 of the 156 money cells differ from Paper D Table 1 as printed, by at most £3k"),
        ("table2", "75 of the 208 money cells differ from Paper D Table 2 as printed, by at most £3k"),
        ("table5", "25 of the 78 money cells differ from Paper D Table 5 as printed, by at most £3k"),
        ("red", "14 of the 26 money cells differ from Paper D Appendix 1 as printed, by at most £6k"),
    ],
)
def test_every_table_built_from_rounded_lines_says_so(llr, table, words):
    assert words in llr.rounding_note(table)
    assert "Built from scheme lines rounded to £000" in blocks.adjustment_footnote(llr, table)


def test_workbook_lists_every_printed_cell(llr):
    book = workbook_of(llr)
    sheet = book.tables["printed_reconciliation"].data
    assert len(sheet) == 468
    assert (sheet["computed"] - sheet["printed"] == sheet["difference"]).all()
    assert int((sheet["difference"] != 0).sum()) == 179


def test_unrounded_lines_carry_no_rounding_line(returns):
    """Returns in pounds (figures to the £, so fractional £000) are not rounded lines: no rounding sentence."""
    rows = returns[(returns["fin_year"] == FY) & (returns["month"] == 6)].copy()
    assert paper.rounding_line(rows, "table1") != ""
    rows["fot"] = rows["fot"] + 0.437
    assert paper.rounding_line(rows, "table1") == ""
    assert not pr.rounded_lines(pd.DataFrame(rows))


def test_the_reconciliation_sheet_is_written_and_reads_back(llr, tmp_path):
    from openpyxl import load_workbook

    from qipp_helpers.pack.xlsx import write_tables_xlsx

    book = workbook_of(llr)
    path = tmp_path / "monthly_position.xlsx"
    write_tables_xlsx(path, {"printed_reconciliation": book.tables["printed_reconciliation"]}, title=llr.title)
    df = pd.read_excel(path, sheet_name="printed_reconciliation")
    assert list(df.columns)[:4] == ["Printed table", "Organisation", "Line", "Column"]
    assert list(df.columns) == paper.SHEET.headers("xlsx")  # the sheet's one declaration
    table = book.tables[paper.SHEET.name]
    assert not table.totals and {c.total_rule for c in table.columns} == {"blank"}
    assert [c.kind for c in table.columns] == ["text"] * 4 + ["gbp000"] * 3
    assert len(df) == 468
    assert int((df["Difference (pack − printed)"] != 0).sum()) == 179
    assert load_workbook(path)["printed_reconciliation"].freeze_panes == "E2"


def test_returns_to_the_pound_are_kept_unrounded_to_the_end(returns, tmp_path):
    """A return whose figures are to the pound (£000 with three decimals) is stored and summed as received; only
    the display rounds to £000, and its tables carry no rounding sentence (the lines are not rounded)."""
    from qipp_helpers.ingest.layouts import ingest_files
    from qipp_helpers.report.position.model import monthly_position
    from qipp_helpers.store.db import load_returns, load_warnings
    from qipp_helpers.synthetic.workbooks import write_dashboard

    elr = returns[(returns["fin_year"] == FY) & (returns["month"] == 6) & (returns["org"] == "ELR")].copy()
    money = ["plan_ytd", "actual_ytd", "annual_plan", "fot", "assured"]
    pence = (elr.reset_index(drop=True).index.to_numpy() % 7 + 1) * 0.137  # £137 to £959 on each line
    elr[money] = elr[money].to_numpy() - pence[:, None]
    path = tmp_path / "raw" / "ELR_to_the_pound.xlsx"
    path.parent.mkdir()
    write_dashboard(path, {"ELR": elr}, about={"ELR": "synthetic: the published ELR rows moved by pounds (test)"})
    ingest_files([path], FY, 6, tmp_path)
    stored = load_returns(tmp_path)
    assert stored["fot"].to_numpy() == pytest.approx(elr["fot"].to_numpy(), abs=1e-9)
    r = monthly_position(stored, load_warnings(tmp_path), fin_year=FY, month=6, org="ELR")
    total = r.fot.set_index("workstream").loc["Total", "fot"]
    assert total == pytest.approx(elr["fot"].sum(), abs=1e-9) and total != round(total)
    assert r.rounding_note("table2") == ""
