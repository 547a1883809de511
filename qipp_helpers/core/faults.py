"""Fault injection at named points, so crash tests can stop a process exactly between two steps.

Production code calls :func:`fault` with a point name (``store.after_rows``...). Nothing happens
unless a test asked for it, in one of two ways:

* the environment variable ``QIPP_FAULT``: comma-separated ``point`` or ``point:action`` items,
  action ``exit`` (the default: ``os._exit(FAULT_EXIT_CODE)``, no clean-up at all, like a kill),
  ``kill`` (SIGKILL to itself) or ``raise`` (:class:`FaultInjected`); e.g.
  ``QIPP_FAULT=store.after_rows`` or ``QIPP_FAULT=store.before_commit:raise``;
* the module-level :data:`hook`, a callable given every point name (in-process tests).
"""

from __future__ import annotations

import os
import signal
from collections.abc import Callable

FAULT_ENV = "QIPP_FAULT"
#: Exit status of a process stopped by an injected ``exit`` fault.
FAULT_EXIT_CODE = 86

#: Called with every point name reached (tests set it; it may raise or ``os._exit``).
hook: Callable[[str], None] | None = None


class FaultInjected(RuntimeError):
    """Raised at a point named in ``QIPP_FAULT`` with the ``raise`` action."""


def fault(point: str) -> None:
    """Stop here if a test asked for a fault at ``point``; otherwise do nothing."""
    if hook is not None:
        hook(point)
    spec = os.environ.get(FAULT_ENV)
    if not spec:
        return
    for item in spec.split(","):
        name, _, action = item.strip().partition(":")
        if name != point:
            continue
        if action in ("", "exit"):
            os._exit(FAULT_EXIT_CODE)
        if action == "kill":
            os.kill(os.getpid(), signal.SIGKILL)
        if action == "raise":
            raise FaultInjected(f"fault injected at {point}")
        raise ValueError(f"{FAULT_ENV}: unknown action {action!r} for {point} (exit, kill or raise)")
