"""A month-end run, start to finish: plan the reports, render them, write each month's manifest and front page.

The command line parses options into :class:`RunOptions` and prints what :func:`run_pack` reports
through its callbacks; nothing here prints.
"""

from __future__ import annotations

import dataclasses
import gc
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..core.errors import RenderError, UsageError
from ..core.faults import fault
from ..core.files import remove_inside
from ..core.orgs import use_organisations
from ..store import db
from . import document, writers
from . import plan as planning
from .catalogue import CATALOGUE, WARM_UP, Held, notebooks_dir
from .job import Job
from .runner import EXECUTORS, JobResult, Workers


@dataclass(frozen=True)
class RunOptions:
    """What to render: period, organisations (None = each notebook's own), notebooks, formats, where, how."""

    fin_year: str
    months: list[int]
    orgs: list[str] | None = None
    notebooks: list[str] = field(default_factory=lambda: list(CATALOGUE))
    formats: tuple[str, ...] = field(default_factory=writers.names)  # every writer's by default
    data_dir: Path = Path("data")
    out: Path = Path("reports")
    notebooks_dir: Path | None = None  # None: ./notebooks in a checkout, else the installed copy
    jobs: int | None = None
    marking: str = ""
    changed_only: bool = False
    executor: str = "local"
    scheduler: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    as_of: str | None = None  # a store version number or a date: re-render the pack as it was
    meeting_date: str = ""  # ISO date of the meeting the pack goes to (cover and front page)
    data_cutoff: str = ""  # ISO date after which returns are not included (cover and front page)
    include_illustrative: bool = False  # render reports whose figures are all synthetic (marked on every page)


@dataclass
class RunOutcome:
    """What a run did."""

    results: list[JobResult]
    kept: int
    skipped: list[dict]
    seconds: float
    version: int = 0
    packs: list[Path] = field(default_factory=list)  # each month's pack PDF written

    @property
    def skipped_reports(self) -> int:
        return len(self.skipped)

    @property
    def failed(self) -> int:
        return sum(r.status != "ok" for r in self.results)


def check_options(opts: RunOptions) -> dict[str, Path]:
    """The notebook paths of a run, after checking formats, executor and notebook names (UsageError)."""
    known = writers.names()
    bad = [f for f in opts.formats if f not in known]
    if bad or not opts.formats:
        raise UsageError(f"unknown format(s) {', '.join(bad) or '(none given)'}; choose from {', '.join(known)}")
    if opts.executor not in EXECUTORS:
        raise UsageError(f"unknown executor {opts.executor!r}; choose from {', '.join(EXECUTORS)}")
    unknown = [n for n in opts.notebooks if n not in CATALOGUE]
    if unknown or not opts.notebooks:
        raise UsageError(
            f"{', '.join(unknown) or '(none given)'}: not a notebook of the pack (choose from "
            f"{', '.join(CATALOGUE)}); interactive notebooks such as explore_variances are opened in JupyterLab, "
            "not rendered"
        )
    nb_dir = notebooks_dir(opts.notebooks_dir)
    for option, folder in (("--out", opts.out), ("--data-dir", opts.data_dir), ("--notebooks-dir", nb_dir)):
        if Path(folder).exists() and not Path(folder).is_dir():
            raise UsageError(f"{option} {folder} is a file: give a folder")
    paths = {name: nb_dir / f"{name}.ipynb" for name in opts.notebooks}
    for path in paths.values():
        if not path.is_file():
            raise UsageError(f"no notebook {path} (give the folder holding the notebooks with --notebooks-dir)")
    return paths


def held(data_dir: Path) -> Held:
    """What the store (or a snapshot of it) holds, for deciding which reports can be rendered."""
    returns = db.load_returns(data_dir)
    return Held(
        returns=returns[["fin_year", "month", "org"]].drop_duplicates(),
        frp=db.load_frp(data_dir)["lines"][["fin_year", "month", "system"]].drop_duplicates(),
        rightcare=db.load_rightcare(data_dir)["peers"][["fin_year", "ccg", "provenance"]].drop_duplicates(),
    )


def _merge_entries(previous: list[dict], current: list[dict]) -> list[dict]:
    """The month's reports after a run: this run's entries, and the earlier ones it did not touch."""
    mine = {(e["notebook"], e["org"]) for e in current}
    return [e for e in previous if (e.get("notebook"), e.get("org")) not in mine] + current


def _remove_stale(entry: dict, previous: dict | None, formats: tuple[str, ...], folder: Path) -> list[str]:
    """Remove the outputs of a re-rendered report in formats this run did not render: never left looking current.

    The files are found in ``folder`` (the month folder of this run's ``--out``), whatever path the previous
    manifest recorded, and removed only inside it; the list names them relative to ``folder``.
    """
    if previous is None or entry.get("status") != "ok":
        return []
    removed = []
    for fmt in previous.get("outputs") or {}:
        if fmt not in formats and fmt != "ipynb" and fmt not in entry.get("outputs", {}):
            path = planning.output_file(folder, previous, fmt)
            if path is not None and remove_inside(folder, path):
                removed.append(path.relative_to(folder).as_posix())
    return removed


def as_of_pack(opts: RunOptions, version: db.Version | None) -> tuple[RunOptions, str]:
    """For ``--as-of``: the folder of its pack inside each month's (``as-of-v7``) and options whose marking, on
    every page, cover and front page, says which version it is and that it is not the current pack."""
    if opts.as_of is None or version is None:
        return opts, ""
    # short enough for one line of a page's margin box (the version's date is in the manifest and qipp history)
    mark = f"AS OF STORE VERSION {version.number}, NOT THE CURRENT PACK"
    marking = f"{opts.marking} · {mark}" if opts.marking else mark
    return dataclasses.replace(opts, marking=marking), planning.as_of_folder(version.number)


def _nothing_to_render(opts: RunOptions, number: int) -> str:
    """Why a run has nothing to render; for ``--as-of``, which versions hold the months asked for."""
    if opts.as_of is None:
        return "nothing to render: ingest returns first (qipp ingest / make reports)"
    months = ", ".join(f"M{m}" for m in opts.months)
    holding = sorted({v for m in opts.months for v in db.versions_holding_month(opts.data_dir, opts.fin_year, m)})
    where = f"versions {db.spans(holding)} hold it" if holding else "no version holds it: ingest returns first"
    return f"nothing to render: store version {number} holds no data for {opts.fin_year} {months}; {where}"


def run_pack(
    opts: RunOptions,
    *,
    progress: bool = False,
    on_skip: Callable[[dict], None] | None = None,
    on_result: Callable[[JobResult], None] | None = None,
    on_start: Callable[[int], None] | None = None,
    on_wait: Callable[[str], None] | None = None,
) -> RunOutcome:
    """Render the reports of ``opts`` from ONE version of the store and update each month's manifest and front page.

    The version (the latest, or ``opts.as_of``) is exported once as a snapshot that every notebook
    reads, so an ingest committing during the run changes nothing the run reads; the manifest records
    it. A run for some organisations or notebooks updates their entries and keeps the others'.
    """
    paths = check_options(opts)
    planning.refuse_injected(opts.params)  # before anything is read or exported
    use_organisations(opts.data_dir)
    snap, version = db.snapshot(opts.data_dir, opts.as_of, on_wait=on_wait)
    opts, sub = as_of_pack(opts, version)
    number = version.number if version else 0
    if sub and not any(number in db.versions_holding_month(opts.data_dir, opts.fin_year, m) for m in opts.months):
        raise RenderError(_nothing_to_render(opts, number))  # before its folder is made
    store_info = _store_info(version, opts.as_of)
    start = time.perf_counter()
    fault("run.snapshot_taken")
    with planning.month_locks(opts.out, opts.fin_year, opts.months, sub):
        plan = _plan(opts, paths, snap, sub)
        previous = {m: planning.previous_manifest(opts.out, opts.fin_year, m, sub) for m in opts.months}
        todo, kept = _to_render(plan, previous, opts.changed_only)
        for s in planning.grouped_skips(plan.skipped):
            if on_skip is not None:
                on_skip(s)
        if not plan.reports:
            raise RenderError(_nothing_to_render(opts, number))
        # what is loaded now lives as long as the run: out of the collector's way (the forked workers inherit it)
        gc.collect()
        gc.freeze()
        with _workers(opts) as pool:
            jobs = [plan.reports[i].job for i in todo]
            results = _render(pool, jobs, opts, progress=progress, on_result=on_result, on_start=on_start)
            by_index = dict(zip(todo, results, strict=True))
            fault("run.rendered")
            packs = _write_months(opts, plan, previous, by_index, kept, store_info, snap, pool, sub)
    return RunOutcome(results, len(kept), plan.skipped, time.perf_counter() - start, number, packs)


def _store_info(version: db.Version | None, as_of: str | None) -> dict:
    """What the manifest records of the store version the run reads (number 0: none)."""
    return {
        "version": version.number if version else 0,
        "digest": version.digest if version else "",
        "committed": version.time.isoformat(timespec="seconds") if version else None,
        "as_of": as_of,
    }


def _plan(opts: RunOptions, paths: dict[str, Path], snap: Path, sub: str) -> planning.Plan:
    """The reports of ``opts`` to render from the snapshot ``snap`` into the month folders (or their ``sub``)."""
    return planning.plan(
        fin_year=opts.fin_year,
        months=opts.months,
        orgs=opts.orgs,
        notebooks=paths,
        data_dir=snap,
        out=opts.out,
        held=held(snap),
        extra=opts.params,
        marking=opts.marking,
        sub=sub,
        include_illustrative=opts.include_illustrative,
    )


def _to_render(plan: planning.Plan, previous: dict[int, dict], changed_only: bool) -> tuple[list[int], dict[int, dict]]:
    """The planned reports to render (their indexes), and those kept as they are (``--changed-only``: inputs
    unchanged and files in place), each with its previous manifest entry."""
    todo, kept = [], {}
    for i, rep in enumerate(plan.reports):
        folder = rep.job.out_dir.parent
        old = planning.unchanged(rep, previous.get(rep.month, {}), folder) if changed_only else None
        if old is not None:
            kept[i] = old
        else:
            todo.append(i)
    return todo, kept


def _workers(opts: RunOptions) -> Workers:
    """The workers of the run (not yet started); RenderError if the options cannot make them."""
    try:
        return Workers(opts.jobs, warm_up=WARM_UP, executor=opts.executor, scheduler=opts.scheduler)
    except ValueError as exc:
        raise RenderError(f"could not run the batch: {exc}") from exc


def _render(
    pool: Workers,
    jobs: list[Job],
    opts: RunOptions,
    *,
    progress: bool,
    on_result: Callable[[JobResult], None] | None,
    on_start: Callable[[int], None] | None,
) -> list[JobResult]:
    """Render the jobs in the workers, in the formats and with the marking of ``opts``; RenderError if the batch
    itself cannot run (a report's failure is its result's)."""
    try:
        return pool.run(
            jobs,
            formats=opts.formats,
            progress=progress,
            marking=opts.marking,
            on_result=on_result,
            on_start=on_start,
        )
    except (RuntimeError, ValueError, OSError) as exc:
        raise RenderError(f"could not run the batch: {exc}") from exc


def _write_months(
    opts: RunOptions,
    plan: planning.Plan,
    previous: dict[int, dict],
    by_index: dict[int, JobResult],
    kept: dict[int, dict],
    store_info: dict,
    snap: Path,
    pool: Workers,
    sub: str = "",
) -> list[Path]:
    """Write each month's manifest, then build the months' packs and front pages (side by side in the workers)."""
    old_entries = {
        (m, e.get("notebook"), e.get("org")): e for m, man in previous.items() for e in man.get("reports", [])
    }
    publish = []
    for m in opts.months:
        folder = planning.run_dir(opts.out, opts.fin_year, m, sub)
        current = _month_entries(opts, plan, m, by_index, kept, old_entries, store_info["version"], folder)
        entries, skipped_m = _month_reports(plan, m, previous[m], current)
        manifest = _manifest(opts, plan, m, previous[m], store_info, current, entries, skipped_m)
        planning.write_manifest(folder, manifest)
        fault("run.manifest_written")
        publish.append((folder, manifest, previous[m], snap, opts.marking, opts.meeting_date, opts.data_cutoff))
    # the local processes that rendered the reports build the packs too, a month each (their renderers are
    # loaded), side by side; otherwise (nothing rendered, one month, Dask) they are built here, one after another
    records = pool.map(_publish_month, publish)
    return [folder / r["file"] for (folder, *_), r in zip(publish, records, strict=True) if r.get("file")]


def _month_entries(
    opts: RunOptions,
    plan: planning.Plan,
    m: int,
    by_index: dict[int, JobResult],
    kept: dict[int, dict],
    old_entries: dict,
    store_version: int,
    folder: Path,
) -> list[dict]:
    """The manifest entries of month ``m``'s reports in this run: rendered (with the store version, and the files
    of formats no longer rendered removed) or kept unchanged."""
    current = []
    for i, rep in enumerate(plan.reports):
        if rep.month != m:
            continue
        e = planning.entry(rep, by_index.get(i), kept.get(i))
        if i in by_index:
            e["store_version"] = store_version
            stale = _remove_stale(e, old_entries.get((m, rep.notebook, rep.org)), opts.formats, folder)
            if stale:
                e["removed_stale"] = stale
        current.append(e)
    return current


def _month_reports(plan: planning.Plan, m: int, previous: dict, current: list[dict]) -> tuple[list[dict], list[dict]]:
    """Month ``m``'s reports and skipped reports after this run, from the ``previous`` manifest and this run's
    ``current`` entries: a report is listed once, as an entry or as skipped."""
    entries = _merge_entries(previous.get("reports", []), current)
    # an illustrative report an earlier run rendered leaves the circulated pack when this run leaves it out
    left_out = {(s["notebook"], s["org"]) for s in plan.skipped if s["month"] == m and s.get("illustrative")}
    entries = [e for e in entries if (e.get("notebook"), e.get("org")) not in left_out]
    ran = {(s["notebook"], s["org"]) for s in plan.skipped if s["month"] == m} | {
        (e["notebook"], e["org"]) for e in current
    }
    skipped = [s for s in previous.get("skipped", []) if (s.get("notebook"), s.get("org")) not in ran]
    skipped += [s for s in plan.skipped if s["month"] == m]
    skipped = [s for s in skipped if (s["notebook"], s["org"]) not in {(e["notebook"], e["org"]) for e in entries}]
    return entries, skipped


def _manifest(
    opts: RunOptions,
    plan: planning.Plan,
    m: int,
    previous: dict,
    store_info: dict,
    current: list[dict],
    entries: list[dict],
    skipped: list[dict],
) -> dict:
    """Month ``m``'s manifest: its reports and skipped reports, what the run read, and the record of this run after
    the previous manifest's (the last 20)."""
    run_record = {
        "started": planning.now(),
        "parameters": {
            "org": opts.orgs or ["all"],
            "notebook": ",".join(opts.notebooks),
            "formats": list(opts.formats),
            "marking": opts.marking,
            "changed_only": opts.changed_only,
            "executor": opts.executor,
            "jobs": opts.jobs,
            "params": opts.params,
        },
        "store": store_info,
        "reports": [f"{e['org']} {e['notebook']}" for e in current],
    }
    return {
        "fin_year": opts.fin_year,
        "month": m,
        "started": run_record["started"],
        "qipp_helpers": __version__,
        "parameters": run_record["parameters"],
        "store": store_info,
        "inputs": plan.hashes,
        "reports": entries,
        "skipped": skipped,
        "runs": [*previous.get("runs", []), run_record][-20:],
    }


def _publish_month(
    folder: Path, manifest: dict, previous: dict, snap: Path, marking: str, meeting_date: str, data_cutoff: str
) -> dict:
    return document.publish_month(
        folder,
        manifest,
        previous=previous,
        data_dir=snap,
        marking=marking,
        meeting_date=meeting_date,
        data_cutoff=data_cutoff,
    )
