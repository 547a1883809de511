"""The input layouts ingest knows, in one registry: how each is recognised, and where it goes.

A file is opened once to route it (:func:`~.excel.workbook_info` reads only its sheet list);
the first layout that recognises it takes it. Adding an input layout = a reader module in this
folder, a ``prepare``/``ingest`` function in :mod:`.pipeline`, and one :class:`Layout` line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from ..core.errors import IngestError, Problem, QippError, UsageError
from . import pipeline
from .commentary import SHEET as COMMENTARY_SHEET
from .commentary import is_commentary_header
from .excel import WorkbookInfo, workbook_info
from .frp import SCHEMES_SHEET
from .guard import check_input_file
from .rightcare import INDICATORS_SHEET
from .sro_return import META_SHEET

Summary = (
    pipeline.IngestSummary
    | pipeline.FrpIngestSummary
    | pipeline.RightCareIngestSummary
    | pipeline.CommentaryIngestSummary
)
Prepared = pipeline.Prepared
Prepare = Callable[..., list[Prepared]]


@dataclass(frozen=True)
class Layout:
    """One input layout: its name, what it is, how to recognise it, and how its files become changes."""

    name: str
    description: str
    recognise: Callable[[WorkbookInfo], bool]
    prepare: Prepare  # (paths, fin_year, month, stored, org=, provenance=) -> [Prepared]


def _templates(paths: list[Path], fin_year: str, month: int, stored: pipeline.Stored, **kw: object) -> list[Prepared]:
    provenance = kw.get("provenance")
    received = cast("dict[str, str] | None", kw.get("received"))
    return [
        pipeline.prepare_templates(
            paths,
            fin_year,
            month,
            stored,
            provenance=str(provenance or "") or None,
            received=received,
        )
    ]


def _dashboards(paths: list[Path], fin_year: str, month: int, stored: pipeline.Stored, **kw: Any) -> list[Prepared]:
    return [
        pipeline.prepare_dashboards(paths, fin_year, month, stored, org=kw.get("org"), provenance=kw.get("provenance"))
    ]


def _frp(paths: list[Path], fin_year: str, month: int, stored: pipeline.Stored, **kw: Any) -> list[Prepared]:
    return [
        pipeline.prepare_frp(p, fin_year, month, system=kw.get("org"), provenance=kw.get("provenance")) for p in paths
    ]


def _rightcare(paths: list[Path], fin_year: str, month: int, stored: pipeline.Stored, **kw: Any) -> list[Prepared]:
    return [pipeline.prepare_rightcare(p, fin_year, provenance=kw.get("provenance")) for p in paths]


def _commentary(paths: list[Path], fin_year: str, month: int, stored: pipeline.Stored, **kw: Any) -> list[Prepared]:
    return [pipeline.prepare_commentary(p, fin_year, month, provenance=kw.get("provenance")) for p in paths]


def _is_commentary(info: WorkbookInfo) -> bool:
    return info.has_sheet(COMMENTARY_SHEET) or (info.suffix == ".csv" and is_commentary_header(info.first_line))


#: Recognised in this order (the dashboard layout takes whatever no other layout claims); prepared in this order.
LAYOUTS: tuple[Layout, ...] = (
    Layout(
        "sro_return", "SRO return template written by `qipp template`", lambda i: META_SHEET in i.sheets, _templates
    ),
    Layout("frp", "system financial recovery plan (Paper E layout)", lambda i: i.has_sheet(SCHEMES_SHEET), _frp),
    Layout("rightcare", "RightCare indicator workbook", lambda i: i.has_sheet(INDICATORS_SHEET), _rightcare),
    Layout("commentary", "PMO commentary (a Commentary sheet or column)", _is_commentary, _commentary),
    Layout(
        "dashboard",
        "PMO dashboard (Paper D Appendices 2-5), .xlsx or one organisation's .csv",
        lambda i: True,
        _dashboards,
    ),
)
_ORDER = ("sro_return", "dashboard", "frp", "rightcare", "commentary")
_BY_NAME = {layout.name: layout for layout in LAYOUTS}


#: A month folder's register of when the PMO received each returned file (``qipp ingest-raw`` reads it).
RECEIVED_FILE = "RECEIVED.txt"


def received_time(text: str, where: str) -> str:
    """A received date or date-time, checked: ISO text ('2019-11-05 10:12') as the log keeps it."""
    from datetime import datetime

    try:
        return datetime.fromisoformat(text.strip()).isoformat(sep=" ", timespec="minutes")
    except ValueError:
        raise UsageError(
            f"{where}: {text.strip()!r} is not a date (YYYY-MM-DD) or date-time (YYYY-MM-DD HH:MM)"
        ) from None


def received_register(folder: Path) -> dict[str, str] | None:
    """A month folder's RECEIVED.txt, if it has one: a line per returned file, ``<file name>, <date or
    date-time received>`` (``#`` starts a comment), for returns received before they are ingested."""
    note = Path(folder) / RECEIVED_FILE
    if not note.is_file():
        return None
    out = {}
    for i, line in enumerate(note.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, when = line.rpartition(",")
        if not sep or not name.strip():
            raise UsageError(f"{note} line {i}: write '<file name>, <YYYY-MM-DD HH:MM>'")
        out[name.strip()] = received_time(when, f"{note} line {i}")
    return out


def recognise(path: Path) -> Layout:
    """The layout of one input file."""
    info = workbook_info(Path(path))
    return next(layout for layout in LAYOUTS if layout.recognise(info))


@dataclass(frozen=True)
class Batch:
    """One ingest of a batch (:func:`ingest_batches`): its files, period and options, as :func:`ingest_files` takes."""

    paths: tuple[Path, ...]
    fin_year: str
    month: int
    org: str | None = None
    provenance: str | None = None
    only: str | None = None
    received: dict[str, str] | None = None  # file name -> when the PMO received it (ISO), if not at ingest


def ingest_files(
    paths: list[Path],
    fin_year: str,
    month: int,
    data_dir: Path | str,
    *,
    org: str | None = None,
    provenance: str | None = None,
    user: str | None = None,
    only: str | None = None,
    received: dict[str, str] | None = None,
) -> list[Summary]:
    """Guard every file, recognise its layout, prepare each layout's files and commit them all as ONE version.

    Every file first passes :func:`.guard.check_input_file` (size, zip bomb, corrupt zip, encrypted,
    .xls, macros): if any fails, nothing is opened or written. Every problem of every file is
    reported together and nothing is written; otherwise templates, dashboards, FRP and RightCare
    workbooks are committed in one transaction. ``month`` is unused by RightCare workbooks (they
    serve a financial year). ``only`` restricts the files to one layout (an error for any other).
    ``received``: when the PMO received returned templates (file name -> ISO date or date-time), where that
    was not when they are ingested (the tracker's on-time/late rule reads it).
    """
    batch = Batch(tuple(Path(p) for p in paths), fin_year, month, org, provenance, only, received)
    return ingest_batches([batch], data_dir, user=user)[0]


def ingest_batches(batches: list[Batch], data_dir: Path | str, *, user: str | None = None) -> list[list[Summary]]:
    """Several ingests (e.g. every month folder of ``data/raw``) as :func:`ingest_files` makes each, committed
    together: each is prepared against the store as the ones before it leave it, then all are committed in ONE
    transaction, one version each (the log reads as if they had been committed one by one). All or nothing:
    the first batch with a problem raises its :class:`IngestError` and nothing is written.
    """
    prepares, routes = [], []
    for i, b in enumerate(batches):
        try:
            prepare, groups = _prepare_batch(b)
        except IngestError as exc:
            exc.batch = i  # type: ignore[attr-defined]
            raise
        prepares.append(_tagged(i, prepare))
        routes.append([groups["dashboard"]] if "dashboard" in groups else [])
    dashboards = [(list(g), b.org) for b, groups in zip(batches, routes, strict=True) for g in groups[:1]]
    done, versions = pipeline.prepare_and_commit_many(
        prepares, data_dir, user=user, read_ahead=dashboards if len(batches) > 1 else None
    )
    for parts, version in zip(done, versions, strict=True):
        for part in parts:
            part.summary.version = version.number
    return [[part.summary for part in parts] for parts in done]


def _prepare_batch(batch: Batch) -> tuple[Callable[[pipeline.Stored], list[Prepared]], dict[str, list[Path]]]:
    """Guard and route one batch's files now; return what prepares them against a :class:`pipeline.Stored`, and
    the files by layout."""
    paths = list(batch.paths)
    unsafe = [p for path in paths for p in check_input_file(path)]
    if unsafe:
        raise IngestError(unsafe)
    groups: dict[str, list[Path]] = {}
    for p in paths:
        try:
            layout = recognise(p)
        except _READER_FAULTS as exc:
            raise IngestError([unexpected(p, "return, FRP, RightCare or commentary file", exc)]) from None
        if batch.only is not None and layout.name != batch.only:
            raise IngestError([Problem(p.name, f"is a {layout.description}, not a {_BY_NAME[batch.only].description}")])
        groups.setdefault(layout.name, []).append(p)

    def prepare(stored: pipeline.Stored) -> list[Prepared]:
        parts: list[Prepared] = []
        problems: list[Problem] = []
        for name in _ORDER:
            if name in groups:
                try:
                    parts += _BY_NAME[name].prepare(
                        groups[name],
                        batch.fin_year,
                        batch.month,
                        stored,
                        org=batch.org,
                        provenance=batch.provenance,
                        received=batch.received,
                    )
                except IngestError as exc:
                    problems += exc.problems
                except QippError:
                    raise
                except _READER_FAULTS as exc:  # a reader tripped on something it did not expect: still located
                    problems += [unexpected(p, _BY_NAME[name].description, exc) for p in groups[name][:1]]
        if problems:
            raise IngestError(problems)
        return parts

    return prepare, groups


#: What a reader raises when a file is malformed in a way it did not foresee (never a store error).
_READER_FAULTS = (
    IndexError,
    KeyError,
    TypeError,
    AttributeError,
    ValueError,
    ArithmeticError,
    SyntaxError,
    LookupError,
)


def unexpected(path: Path, description: str, exc: BaseException) -> Problem:
    """A located one-line problem for a reader's unforeseen failure on ``path`` (what it was read as, and why)."""
    return Problem(path.name, f"could not be read as a {description} ({type(exc).__name__}: {exc})")


def _tagged(index: int, prepare: Callable[[pipeline.Stored], list[Prepared]]) -> Callable[..., list[Prepared]]:
    """``prepare``, its IngestError marked with the batch it came from (``exc.batch``)."""

    def run(stored: pipeline.Stored) -> list[Prepared]:
        try:
            return prepare(stored)
        except IngestError as exc:
            exc.batch = index  # type: ignore[attr-defined]
            raise

    return run


def ingest(
    paths: list[Path],
    fin_year: str,
    month: int,
    data_dir: Path | str,
    *,
    org: str | None = None,
    provenance: str | None = None,
    user: str | None = None,
) -> pipeline.IngestSummary:
    """Read, validate and store dashboard files for one month as one version; IngestError if anything is wrong."""
    summary = ingest_files(
        paths, fin_year, month, data_dir, org=org, provenance=provenance, user=user, only="dashboard"
    )
    assert isinstance(summary[0], pipeline.IngestSummary)
    return summary[0]


def ingest_frp(
    path: Path,
    fin_year: str,
    month: int,
    data_dir: Path | str,
    *,
    system: str | None = None,
    provenance: str | None = None,
    user: str | None = None,
) -> pipeline.FrpIngestSummary:
    """Read, validate and store one FRP workbook as one version."""
    summary = ingest_files([path], fin_year, month, data_dir, org=system, provenance=provenance, user=user, only="frp")
    assert isinstance(summary[0], pipeline.FrpIngestSummary)
    return summary[0]


def ingest_rightcare(
    path: Path, fin_year: str, data_dir: Path | str, *, provenance: str | None = None, user: str | None = None
) -> pipeline.RightCareIngestSummary:
    """Read, validate and store one RightCare indicator workbook for ``fin_year`` as one version."""
    summary = ingest_files([path], fin_year, 1, data_dir, provenance=provenance, user=user, only="rightcare")
    assert isinstance(summary[0], pipeline.RightCareIngestSummary)
    return summary[0]
