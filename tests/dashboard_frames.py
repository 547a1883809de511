"""Test helpers: what the store must hold for adjustments, read straight from a dashboard workbook,
and a messier copy of a dashboard workbook (the kind of export a hold-out check feeds the product).

The reader today keeps a combined (LLR) sheet only to reconcile totals and a CCG sheet's Grand
Total only as a warning; :func:`dashboard_frames` builds the two tables that
:func:`qipp_helpers.analysis.adjustments.derive_adjustments` takes from the same reader output.
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
from openpyxl import Workbook, load_workbook

from qipp_helpers.core.orgs import organisations
from qipp_helpers.core.vocab import MONEY_COLUMNS
from qipp_helpers.ingest.dashboard import read_xlsx

COMBINED_COLUMNS = (
    "fin_year",
    "month",
    "org",
    "scheme_no",
    "scheme_name",
    "milestones",
    "financial_benefits",
    "risk_issue",
    "rag",
    *MONEY_COLUMNS,
    "source_file",
    "source_sheet",
    "source_row",
)
TOTAL_COLUMNS = ("fin_year", "month", "org", *MONEY_COLUMNS, "source_file", "source_sheet", "source_row")


def _total_row(path: Path, sheet: str) -> int:
    ws = load_workbook(path, read_only=True)[sheet]
    for i, row in enumerate(ws.iter_rows(values_only=True), start=1):
        if row and isinstance(row[0], str) and row[0].strip().lower() in ("grand total", "total"):
            return i
    return 0


def dashboard_frames(path: Path, fin_year: str, month: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(combined sheet rows, CCG printed Grand Totals) of one dashboard workbook, as the store should hold them."""
    result = read_xlsx(path)
    assert not result.problems, result.problems
    combined, totals = [], []
    for sheet in result.sheets:
        assert not sheet.problems, sheet.problems
        if sheet.org in organisations().groups:
            combined += [{**r, "fin_year": fin_year, "month": month, "source_file": path.name} for r in sheet.records]
        elif sheet.printed_total is not None:
            totals.append(
                {
                    "fin_year": fin_year,
                    "month": month,
                    "org": sheet.org,
                    **sheet.printed_total,
                    "source_file": path.name,
                    "source_sheet": sheet.sheet,
                    "source_row": _total_row(path, sheet.sheet),
                }
            )
    return (
        pd.DataFrame(combined).reindex(columns=list(COMBINED_COLUMNS)),
        pd.DataFrame(totals).reindex(columns=list(TOTAL_COLUMNS)),
    )


def _reformat(no: object, rng: random.Random) -> object:
    """A scheme number as a careless export might write it: 4.1 as a number, '1.2a' as '1.2 A', ..."""
    text = str(no).strip()
    if text.upper() == "UNIDENTIFIED":
        return rng.choice(["Unidentified", " unidentified ", "UNIDENTIFIED"])
    if text[-1:].isalpha():
        return rng.choice([f"{text[:-1]} {text[-1].upper()}", f" {text} ", text.upper()])
    if text.replace(".", "", 1).isdigit() and not text.endswith("0"):
        return rng.choice([float(text), f" {text}", text])
    return text


def messy_copy(src: Path, dst: Path, *, seed: int) -> Path:
    """A copy of a dashboard workbook with the same figures laid out worse.

    Per sheet: schemes (a numbered row with its continuation rows) in a shuffled order, the rows
    of each scheme shuffled among themselves (every one then numbered), page-break title and
    header rows and blank rows dropped in between, scheme numbers written differently (4.1 as a
    number, '1.2 A', 'Unidentified'); the Grand Total stays last. Sheets in another order too.
    """
    rng = random.Random(seed)
    wb_in = load_workbook(src)
    wb = Workbook()
    wb.remove(wb.active)
    names = [n for n in wb_in.sheetnames if n != "About"]
    rng.shuffle(names)
    for name in ["About", *names] if "About" in wb_in.sheetnames else names:
        rows = [list(r) for r in wb_in[name].iter_rows(values_only=True)]
        ws = wb.create_sheet(name)
        if name == "About":
            for r in rows:
                ws.append(r)
            continue
        title = next(r for r in rows if r[0] and str(r[0]).startswith("Appendix"))
        header = next(r for r in rows if r[0] and str(r[0]).startswith("Scheme no."))
        total = [r for r in rows if r[0] == "Grand Total"]
        blocks: list[list[list]] = []
        for r in rows:
            if r is title or r is header or r[0] == "Grand Total" or all(c is None for c in r):
                continue
            if r[0] and str(r[0]).startswith(("Appendix", "Scheme no.")):
                continue
            if r[0] is None or (blocks and str(r[0]) == str(blocks[-1][0][0])):
                blocks[-1].append(r)
            else:
                blocks.append([r])
        rng.shuffle(blocks)
        ws.append([None])
        ws.append(title)
        ws.append([None])
        ws.append(header)
        for k, block in enumerate(blocks):
            number = _reformat(block[0][0], rng)
            body = [list(r) for r in block]
            rng.shuffle(body)
            for r in body:
                r[0] = number
                ws.append(r)
            if rng.random() < 0.2:
                ws.append([None] * len(header))
            if k and k % 12 == 0:  # a page break repeats the title and header
                ws.append(title)
                ws.append(header)
        for r in total:
            ws.append(r)
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return dst
