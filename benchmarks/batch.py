"""Benchmark: the 16-report month-end pack three ways, interleaved in one run: naive, `qipp run`, and the floor.

The pack: monthly position and under-delivery drivers for ELR, WL, LC and LLR at M5 and M6
2019/20 (2 notebooks x 4 organisations x 2 months = 16 reports) from the embedded demo data.

naive: the loop a user would write: per report, sequentially, the papermill CLI, then
  `jupyter nbconvert --to html --no-input`, then WeasyPrint's CLI (no xlsx).
qipp: `qipp run`: one driver process, a process pool (one warm kernel per worker), HTML, PDF and
  xlsx per report, then each month's manifest, pack PDF and front page.
floor: the same 16 reports built the fastest way the code allows without Jupyter: one process
  per CPU, each notebook's code cells executed in the worker's own IPython shell (no kernel, no
  papermill, no messages; ``benchmarks/inprocess.py``), then the same HTML, PDF and xlsx
  (the same renderers, the same notebook outputs); no pack PDF, front page or manifest.

Each round runs the three columns back to back (the order rotating), so load from other work on
the machine falls on all of them; medians over the rounds are quoted. Peak RSS per process is
sampled while qipp and the floor run. Then where the time of one report goes (the breakdown).
    .venv/bin/python benchmarks/batch.py [--jobs N] [--rounds R] [--naive-rounds K] [--skip-naive]
The last line is machine-readable:
    batch: naive=<s> qipp=<s> floor=<s> reports=<n> per_report=<s> vs_naive=<x> vs_floor=<x>
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NOTEBOOKS = ("monthly_position", "under_delivery_drivers")
ORGS = ("ELR", "WL", "LC", "LLR")
MONTHS = (5, 6)
N_REPORTS = len(NOTEBOOKS) * len(ORGS) * len(MONTHS)


def run(cmd: list[str], **kw) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


# --- peak memory of a process tree -----------------------------------------------------------------------


def _peak_mb(pid: int) -> float | None:
    """The process's peak resident set (VmHWM) in MB, None once it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def timed(cmd: list[str]) -> tuple[float, dict[int, dict]]:
    """Run ``cmd``; (seconds, {pid: {"peak": MB, "role": ..., "parent": pid}}) for it and its descendants."""
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen: dict[int, dict] = {}
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            family = [root, *root.children(recursive=True)]
        except psutil.Error:
            family = []
        for p in family:
            peak = _peak_mb(p.pid)
            if peak is None:
                continue
            known = seen.get(p.pid)
            if known is None or known["role"] == "worker":  # a kernel is a forked worker until it execs
                try:
                    line = " ".join(p.cmdline())
                    parent = p.ppid()
                except psutil.Error:
                    continue
                role = "driver" if p.pid == proc.pid else ("kernel" if "ipykernel" in line else "worker")
                same = known is not None and known["role"] == role  # after exec, the forked copy's peak is not its
                seen[p.pid] = {"role": role, "parent": parent, "peak": known["peak"] if same else 0.0}
            seen[p.pid]["peak"] = max(seen[p.pid]["peak"], peak)
        time.sleep(0.1)
    took = time.perf_counter() - start
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, cmd)
    return took, seen


def memory_line(seen: dict[int, dict]) -> str:
    """Peak RSS of the driver and, per worker, of the worker and its kernel."""
    driver = [v["peak"] for v in seen.values() if v["role"] == "driver"]
    parts = [f"driver {max(driver):.0f} MB"] if driver else []
    for pid, v in sorted(seen.items()):
        if v["role"] != "worker" or v["peak"] < 60:  # not a worker: a helper process (resource tracker, shell)
            continue
        kernels = [k["peak"] for k in seen.values() if k["role"] == "kernel" and k["parent"] == pid]
        parts.append(f"worker {v['peak']:.0f} MB" + (f" + kernel {max(kernels):.0f} MB" if kernels else ""))
    return "; ".join(parts)


# --- the three columns -----------------------------------------------------------------------------------


def naive(data: Path, out: Path) -> float:
    out.mkdir(parents=True)
    start = time.perf_counter()
    for month in MONTHS:
        for name in NOTEBOOKS:
            for org in ORGS:
                stem = out / f"{name}_{org}_M{month}"
                run(
                    [
                        str(BIN / "papermill"),
                        str(ROOT / "notebooks" / f"{name}.ipynb"),
                        f"{stem}.ipynb",
                        "-p",
                        "fin_year",
                        "2019-20",
                        "-p",
                        "month",
                        str(month),
                        "-p",
                        "org",
                        org,
                        "-p",
                        "data_dir",
                        str(data),
                        "--cwd",
                        str(ROOT / "notebooks"),
                        "-k",
                        "python3",
                    ]
                )
                run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", f"{stem}.ipynb"])
                run([str(BIN / "weasyprint"), f"{stem}.html", f"{stem}.pdf"])
    return time.perf_counter() - start


def qipp_cmd(data: Path, out: Path, jobs: int) -> list[str]:
    return [
        str(BIN / "qipp"),
        "run",
        "--fin-year",
        "2019-20",
        "--month",
        ",".join(str(m) for m in MONTHS),
        "--notebook",
        ",".join(NOTEBOOKS),
        "--org",
        ",".join(ORGS),
        "--data-dir",
        str(data),
        "--out",
        str(out),
        "--notebooks-dir",
        str(ROOT / "notebooks"),
        "--jobs",
        str(jobs),
    ]


def floor_cmd(data: Path, out: Path, jobs: int) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--floor-run", str(data), str(out), "--jobs", str(jobs)]


def floor_run(data: Path, out: Path, jobs: int) -> None:
    """The floor (in a process of its own): plan the same reports, run them in-process in a pool of ``jobs``."""
    from inprocess import IN_PROCESS  # benchmarks/inprocess.py, beside this script

    from qipp_helpers.pack import plan as planning
    from qipp_helpers.pack.batch import held
    from qipp_helpers.pack.catalogue import WARM_UP
    from qipp_helpers.pack.runner import run_jobs
    from qipp_helpers.store import db

    snap, _ = db.snapshot(data)
    plan = planning.plan(
        fin_year="2019-20",
        months=list(MONTHS),
        orgs=list(ORGS),
        notebooks={n: ROOT / "notebooks" / f"{n}.ipynb" for n in NOTEBOOKS},
        data_dir=snap,
        out=out,
        held=held(snap),
    )
    results = run_jobs([r.job for r in plan.reports], workers=jobs, progress=False, warm_up=WARM_UP, engine=IN_PROCESS)
    bad = [f"{r.job.label}: {r.error}" for r in results if r.status != "ok"]
    if bad or len(results) != N_REPORTS:
        sys.exit(f"floor: {len(results)} reports, failed: {bad}")


def check_outputs(out: Path, *, pack: bool) -> None:
    """Every report's HTML, PDF and xlsx exist (and the pack PDFs, for qipp run)."""
    for month in MONTHS:
        folder = out / "2019-20" / f"M{month:02d}"
        for org in ORGS:
            for name in NOTEBOOKS:
                for ext in ("html", "pdf", "xlsx"):
                    if not (folder / org / f"{name}.{ext}").is_file():
                        sys.exit(f"missing {folder / org / f'{name}.{ext}'}")
        if pack and not list(folder.glob("QIPP_pack_*.pdf")):
            sys.exit(f"no pack PDF in {folder}")


# --- where one report's time goes ------------------------------------------------------------------------


def _median(fn, n: int, kernel=None) -> tuple[float, float]:
    """Median wall and CPU seconds of ``fn()`` over ``n`` calls (CPU of this process and of ``kernel``, a psutil
    Process, when the work is done there)."""
    walls, cpus = [], []
    for _ in range(n):
        k0 = sum(kernel.cpu_times()[:2]) if kernel else 0.0
        c, t = time.process_time(), time.perf_counter()
        fn()
        walls.append(time.perf_counter() - t)
        cpus.append(time.process_time() - c + (sum(kernel.cpu_times()[:2]) - k0 if kernel else 0.0))
    return statistics.median(walls), statistics.median(cpus)


def _s(step: tuple[float, float]) -> str:
    return f"{step[0]:.2f}s (CPU {step[1]:.2f}s)"


def breakdown(data: Path, tmp: Path, qipp_out: Path, repeats: int) -> None:
    """Time the parts of one report (LLR monthly position, M6) in this process, as a worker runs them."""
    import psutil
    from inprocess import execute_in_process  # benchmarks/inprocess.py, beside this script
    from jupyter_client.manager import KernelManager

    from qipp_helpers.pack import document
    from qipp_helpers.pack.catalogue import WARM_UP
    from qipp_helpers.pack.job import Job, run_notes
    from qipp_helpers.pack.kernels import _RESET, _run, warm_kernel
    from qipp_helpers.pack.render import KERNEL_ARGUMENTS, execute_notebook, html_to_pdf, notebook_to_html
    from qipp_helpers.pack.runner import warm_worker
    from qipp_helpers.pack.xlsx import write_tables_xlsx
    from qipp_helpers.report.publish import published_book
    from qipp_helpers.store import db

    snap, _ = db.snapshot(data)
    nbs = ROOT / "notebooks"
    nb = nbs / "monthly_position.ipynb"
    params = {"fin_year": "2019-20", "month": 6, "org": "LLR", "data_dir": str(snap)}
    out = tmp / "breakdown"
    out.mkdir()
    t = time.perf_counter()
    km = KernelManager(kernel_name="python3")
    km.start_kernel(extra_arguments=list(KERNEL_ARGUMENTS))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    start_kernel = time.perf_counter() - t
    t = time.perf_counter()
    _run(kc, WARM_UP)
    imports = time.perf_counter() - t
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    t = time.perf_counter()
    warm_worker(WARM_UP)
    warm_up = time.perf_counter() - t
    km, kc = warm_kernel("python3")
    kernel = psutil.Process(km.provisioner.process.pid)
    reset = _median(lambda: _run(kc, _RESET.format(cwd=str(nbs))), repeats, kernel)
    executed = out / "warm.ipynb"

    def warm_run(name: str = "monthly_position") -> None:
        execute_notebook(nbs / f"{name}.ipynb", executed, params, cwd=nbs, warm=True, warm_up=WARM_UP)

    warm_run("under_delivery_drivers")
    drivers = _median(lambda: warm_run("under_delivery_drivers"), repeats, kernel)
    warm_run()
    warm = _median(warm_run, repeats, kernel)
    html = notebook_to_html(executed, title="x")
    to_html = _median(lambda: notebook_to_html(executed, title="x"), repeats)
    html_to_pdf(html, out / "warm.pdf")
    pdf = _median(lambda: html_to_pdf(html, out / "warm.pdf", base_url=nbs), repeats)
    job = Job(nb, params, out, "warm", "LLR monthly_position M6")

    def xlsx() -> None:
        book, meta = published_book(executed)
        notes = [*run_notes(job, str(meta.get("title")), str(meta.get("period")), ""), *book.notes]
        write_tables_xlsx(out / "warm.xlsx", book.tables, notes=notes, headline=book.headline, title="x")

    to_xlsx = _median(xlsx, repeats)
    folder = qipp_out / "2019-20" / "M06"
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.pop("pack", None)
    pack = _median(lambda: document.publish_month(folder, manifest, data_dir=snap), repeats)
    # last: the floor's shell lives in this process from now on
    execute_in_process(nb, params, cwd=nbs, warm_up=WARM_UP)
    inproc = _median(lambda: execute_in_process(nb, params, cwd=nbs, warm_up=WARM_UP), repeats)
    print(
        f"where one report's time goes (LLR monthly position M6, median of {repeats}, in one warm worker):\n"
        f"  once per worker: start a kernel {start_kernel:.2f}s, its warm-up imports {imports:.2f}s; the worker's"
        f" whole warm-up (kernel, imports, renderers) {warm_up:.2f}s\n"
        f"  reset between reports {_s(reset)}\n"
        f"  execute in the warm kernel (papermill, with the reset) {_s(warm)}; in process (the floor's way)"
        f" {_s(inproc)}; [under-delivery drivers, LLR M6, in the warm kernel: {_s(drivers)}]\n"
        f"  HTML {_s(to_html)}; PDF {_s(pdf)}; xlsx {_s(to_xlsx)}\n"
        f"  once per month: the pack PDF and front page ({len(manifest['reports'])} reports merged) {_s(pack)}",
        flush=True,
    )


# --- main ----------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--rounds", type=int, default=3, help="rounds of qipp and floor (default 3)")
    ap.add_argument("--naive-rounds", type=int, default=None, help="rounds that include the naive loop (default all)")
    ap.add_argument("--skip-naive", action="store_true")
    ap.add_argument("--repeats", type=int, default=3, help="repeats of each step of the breakdown")
    ap.add_argument("--breakdown-only", action="store_true", help="one qipp run (for the pack), then the breakdown")
    ap.add_argument("--floor-run", nargs=2, metavar=("DATA", "OUT"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.floor_run:
        floor_run(Path(args.floor_run[0]), Path(args.floor_run[1]), args.jobs)
        return
    if args.breakdown_only:
        args.rounds, args.skip_naive = 1, True
    naive_rounds = 0 if args.skip_naive else (args.rounds if args.naive_rounds is None else args.naive_rounds)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        shutil.copytree(ROOT / "data" / "raw", data / "raw")
        run([str(BIN / "qipp"), "ingest-raw", "--data-dir", str(data)])
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"{N_REPORTS} reports, {os.cpu_count()} CPUs, --jobs {args.jobs}, load average {load}", flush=True)
        times: dict[str, list[float]] = {"naive": [], "qipp": [], "floor": []}
        memory: dict[str, str] = {}
        last_qipp = None
        for r in range(args.rounds):
            order = ["qipp", "floor", "naive"] if r < naive_rounds else ["qipp", "floor"]
            order = ["qipp"] if args.breakdown_only else order
            order = order[r % len(order) :] + order[: r % len(order)]
            for col in order:
                out = tmp / f"{col}{r}"
                if col == "naive":
                    took = naive(data, out)
                else:
                    cmd = qipp_cmd(data, out, args.jobs) if col == "qipp" else floor_cmd(data, out, args.jobs)
                    took, seen = timed(cmd)
                    check_outputs(out, pack=col == "qipp")
                    memory[col] = memory_line(seen)
                    if col == "qipp":
                        if last_qipp is not None:
                            shutil.rmtree(last_qipp)
                        last_qipp = out
                    else:
                        shutil.rmtree(out)
                times[col].append(took)
            line = "  ".join(f"{c} {times[c][-1]:6.1f}s" for c in ("naive", "qipp", "floor") if len(times[c]) > r)
            print(f"round {r + 1}: {line}   (load average {os.getloadavg()[0]:.2f})", flush=True)
        med = {c: statistics.median(v) if v else float("nan") for c, v in times.items()}
        print(f"peak RSS, qipp run: {memory.get('qipp', '?')}")
        print(f"peak RSS, floor:    {memory.get('floor', '?')}")
        print(f"median of {args.rounds} rounds ({naive_rounds} with the naive loop):")
        for col, what in (
            ("naive", "papermill + nbconvert + WeasyPrint CLIs; html+pdf"),
            ("qipp", "html+pdf+xlsx, manifest, pack PDF, front page"),
            ("floor", "in-process execution; html+pdf+xlsx"),
        ):
            print(f"  {col:5s} {med[col]:6.1f}s  {med[col] / N_REPORTS:.2f}s per report  ({what})")
        vs_naive, vs_floor = med["naive"] / med["qipp"], med["qipp"] / med["floor"]
        print(f"  qipp run is {vs_naive:.1f}x faster than the naive loop and {vs_floor:.2f}x the floor", flush=True)
        if last_qipp is not None:
            breakdown(data, tmp, last_qipp, args.repeats)
        print(
            f"batch: naive={med['naive']:.1f} qipp={med['qipp']:.1f} floor={med['floor']:.1f} reports={N_REPORTS} "
            f"per_report={med['qipp'] / N_REPORTS:.2f} vs_naive={vs_naive:.1f} vs_floor={vs_floor:.2f}"
        )


if __name__ == "__main__":
    main()
