"""The batch runner: execute parameterised notebooks and render what they publish.

It knows nothing about finance. A :class:`Job` names a notebook, its parameters and where
its outputs go; :func:`run_jobs` executes jobs with an engine (:mod:`engines`: papermill's Python
API in warm kernels) in a process pool (or on a Dask cluster), then writes each format asked
for with its writer (:mod:`writers`: HTML and PDF via :mod:`render`, an .xlsx of the tables the
notebook published). A failing job leaves its executed .ipynb (with the error cell) and does not
stop the others.

Speed: each worker process keeps one warm kernel (:mod:`kernels`) and one HTML exporter, so
kernel start-up and imports are paid once per worker, not once per report.
"""

from __future__ import annotations

import contextlib
import gc
import os
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor, as_completed, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from tqdm.auto import tqdm

from .engines import KERNEL, Engine
from .job import Job

T = TypeVar("T")


@dataclass
class JobResult:
    """What became of a job."""

    job: Job
    status: str  # "ok" | "failed"
    seconds: float
    outputs: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    pages: int = 0  # of its PDF, so the pack need not open it to count them
    banner: list[str] = field(default_factory=list)  # the banner lines the notebook published


def _one_line(exc: BaseException) -> str:
    ename = getattr(exc, "ename", type(exc).__name__)
    evalue = getattr(exc, "evalue", str(exc))
    return f"{ename}: {str(evalue).strip().splitlines()[-1] if str(evalue).strip() else ''}"


EXECUTORS = ("local", "dask")


_warm_renderers = False


def warm_worker(warm_up: str = "", engine: Engine = KERNEL) -> None:
    """Make this worker ready with ``engine`` (its kernel started, or the engine's own) and, once per process, load
    the renderers and freeze the collector, before the first job (the pool's initializer; every Dask job calls it,
    at no cost after the first)."""
    global _warm_renderers
    engine.warm(warm_up)
    if _warm_renderers:
        return
    _warm_renderers = True
    _load_renderers()


def _load_renderers() -> None:
    """Load the HTML exporter and WeasyPrint, then move what is loaded out of the collector's way."""
    import logging

    from .render import _exporter, _quiet_weasyprint

    logging.getLogger("traitlets").setLevel(logging.ERROR)
    _exporter()
    with _quiet_weasyprint():
        import weasyprint  # noqa: F401  (its import costs ~1 s; pay it before the clock of the first report)
    # what is loaded now lives as long as the worker: out of the collector's way (a PDF makes ~100k objects, and
    # every full collection would otherwise walk the libraries' and the renderers' objects too)
    gc.collect()
    gc.freeze()


def run_job(
    job: Job,
    formats: tuple[str, ...] | None = None,
    *,
    warm_up: str | None = None,
    marking: str = "",
    engine: Engine = KERNEL,
) -> JobResult:
    """Execute one notebook and write it in ``formats`` (None: every writer's); never raises for a notebook error.

    ``warm_up`` (code, may be empty) runs the notebook in this process's reusable kernel;
    None starts a kernel for this notebook alone. ``marking`` heads every rendered page.
    ``engine`` executes the notebook (:mod:`engines`: the kernel engine unless another is given).
    """
    if warm_up is not None:  # a Dask worker has no initializer: it warms on its first job
        warm_worker(warm_up, engine)
    start = time.perf_counter()
    job.out_dir.mkdir(parents=True, exist_ok=True)
    executed = job.out_dir / f"{job.stem}.ipynb"
    try:
        engine.execute(job, executed, warm_up=warm_up)
        outputs, pages, banner = _write_formats(job, executed, formats, marking)
    except Exception as exc:  # one report's failure must not stop the batch
        return _failed(job, executed, formats, time.perf_counter() - start, exc)
    return JobResult(job, "ok", time.perf_counter() - start, outputs, pages=pages, banner=banner)


def _write_formats(
    job: Job, executed: Path, formats: tuple[str, ...] | None, marking: str
) -> tuple[dict[str, str], int, list[str]]:
    """Write the executed notebook in each format asked for: (each file by format, the executed .ipynb first; the
    merged format's pages; the banner lines the notebook published)."""
    from ..report.publish import published_book
    from . import writers

    outputs = {"ipynb": str(executed)}
    pages = 0
    book, meta = published_book(executed)
    report = writers.Executed(job, executed, book, meta, marking)
    banner = report.banner
    for writer in writers.selected(formats):
        path = writer.path(job.out_dir, job.stem)
        got = writer.write(report, path)
        if got is None:  # nothing in this format (a workbook of a report without tables)
            continue
        outputs[writer.name] = str(path)
        if writer.merged:
            pages = got
    return outputs, pages, banner


def _failed(job: Job, executed: Path, formats: tuple[str, ...] | None, seconds: float, exc: BaseException) -> JobResult:
    """A failed job's result: its files of every format removed, the executed notebook kept to diagnose."""
    from . import writers

    # nothing half made or left from before looks like this run's report
    discard_outputs(job, writers.names() if formats is None else formats)
    outputs = {"ipynb": str(executed)} if executed.exists() else {}
    return JobResult(job, "failed", seconds, outputs, _one_line(exc))


def discard_outputs(job: Job, formats: tuple[str, ...] | set[str] | list[str]) -> list[Path]:
    """Remove a failed report's file of every format (this run's, or an earlier run's that its manifest entry no
    longer lists): no file is left that looks current but is not. The executed notebook is kept, to diagnose."""
    from . import writers

    removed = []
    for writer in writers.selected():
        path = writer.path(job.out_dir, job.stem)
        if (writer.name in formats or path.exists()) and path.is_file() and not path.is_symlink():
            with contextlib.suppress(OSError):
                path.unlink()
                removed.append(path)
    return removed


def default_workers() -> int:
    """Worker processes: one per CPU."""
    return max(1, os.cpu_count() or 1)


class Workers:
    """Where a batch's jobs run: local processes (or this process), or a Dask cluster. A context manager.

    ``workers`` local processes, each warmed by :func:`warm_worker` (one warm kernel, the renderers loaded);
    1 = a thread of this process. ``executor="dask"``: the workers of the Dask scheduler at ``scheduler``
    (``tcp://host:port``), which warm on their first job; outputs go to the paths in the jobs, so the
    workers must share the filesystem. ``warm_up=None`` starts a fresh kernel per report (the slow way).
    The pool starts with the first :meth:`run` and is kept for later calls (:meth:`map`), so work that
    follows the reports (each month's pack) runs in the warm processes, side by side.
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        warm_up: str | None = "",
        executor: str = "local",
        scheduler: str | None = None,
        engine: Engine = KERNEL,
    ) -> None:
        if executor not in EXECUTORS:
            raise ValueError(f"executor must be one of {', '.join(EXECUTORS)}, got {executor!r}")
        if not isinstance(engine, Engine):
            raise ValueError(f"engine must be an Engine (qipp_helpers.pack.engines), got {engine!r}")
        if engine.warm_local_only and (executor != "local" or warm_up is None):
            raise ValueError(f"the {engine.name} engine runs only in warm local workers (local executor, warm)")
        if executor == "dask" and not scheduler:
            raise ValueError("the dask executor needs --scheduler tcp://HOST:PORT")
        self.workers, self.warm_up, self.executor, self.scheduler, self.engine = (
            workers,
            warm_up,
            executor,
            scheduler,
            engine,
        )
        self._pool: Executor | None = None
        self._client: Any = None
        self._n = 0

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            if isinstance(self._pool, ThreadPoolExecutor):  # this process lives on: park the thread's kernel
                self._pool.submit(self.engine.stop).result()
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None

    @property
    def started(self) -> bool:
        """Whether processes (or a Dask client) are up: :meth:`map` then runs there, else in this process."""
        return self._pool is not None or self._client is not None

    def _start(self, n_jobs: int) -> int:
        """Start the pool for ``n_jobs`` (no more workers than jobs); the number of local workers (0 for Dask)."""
        if self.executor == "dask":
            if self._client is None:
                try:
                    from distributed import Client
                except ImportError as exc:  # optional extra
                    raise RuntimeError(
                        "the dask executor needs the optional extra: pip install 'qipp-workbooks[dask]'"
                    ) from exc
                self._client = Client(self.scheduler)
            return 0
        n = min(self.workers or default_workers(), max(1, n_jobs))
        if self._pool is None:
            init: dict[str, Any] = (
                {"initializer": warm_worker, "initargs": (self.warm_up, self.engine)}
                if self.warm_up is not None
                else {}
            )
            # one worker: a thread of this process (its kernel is that thread's); more: processes
            self._pool = ThreadPoolExecutor(1, **init) if n == 1 else ProcessPoolExecutor(n, **init)
            self._n = n
        return self._n

    def run(
        self,
        jobs: Iterable[Job],
        *,
        formats: tuple[str, ...] | None = None,
        progress: bool = True,
        marking: str = "",
        on_result: Callable[[JobResult], None] | None = None,
        on_start: Callable[[int], None] | None = None,
    ) -> list[JobResult]:
        """Run jobs, results in job order, with a progress bar; ``on_start`` gets the number of local workers
        (0 for Dask) before any starts, ``on_result`` each result as its job finishes."""
        jobs = list(jobs)
        if not jobs:
            return []
        n = self._start(len(jobs))
        if on_start is not None:
            on_start(n)
        bar = tqdm(total=len(jobs), desc="Rendering reports", unit="report", disable=not progress, **_bar_shape())
        results: dict[int, JobResult] = {}
        try:
            kw: dict[str, Any] = {"warm_up": self.warm_up, "marking": marking, "engine": self.engine}
            if self._client is not None:
                from distributed import as_completed as dask_completed

                futures = [
                    self._client.submit(
                        run_job, job, formats, **kw, pure=False, key=f"qipp-{i}-{job.stem}-{abs(hash(job.out_dir))}"
                    )
                    for i, job in enumerate(jobs)
                ]
                index = {f.key: i for i, f in enumerate(futures)}
                finished = ((index[f.key], f) for f in dask_completed(futures))
            else:
                assert self._pool is not None
                local = {self._pool.submit(run_job, job, formats, **kw): i for i, job in enumerate(jobs)}
                finished = ((local[f], f) for f in as_completed(local))
            for i, fut in finished:
                results[i] = fut.result()
                bar.update()
                if on_result is not None:
                    on_result(results[i])
        finally:
            bar.close()
        return [results[i] for i in range(len(jobs))]

    def map(self, fn: Callable[..., T], calls: Iterable[tuple]) -> list[T]:
        """``[fn(*args) for args in calls]``, side by side in the local workers when they are up (in this process
        otherwise, and with Dask); the first exception is raised after every call has finished. A single call goes
        to a worker too: its renderers are loaded (this process would import WeasyPrint first, ~1 s)."""
        calls = list(calls)
        if self._pool is None or not calls:
            return [fn(*args) for args in calls]
        futures = [self._pool.submit(fn, *args) for args in calls]
        wait(futures)
        return [f.result() for f in futures]


def _bar_shape() -> dict[str, int]:
    """The progress bar's size: the terminal's (tqdm finds it), or 80 x 24 where the terminal reports none (a
    pseudo-terminal without a size, as under `script` or some CI runners), where tqdm would draw nothing."""
    try:
        size = os.get_terminal_size(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):
        return {"ncols": 80, "nrows": 24}
    return {} if size.columns > 0 and size.lines > 0 else {"ncols": 80, "nrows": 24}


def run_jobs(
    jobs: Iterable[Job],
    *,
    formats: tuple[str, ...] | None = None,
    workers: int | None = None,
    progress: bool = True,
    warm_up: str | None = "",
    marking: str = "",
    executor: str = "local",
    scheduler: str | None = None,
    on_result: Callable[[JobResult], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    engine: Engine = KERNEL,
) -> list[JobResult]:
    """Run jobs in :class:`Workers` started for them (and stopped after), results in job order, with a progress bar.

    ``executor="local"``: ``workers`` processes (1 = in this process), each with a warm kernel.
    ``executor="dask"``: submit the same :func:`run_job` calls to the Dask scheduler at
    ``scheduler`` (``tcp://host:port``); outputs go to the paths in the jobs, so workers must
    share the filesystem. ``warm_up=None`` starts a fresh kernel per report (the slow way).
    ``on_start`` is called with the number of local workers (0 for Dask) before any starts;
    ``on_result`` is called as each job finishes. ``engine`` executes each notebook (:mod:`engines`: the
    kernel engine unless another is given, as the benchmark gives its in-process floor).
    """
    with Workers(workers, warm_up=warm_up, executor=executor, scheduler=scheduler, engine=engine) as pool:
        return pool.run(
            jobs, formats=formats, progress=progress, marking=marking, on_result=on_result, on_start=on_start
        )
