"""Generate the SYNTHETIC RightCare indicator workbooks (Derbyshire's four CCGs, LLR's three).

    python scripts/make_synthetic_rightcare.py

Applies the seeded rule in qipp_helpers.synthetic.rightcare and writes
data/raw/2019-20/rightcare/synthetic_rightcare_{ddccg,llr}.xlsx. The Derbyshire set is calibrated so
that the opportunity against the best 5 peers reproduces the PUBLISHED Table 3 of NHS Derby and
Derbyshire CCG's 2019/20 QIPP Programme; the LLR set is not calibrated. Peer CCGs are fictional.
Deterministic: tests/unit/test_rightcare.py checks the committed workbooks against a fresh run.
"""

from __future__ import annotations

from pathlib import Path

from qipp_helpers.synthetic.rightcare import about, make_set
from qipp_helpers.synthetic.workbooks import write_rightcare

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "data" / "raw" / "2019-20" / "rightcare"


def main() -> None:
    for org in ("DDCCG", "LLR"):
        indicators, peers = make_set(org)
        path = OUT / f"synthetic_rightcare_{org.lower()}.xlsx"
        write_rightcare(
            path,
            indicators,
            peers,
            about=about(org),
            title=f"SYNTHETIC RightCare indicators ({org}): spend per 1,000 weighted population, 2017/18",
        )
        print(f"wrote {path.relative_to(ROOT)} ({len(indicators)} indicator rows, {len(peers)} peer rows)")


if __name__ == "__main__":
    main()
