"""Benchmark: the 16-report month-end pack, the naive way and with `qipp run`, in one run.

The pack: monthly position and under-delivery drivers for ELR, WL, LC and LLR at M5 and M6
2019/20 (2 notebooks x 4 organisations x 2 months = 16 reports) from the embedded demo data.

Naive: the loop a user would write: per report, sequentially, the papermill CLI, then
`jupyter nbconvert --to html --no-input`, then WeasyPrint's CLI (no xlsx).
qipp run: one driver process, a process pool (one warm kernel per worker), HTML in process,
PDF with WeasyPrint's API, plus the xlsx, index page and manifest.

Also prints where the time of one report goes (cold kernel vs warm kernel, HTML, PDF).
    .venv/bin/python benchmarks/batch.py [--jobs N] [--skip-naive]
"""

from __future__ import annotations

import argparse
import os
import shutil
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


def run(cmd: list[str], **kw) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)


def naive(data: Path, out: Path) -> float:
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


def qipp(data: Path, out: Path, jobs: int) -> float:
    start = time.perf_counter()
    run(
        [
            str(BIN / "qipp"),
            "run",
            "--fin-year",
            "2019-20",
            "--month",
            "5-6",
            "--notebook",
            ",".join(NOTEBOOKS),
            "--org",
            "all",
            "--data-dir",
            str(data),
            "--out",
            str(out),
            "--notebooks-dir",
            str(ROOT / "notebooks"),
            "--jobs",
            str(jobs),
        ]
    )
    return time.perf_counter() - start


def breakdown(data: Path, out: Path) -> None:
    """Time the parts of one report (LLR monthly position) in this process."""
    from qipp_helpers.pack.catalogue import WARM_UP
    from qipp_helpers.pack.render import execute_notebook, html_to_pdf, notebook_to_html
    from qipp_helpers.pack.runner import warm_worker

    nb = ROOT / "notebooks" / "monthly_position.ipynb"
    params = {"fin_year": "2019-20", "month": 6, "org": "LLR", "data_dir": str(data)}
    t = time.perf_counter()
    execute_notebook(nb, out / "cold.ipynb", params, cwd=nb.parent)
    cold = time.perf_counter() - t
    t = time.perf_counter()
    warm_worker(WARM_UP)
    warm_up = time.perf_counter() - t
    t = time.perf_counter()
    execute_notebook(nb, out / "warm.ipynb", params, cwd=nb.parent, warm=True, warm_up=WARM_UP)
    warm = time.perf_counter() - t
    t = time.perf_counter()
    html = notebook_to_html(out / "warm.ipynb", title="x")
    to_html = time.perf_counter() - t
    t = time.perf_counter()
    html_to_pdf(html, out / "warm.pdf")
    pdf = time.perf_counter() - t
    print(
        f"one report (LLR monthly position): execute with a new kernel {cold:.2f}s; in a warm kernel {warm:.2f}s "
        f"(worker warm-up, paid once per worker: {warm_up:.2f}s); HTML {to_html:.2f}s; PDF {pdf:.2f}s"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--skip-naive", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        data = tmp / "data"
        shutil.copytree(ROOT / "data" / "raw", data / "raw")
        run([str(BIN / "qipp"), "ingest-raw", "--data-dir", str(data)])
        n = len(NOTEBOOKS) * len(ORGS) * len(MONTHS)
        print(f"{n} reports, {os.cpu_count()} CPUs, qipp run --jobs {args.jobs}", flush=True)
        breakdown(data, tmp)
        fast = qipp(data, tmp / "qipp", args.jobs)
        print(f"qipp run:   {fast:6.1f}s  ({fast / n:.2f}s per report, amortised; html+pdf+xlsx+index)", flush=True)
        if not args.skip_naive:
            (tmp / "naive").mkdir()
            slow = naive(data, tmp / "naive")
            print(f"naive loop: {slow:6.1f}s  ({slow / n:.2f}s per report; html+pdf only)")
            print(f"ratio: qipp run is {slow / fast:.1f}x faster than the naive loop")


if __name__ == "__main__":
    main()
