"""A papermill engine that keeps one warm Jupyter kernel per process.

Starting a kernel and importing pandas, matplotlib and the report code costs 3-4 s per
report, more than executing the notebook itself. In a batch, each worker process starts
one kernel, warms it (imports), and reuses it for every notebook it runs: before each
notebook the user namespace is reset (``%reset -f``), figures are closed and the working
directory is set, so a notebook sees a fresh namespace as it would in its own kernel. After the
warm-up the kernel runs :data:`kernel_setup.KERNEL_SETUP` (one draw per figure; ``gc.freeze``). A
kernel that died is replaced. Kernels run without IPython's history database
(:data:`kernel_setup.KERNEL_ARGUMENTS`): parallel kernels sharing it print collision errors into
reports. Nothing here knows about finance.

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

_RESET = (
    "%reset -f\n"
    "import os as _os, matplotlib.pyplot as _plt\n"
    "_plt.close('all'); _os.chdir({cwd!r}); del _os, _plt\n"
    "get_ipython().execution_count = 1\n"
)

#: (kernel name, thread) -> (manager, client): one kernel per worker thread of this process.
_kernels: dict[tuple[str, int], tuple[Any, Any]] = {}


def shutdown_kernels(thread: int | None = None) -> None:
    """Stop this process's kernels (only ``thread``'s, when given); also at exit, and as a pool worker ends."""
    for key in [k for k in _kernels if thread is None or k[1] == thread]:
        km, kc = _kernels.pop(key)
        try:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
        except Exception:  # best effort: the kernel may be gone already
            pass


atexit.register(shutdown_kernels)


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
        km, kc = _kernels[key]
        if km.is_alive():
            return km, kc
        kc.stop_channels()
        del _kernels[key]
    km = KernelManager(kernel_name=kernel_name)
    extra = [*KERNEL_ARGUMENTS, *(a for a in extra_arguments or [] if a not in KERNEL_ARGUMENTS)]
    km.start_kernel(extra_arguments=extra)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    if warm_up:
        _run(kc, warm_up)
    _run(kc, KERNEL_SETUP)
    _kernels[key] = (km, kc)
    return km, kc


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
