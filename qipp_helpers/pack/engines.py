"""How a worker executes a report's notebook: the :class:`Engine` a batch runs with, after papermill's engines.

An engine makes a worker ready once (:meth:`Engine.warm`: a kernel started, the libraries imported), executes
each job's notebook into its executed .ipynb (:meth:`Engine.execute`), and stops what it started in a thread
of this process (:meth:`Engine.stop`). The product has one engine, :class:`KernelEngine` (:data:`KERNEL`):
papermill in this worker's warm Jupyter kernel (:mod:`kernels`), or in a kernel of its own per report.

:func:`runner.run_jobs` takes the engine as an object, so another can be supplied from outside the product
(the benchmark's in-process floor: ``benchmarks/inprocess.py``). Engines reach the pool's worker processes
by pickling: an engine is an instance of a class defined at module level in an importable module, holding
no state but its settings. Nothing here knows about finance.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.util
import threading
from pathlib import Path
from typing import ClassVar

from .job import Job

__all__ = ["KERNEL", "Engine", "KernelEngine"]

_LOG_QUIET = ["--IPKernelApp.log_level=CRITICAL"]


class Engine:
    """How notebooks are executed in a worker. Subclass it and override :meth:`execute` (and :meth:`warm`,
    :meth:`stop` when the engine keeps something running between jobs)."""

    #: what the engine is called in messages
    name: ClassVar[str] = "engine"
    #: whether it runs only in warm local workers (the pool's initializer warms it): not on Dask, not cold
    warm_local_only: ClassVar[bool] = False

    def warm(self, warm_up: str) -> None:
        """Make this worker ready before its first job, running ``warm_up`` code (imports) where notebooks run."""

    def execute(self, job: Job, executed: Path, *, warm_up: str | None) -> None:
        """Run ``job``'s notebook with its parameters, in its own folder, and write the executed notebook to
        ``executed``. ``warm_up=None``: this worker was not warmed. A failing cell raises, and leaves the
        executed notebook, with its error cell, at ``executed``."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop what :meth:`warm` started in this thread (a thread of a process that lives on)."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


_stop_at_worker_exit = False


class KernelEngine(Engine):
    """papermill in a Jupyter kernel: this worker's warm kernel (:mod:`kernels`), or one started for the report
    when the worker was not warmed."""

    name = "kernel"

    def warm(self, warm_up: str) -> None:
        """Start this thread's kernel and run ``warm_up`` in it; a pool's worker process stops its kernels as it
        ends."""
        from .kernels import shutdown_kernels, warm_kernel

        global _stop_at_worker_exit
        warm_kernel("python3", warm_up=warm_up, extra_arguments=_LOG_QUIET)
        if not _stop_at_worker_exit and multiprocessing.parent_process() is not None:
            _stop_at_worker_exit = True
            # a pool's worker process ends without running atexit: stop its kernel as it ends
            multiprocessing.util.Finalize(None, shutdown_kernels, exitpriority=10)

    def execute(self, job: Job, executed: Path, *, warm_up: str | None) -> None:
        """Run the notebook with papermill (in the warm kernel unless ``warm_up`` is None)."""
        from .render import execute_notebook

        execute_notebook(
            job.notebook,
            executed,
            job.parameters,
            cwd=job.notebook.parent,
            warm=warm_up is not None,
            warm_up=warm_up or "",
        )

    def stop(self) -> None:
        """Release this thread's kernel: parked, warm, for this process's next batch (:func:`kernels.park_kernels`)."""
        from .kernels import park_kernels

        park_kernels(threading.get_ident())


#: The product's engine.
KERNEL = KernelEngine()
