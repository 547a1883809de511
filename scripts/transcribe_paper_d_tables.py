"""Transcribe the money cells of Paper D's printed Tables 1, 2, 5 and Appendix 1 into reference data.

Source: LLR CCGs Commissioning Collaborative Board, 17 October 2019, Paper D ("LLR PMO and
Finance QIPP Report", Month 6 2019/20), as extracted to text in
``shared/seeds/003_21db5d1601c7edad.txt``. Every figure is PUBLISHED and written as printed
(£000, savings negative; "(£1,234)" -> -1234). The product holds them so that the pack can say,
cell by cell, where the tables it rebuilds from the rounded scheme lines differ from the paper
(``qipp_helpers.analysis.printed``); nothing is computed from them.

Run once by a maintainer; the output is committed and never edited.
    python scripts/transcribe_paper_d_tables.py [SEED_TXT] [OUT_CSV]
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SEED = ROOT.parent / "shared" / "seeds" / "003_21db5d1601c7edad.txt"
DEFAULT_OUT = ROOT / "qipp_helpers" / "reference" / "paper_d_printed_tables.csv"

ORGS = ("ELR", "WL", "LC", "LLR")  # the column groups of Tables 1 and 2: East, West, City, LLR
TOTAL_ROWS = {"YTD": "Total", "FOT": "Total", "Grand Total": "Total"}
TABLE1_COLS = ("plan", "deliveries", "variance")  # the fourth, % of target achieved, is not money
TABLE2_COLS = ("plan", "fot", "variance", "monthly_movement")
TABLE5_COLS = ("green", "amber", "red", "completed", "total", "assured")
SOURCE = "published: Paper D (LLR CCGs CCB 17 Oct 2019, M6 2019/20), {table}"


def money(text: str) -> float:
    """'(£1,234)' -> -1234.0, '£0' -> 0.0, '(0)' -> -0.0 as printed."""
    s = text.strip().replace("£", "").replace(",", "")
    m = re.fullmatch(r"\((\d+)\)|(-?\d+)", s)
    if not m:
        raise ValueError(f"not a printed money figure: {text!r}")
    return -float(m.group(1)) if m.group(1) else float(m.group(2))


def _block(lines: list[str], title: str, stop: str) -> list[list[str]]:
    start = next(i for i, ln in enumerate(lines) if ln.startswith(title))
    out = []
    for ln in lines[start + 1 :]:
        if ln.startswith(stop):
            break
        cells = [c.strip() for c in ln.split("\t")]
        if len(cells) > 3:
            out.append(cells)
    return out


def by_org_table(lines: list[str], title: str, stop: str, table: str, cols: tuple[str, ...]) -> list[dict]:
    """Table 1 or 2: workstream rows × four column groups (East, West, City, LLR) of four columns each."""
    rows = []
    for cells in _block(lines, title, stop):
        if cells[0] in ("Workstream", "") or cells[1] in ("Plan", "East CCG"):
            continue
        label = TOTAL_ROWS.get(cells[0], cells[0])
        for g, org in enumerate(ORGS):
            group = cells[1 + 4 * g : 5 + 4 * g]
            for col, text in zip(cols, group, strict=False):
                rows.append({"table": table, "org": org, "row": label, "column": col, "printed": money(text)})
    return rows


def table5(lines: list[str]) -> list[dict]:
    """Table 5 (LLR): programme area × Green, Amber, Red, (Completed), Grand Total, Confidence/Assured."""
    rows = []
    for cells in _block(lines, "Table 5:", "As part of"):
        if cells[0] == "Programme Area":
            continue
        label = TOTAL_ROWS.get(cells[0], cells[0])
        for col, text in zip(TABLE5_COLS, cells[1:7], strict=True):
            rows.append({"table": "Table 5", "org": "LLR", "row": label, "column": col, "printed": money(text)})
    return rows


def appendix1(lines: list[str]) -> list[dict]:
    """Appendix 1 (LLR red-rated schemes): scheme × annual plan, revised FOT."""
    rows = []
    for cells in _block(lines, "Appendix 1: PMO Red Rag Rated Schemes", "Appendix 2"):
        if cells[0] == "Scheme Name":
            continue
        label = TOTAL_ROWS.get(cells[0], cells[0])
        for col, text in zip(("annual_plan", "fot"), cells[-2:], strict=True):
            rows.append({"table": "Appendix 1", "org": "LLR", "row": label, "column": col, "printed": money(text)})
    return rows


def parse(seed: Path) -> list[dict]:
    lines = seed.read_text(encoding="utf-8").split("\n")
    lines = lines[next(i for i, ln in enumerate(lines) if ln.strip() == "Paper D") :]
    out = by_org_table(lines, "Table 1:", "Table 2:", "Table 1", TABLE1_COLS)
    out += by_org_table(lines, "Table 2:", "The forecast out-turn", "Table 2", TABLE2_COLS)
    out += table5(lines) + appendix1(lines)
    names = {
        "Table 1": "Table 1 Month 6 Year to Date Delivery",
        "Table 2": "Table 2 Month 6 Forecast Out-turn",
        "Table 5": "Table 5 Forecast Out-turn by PMO by Overall RAG rating & Assured Value",
        "Appendix 1": "Appendix 1 PMO Red Rag Rated Schemes",
    }
    return [{"fin_year": "2019-20", "month": 6, **r, "source": SOURCE.format(table=names[r["table"]])} for r in out]


def main(argv: list[str]) -> None:
    seed = Path(argv[1]) if len(argv) > 1 else DEFAULT_SEED
    out = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    rows = parse(seed)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=["fin_year", "month", "table", "org", "row", "column", "printed", "source"])
        w.writeheader()
        for r in rows:
            w.writerow({**r, "printed": f"{r['printed']:.0f}" if r["printed"] else "0"})
    counts = {t: sum(1 for r in rows if r["table"] == t) for t in dict.fromkeys(r["table"] for r in rows)}
    print(", ".join(f"{t}: {n} cells" for t, n in counts.items()))
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv)
