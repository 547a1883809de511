"""The output writers: every format a report is written in, in the order the front page lists them.

The runner writes each format asked for, the front page links each file, the command line offers each
name, and the pack PDF merges the file of the one writer marked ``merged``. Adding a format is a module
here (a ``write(report, path)`` and its :class:`Writer`) and its line in :data:`WRITERS`.
"""

from __future__ import annotations

from collections.abc import Iterable

from . import html, pdf, xlsx
from .base import Executed, Writer

__all__ = ["WRITERS", "Executed", "Writer", "merged", "names", "selected"]

#: name -> writer, in the order the front page lists a report's files.
WRITERS: dict[str, Writer] = {w.name: w for w in (html.WRITER, pdf.WRITER, xlsx.WRITER)}


def names() -> tuple[str, ...]:
    """Every format's name, in order: ('html', 'pdf', 'xlsx')."""
    return tuple(WRITERS)


def selected(formats: Iterable[str] | None = None) -> list[Writer]:
    """The writers of ``formats`` (every one when None), in the registry's order; unknown names are ignored."""
    wanted = None if formats is None else set(formats)
    return [w for w in WRITERS.values() if wanted is None or w.name in wanted]


def merged() -> Writer:
    """The writer whose file the pack PDF merges (its pages are counted and recorded): the PDF."""
    return next(w for w in WRITERS.values() if w.merged)
