"""Writers: the dashboard workbook layout (inverse of the reader) and plain table workbooks."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..core.files import atomic_path
from ..ingest.dashboard import REQUIRED

DASHBOARD_COLUMNS = list(REQUIRED)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _atomic_save(wb: Workbook, path: Path) -> None:
    with atomic_path(path) as tmp:
        wb.save(tmp)


def write_dashboard(
    path: Path, sheets: Mapping[str, pd.DataFrame], *, about: Mapping[str, str], title: str = "QIPP Dashboard"
) -> None:
    """Write scheme rows in the PMO dashboard layout: title row, printed headers, rows, Grand Total.

    ``sheets`` maps an organisation code to its rows (columns as in the returns table).
    ``about`` maps sheet name to its provenance, written to an ``About`` sheet.
    """
    wb = Workbook()
    ws = wb.active
    ws.title = "About"
    ws.append(["sheet", "provenance"])
    for key, value in about.items():
        ws.append([key, value])
    for org, rows in sheets.items():
        ws = wb.create_sheet(org)
        ws.append([f"{org} {title}"])
        ws.append([REQUIRED[c] for c in DASHBOARD_COLUMNS])
        previous = None
        for rec in rows.to_dict("records"):
            out = [rec[c] for c in DASHBOARD_COLUMNS]
            if rec["scheme_no"] == previous:
                out[0] = None  # continuation row, as the PMO export prints it
            previous = rec["scheme_no"]
            ws.append(out)
        ws.append(["Grand Total", None, None, None, None, None, *[float(rows[c].sum()) for c in DASHBOARD_COLUMNS[6:]]])
        for cell in (*ws[1], *ws[2], *ws[ws.max_row]):
            cell.font = Font(bold=True)
    _atomic_save(wb, path)


def safe_cell(value: object) -> object:
    """Neutralise text that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


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
    _atomic_save(wb, path)


RIGHTCARE_INDICATOR_HEADER = [
    "CCG code",
    "CCG name",
    "Programme area",
    "Point of delivery",
    "Spend per 1,000 weighted population (£)",
    "Weighted population",
]


def write_rightcare(
    path: Path, indicators: pd.DataFrame, peers: pd.DataFrame, *, about: list[tuple[str, str]], title: str
) -> None:
    """Write the RightCare indicator layout (see :mod:`qipp_helpers.ingest.rightcare`): About,
    ``RightCare Indicators`` (title row, header, one row per CCG × programme area × POD) and
    ``RightCare Peers``. Indicator columns: ccg, ccg_name, programme_area, pod, spend, weighted_population."""
    from ..analysis.rightcare import POD_LABELS

    wb = Workbook()
    ws = wb.active
    ws.title = "About"
    ws.append(["Key", "Value"])
    for row in about:
        ws.append(list(row))
    ws.column_dimensions["B"].width = 120
    ws = wb.create_sheet("RightCare Indicators")
    ws.append([title])
    ws.append(RIGHTCARE_INDICATOR_HEADER)
    for r in indicators.itertuples(index=False):
        ws.append([r.ccg, r.ccg_name, r.programme_area, POD_LABELS[r.pod], r.spend, r.weighted_population])
    ps = wb.create_sheet("RightCare Peers")
    ps.append(["CCG code", "Peer rank", "Peer CCG code"])
    for r in peers.itertuples(index=False):
        ps.append([r.ccg, int(r.rank), r.peer])
    for cell in (*wb["RightCare Indicators"][1], *wb["RightCare Indicators"][2], *ps[1]):
        cell.font = Font(bold=True)
    _atomic_save(wb, path)
