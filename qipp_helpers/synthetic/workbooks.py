"""Write input workbooks in the layouts the readers take: the PMO dashboard and RightCare indicators.

Used by the seeded generators (demo months, test corpora) to write what a user would send.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font

from ..core.files import atomic_save
from ..core.text import keep_text
from ..core.vocab import DASHBOARD_HEADERS, POD_LABELS

DASHBOARD_COLUMNS = list(DASHBOARD_HEADERS)


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
        ws.append([DASHBOARD_HEADERS[c] for c in DASHBOARD_COLUMNS])
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
    atomic_save(keep_text(wb), path)


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
    atomic_save(keep_text(wb), path)
