"""Generate the SYNTHETIC M1-M5 2019/20 dashboards from the published M6 workbook.

    python scripts/make_synthetic_months.py

Reads data/raw/2019-20/M06/paper_d_m6_pmo_dashboards.xlsx (published), applies the seeded
rule in qipp_helpers.synthetic.months and writes data/raw/2019-20/M0{1..5}/synthetic_m0N_pmo_dashboards.xlsx.
Deterministic: the same seed gives the same figures (tests/unit/test_synthetic.py checks the committed
workbooks against a fresh run).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from qipp_helpers.ingest.layouts import ingest
from qipp_helpers.store.db import load_adjustments, load_returns
from qipp_helpers.synthetic.months import CCGS, PROVENANCE, complete_m6, earlier_months
from qipp_helpers.synthetic.workbooks import write_dashboard

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw" / "2019-20"


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        ingest([RAW / "M06" / "paper_d_m6_pmo_dashboards.xlsx"], "2019-20", 6, tmp)
        # the published M6 rows plus the rows the LLR dashboard shows a CCG's return lacks (WL 4.1 CHC), so the
        # earlier months are complete like the paper's totals; rounding adjustments are not rows of any return
        m6 = complete_m6(load_returns(tmp), load_adjustments(tmp))
    for month, rows in earlier_months(m6).items():
        path = RAW / f"M{month:02d}" / f"synthetic_m{month:02d}_pmo_dashboards.xlsx"
        sheets = {org: rows[rows["org"] == org] for org in CCGS}
        write_dashboard(
            path, sheets, about={org: PROVENANCE for org in CCGS}, title=f"SYNTHETIC QIPP Dashboard M{month} 2019/20"
        )
        print(f"wrote {path.relative_to(ROOT)} ({len(rows)} rows)")


if __name__ == "__main__":
    main()
