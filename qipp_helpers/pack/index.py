"""The pack's front page (``index.html``): the pack PDF's front matter for the screen.

Where to start, the summary, every report in reading order under plain names (synthetic figures flagged),
what each organisation is, the data-quality notes and the glossary; how the month was built (status,
durations, store versions, who and when) sits in a collapsed section for the PMO. Self-contained: no
script, stylesheet, font or image is fetched. It lays out a :class:`~.front.FrontPage`; the figures come
from the report layer; the markup is the template ``templates/pack/index.html.j2`` (autoescaped).
"""

from __future__ import annotations

import itertools
from pathlib import Path

from ..core.files import atomic_write_bytes
from . import pages, writers
from .front import TITLE, FrontPage
from .gate import check_html, with_csp

INDEX = "index.html"


def _each_format() -> str:
    """'a web page, a PDF and an Excel workbook (for analysts)': every format a report can be written in."""
    said = [w.described for w in writers.selected()]
    return " and ".join([", ".join(said[:-1]), said[-1]]) if len(said) > 1 else "".join(said)


def render_index(front: FrontPage, pack: dict | None = None, *, failure: str | None = None) -> str:
    """The front page for ``front`` (``templates/pack/index.html.j2``); ``pack`` is the pack PDF's manifest record
    (None when none was written, ``failure`` saying why when assembling it failed)."""
    return pages.render(
        "index.html.j2",
        title=TITLE,
        front=front,
        pack=pack,
        failure=failure,
        starts=(pack or {}).get("starts", {}),
        by_org=[(org, list(rs)) for org, rs in itertools.groupby(front.reports, key=lambda r: r.org)],
        org_notes={code: note for code, _, note in front.organisations()},
        writers=writers.selected(),
        each_format=_each_format(),
    )


def write_index(folder: Path, page: str) -> Path:
    """Write ``index.html`` atomically."""
    path = Path(folder) / INDEX
    atomic_write_bytes(path, check_html(with_csp(page), path.name).encode("utf-8"))
    return path
