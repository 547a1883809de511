"""Transcribe Paper D's executive summary, PMO risk ratings and printed commentary into reference CSVs.

Source: LLR CCGs Commissioning Collaborative Board, 17 October 2019, Paper D ("LLR PMO and
Finance QIPP Report", Month 6 2019/20), as extracted to text in
``shared/seeds/003_21db5d1601c7edad.txt``. Everything written is PUBLISHED and taken from the
text as printed:

* ``paper_d_executive_summary.csv``: the first table (by programme area: 2019/20 QIPP target,
  planning stage pipeline / design / developed, % developed, M6 YTD plan and achieved, % YTD,
  M6 SROs' FOT, % of target). Money as printed (£000, savings positive, two decimals); percentages
  as printed (whole per cent); a cell the text does not print is left blank.
* ``paper_d_risk_ratings.csv``: the "PMO Risk RAG Rating" list (programme area -> risk).
* ``paper_d_commentary.csv``: the narrative under Table 3 (main favourable and adverse
  movements), under Table 4 (identified schemes, main adverse variances over £300k) and the
  items of section 2.1 (QAG). ``text`` is the printed sentence(s) after the bold label, verbatim
  (the extraction's bold markers ``**`` removed); ``label`` is the bold label as printed;
  ``scheme_group`` is ours: the scheme group(s) (scheme number without stretch letter, the keys
  of ``scheme_groups.csv``) the item is about, space-separated where one item names several.

Run once by a maintainer; the output is committed under ``qipp_helpers/reference/``.
    python scripts/transcribe_paper_d_narrative.py [SEED_TXT] [OUT_DIR]
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

from qipp_helpers.analysis.programme import AREAS as PROGRAMME_AREAS

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SEED = ROOT.parent / "shared" / "seeds" / "003_21db5d1601c7edad.txt"
DEFAULT_OUT = ROOT / "qipp_helpers" / "reference"
PAPER = "Paper D, LLR CCGs Commissioning Collaborative Board 17 Oct 2019 (M6 2019/20)"

AREAS = (*PROGRAMME_AREAS, "Total")  # the executive summary's rows, as printed
SUMMARY_COLUMNS = (
    "qipp_target",
    "pipeline",
    "design",
    "developed",
    "pct_developed",
    "ytd_plan",
    "ytd_achieved",
    "pct_ytd_achieved",
    "fot",
    "pct_target_achieved",
)

#: (section heading as printed, kind, where in the paper) for each narrative block.
SECTIONS = (
    ("Main Favourable Movements", "movement", "section 1.2, narrative under Table 3"),
    ("Main Adverse Movements", "movement", "section 1.2, narrative under Table 3"),
    ("Identified Schemes - Main Adverse Variances (>£300k)", "driver", "section 1.2, narrative under Table 4"),
    ("2.1 QAG:", "qag", "section 2.1 QIPP Assurance Group (QAG)"),
)
#: Printed label -> scheme group(s) the item is about (ours; see the module docstring).
GROUPS = {
    "Running Costs": "8.2",
    "Continuing Health Care": "4.1",
    "Community Services Redesign (CSR)": "1.2",
    "Falls": "1.5",
    "End of Life": "1.6",
    "Diagnostics": "2.7",
    "High Cost Drugs": "3.2",
    "Medicines Management": "3.1",
    "System Pathway Opportunities (Gastro & Cardiology)": "2.8",
    "LPT – CHS Short Term Reduction": "6.6",
    "Children's Complex Care": "7.3",
    "Same Day Emergency Care (SDEC)": "1.1",
    "LPT – MH Short Term Reduction": "9.1",
    "PCCC Budget Alignment": "3.6",
    "Audiology": "2.1",
    "Referral Support Services": "2.2",
    "MRET/OOA": "1.7",
    "Follow Up Outpatients": "2.6",
    "Falls/Diagnostics/CSR/HCD/End of Life/": "1.5 2.7 1.2 3.2 1.6",
    "System Pathway Opportunities in Gastro": "2.8",
    "Long Term Conditions": "1.3",
}
ITEM_RE = re.compile(r"^- (?:\*\*)?(?P<label>.+?):\*\*\s*(?P<text>.+)$")


def _money(cell: str) -> str:
    """'£ 17,707.21' -> '17707.21'; '£ -' -> '0'; '86%' -> '86'; '' -> ''."""
    s = cell.replace("£", "").replace(",", "").replace("%", "").strip()
    return "0" if s == "-" else s


def executive_summary(lines: list[str]) -> list[dict]:
    start = next(i for i, ln in enumerate(lines) if ln.startswith("Executive Summary\t"))
    rows = []
    for line in lines[start:]:
        cells = [c.strip() for c in line.split("\t")]
        cells = [c for c in cells if c] if cells and not cells[0] else cells
        if not cells or cells[0] not in AREAS:
            if rows and rows[-1]["programme_area"] == "Total":
                break
            continue
        values = [_money(c) for c in cells[1:]]
        values += [""] * (len(SUMMARY_COLUMNS) - len(values))  # the text drops a trailing cell
        rows.append(
            {
                "programme_area": cells[0],
                **dict(zip(SUMMARY_COLUMNS, values, strict=True)),
                "provenance": f"published: {PAPER}, Executive Summary table",
            }
        )
    assert [r["programme_area"] for r in rows] == list(AREAS), rows
    return rows


def risk_ratings(lines: list[str]) -> list[dict]:
    start = lines.index("PMO Risk RAG Rating")
    rows = []
    for line in lines[start + 1 :]:
        cells = line.split("\t")
        if len(cells) == 2 and cells[0] in AREAS:
            rows.append(
                {
                    "programme_area": cells[0],
                    "risk_rating": cells[1].strip(),
                    "provenance": f"published: {PAPER}, Executive Summary, PMO Risk RAG Rating",
                }
            )
        elif rows and line.strip() and len(cells) != 2:
            break
    assert [r["programme_area"] for r in rows] == list(AREAS[:-1]), rows
    return rows


def commentary(lines: list[str]) -> list[dict]:
    rows = []
    for heading, kind, where in SECTIONS:
        start = next(i for i, ln in enumerate(lines) if ln.strip() == heading)
        items: list[re.Match] = []
        for line in lines[start + 1 :]:
            m = ITEM_RE.match(line.strip())
            if m:
                items.append(m)
            elif items and line.strip():
                break  # the first paragraph after the list ends the block
        for m in items:
            label = m.group("label").strip()
            text = m.group("text").strip()
            assert "**" not in text, text
            rows.append(
                {
                    "fin_year": "2019-20",
                    "month": 6,
                    "org": "LLR",
                    "kind": kind,
                    "section": heading.rstrip(":"),
                    "order": len(rows) + 1,
                    "scheme_group": GROUPS[label],
                    "label": label,
                    "text": text,
                    "provenance": f"published: {PAPER}, {where}",
                }
            )
    return rows


def write(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def main(argv: list[str]) -> None:
    seed = Path(argv[1]) if len(argv) > 1 else DEFAULT_SEED
    out = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    lines = seed.read_text(encoding="utf-8").split("\n")
    lines = lines[next(i for i, ln in enumerate(lines) if ln.strip() == "Paper D") :]
    outputs = {
        "paper_d_executive_summary.csv": executive_summary(lines),
        "paper_d_risk_ratings.csv": risk_ratings(lines),
        "paper_d_commentary.csv": commentary(lines),
    }
    text = "\n".join(lines)
    for r in outputs["paper_d_commentary.csv"]:
        assert r["text"] in text, r["label"]  # verbatim
    for name, rows in outputs.items():
        write(out / name, rows)
        print(f"wrote {out / name} ({len(rows)} rows)")


if __name__ == "__main__":
    main(sys.argv)
