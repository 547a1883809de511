"""The input layouts ingest knows, in one registry: how each is recognised, and where it goes.

A file is opened once to route it (:func:`~.excel.workbook_info` reads only its sheet list);
the first layout that recognises it takes it. Adding an input layout = a reader module in this
folder, a ``prepare``/``ingest`` function in :mod:`.pipeline`, and one :class:`Layout` line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import IngestError
from . import pipeline
from .excel import WorkbookInfo, workbook_info
from .frp import SCHEMES_SHEET
from .guard import check_input_file
from .rightcare import INDICATORS_SHEET
from .sro_return import META_SHEET

Summary = pipeline.IngestSummary | pipeline.FrpIngestSummary | pipeline.RightCareIngestSummary


@dataclass(frozen=True)
class Layout:
    """One input layout: its name, what it is, how to recognise it, and how its files are ingested."""

    name: str
    description: str
    recognise: Callable[[WorkbookInfo], bool]
    ingest: Callable[..., list[Summary]]


def _templates(paths: list[Path], fin_year: str, month: int, data_dir: Path | str, **kw: object) -> list[Summary]:
    return [pipeline.ingest_templates(paths, fin_year, month, data_dir, user=kw.get("user"))]


def _dashboards(paths: list[Path], fin_year: str, month: int, data_dir: Path | str, **kw: object) -> list[Summary]:
    return [pipeline.ingest(paths, fin_year, month, data_dir, **kw)]


def _frp(paths: list[Path], fin_year: str, month: int, data_dir: Path | str, **kw: object) -> list[Summary]:
    return [
        pipeline.ingest_frp(
            p, fin_year, month, data_dir, system=kw.get("org"), provenance=kw.get("provenance"), user=kw.get("user")
        )
        for p in paths
    ]


def _rightcare(paths: list[Path], fin_year: str, month: int, data_dir: Path | str, **kw: object) -> list[Summary]:
    return [
        pipeline.ingest_rightcare(p, fin_year, data_dir, provenance=kw.get("provenance"), user=kw.get("user"))
        for p in paths
    ]


#: Recognised in this order (the dashboard layout takes whatever no other layout claims); ingested in this order.
LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "sro_return", "SRO return template written by `qipp template`", lambda i: META_SHEET in i.sheets, _templates
    ),
    Layout("frp", "system financial recovery plan (Paper E layout)", lambda i: i.has_sheet(SCHEMES_SHEET), _frp),
    Layout("rightcare", "RightCare indicator workbook", lambda i: i.has_sheet(INDICATORS_SHEET), _rightcare),
    Layout(
        "dashboard",
        "PMO dashboard (Paper D Appendices 2-5), .xlsx or one organisation's .csv",
        lambda i: True,
        _dashboards,
    ),
)
_ORDER = ("sro_return", "dashboard", "frp", "rightcare")


def recognise(path: Path) -> Layout:
    """The layout of one input file."""
    info = workbook_info(Path(path))
    return next(layout for layout in LAYOUTS if layout.recognise(info))


def ingest_files(
    paths: list[Path],
    fin_year: str,
    month: int,
    data_dir: Path | str,
    *,
    org: str | None = None,
    provenance: str | None = None,
    user: str | None = None,
) -> list[Summary]:
    """Guard every file, recognise its layout, and ingest each layout's files (templates, dashboards, FRP,
    RightCare, in that order).

    Every file first passes :func:`.guard.check_input_file` (size, zip bomb, corrupt zip, encrypted,
    .xls, macros): if any fails, nothing is opened or written. ``month`` is unused by RightCare
    workbooks (they serve a financial year).
    """
    paths = [Path(p) for p in paths]
    unsafe = [p for path in paths for p in check_input_file(path)]
    if unsafe:
        raise IngestError(unsafe)
    groups: dict[str, list[Path]] = {}
    for p in paths:
        groups.setdefault(recognise(p).name, []).append(p)
    by_name = {layout.name: layout for layout in LAYOUTS}
    out: list[Summary] = []
    for name in _ORDER:
        if name in groups:
            out += by_name[name].ingest(
                groups[name], fin_year, month, data_dir, org=org, provenance=provenance, user=user
            )
    return out
