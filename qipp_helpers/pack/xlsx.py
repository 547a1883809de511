"""The report workbook (.xlsx): one sheet per published table, for analysts. No finance inside."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..core.files import atomic_save
from ..core.text import safe_cell


def write_tables_xlsx(
    path: Path,
    tables: Mapping[str, pd.DataFrame],
    *,
    notes: Mapping[str, str] | None = None,
    number_formats: Mapping[str, str] | None = None,
) -> None:
    """One sheet per table, header bold, a final ``Total`` row bold; atomic. No finance inside.

    Float columns show whole numbers unless ``number_formats`` gives their sheet another format
    (e.g. one decimal for £m); ``pct*`` columns show percentages.
    """
    wb = Workbook()
    wb.remove(wb.active)
    if notes:
        ws = wb.create_sheet("about")
        for key, value in notes.items():
            ws.append([key, safe_cell(value)])
        ws.column_dimensions["A"].width = 18
        ws.column_dimensions["B"].width = 110
    for name, df in tables.items():
        ws = wb.create_sheet(name[:31])
        ws.append([str(c) for c in df.columns])
        for rec in df.itertuples(index=False):
            ws.append([None if (isinstance(v, float) and pd.isna(v)) else safe_cell(v) for v in rec])
        header_fill = PatternFill("solid", fgColor="005EB8")
        for cell in ws[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = header_fill
            cell.alignment = Alignment(wrap_text=True)
        if ws.max_row > 1 and str(ws.cell(ws.max_row, 1).value) == "Total":
            for cell in ws[ws.max_row]:
                cell.font = Font(bold=True)
        for j, col in enumerate(df.columns, start=1):
            width = max([len(str(col))] + [len(str(v)) for v in df[col].head(200)]) + 2
            ws.column_dimensions[get_column_letter(j)].width = min(max(width, 10), 60)
            if pd.api.types.is_float_dtype(df[col]):
                fmt = "0.0%" if col.startswith("pct") else (number_formats or {}).get(name, '#,##0;(#,##0);"-"')
                for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                    cell.number_format = fmt
        ws.freeze_panes = "B2"
    atomic_save(wb, path)
