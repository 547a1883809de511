"""What keeps the variance explorer quick: a memo of its views and a background warm-up.

The explorer's views are pure functions of its controls (year, month, organisation, filters, scheme),
so each is computed once per set of control values and kept (:class:`Memo`). After every change the
explorer hands :class:`Warmer` the views an analyst is likely to ask for next (the other tabs, the
other organisations of the month, the other months of the organisation, the other workstreams); a
daemon thread computes them while the analyst reads, so the next change is answered from the memo.

Charts are drawn with matplotlib, whose pyplot is not thread-safe: every drawing takes
:data:`MPL_LOCK`, and in a Jupyter kernel the lock is also held while a cell runs, so a chart drawn
in the background is never shown by ``%matplotlib inline`` as a stray cell output.
"""

from __future__ import annotations

import atexit
import threading
import weakref
from collections.abc import Callable, Hashable, Iterable
from typing import Any

#: Held by whoever draws with matplotlib (and, in a kernel, by a running cell).
MPL_LOCK = threading.RLock()


class Memo:
    """A thread-safe memo: ``get(key, make)`` computes ``make()`` once per key and keeps it."""

    def __init__(self) -> None:
        self._values: dict[Hashable, Any] = {}
        self._lock = threading.Lock()

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._values

    def __len__(self) -> int:
        with self._lock:
            return len(self._values)

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        with self._lock:
            if key in self._values:
                return self._values[key]
        value = make()  # outside the lock: the warm-up and the explorer may both compute; the first kept wins
        with self._lock:
            return self._values.setdefault(key, value)


class Warmer:
    """One daemon thread working through a to-do list of thunks, most wanted first.

    :meth:`want` replaces the list (what was wanted before the latest change is no longer the best
    guess); :meth:`wait` blocks until the list is done, for tests and the benchmark.
    """

    def __init__(self) -> None:
        self._todo: list[Callable[[], object]] = []
        self._cond = threading.Condition()
        self._busy = False
        self.errors: list[BaseException] = []
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="explorer-warm-up", daemon=True)
        self._thread.start()
        # a daemon thread still inside pandas or Arrow when the interpreter shuts down aborts the process
        # ("terminate called without an active exception"): at exit, the guess being computed is finished
        # and nothing more is started
        atexit.register(_stop_at_exit, weakref.ref(self))

    def stop(self, timeout: float | None = 30.0) -> None:
        """Drop what is left to do, let the guess being computed finish, and end the thread."""
        with self._cond:
            self._todo, self._stopped = [], True
            self._cond.notify_all()
        self._thread.join(timeout)

    def want(self, thunks: Iterable[Callable[[], object]]) -> None:
        with self._cond:
            self._todo = [] if self._stopped else list(thunks)
            self._cond.notify_all()

    def wait(self, timeout: float | None = None) -> bool:
        """True once nothing is left to do (False if ``timeout`` seconds pass first)."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._todo and not self._busy, timeout=timeout)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: bool(self._todo) or self._stopped)
                if self._stopped:
                    return
                job = self._todo.pop(0)
                self._busy = True
            try:
                job()
            except Exception as exc:  # a failed guess costs nothing: the explorer computes it when asked
                self.errors.append(exc)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()


def _stop_at_exit(ref: weakref.ReferenceType[Warmer]) -> None:
    warmer = ref()
    if warmer is not None:
        warmer.stop()


_hooked = False


def hold_matplotlib_while_cells_run() -> None:
    """In an IPython kernel, take :data:`MPL_LOCK` for the length of every cell (once per process)."""
    global _hooked
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        return
    shell = get_ipython()
    if shell is None or _hooked:
        return
    depth = threading.local()

    def before(*_: object) -> None:
        MPL_LOCK.acquire()
        depth.held = getattr(depth, "held", 0) + 1

    def after(*_: object) -> None:
        if getattr(depth, "held", 0):
            depth.held -= 1
            MPL_LOCK.release()

    shell.events.register("pre_execute", before)
    shell.events.register("post_execute", after)
    _hooked = True
