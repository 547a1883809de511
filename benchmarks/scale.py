"""Benchmark: national-size data. Ingest + validate + store 100,000 and 1,000,000 scheme-month rows, read a
200-row dashboard workbook, and the batch cost per report as the number of organisations grows (4, 16, 64),
on the local pool and on Dask.

Data (seeded, synthetic, written by `python -m qipp_helpers.synthetic` into a temporary folder):
  100k: --orgs 64 --schemes 130 --months 12 (99,840 rows, 768 CSV files, 12 month folders);
  1M:   --orgs 42 --schemes 200 --months 12 --years 10 (1,008,000 rows, 5,040 CSV files, 120 month folders).
Ingest is timed the way `qipp ingest-raw` does it (every month folder prepared in turn and committed in one
transaction, a version each) and, at 100k, against the naive way in the same run: one `ingest_files` per month
folder (a commit each) with every sheet read row by row. Each figure is timed --repeat times on a fresh store;
min and median are printed. The workbook read is Paper D's M6 dashboard workbook (198 scheme rows, 4 sheets),
in this process (warm) and in a fresh one (cold: imports included).

Batch: for each size n, a data folder of n synthetic organisations (130 schemes, 12 months), then
`qipp run --month 12 --notebook monthly_position --org all` (one report per organisation and the
month's pack), timed on the local pool (--jobs N) and with `--executor dask` against a scheduler and
two workers started for the measurement as separate processes (`dask scheduler`, `dask worker
--nthreads 1`, each worker keeping one warm kernel). A fresh cluster per run: its workers warm their
kernels during the run, as the local pool's do. Local and Dask runs alternate, --rounds times;
medians are quoted, with the peak RSS of each worker and its kernel at the largest size.

Ends with one machine-readable line (nan: not measured):
  scale: ingest_100k=<s> ingest_1m=<s> per_report_64_local=<s> per_report_64_dask=<s>

    .venv/bin/python benchmarks/scale.py [--repeat N] [--ingest-only] [--skip-1m] [--skip-ingest]
        [--jobs N] [--orgs 4,16,64] [--rounds R] [--skip-dask]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
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


def organisations_data(tmp: Path, n: int) -> Path:
    """A data folder of ``n`` synthetic organisations (130 schemes, M1-M12 2019/20), ingested."""
    from qipp_helpers.ingest.layouts import ingest_batches
    from qipp_helpers.synthetic.national import demo_data

    data = tmp / f"orgs{n}"
    demo_data(data, orgs=n, schemes=130, months=12)
    ingest_batches(batches(data), data)
    return data


def qipp_run(data: Path, out: Path, jobs: int, scheduler: str | None = None) -> list[str]:
    cmd = [
        str(BIN / "qipp"),
        "run",
        "--fin-year",
        "2019-20",
        "--month",
        "12",
        "--notebook",
        "monthly_position",
        "--org",
        "all",  # every organisation of the folder (a synthetic code given by name is not a built-in one)
        "--data-dir",
        str(data),
        "--out",
        str(out),
        "--notebooks-dir",
        str(ROOT / "notebooks"),
        "--jobs",
        str(jobs),
    ]
    return cmd + (["--executor", "dask", "--scheduler", scheduler] if scheduler else [])


def rendered(out: Path) -> int:
    manifest = json.loads((out / "2019-20" / "M12" / "manifest.json").read_text())
    return sum(r["status"] == "ok" for r in manifest["reports"])


@contextlib.contextmanager
def dask_cluster(folder: Path, workers: int = 2) -> Iterator[tuple[str, list[int]]]:
    """A scheduler and ``workers`` single-threaded workers, each its own process group; (address, worker pids)."""
    folder.mkdir(parents=True)
    info = folder / "scheduler.json"
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True, "cwd": folder}
    scheduler = ["scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(info)]
    procs = [subprocess.Popen([str(BIN / "dask"), *scheduler], **quiet)]
    try:
        deadline = time.monotonic() + 60
        while not info.is_file():
            if time.monotonic() > deadline:
                raise RuntimeError("the Dask scheduler did not start")
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        for i in range(workers):
            worker = ["worker", address, "--nthreads", "1", "--nworkers", "1", "--no-dashboard", "--memory-limit", "0"]
            procs.append(
                subprocess.Popen([str(BIN / "dask"), *worker, "--local-directory", str(folder / f"w{i}")], **quiet)
            )
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address, [p.pid for p in procs[1:]]
    finally:
        for p in reversed(procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)


def tree_peaks(pids: list[int]) -> str:
    """Peak RSS (VmHWM) of each Dask worker process and of the kernel it started."""
    import psutil
    from batch import _peak_mb

    parts = []
    for pid in pids:
        try:
            family = psutil.Process(pid).children(recursive=True)
        except psutil.Error:
            continue
        kernels = [p for p in family if "ipykernel" in " ".join(p.cmdline())]
        workers = [p for p in family if p not in kernels and "python" in p.name()]
        for w in workers:
            mine = [k for k in kernels if k.ppid() == w.pid]
            kernel = f" + kernel {max(_peak_mb(k.pid) or 0 for k in mine):.0f} MB" if mine else ""
            parts.append(f"worker {_peak_mb(w.pid) or 0:.0f} MB{kernel}")
    return "; ".join(parts)


def batch_scaling(
    tmp: Path, sizes: list[int], jobs: int, rounds: int, dask: bool, ingested: dict[int, Path]
) -> dict[str, float]:
    """Per-report seconds of `qipp run` for each size, local and Dask, alternating; medians. ``ingested``: data
    folders already made (organisations -> folder)."""
    from batch import memory_line, timed

    figures: dict[str, float] = {}
    for n in sizes:
        data = ingested.get(n) or organisations_data(tmp, n)
        local, remote = [], []
        memory = {}
        for r in range(rounds):
            for kind in ["local", "dask"][:: 1 if r % 2 == 0 else -1]:
                out = tmp / f"out-{kind}-{n}-{r}"
                if kind == "local":
                    took, seen = timed(qipp_run(data, out, jobs))
                    memory["local"] = memory_line(seen)
                    local.append(took / n)
                elif dask:
                    with dask_cluster(tmp / f"dask-{n}-{r}", workers=2) as (address, pids):
                        took, _ = timed(qipp_run(data, out, jobs, scheduler=address))
                        memory["dask"] = tree_peaks(pids)
                    remote.append(took / n)
                else:
                    continue
                if rendered(out) != n:
                    sys.exit(f"{kind} run of {n} organisations rendered {rendered(out)} reports")
        per_local = statistics.median(local)
        per_dask = statistics.median(remote) if remote else math.nan
        ratio = f"; Dask / local {per_dask / per_local:.2f}" if remote else ""
        print(
            f"{n:3d} organisations: local {per_local * n:6.1f}s, {per_local:.2f}s per report; Dask "
            f"{per_dask * n:6.1f}s, {per_dask:.2f}s per report{ratio}  (medians of {rounds}; "
            f"load average {os.getloadavg()[0]:.2f})",
            flush=True,
        )
        figures[f"local_{n}"], figures[f"dask_{n}"] = per_local, per_dask
        if n == max(sizes):
            print(f"  peak RSS at {n}, local pool: {memory.get('local', '?')}", flush=True)
            if dask:
                print(f"  peak RSS at {n}, Dask workers: {memory.get('dask', '?')}", flush=True)
    return figures


def main() -> None:
    from qipp_helpers.synthetic.national import demo_data

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs of each ingest figure (min and median printed)")
    ap.add_argument("--ingest-only", action="store_true", help="skip the batch (qipp run) part")
    ap.add_argument("--skip-ingest", action="store_true", help="skip the ingest and workbook figures")
    ap.add_argument("--skip-1m", action="store_true", help="skip the 1,000,000-row ingest")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--orgs", default="4,16,64")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each size and executor (medians quoted)")
    ap.add_argument("--skip-dask", action="store_true")
    args = ap.parse_args()
    sizes = [int(x) for x in args.orgs.split(",")]
    keys = ("ingest_100k", "ingest_1m", "per_report_64_local", "per_report_64_dask")
    figures = dict.fromkeys(keys, math.nan)
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, --jobs {args.jobs}, load average {load}", flush=True)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        if not args.skip_ingest:
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
            shutil.rmtree(small)
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
            per = batch_scaling(tmp, sizes, args.jobs, args.rounds, not args.skip_dask, {})
            figures["per_report_64_local"] = per.get("local_64", math.nan)
            figures["per_report_64_dask"] = per.get("dask_64", math.nan)
    print("scale: " + " ".join(f"{k}={v:.2f}" if not math.isnan(v) else f"{k}=nan" for k, v in figures.items()))


if __name__ == "__main__":
    main()
