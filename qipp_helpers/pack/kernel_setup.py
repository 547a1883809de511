"""How every kernel that runs a circulated notebook is started and set up: shared by the one-off kernels of
:mod:`qipp_helpers.pack.render`, the warm kernels of :mod:`qipp_helpers.pack.kernels` and the benchmark's
in-process shell. Only constants: importing it costs nothing.
"""

from __future__ import annotations

#: Arguments for every kernel that runs a circulated notebook: quiet, and no IPython history database.
#: Kernels in parallel share one history database and, when two collide, IPython prints
#: "ERROR! Session/line number was not unique in database" into whichever cell is running.
KERNEL_ARGUMENTS = ("--IPKernelApp.log_level=CRITICAL", "--HistoryManager.enabled=False")
#: Run once in a reusable kernel (or shell) after its warm-up code, before the first notebook:
#: - figures are drawn once, when the inline backend saves them for display: matplotlib's REPL hook would
#:   first redraw every changed figure after each cell (Agg's ``draw_idle`` draws), a whole render per chart
#:   that nobody sees;
#: - everything imported so far leaves the garbage collector's generations (``gc.freeze``), so the full
#:   collections between notebooks (``%reset``, closing figures) walk the notebook's objects, not pandas'.
KERNEL_SETUP = (
    "get_ipython().run_line_magic('matplotlib', 'inline')\n"
    "import gc as _gc, matplotlib.pyplot as _plt\n"
    "try:\n"
    "    get_ipython().events.unregister('post_execute', _plt._draw_all_if_interactive)\n"
    "except (AttributeError, ValueError):\n"
    "    pass\n"
    "_gc.collect(); _gc.freeze(); del _gc, _plt\n"
)
