"""Transcribe Paper D's M6 PMO dashboards (Appendices 2-5) into a dashboard workbook.

Source: LLR CCGs Commissioning Collaborative Board, 17 October 2019, Paper D
("LLR PMO and Finance QIPP Report", Month 6 2019/20), Appendices 2-5, as extracted to
text in ``shared/seeds/003_21db5d1601c7edad.txt``. The figures are PUBLISHED: every
scheme row, and every Grand Total row, is written as printed (money parsed from the
printed "(1,234)" form to numbers). Page breaks in the paper repeat the title and
header rows; the workbook keeps them, as a real export would, so the reader must cope.

Run once by a maintainer; the output is committed under ``data/raw/`` and never edited.
    python scripts/transcribe_paper_d.py [SEED_TXT] [OUT_XLSX]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SEED = ROOT.parent / "shared" / "seeds" / "003_21db5d1601c7edad.txt"
DEFAULT_OUT = ROOT / "data" / "raw" / "2019-20" / "M06" / "paper_d_m6_pmo_dashboards.xlsx"

RAGS = {"Red", "Amber", "Green", "Blue", "Grey"}
APPENDIX = {"LLR": "Appendix 2", "ELR": "Appendix 3", "WL": "Appendix 4", "LC": "Appendix 5"}
TITLE_RE = re.compile(r"Appendix (\d) (?:Full )?(\w+) CCG QIPP Dashboard")
TAG_RE = re.compile(r"</?u>")


def printed_number(text: str) -> float | str:
    """'(1,234)' -> -1234.0, '0' -> 0.0; anything else is kept as printed text."""
    s = text.strip().replace(",", "")
    m = re.fullmatch(r"\((\d+(?:\.\d+)?)\)|(-?\d+(?:\.\d+)?)", s)
    if not m:
        return text
    return -float(m.group(1)) if m.group(1) else float(m.group(2))


def parse(seed: Path) -> dict[str, list[list]]:
    """Return, per organisation sheet, the rows as printed (title, header, data, total)."""
    lines = seed.read_text(encoding="utf-8").split("\n")
    start = next(i for i, ln in enumerate(lines) if ln.startswith("Appendix 2 Full LLR CCG QIPP Dashboard"))
    sheets: dict[str, list[list]] = {}
    org = None
    for line in lines[start:]:
        if line.strip() == "Paper E":
            break
        cells = [TAG_RE.sub("", c).strip() for c in line.split("\t")]
        m = TITLE_RE.match(cells[0])
        if m:
            org = m.group(2)
            sheets.setdefault(org, []).append([cells[0]])
            continue
        if org is None or len(cells) < 10:
            continue
        cells = cells[:11]
        if cells[0].startswith("Scheme no."):
            sheets[org].append(cells)
        elif cells[5] in RAGS or cells[0] == "Grand Total":
            sheets[org].append(cells[:6] + [printed_number(c) for c in cells[6:11]])
    return sheets


def write(sheets: dict[str, list[list]], out: Path) -> None:
    wb = Workbook()
    about = wb.active
    about.title = "About"
    about.append(["sheet", "provenance"])
    for org in ("LLR", "ELR", "WL", "LC"):
        about.append(
            [
                org,
                f"published: Paper D {APPENDIX[org]} ({org} QIPP dashboard, M6 2019/20), "
                "LLR CCGs Commissioning Collaborative Board 17 Oct 2019",
            ]
        )
    about.append([])
    about.append(
        [
            "note",
            "Transcribed by scripts/transcribe_paper_d.py from the published paper; "
            "figures as printed, £000, savings negative.",
        ]
    )
    for org in ("LLR", "ELR", "WL", "LC"):
        ws = wb.create_sheet(org)
        for row in sheets[org]:
            ws.append(row)
            if len(row) == 1 or row[0].startswith(("Scheme no.", "Grand Total")):
                for c in ws[ws.max_row]:
                    c.font = Font(bold=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)


def main(argv: list[str]) -> None:
    seed = Path(argv[1]) if len(argv) > 1 else DEFAULT_SEED
    out = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    sheets = parse(seed)
    write(sheets, out)
    for org, rows in sheets.items():
        n = sum(1 for r in rows if len(r) == 11 and r[5] in RAGS)
        print(f"{org}: {n} scheme rows")
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv)
