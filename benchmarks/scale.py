"""Benchmark: national-size data. Ingest + validate 100,000 scheme-month rows, and the batch
cost per report as the number of organisations grows (4, 16, 64).

Data: `qipp demo-data --orgs 64 --schemes 130 --months 12` (seeded, synthetic: 99,840 rows).
    .venv/bin/python benchmarks/scale.py [--jobs N] [--orgs 4,16,64]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def main() -> None:
    from qipp_helpers.ingest.layouts import ingest_files
    from qipp_helpers.synthetic.national import demo_data

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--orgs", default="4,16,64")
    args = ap.parse_args()
    sizes = [int(x) for x in args.orgs.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        counts = demo_data(data, orgs=max(sizes), schemes=130, months=12)
        start = time.perf_counter()
        for m in range(1, 13):
            folder = data / "raw" / "2019-20" / f"M{m:02d}"
            ingest_files(
                sorted(folder.glob("*.csv")),
                "2019-20",
                m,
                data,
                provenance=(folder / "PROVENANCE.txt").read_text().strip(),
            )
        took = time.perf_counter() - start
        verdict = "within" if took < 5 else "OVER"
        print(
            f"ingest + validate + store: {counts['rows']:,} rows in {took:.2f}s "
            f"({counts['rows'] / took:,.0f} rows/s; {verdict} the 5 s target)",
            flush=True,
        )
        base = None
        for n in sizes:
            orgs = ",".join(f"S{i:03d}" for i in range(1, n + 1))
            t = time.perf_counter()
            out = Path(tmp) / f"r{n}"
            subprocess.run(
                [
                    str(BIN / "qipp"),
                    "run",
                    "--fin-year",
                    "2019-20",
                    "--month",
                    "12",
                    "--notebook",
                    "monthly_position",
                    "--org",
                    orgs,
                    "--data-dir",
                    str(data),
                    "--out",
                    str(out),
                    "--notebooks-dir",
                    str(ROOT / "notebooks"),
                    "--jobs",
                    str(args.jobs),
                ],
                check=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            per = (time.perf_counter() - t) / n
            base = base or per
            print(
                f"{n:3d} organisations: {per * n:6.1f}s, {per:.2f}s per report (x{per / base:.2f} of the "
                f"{sizes[0]}-organisation cost per report)",
                flush=True,
            )


if __name__ == "__main__":
    main()
