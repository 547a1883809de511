"""A papermill engine that keeps one warm Jupyter kernel per process.

Starting a kernel and importing pandas, matplotlib and the report code costs 3-4 s per
report, more than executing the notebook itself. In a batch, each worker process starts
one kernel, warms it (imports), and reuses it for every notebook it runs: before each
notebook the user namespace is reset (``%reset -f``), figures are closed and the working
directory is set, so a notebook sees a fresh namespace as it would in its own kernel. After the
warm-up the kernel runs :data:`kernel_setup.KERNEL_SETUP` (one draw per figure; ``gc.freeze``). A
kernel that died is replaced. Kernels run without IPython's history database
(:data:`kernel_setup.KERNEL_ARGUMENTS`): parallel kernels sharing it print collision errors into
reports. When a batch ends in a process that lives on (a batch run from Python, a notebook, the tests), its
thread's kernel is parked, its namespace cleared, and the process's next batch takes it up if it would start
the same kernel (same kernel name, arguments, warm-up code and environment) rather than pay ~2 s of CPU
for another: a process keeps at most :data:`IDLE_LIMIT` parked kernels, and stops them at exit. Nothing
here knows about finance.

Use it through papermill: ``papermill.execute_notebook(..., engine_name=ENGINE)``.
"""

from __future__ import annotations

import atexit
import os
import threading
from typing import Any

from papermill.clientwrap import PapermillNotebookClient
from papermill.engines import NBClientEngine, papermill_engines
from papermill.utils import merge_kwargs, remove_args

from .kernel_setup import KERNEL_ARGUMENTS, KERNEL_SETUP

ENGINE = "qipp_warm"

#: The namespace emptied and the figures closed: as a kernel is parked, and (with :data:`_RESET`) before each report.
_CLEAR = "%reset -f\nimport matplotlib.pyplot as _plt\n_plt.close('all'); del _plt\n"
_RESET = _CLEAR + "import os as _os\n_os.chdir({cwd!r}); del _os\nget_ipython().execution_count = 1\n"

#: (kernel name, thread) -> (manager, client, what it was started with: :func:`_started_with`): one kernel per
#: worker thread of this process.
_kernels: dict[tuple[str, int], tuple[Any, Any, tuple]] = {}
#: Parked kernels (no thread holds them), oldest first, as :data:`_kernels` holds them.
_idle: list[tuple[Any, Any, tuple]] = []
#: How many parked kernels a process keeps (each holds ~150 MB); beyond it the oldest stops.
IDLE_LIMIT = 1


def _stop(km: Any, kc: Any) -> None:
    try:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    except Exception:  # best effort: the kernel may be gone already
        pass


def shutdown_kernels(thread: int | None = None) -> None:
    """Stop this process's kernels (only ``thread``'s, when given; all, parked ones too, when not); also at exit,
    and as a pool worker ends."""
    for key in [k for k in _kernels if thread is None or k[1] == thread]:
        _stop(*_kernels.pop(key)[:2])
    if thread is None:
        while _idle:
            _stop(*_idle.pop()[:2])


def park_kernels(thread: int) -> None:
    """Release ``thread``'s kernels as its batch ends in a process that lives on: each is cleared (``%reset``,
    figures closed) and parked for this process's next batch, the oldest parked kernel stopping beyond
    :data:`IDLE_LIMIT`; a kernel that died or cannot be cleared stops."""
    for key in [k for k in _kernels if k[1] == thread]:
        km, kc, _ = held = _kernels.pop(key)
        try:
            if not km.is_alive():
                raise RuntimeError("kernel gone")
            _run(kc, _CLEAR)
        except Exception:
            _stop(km, kc)
            continue
        _idle.append(held)
        while len(_idle) > IDLE_LIMIT:
            _stop(*_idle.pop(0)[:2])


def _take_parked(made_with: tuple) -> tuple[Any, Any] | None:
    """A live parked kernel started as ``made_with`` would be (taken out of the parked ones), or None."""
    for i, (km, kc, with_) in enumerate(_idle):
        if with_ == made_with:
            del _idle[i]
            if km.is_alive():
                return km, kc
            _stop(km, kc)
            return None
    return None


#: Environment variables left out when a parked kernel is matched to a batch: pytest rewrites
#: ``PYTEST_CURRENT_TEST`` at every phase of every test and no notebook reads it, so with it compared a test
#: session's parked kernel could never serve the next test (each test started its own, ~2 s of CPU).
NOT_COMPARED = frozenset({"PYTEST_CURRENT_TEST"})


def _started_with(kernel_name: str, extra: list[str], warm_up: str) -> tuple:
    """What decides how a kernel starts and what it holds: a parked kernel serves a batch that would start the
    same one (an environment variable set since, say, is seen only by a kernel started after it)."""
    env = tuple(sorted((k, v) for k, v in os.environ.items() if k not in NOT_COMPARED))
    return kernel_name, tuple(extra), warm_up, env


def _forget_in_child() -> None:
    """A forked process (a pool's worker) owns none of its parent's kernels: it neither uses nor stops them."""
    _kernels.clear()
    _idle.clear()


atexit.register(shutdown_kernels)
os.register_at_fork(after_in_child=_forget_in_child)


def _run(kc: Any, code: str, timeout: float = 120) -> None:
    """Run ``code`` in the kernel and raise if it errors (used for reset and warm-up only)."""
    reply = kc.execute_interactive(code, timeout=timeout, store_history=False, output_hook=lambda _msg: None)
    if reply["content"].get("status") != "ok":
        raise RuntimeError(
            f"kernel set-up code failed: {reply['content'].get('ename')}: {reply['content'].get('evalue')}"
        )


def warm_kernel(
    kernel_name: str = "python3", *, warm_up: str = "", extra_arguments: list[str] | None = None
) -> tuple[Any, Any]:
    """This process's kernel for ``kernel_name`` (started and warmed with ``warm_up`` code on first use)."""
    from jupyter_client.manager import KernelManager

    key = (kernel_name, threading.get_ident())
    if key in _kernels:
        km, kc, _ = _kernels[key]
        if km.is_alive():
            return km, kc
        kc.stop_channels()
        del _kernels[key]
    extra = [*KERNEL_ARGUMENTS, *(a for a in extra_arguments or [] if a not in KERNEL_ARGUMENTS)]
    made_with = _started_with(kernel_name, extra, warm_up)
    parked = _take_parked(made_with)
    if parked is None:
        km = KernelManager(kernel_name=kernel_name)
        km.start_kernel(extra_arguments=extra)
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        if warm_up:
            _run(kc, warm_up)
        _run(kc, KERNEL_SETUP)
        parked = km, kc
    _kernels[key] = (*parked, made_with)
    return parked


class WarmKernelEngine(NBClientEngine):
    """papermill engine: execute in this process's warm kernel, after resetting its namespace."""

    @classmethod
    def execute_managed_notebook(
        cls,
        nb_man: Any,
        kernel_name: str,
        log_output: bool = False,
        stdout_file: Any = None,
        stderr_file: Any = None,
        start_timeout: int = 60,
        execution_timeout: int | None = None,
        **kwargs: Any,
    ) -> Any:
        kwargs = remove_args(["input_path"], **kwargs)
        cwd = kwargs.pop("kernel_cwd", None) or os.getcwd()
        extra = kwargs.pop("extra_arguments", None)
        warm_up = kwargs.pop("warm_up", "")
        safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
        km, kc = warm_kernel(kernel_name, warm_up=warm_up, extra_arguments=extra)
        _run(kc, _RESET.format(cwd=str(cwd)))
        final = merge_kwargs(
            safe_kwargs,
            timeout=execution_timeout or kwargs.get("timeout"),
            startup_timeout=start_timeout,
            kernel_name=kernel_name,
            log_output=log_output,
            stdout_file=stdout_file,
            stderr_file=stderr_file,
        )
        client = PapermillNotebookClient(nb_man, km=km, **final)
        client.kc = kc
        return client.execute(cleanup_kc=False)


papermill_engines.register(ENGINE, WarmKernelEngine)
