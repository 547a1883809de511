"""What an output writer is, and the executed report every writer writes from."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ...report.publish import Book
    from ..job import Job


@dataclass
class Executed:
    """An executed notebook and what it published: what every writer of a report writes from.

    ``html`` (the circulated web page, publish gate passed) is rendered once, when a writer first asks
    for it: the PDF is laid out from the same HTML the ``html`` writer writes.
    """

    job: Job
    notebook: Path  # the executed .ipynb
    book: Book  # the tables, headline figures and notes it published
    meta: dict[str, Any] = field(default_factory=dict)  # title, period, banner ... as published
    marking: str = ""  # the protective marking that heads every page

    @property
    def title(self) -> str:
        return str(self.meta.get("title", self.job.label))

    @property
    def period(self) -> str:
        return str(self.meta.get("period", ""))

    @property
    def banner(self) -> list[str]:
        """The banner lines the notebook published (under the title, and on every printed page)."""
        return [str(x) for x in self.meta.get("banner", [])]

    @functools.cached_property
    def html(self) -> str:
        from ..render import notebook_to_html

        return notebook_to_html(self.notebook, title=self.title, header_lines=self.banner, marking=self.marking)


#: ``write(report, path)``: write ``path`` and return its pages (0 for a format without pages), or return None,
#: writing nothing, when the report has nothing in this format (a workbook of a report that published no table).
WriteFn = Callable[[Executed, Path], "int | None"]


@dataclass(frozen=True)
class Writer:
    """One output format of a report: ``<stem><suffix>`` beside the executed notebook."""

    name: str  # what --formats and the manifest call it: 'pdf'
    suffix: str  # the file's ending: '.pdf'
    label: str  # the front page's link to the file: 'PDF'
    described: str  # how the front page names it in a sentence: 'a PDF'
    write: WriteFn
    merged: bool = False  # the pack PDF merges this file (the one writer whose pages the pack counts)

    def path(self, out_dir: Path, stem: str) -> Path:
        """Where a report's file of this format goes."""
        return Path(out_dir) / f"{stem}{self.suffix}"
