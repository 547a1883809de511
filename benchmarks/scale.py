"""Benchmark: national-size data. Ingest + validate 100,000 scheme-month rows, and the batch
cost per report as the number of organisations grows (4, 16, 64), on the local pool and on Dask.

Data: `qipp demo-data --orgs 64 --schemes 130 --months 12` (seeded, synthetic: 99,840 rows).
Batch: for each size n, a data folder of n synthetic organisations (130 schemes, 12 months), then
`qipp run --month 12 --notebook monthly_position --org all` (one report per organisation and the
month's pack), timed on the local pool (--jobs N) and with `--executor dask` against a scheduler and
two workers started for the measurement as separate processes (`dask scheduler`, `dask worker
--nthreads 1`, each worker keeping one warm kernel). A fresh cluster per run: its workers warm their
kernels during the run, as the local pool's do. Local and Dask runs alternate, --rounds times;
medians are quoted, with the peak RSS of each worker and its kernel at the largest size.

    .venv/bin/python benchmarks/scale.py [--jobs N] [--orgs 4,16,64] [--rounds R] [--skip-dask]

The last line is machine-readable (nan: not measured here):
    scale: ingest_100k=<s> ingest_1m=<s> per_report_64_local=<s> per_report_64_dask=<s>
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(Path(__file__).resolve().parent))


def organisations_data(tmp: Path, n: int) -> Path:
    """A data folder of ``n`` synthetic organisations (130 schemes, M1-M12 2019/20), ingested."""
    from qipp_helpers.ingest.layouts import ingest_files
    from qipp_helpers.synthetic.national import demo_data

    data = tmp / f"orgs{n}"
    demo_data(data, orgs=n, schemes=130, months=12)
    for m in range(1, 13):
        folder = data / "raw" / "2019-20" / f"M{m:02d}"
        provenance = (folder / "PROVENANCE.txt").read_text().strip()
        ingest_files(sorted(folder.glob("*.csv")), "2019-20", m, data, provenance=provenance)
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
    from qipp_helpers.ingest.layouts import ingest_files
    from qipp_helpers.synthetic.national import demo_data

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--orgs", default="4,16,64")
    ap.add_argument("--rounds", type=int, default=3, help="runs of each size and executor (medians quoted)")
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--skip-ingest", action="store_true")
    args = ap.parse_args()
    sizes = [int(x) for x in args.orgs.split(",")]
    figures = {"ingest_100k": math.nan, "ingest_1m": math.nan}
    ingested: dict[int, Path] = {}
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, --jobs {args.jobs}, load average {load}", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_ingest:
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
            if counts["rows"] >= 99_000:
                figures["ingest_100k"] = took
            ingested[max(sizes)] = data  # the batch part's data for its largest size (the same demo data)
        per = batch_scaling(Path(tmp), sizes, args.jobs, args.rounds, not args.skip_dask, ingested)
    largest = max(sizes)
    figures["per_report_64_local"] = per[f"local_{largest}"] if largest == 64 else math.nan
    figures["per_report_64_dask"] = per[f"dask_{largest}"] if largest == 64 else math.nan
    print("scale: " + " ".join(f"{k}={v:.2f}" if not math.isnan(v) else f"{k}=nan" for k, v in figures.items()))


if __name__ == "__main__":
    main()
