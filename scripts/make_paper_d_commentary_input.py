"""Write Paper D's printed M6 commentary as a PMO commentary workbook, the input `qipp ingest` takes.

The text is PUBLISHED: Paper D's narrative under Tables 3 and 4 and section 2.1 (QAG), as transcribed
verbatim into ``qipp_helpers/reference/paper_d_commentary.csv`` by ``scripts/transcribe_paper_d_narrative.py``.
This script lays it out as the commentary layout (``qipp_helpers/ingest/commentary.py``) and writes
``data/raw/2019-20/M06/paper_d_m6_commentary.xlsx``; the About sheet says where it comes from.
"""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

from qipp_helpers.core.files import atomic_save
from qipp_helpers.core.text import keep_text

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "qipp_helpers" / "reference" / "paper_d_commentary.csv"
OUT = ROOT / "data" / "raw" / "2019-20" / "M06" / "paper_d_m6_commentary.xlsx"
HEADER = ["Organisation", "Scheme no.", "Kind", "Section", "Order", "Label", "Commentary"]


def provenance(items: list[dict]) -> str:
    """One provenance for the file naming every part of the paper its items come from (Tables 3 and 4, QAG)."""
    sources = list(dict.fromkeys(i["provenance"] for i in items))
    head = sources[0].rsplit(", section", 1)[0]
    tails = [s.removeprefix(head).removeprefix(", ") for s in sources]
    return f"{head}: " + "; ".join(tails)


def main() -> None:
    with SOURCE.open(encoding="utf-8") as fh:
        items = list(csv.DictReader(fh))
    wb = Workbook()
    about = wb.active
    about.title = "About"
    about.append(["key", "value"])
    about.append(["provenance", provenance(items)])
    about.append(
        ["made by", "scripts/make_paper_d_commentary_input.py from qipp_helpers/reference/paper_d_commentary.csv"]
    )
    ws = wb.create_sheet("Commentary")
    ws.append(HEADER)
    for item in items:
        for group in item["scheme_group"].split() or [""]:
            ws.append(
                [item["org"], group, item["kind"], item["section"], int(item["order"]), item["label"], item["text"]]
            )
    for cell in ws[1]:
        cell.font = Font(bold=True)
    atomic_save(keep_text(wb), OUT)
    print(f"wrote {OUT.relative_to(ROOT)} ({ws.max_row - 1} rows)")


if __name__ == "__main__":
    main()
