"""Transcribe the LLR system FRP (Paper E Appendix 1 + Paper D Table 6) into an FRP workbook.

Sources (LLR CCGs Commissioning Collaborative Board, 17 October 2019, as extracted to text in
``shared/seeds/003_21db5d1601c7edad.txt``):

- Paper E "System Financial Recovery Plan", Appendix 1, "System Financial Recovery Plan
  Schemes – 4 October 2019": every group and scheme line, as printed (£000), including the
  Forecast Movement column's printed errors (Budgetary Review -3,000, Contract Triangulation
  Outcome 0, Grand Total -12,776), which the product must detect, not repair. The paper's
  empty spacer lines (a lone "0") are left out; blank cells stay blank.
- Paper D Table 6 "LLR Financial Recovery Plan as at October 2019": the RAG status of each
  scheme (Table 6 prints it; Paper E's RAG column is empty), the position lines (net risk,
  contract triangulation, other items not in the FRP), the printed subtotals and the split of
  the organisation impact by organisation (University Hospitals of Leicester (£0.676m) ...).

The figures are PUBLISHED. Before writing, every line is checked against the seed text (the
printed figures must appear, in order, on the line that names it), so a typo here fails loudly.
Run once by a maintainer; the output is committed under ``data/raw/`` and never edited:
    python scripts/transcribe_paper_e.py [SEED_TXT] [OUT_XLSX]
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SEED = ROOT.parent / "shared" / "seeds" / "003_21db5d1601c7edad.txt"
DEFAULT_OUT = ROOT / "data" / "raw" / "2019-20" / "M06" / "paper_e_system_frp.xlsx"

HEADER = [
    "Scheme Group",
    "Scheme",
    "FRP Submission",
    "Revised Forecast",
    "Forecast Movement",
    "In Month Delivery",
    "Forecast Balance Remaining",
    "In Month Movement",
    "RAG Status",
]
N = None  # a blank cell as printed
ACCOUNTING = "Review what accounting flexibilities there are and how these will be used"
CONTRACT = (
    "Contract triangulation differences mainly result from differing QIPP (£2.9m) and contract "
    "challenge (£2.5m) assumptions in Forecast Outturn - assume resolve with only 50% cost impact"
)
# (group, scheme, a, b, c, d, e, f, RAG): Paper E Appendix 1 scheme table; RAG from Paper D Table 6.
SCHEMES: list[tuple] = [
    ("Budgetary Review", "", 12800, 11800, -3000, 1035, 10765, -2035, ""),
    ("", ACCOUNTING, 8000, 8000, 0, N, 8000, 0, "Green"),
    ("", "UHL Removal of spend from 19/20 to 18/19", 3000, 0, -3000, N, 0, -3000, "Red"),
    ("", "Investment Slippage", 1800, 1800, 0, 1035, 765, -1035, "Green"),
    ("", "Internal FRP", N, 2000, N, N, 2000, 2000, "Orange"),
    ("Cost Control", "", 1458, 1950, 492, 950, 1000, -458, ""),
    ("", "CHC Payments Uplift Efficiencies", 358, 358, 0, 358, 0, -358, ""),
    (
        "",
        "Consider what tighter controls can be applied to out of county acute contracts",
        500,
        500,
        0,
        N,
        500,
        0,
        "Green",
    ),
    ("", "Ensure compliance to community equipment criteria", 100, 592, 492, 592, 0, -100, ""),
    ("", "Reduce Non-Clinical WTE Spend", 500, 500, 0, N, 500, 0, "Green"),
    ("Elective Care", "", 8400, 3668, -4732, 1228, 2440, -5960, ""),
    ("", "Manage Elective Performance: Cost Savings to UHL", 5000, 268, -4732, N, 268, -4732, "Orange"),
    ("", "IS Demand Management & Capacity Utilisation Review", 3400, 3400, 0, 1228, 2172, -1228, "Green"),
    ("Non Elective Care", "", 9100, 3564, -5536, 0, 3564, -5536, ""),
    ("", "Community Hospital Spend & Provision", 300, 0, -300, N, 0, -300, ""),
    ("", "Emergency Care Additional Schemes", 8800, 3564, -5236, N, 3564, -5236, "Orange"),
    ("Contract Triangulation Outcome", "", 0, 2850, 0, 0, 2850, 2850, ""),
    ("", CONTRACT, N, 2850, N, N, 2850, 2850, "Orange"),
    ("Grand Total", "", 31758, 23832, -12776, 3213, 20619, -11139, ""),
]
# (section, item, organisation, value £000): Paper D Table 6 and the organisation split beneath it.
POSITION: list[tuple] = [
    ("Position before FRP", "Net Risk", "", -28181),
    ("Position before FRP", "Contract Triangulation", "", -5700),
    ("Total", "Consistent Position Before FRP", "", -33881),
    ("Total", "Revised Forecast Position after FRP", "", -13262),
    (
        "Other items not in FRP",
        "UHL Further Elective Cost reduction - impact on waiting list numbers, cancer performance and 52 week breaches",
        "",
        1959,
    ),
    ("Other items not in FRP", "Community Hospitals", "", 130),
    ("Total", "Total Items not in FRP Forecast", "", 2089),
    ("Total", "Organisation Impact of All Items", "", -11173),
    ("Organisation impact", "University Hospitals of Leicester", "UHL", -676),
    ("Organisation impact", "Leicestershire Partnership Trust", "LPT", -370),
    ("Organisation impact", "Leicester City CCG", "LC", 6737),
    ("Organisation impact", "East Leicestershire & Rutland CCG", "ELR", -7242),
    ("Organisation impact", "West Leicestershire CCG", "WL", -9622),
]
ABOUT = [
    ("System", "LLR"),
    ("As at", "2019-10-04"),
    (
        "Provenance",
        "published: Paper E Appendix 1 (System FRP Schemes, 4 Oct 2019) and Paper D Table 6 "
        "(LLR FRP as at October 2019), CCB 17 Oct 2019",
    ),
]


def _printed(v: float) -> str:
    """How the seed text prints a £000 figure in each source: '12,800' / '-3,000' / '(£0.676m)'."""
    return f"{v:,}"


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("–", "-")).strip()


def verify(seed: Path) -> None:
    """Fail unless every transcribed figure is in the seed, on the line that names it."""
    lines = [_norm(x) for x in seed.read_text(encoding="utf-8").splitlines()]
    start = next(i for i, x in enumerate(lines) if x.startswith("System Financial Recovery Plan Schemes"))
    table = lines[start : start + 60]
    for group, scheme, *figures, _rag in SCHEMES:
        name = _norm(scheme or group)
        hits = [i for i, x in enumerate(table) if x.startswith(name[:60])]
        if not hits:
            raise SystemExit(f"not in Paper E's scheme table: {name!r}")
        text = " ".join(table[hits[0] : hits[0] + 3])  # a wrapped name carries its figures on the next line
        pos = 0
        for v in figures:
            if v is None:
                continue
            m = re.search(rf"(?<![\d,]){re.escape(_printed(v))}(?![\d,])", text[pos:])
            if not m:
                raise SystemExit(f"{name!r}: printed figure {v} not found in order in {text!r}")
            pos += m.end()
    t6 = lines[next(i for i, x in enumerate(lines) if x.startswith("Table 6: LLR Financial Recovery Plan")) :]
    t6 = t6[:60]
    for _g, scheme, *_f, rag in SCHEMES:
        if rag and not any(x.startswith(_norm(scheme)[:60]) and x.endswith(rag) for x in t6):
            raise SystemExit(f"Table 6 does not rate {scheme!r} {rag}")
    for _s, item, org, value in POSITION:
        if org:
            money = f"£{abs(value) / 1000:.3f}m"
            if not any(x.startswith(item) and money in x for x in t6):
                raise SystemExit(f"organisation split {item} {value} not printed")
        elif not any(x == _printed(value) or (x.startswith(_norm(item)[:40]) and _printed(value) in x) for x in t6):
            raise SystemExit(f"Table 6 position line {item!r} {value} not printed")


def write(out: Path) -> None:
    wb = Workbook()
    about = wb.active
    about.title = "About"
    about.append(["Key", "Value"])
    for row in ABOUT:
        about.append(list(row))
    ws = wb.create_sheet("FRP Schemes")
    ws.append(["System Financial Recovery Plan Schemes – 4 October 2019 (Paper E Appendix 1; RAG: Paper D Table 6)"])
    ws.append([])
    ws.append(HEADER)
    for c in ws[3]:
        c.font = Font(bold=True)
    for row in SCHEMES:
        ws.append([x if x != "" else None for x in row])
    ps = wb.create_sheet("FRP Position")
    ps.append(["Section", "Item", "Organisation", "Value"])
    for row in POSITION:
        ps.append([x if x != "" else None for x in row])
    out.parent.mkdir(parents=True, exist_ok=True)
    wb.save(out)


def main(argv: list[str]) -> None:
    seed = Path(argv[1]) if len(argv) > 1 else DEFAULT_SEED
    out = Path(argv[2]) if len(argv) > 2 else DEFAULT_OUT
    if seed.exists():
        verify(seed)
    else:
        print(f"seed {seed} not found: writing without verifying against it", file=sys.stderr)
    write(out)
    print(f"wrote {out}: {len(SCHEMES)} scheme-table lines, {len(POSITION)} position lines")


if __name__ == "__main__":
    main(sys.argv)
