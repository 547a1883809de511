"""Benchmark: national-size data. Ingest + validate + store 100,000 and 1,000,000 scheme-month rows, read a
200-row dashboard workbook, and the batch cost per report as the number of organisations grows (4, 16, 64).

Data (seeded, synthetic, written by `qipp demo-data` into a temporary folder):
  100k: --orgs 64 --schemes 130 --months 12 (99,840 rows, 768 CSV files, 12 month folders);
  1M:   --orgs 42 --schemes 200 --months 12 --years 10 (1,008,000 rows, 5,040 CSV files, 120 month folders).
Ingest is timed the way `qipp ingest-raw` does it (every month folder prepared in turn and committed in one
transaction, a version each) and, at 100k, against the naive way in the same run: one `ingest_files` per month
folder (a commit each) with every sheet read row by row. Each figure is timed --repeat times on a fresh store;
min and median are printed. The workbook read is Paper D's M6 dashboard workbook (198 scheme rows, 4 sheets),
in this process (warm) and in a fresh one (cold: imports included).

Ends with one machine-readable line (nan: not measured):
  scale: ingest_100k=<s> ingest_1m=<s> per_report_64_local=<s> per_report_64_dask=<s>

    .venv/bin/python benchmarks/scale.py [--repeat N] [--ingest-only] [--skip-1m] [--jobs N] [--orgs 4,16,64]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORKBOOK = ROOT / "data" / "raw" / "2019-20" / "M06" / "paper_d_m6_pmo_dashboards.xlsx"
#: The targets of issue 14 (seconds).
TARGETS = {"100k": 1.5, "1m": 10.0, "workbook": 0.2}


def batches(data: Path) -> list:
    """Every month folder of ``data/raw`` as `qipp ingest-raw` sees it."""
    from qipp_helpers.ingest.layouts import Batch

    out = []
    for folder in sorted((data / "raw").glob("*/M[0-9][0-9]")):
        note = folder / "PROVENANCE.txt"
        provenance = note.read_text(encoding="utf-8").strip() if note.is_file() else None
        files = tuple(sorted(folder.glob("*.csv")))
        out.append(Batch(files, folder.parent.name, int(folder.name[1:]), provenance=provenance))
    return out


def fresh(data: Path, work: Path) -> Path:
    """An empty store beside the raw files of ``data`` (the raw folders are only read)."""
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    shutil.copy(data / "organisations.csv", work / "organisations.csv")
    return work


def ingest_raw(data: Path, work: Path) -> float:
    """Seconds to ingest every month folder of ``data`` into an empty store, as `qipp ingest-raw` does."""
    from qipp_helpers.ingest.layouts import ingest_batches

    store = fresh(data, work)
    todo = batches(data)
    start = time.perf_counter()
    ingest_batches(todo, store)
    return time.perf_counter() - start


def ingest_naive(data: Path, work: Path) -> float:
    """Seconds for one ingest (a commit) per month folder, every sheet read row by row."""
    from qipp_helpers.ingest import dashboard
    from qipp_helpers.ingest.layouts import ingest_files

    store = fresh(data, work)
    todo = batches(data)
    dashboard.FAST_READER = False
    try:
        start = time.perf_counter()
        for b in todo:
            ingest_files(list(b.paths), b.fin_year, b.month, store, provenance=b.provenance)
        return time.perf_counter() - start
    finally:
        dashboard.FAST_READER = True


def repeat(fn: Callable[[], float], n: int) -> list[float]:
    return [fn() for _ in range(n)]


def say(label: str, times: list[float], rows: int | None = None, target: float | None = None) -> None:
    best, mid = min(times), statistics.median(times)
    line = f"{label}: min {best:.2f}s, median {mid:.2f}s over {len(times)} run{'s' if len(times) > 1 else ''}"
    if rows:
        line += f" ({rows / mid:,.0f} rows/s)"
    if target is not None:
        line += f"; {'within' if mid < target else 'OVER'} the {target:g} s target"
    print(line, flush=True)


def workbook_read(n: int) -> tuple[list[float], list[float]]:
    """Seconds to read the M6 workbook: warm (this process, after one read) and cold (a fresh process)."""
    from qipp_helpers.ingest.dashboard import read_returns_file

    read_returns_file(WORKBOOK)
    warm = []
    for _ in range(max(n, 5)):
        start = time.perf_counter()
        read_returns_file(WORKBOOK)
        warm.append(time.perf_counter() - start)
    code = (
        "import time; t = time.perf_counter(); from pathlib import Path; "
        "from qipp_helpers.ingest.dashboard import read_returns_file; "
        f"read_returns_file(Path({str(WORKBOOK)!r})); print(time.perf_counter() - t)"
    )
    cold = [
        float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)
        for _ in range(n)
    ]
    return warm, cold


def batch_runs(tmp: Path, sizes: list[int], jobs: int) -> dict[int, float]:
    """Per-report time of `qipp run` (monthly position, M12, every organisation) with n organisations, for each n.

    Each n gets its own data folder holding n organisations (``--org all``: `qipp run --org S001,...` checks
    the codes against the built-in organisations before it reads the folder's, so it refuses them).
    """
    from qipp_helpers.ingest.layouts import ingest_batches
    from qipp_helpers.synthetic.national import demo_data

    out: dict[int, float] = {}
    base = None
    for n in sizes:
        data = tmp / f"orgs{n}"
        demo_data(data, orgs=n, schemes=130, months=12)
        ingest_batches(batches(data), data)
        t = time.perf_counter()
        subprocess.run(
            [
                str(BIN / "qipp"), "run", "--fin-year", "2019-20", "--month", "12", "--notebook", "monthly_position",
                "--org", "all", "--data-dir", str(data), "--out", str(tmp / f"r{n}"),
                "--notebooks-dir", str(ROOT / "notebooks"), "--jobs", str(jobs),
            ],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        per = (time.perf_counter() - t) / n
        base = base or per
        out[n] = per
        print(
            f"{n:3d} organisations: {per * n:6.1f}s, {per:.2f}s per report (x{per / base:.2f} of the "
            f"{sizes[0]}-organisation cost per report)",
            flush=True,
        )
    return out


def main() -> None:
    from qipp_helpers.synthetic.national import demo_data

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each ingest figure (min and median printed)")
    ap.add_argument("--ingest-only", action="store_true", help="skip the batch (qipp run) part")
    ap.add_argument("--skip-1m", action="store_true", help="skip the 1,000,000-row ingest")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--orgs", default="4,16,64")
    args = ap.parse_args()
    sizes = [int(x) for x in args.orgs.split(",")]
    figures = {"ingest_100k": math.nan, "ingest_1m": math.nan, "per_report_64_local": math.nan}
    print(f"{os.cpu_count()} CPUs, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}", flush=True)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        small = tmp / "data100k"
        counts = demo_data(small, orgs=64, schemes=130, months=12)
        rows = counts["rows"]
        print(f"100k: {rows:,} rows in {len(batches(small))} month folders", flush=True)
        fast = repeat(lambda: ingest_raw(small, tmp / "store"), args.repeat)
        say("  ingest-raw (all folders, one transaction)", fast, rows, TARGETS["100k"])
        slow = repeat(lambda: ingest_naive(small, tmp / "store"), args.repeat)
        say("  naive (a commit per folder, row by row)  ", slow, rows)
        print(f"  ratio: {statistics.median(slow) / statistics.median(fast):.1f}x faster than the naive way")
        figures["ingest_100k"] = statistics.median(fast)
        warm, cold = workbook_read(args.repeat)
        say("200-row dashboard workbook read, warm", warm, target=TARGETS["workbook"])
        say("200-row dashboard workbook read, cold (fresh process, imports included)", cold)
        if not args.skip_1m:
            big = tmp / "data1m"
            start = time.perf_counter()
            counts = demo_data(big, orgs=42, schemes=200, months=12, years=10)
            print(
                f"1M: {counts['rows']:,} rows in {len(batches(big))} month folders "
                f"(written in {time.perf_counter() - start:.1f}s)",
                flush=True,
            )
            times = repeat(lambda: ingest_raw(big, tmp / "store"), args.repeat)
            say("  ingest-raw (all folders, one transaction)", times, counts["rows"], TARGETS["1m"])
            figures["ingest_1m"] = statistics.median(times)
            shutil.rmtree(big)
        shutil.rmtree(tmp / "store", ignore_errors=True)
        if not args.ingest_only:
            per = batch_runs(tmp, sizes, args.jobs)
            figures["per_report_64_local"] = per.get(64, math.nan)
    print(
        "scale: "
        + " ".join(f"{k}={v:.2f}" if not math.isnan(v) else f"{k}=nan" for k, v in figures.items())
        + " per_report_64_dask=nan",
        flush=True,
    )


if __name__ == "__main__":
    main()
