"""Execute a notebook's code cells in this process's IPython shell, outputs recorded as a kernel records them.

The floor of the batch: no kernel, no messages, no papermill. Each code cell runs in one
:class:`~IPython.core.interactiveshell.InteractiveShell` of this process; what it displays
(``display()``, the inline backend's figures, a cell's last value) and prints is captured into
the notebook node as ``display_data``, ``execute_result`` and ``stream`` outputs, the way a
Jupyter kernel and nbclient would write them, so the HTML, PDF and workbook rendered from the
node are the ones a kernel run gives. Parameters are injected as papermill does (a cell tagged
``injected-parameters`` after the cell tagged ``parameters``).

It trades isolation for speed: the notebook runs in this process (a crash or a leaked global
is this process's), so the product keeps real kernels (``qipp_helpers.pack.kernels``); this is the
yardstick the benchmark (``benchmarks/batch.py``) measures them against, and the floor that
``tests/e2e/test_floor.py`` holds to the batch's reports. The batch runs it as
:data:`IN_PROCESS`, an engine (``qipp_helpers.pack.engines``) given to ``run_jobs(..., engine=IN_PROCESS)``.
Nothing here knows about finance.
"""

from __future__ import annotations

import base64
import copy
import io
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nbformat

from qipp_helpers.core.files import atomic_write_bytes
from qipp_helpers.pack.engines import Engine
from qipp_helpers.pack.job import Job

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

__all__ = ["IN_PROCESS", "InProcessEngine", "NotebookError", "execute_in_process", "inject_parameters", "shell"]

_BINARY_MIMES = ("image/png", "image/jpeg", "application/pdf")


class NotebookError(RuntimeError):
    """A cell raised: ``ename``/``evalue`` as a kernel reports them; ``notebook``, the node, keeps the error output."""

    def __init__(self, ename: str, evalue: str, cell_index: int, notebook: nbformat.NotebookNode) -> None:
        super().__init__(f"{ename}: {evalue} (cell {cell_index})")
        self.ename, self.evalue, self.cell_index, self.notebook = ename, evalue, cell_index, notebook


def _encode(data: Mapping[str, Any]) -> dict[str, Any]:
    """A MIME bundle as a notebook stores it: binary images base64-encoded, as a kernel sends them."""
    out = {}
    for mime, value in data.items():
        if isinstance(value, bytes) and mime in _BINARY_MIMES:
            value = base64.b64encode(value).decode("ascii")
        out[mime] = value
    return out


class _Outputs:
    """Where the running cell's outputs go (one list per cell, swapped in by :func:`execute_in_process`)."""

    current: list[Any] | None = None

    def add(self, output: Any) -> None:
        if self.current is not None:
            self.current.append(output)

    def stream(self, name: str, text: str) -> None:
        if self.current is None or not text:
            return
        last = self.current[-1] if self.current else None
        if last is not None and last.get("output_type") == "stream" and last.get("name") == name:
            last["text"] += text  # consecutive writes to one stream are one output, as nbclient merges them
        else:
            self.current.append(nbformat.v4.new_output("stream", name=name, text=text))


_OUT = _Outputs()


class _Stream(io.TextIOBase):
    """sys.stdout / sys.stderr while a cell runs: text becomes the cell's stream output."""

    def __init__(self, name: str) -> None:
        self.name_ = name

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        _OUT.stream(self.name_, text)
        return len(text)


def _shell_classes() -> tuple[type[InteractiveShell], type, type]:
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kw):
            _OUT.add(nbformat.v4.new_output("display_data", data=_encode(data), metadata=dict(metadata or {})))

        def clear_output(self, wait: bool = False) -> None:
            if _OUT.current is not None:
                _OUT.current.clear()

    class Hook(DisplayHook):
        def write_output_prompt(self) -> None:
            pass

        def write_format_data(self, format_dict, md_dict=None) -> None:
            _OUT.add(
                nbformat.v4.new_output(
                    "execute_result",
                    data=_encode(format_dict),
                    metadata=dict(md_dict or {}),
                    execution_count=self.prompt_count,
                )
            )

        def finish_displayhook(self) -> None:
            pass

    class Shell(InteractiveShell):
        def _showtraceback(self, etype, evalue, stb) -> None:
            pass  # the error becomes the cell's error output, as a kernel records it; nothing is printed

        def enable_gui(self, gui=None) -> None:
            pass  # the inline backend needs no event loop

    return Shell, Publisher, Hook


_shell: Any = None


def shell(warm_up: str = "") -> Any:
    """This process's shell, made on first use: it runs ``warm_up`` code, then :data:`kernel_setup.KERNEL_SETUP`
    (one draw per figure; ``gc.freeze``), as a warm kernel does."""
    global _shell
    if _shell is None:
        cls, publisher, hook = _shell_classes()
        sh = cls.instance(display_pub_class=publisher, displayhook_class=hook, colors="nocolor", history_length=0)
        if sh.history_manager is not None:  # the shell made it (init_history); IPython types it as optional
            sh.history_manager.enabled = False
        from qipp_helpers.pack.kernel_setup import KERNEL_SETUP

        for code in (warm_up, KERNEL_SETUP):
            if code:
                sh.run_cell(code, store_history=False, silent=True).raise_error()
        _shell = sh
    return _shell


def inject_parameters(nb: nbformat.NotebookNode, parameters: Mapping[str, Any]) -> nbformat.NotebookNode:
    """A copy of ``nb`` with ``parameters`` assigned in a cell tagged ``injected-parameters``, as papermill does.

    The cell goes right after the cell tagged ``parameters`` (first if there is none); a previous
    injected cell is replaced. Values are written with ``repr`` (str, int, float, bool, None, lists, dicts).
    """
    nb = copy.deepcopy(nb)
    lines = ["# Parameters", *(f"{k} = {v!r}" for k, v in parameters.items())]
    cell = nbformat.v4.new_code_cell("\n".join(lines) + "\n", metadata={"tags": ["injected-parameters"]})
    cells = [c for c in nb.cells if "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
    at = next((i + 1 for i, c in enumerate(cells) if "parameters" in c.get("metadata", {}).get("tags", [])), 0)
    nb.cells = [*cells[:at], cell, *cells[at:]]
    return nb


def execute_in_process(
    notebook: Path | nbformat.NotebookNode,
    parameters: Mapping[str, Any] | None = None,
    *,
    cwd: Path | None = None,
    warm_up: str = "",
) -> nbformat.NotebookNode:
    """Run ``notebook``'s code cells in this process's shell with a fresh namespace; return the executed node.

    ``cwd`` is the working directory while the cells run (the notebook's folder, as papermill's
    ``--cwd``). On an error the failing cell keeps an ``error`` output and :class:`NotebookError` is
    raised (with the node as ``.notebook``); later cells do not run.
    """
    nb = notebook if isinstance(notebook, nbformat.NotebookNode) else nbformat.read(notebook, as_version=4)
    nb = inject_parameters(nb, parameters or {}) if parameters is not None else copy.deepcopy(nb)
    sh = shell(warm_up)
    sh.reset(new_session=False)
    import matplotlib.pyplot as plt

    plt.close("all")
    sh.execution_count = 1
    here = os.getcwd()
    saved = sys.stdout, sys.stderr
    try:
        if cwd is not None:
            os.chdir(cwd)
        sys.stdout, sys.stderr = _Stream("stdout"), _Stream("stderr")
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            cell.outputs = []
            _OUT.current = cell.outputs
            cell.execution_count = sh.execution_count
            result = sh.run_cell(cell.source, store_history=True)
            error = result.error_before_exec or result.error_in_exec
            if error is not None:
                ename, evalue = type(error).__name__, str(error)
                tb = sh.InteractiveTB.structured_traceback(type(error), error, error.__traceback__)
                cell.outputs.append(nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=tb))
                raise NotebookError(ename, evalue, index, nb)
    finally:
        _OUT.current = None
        sys.stdout, sys.stderr = saved
        os.chdir(here)
    return nb


class InProcessEngine(Engine):
    """The floor as an engine for ``run_jobs``: each notebook in its worker's own shell (no kernel, no papermill)."""

    name = "inprocess"
    #: local workers only (Dask's cannot import benchmarks/), warm (the shell is made once per process, not per report)
    warm_local_only = True

    def warm(self, warm_up: str) -> None:
        """Make this process's shell, running ``warm_up`` in it."""
        shell(warm_up)

    def execute(self, job: Job, executed: Path, *, warm_up: str | None) -> None:
        """Run the notebook in this process's shell; the executed node (with its error cell, on a failure) is
        written to ``executed``, as papermill writes it."""
        try:
            node = execute_in_process(job.notebook, job.parameters, cwd=job.notebook.parent, warm_up=warm_up or "")
        except NotebookError as exc:  # keep the failed notebook with its error cell, as papermill does
            atomic_write_bytes(executed, nbformat.writes(exc.notebook).encode("utf-8"))
            raise
        atomic_write_bytes(executed, nbformat.writes(node).encode("utf-8"))


#: The engine ``benchmarks/batch.py`` and ``tests/e2e/test_floor.py`` run the floor with.
IN_PROCESS = InProcessEngine()
