"""Generate the SYNTHETIC M7-M9 2019/20 SRO returns through the real round trip.

    python scripts/make_demo_returns.py

Ingests data/raw/2019-20/M01-M06 into a temporary store, then for M7, M8 and M9: writes each CCG's
`qipp template` into data/raw/2019-20/M0<m>/, fills it as an SRO would with the planted changes of
qipp_helpers.synthetic.returns (seeded), and ingests it before the next month's templates are written.
Each month folder gets a PROVENANCE.txt saying its returns are synthetic and a RECEIVED.txt saying when
the PMO received each (WL's M8 return is late). `make reports MONTH=7` (8, 9)
then renders the month.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from qipp_helpers.ingest.layouts import ingest_files
from qipp_helpers.ingest.sro_return import write_template
from qipp_helpers.store.db import load_returns
from qipp_helpers.synthetic.returns import (
    CCGS,
    FIN_YEAR,
    FIRST_COPY_FOT_DELTA,
    MONTHS,
    PROVENANCE,
    RECEIVED,
    RESUBMITTED,
    SEED,
    fill_return,
    received_note,
)

ROOT = Path(__file__).resolve().parents[1]
RAW = ROOT / "data" / "raw" / FIN_YEAR


def main() -> None:
    rng = np.random.default_rng(SEED)
    with tempfile.TemporaryDirectory() as tmp:
        for month in range(1, 7):
            ingest_files(sorted((RAW / f"M{month:02d}").glob("*.xlsx")), FIN_YEAR, month, tmp)
        for month in MONTHS:
            folder = RAW / f"M{month:02d}"
            folder.mkdir(exist_ok=True)
            for old in folder.glob("*_return*.xlsx"):
                old.unlink()
            (folder / "PROVENANCE.txt").write_text(PROVENANCE + "\n", encoding="utf-8")
            (folder / "RECEIVED.txt").write_text(received_note(month), encoding="utf-8")
            files = []
            for org in CCGS:
                held = load_returns(tmp)
                path = folder / f"{org}_return.xlsx"
                if (month, org) == RESUBMITTED:  # the first copy, superseded by the corrected one
                    write_template(held, fin_year=FIN_YEAR, month=month, org=org, path=path)
                    files.append(fill_return(path, month, org, rng, fot_override={("3.1", 1): FIRST_COPY_FOT_DELTA}))
                    path = folder / f"{org}_return_resubmitted.xlsx"
                write_template(held, fin_year=FIN_YEAR, month=month, org=org, path=path)
                files.append(fill_return(path, month, org, rng))
            ingest_files(sorted(files), FIN_YEAR, month, tmp, provenance=PROVENANCE, received=RECEIVED[month])
            for f in sorted(files):
                print(f"wrote {f.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
