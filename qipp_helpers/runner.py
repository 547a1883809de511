"""The batch runner: execute parameterised notebooks and render what they publish.

It knows nothing about finance. A :class:`Job` names a notebook, its parameters and where
its outputs go; :func:`run_jobs` executes jobs with papermill's Python API in a process
pool, then writes HTML and PDF (via :mod:`render`) and an .xlsx of the tables the notebook
published (via :mod:`publish`). A failing job leaves its executed .ipynb (with the error
cell) and does not stop the others.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

FORMATS = ("html", "pdf", "xlsx")


@dataclass(frozen=True)
class Job:
    """One report to render: ``notebook`` run with ``parameters`` into ``out_dir/stem.*``."""

    notebook: Path
    parameters: dict
    out_dir: Path
    stem: str
    label: str


@dataclass
class JobResult:
    """What became of a job."""

    job: Job
    status: str  # "ok" | "failed"
    seconds: float
    outputs: dict[str, str] = field(default_factory=dict)
    error: str | None = None


def _one_line(exc: BaseException) -> str:
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    return f"{ename}: {str(evalue).strip().splitlines()[-1] if str(evalue).strip() else ''}"


def run_job(job: Job, formats: tuple[str, ...] = FORMATS) -> JobResult:
    """Execute one notebook and render its outputs; never raises for a notebook error."""
    from .publish import published
    from .render import execute_notebook, render_report
    from .writers import write_tables_xlsx

    start = time.perf_counter()
    job.out_dir.mkdir(parents=True, exist_ok=True)
    executed = job.out_dir / f"{job.stem}.ipynb"
    outputs: dict[str, str] = {}
    try:
        execute_notebook(job.notebook, executed, job.parameters, cwd=job.notebook.parent)
        outputs["ipynb"] = str(executed)
        tables, meta = published(executed)
        if "xlsx" in formats and tables:
            xlsx = job.out_dir / f"{job.stem}.xlsx"
            notes = {"report": str(meta.get("title", job.label)), "period": str(meta.get("period", ""))}
            notes.update({f"banner {i + 1}": str(line) for i, line in enumerate(meta.get("banner", []))})
            write_tables_xlsx(xlsx, tables, notes=notes, number_formats=meta.get("number_formats"))
            outputs["xlsx"] = str(xlsx)
        wanted = {f for f in formats if f in ("html", "pdf")}
        if wanted:
            written = render_report(executed, job.out_dir, job.stem, formats=wanted,
                                    title=str(meta.get("title", job.label)),
                                    header_lines=[str(x) for x in meta.get("banner", [])])
            outputs.update({k: str(v) for k, v in written.items()})
    except Exception as exc:  # one report's failure must not stop the batch
        if executed.exists():
            outputs["ipynb"] = str(executed)
        return JobResult(job, "failed", time.perf_counter() - start, outputs, _one_line(exc))
    return JobResult(job, "ok", time.perf_counter() - start, outputs)


def default_workers() -> int:
    """Worker processes: one per CPU."""
    return max(1, os.cpu_count() or 1)


def run_jobs(jobs: Iterable[Job], *, formats: tuple[str, ...] = FORMATS, workers: int | None = None,
             progress: bool = True) -> list[JobResult]:
    """Run jobs, ``workers`` at a time (1 = in this process), with a progress bar; results in job order."""
    jobs = list(jobs)
    workers = min(workers or default_workers(), max(1, len(jobs)))
    bar = tqdm(total=len(jobs), desc="Rendering reports", unit="report", disable=not progress)
    results: dict[int, JobResult] = {}
    try:
        if workers == 1:
            for i, job in enumerate(jobs):
                results[i] = run_job(job, formats)
                bar.update()
        else:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                futures = {pool.submit(run_job, job, formats): i for i, job in enumerate(jobs)}
                for fut in as_completed(futures):
                    results[futures[fut]] = fut.result()
                    bar.update()
    finally:
        bar.close()
    return [results[i] for i in range(len(jobs))]
