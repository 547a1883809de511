"""What every report workbook must satisfy for an analyst, checked the way an analyst would open it.

Shared by ``tests/unit/test_xlsx.py`` (small frames) and the e2e tests (the rendered demo pack).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from openpyxl.utils.cell import range_boundaries

MONEY_FORMATS = ("#,##0_);(#,##0);0_)", "#,##0.0_);(#,##0.0);0.0_)", "#,##0.00_);(#,##0.00);0.00_)")
FRONT = ("notes", "headline")
#: Columns that do not add up to a total, for ``check_workbook(..., unsummed=not_added)``: rates (£ per 1,000) on any
#: sheet; and, only on the RightCare workbook's comparison with its paper, the published figures kept as printed and
#: a row's largest difference (every other sheet's money columns must add up).
RATES = ("(£)",)
PRINTED = ("published_vs_computed", ("(published)", "Largest difference"))


def not_added(sheet: str, header: str) -> bool:
    return header.endswith(RATES) or (sheet == PRINTED[0] and header.endswith(PRINTED[1]))


def data_and_totals(df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A sheet as pandas reads it: the rows above the first blank row, and the rows below it."""
    blank = df.index[df.isna().all(axis=1)]
    if len(blank) == 0:
        return df, df.iloc[:0]
    return df.loc[: blank[0] - 1], df.loc[blank[0] + 1 :]


def _sum_of(formula: str, ws) -> float:
    """The value of ``=SUM(B2:B5,B7:B7)`` from the cached values of the referenced cells."""
    inner = re.fullmatch(r"=SUM\((.+)\)", formula)
    assert inner, formula
    total = 0.0
    for part in inner.group(1).split(","):
        c1, r1, c2, r2 = range_boundaries(part)
        for row in ws.iter_rows(min_row=r1, max_row=r2, min_col=c1, max_col=c2, values_only=True):
            total += sum(v for v in row if isinstance(v, (int, float)))
    return total


def check_workbook(path: Path, *, unsummed: Callable[[str, str], bool] = lambda sheet, header: False) -> dict:
    """Assert the workbook is usable; returns {sheet: pandas frame} for further checks.

    - opens with openpyxl (formulas and cached values) and pandas; ``notes`` first (and ``headline``);
    - every sheet: row 1 is the header, frozen, with an autofilter from A1 over the data rows;
    - table sheets: human headers (no snake_case); only total rows hold formulas; every total
      formula is a SUM whose cached value is the sum of the cells it names; in the last total row
      every money column holds a SUM over all data rows equal (cached) to the data rows' sum,
      unless ``unsummed(sheet, header)`` (a rate, or a published figure kept as printed).
    """
    formulas = load_workbook(path)
    cached = load_workbook(path, data_only=True)
    frames = pd.read_excel(path, sheet_name=None)
    names = formulas.sheetnames
    assert names[0] == "notes", names
    assert list(frames["notes"].columns) == ["Note", "Detail"]
    if "headline" in names:
        assert list(frames["headline"].columns) == ["Measure", "Value", "Unit"]
    for name in names:
        ws, wc, df = formulas[name], cached[name], frames[name]
        assert re.fullmatch(r"[A-Z]+2", ws.freeze_panes or ""), (name, ws.freeze_panes)  # the header row frozen
        ref = ws.auto_filter.ref
        assert ref and ref.startswith("A1:"), (name, ref)
        if name in FRONT:
            continue
        headers = [c.value for c in ws[1]]
        assert headers == list(df.columns), name
        for h in headers:
            assert isinstance(h, str) and "_" not in h and h.strip() == h, (name, h)
        data, totals = data_and_totals(df)
        n = len(data)
        assert range_boundaries(ref)[3] == max(n + 1, 1), (name, ref, n)  # the filter stops at the data
        for row in ws.iter_rows(min_row=2, max_row=n + 1):
            for cell in row:
                assert cell.data_type != "f", (name, cell.coordinate)  # data are values, text stays text
        if totals.empty:
            continue
        first_total = n + 3  # header, data, one blank row
        for r in range(first_total, ws.max_row + 1):
            for cell in ws[r]:
                if cell.data_type == "f":
                    assert wc[cell.coordinate].value == pytest.approx(_sum_of(cell.value, wc), abs=1e-6), (
                        name,
                        cell.coordinate,
                    )
        last = ws.max_row
        for j, header in enumerate(headers, start=1):
            fmt = ws.cell(2, j).number_format if n else ws.cell(last, j).number_format
            if fmt not in MONEY_FORMATS or unsummed(name, header):
                continue
            column = pd.to_numeric(data[header], errors="coerce")
            if column.isna().all():
                assert ws.cell(last, j).value is None, (name, header)  # nothing to add up: blank, not zero
                continue
            cell = ws.cell(last, j)
            lo, hi = 2, n + 1
            letter = cell.column_letter
            assert cell.value == f"=SUM({letter}{lo}:{letter}{hi})", (name, header, cell.value)
            assert column.sum() == pytest.approx(totals.iloc[-1][header], abs=1e-6), (name, header)
            assert wc.cell(last, j).value == pytest.approx(column.sum(), abs=1e-6), (name, header)
    return frames
