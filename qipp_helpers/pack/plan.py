"""The month-end QAG pack's plan: which reports to render, their input hashes, the run manifest and locks.

Sits between the CLI and the finance-agnostic runner: it plans jobs from the catalogue,
hashes inputs so ``--changed-only`` can skip reports whose inputs did not change, writes
``manifest.json`` and ``index.html`` per month (atomically), and holds a per-month lock so
two runs of the same month never interleave their writes.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from .. import __version__
from ..core.errors import UsageError
from ..core.files import atomic_write_bytes, make_dirs, open_nofollow, refuse_links, remove_stale_temps, sha256_file
from ..core.periods import check_fin_year, check_month
from ..store.db import is_snapshot, snapshot_hashes
from . import writers
from .catalogue import (
    CATALOGUE,
    ILLUSTRATIVE_REASON,
    STANDARD_PARAMETERS,
    Held,
    check_notebook,
    check_parameters,
    default_orgs,
    not_in_default,
    signature,
)
from .runner import Job, JobResult

if TYPE_CHECKING:
    import pandas as pd

MANIFEST, INDEX, LOCK = "manifest.json", "index.html", ".qipp-run.lock"


def month_dir(out: Path, fin_year: str, month: int) -> Path:
    """reports/<fin-year>/M<mm>; ValueError if the period could name a path."""
    return Path(out) / check_fin_year(fin_year) / f"M{check_month(int(month)):02d}"


def as_of_folder(version: int) -> str:
    """The folder, inside the month's, of a pack rendered as of a past store version: ``as-of-v7``."""
    return f"as-of-v{int(version)}"


def run_dir(out: Path, fin_year: str, month: int, sub: str = "") -> Path:
    """The folder a run writes a month's pack into: the month folder, or ``sub`` (an as-of pack's) inside it."""
    return month_dir(out, fin_year, month) / sub if sub else month_dir(out, fin_year, month)


def org_dir(out: Path, fin_year: str, month: int, org: str, sub: str = "") -> Path:
    """reports/<fin-year>/M<mm>[/<sub>]/<ORG>, checked to stay inside ``out`` with no symbolic link on the way."""
    from ..core.files import inside, safe_code

    if not safe_code(org):
        raise ValueError(f"organisation code {org!r} cannot name a folder")
    path = refuse_links(out, run_dir(out, fin_year, month, sub) / org)
    inside(out, path)
    return path


def input_hashes(data_dir: Path, notebooks: dict[str, Path]) -> dict[str, str]:
    """sha256 of every table of the snapshot the run reads and of every notebook the pack uses."""
    out = snapshot_hashes(data_dir) if is_snapshot(data_dir) else {}
    out.update({f"notebooks/{p.name}": sha256_file(p) for p in notebooks.values()})
    return out


#: Tables of which a member's report also reads its groups' rows.
GROUP_READS = ("commentary",)


class Values:
    """Digests of the values a report reads, for ``--changed-only``: the rows of each table it reads that concern
    its organisation (:meth:`related`) up to its month, from the run's snapshot.

    A change to ELR's return changes the digests of ELR's and LLR's reports and no other's; re-ingesting identical
    rows changes nothing (a digest is of values, not of exported file bytes).
    """

    def __init__(self, data_dir: Path):
        from ..store.versioned import TABLES

        self.data_dir = data_dir
        self.specs = {**TABLES, **{spec.file.removesuffix(".parquet"): spec for spec in TABLES.values()}}
        self._tables: dict[str, pd.DataFrame] = {}

    def _table(self, name: str) -> pd.DataFrame:
        if name not in self._tables:
            from ..store.db import load_table

            self._tables[name] = load_table(self.data_dir, name)
        return self._tables[name]

    @staticmethod
    def related(org: str, table: str) -> set[str]:
        """The organisations whose rows of ``table`` a report for ``org`` reads: itself and its members, and for
        the commentary also the groups it belongs to (a CCG's report shows the system's comments on its schemes)."""
        from ..core.orgs import organisations

        reg = organisations()
        own = reg.orgs.get(org)
        out = {org, *(own.members if own else ()), *(own.frp_members if own else ())}
        if table in GROUP_READS:
            out |= {o.code for o in reg.orgs.values() if org in o.members or org in o.frp_members}
        return out

    def digest(self, reads: tuple[str, ...], fin_year: str, month: int, org: str) -> dict[str, str]:
        """Table -> sha256 of the rows of it that a report of ``org`` for ``fin_year`` M``month`` reads."""
        import pandas as pd

        out = {}
        for read in reads:
            if read not in self.specs:
                continue
            spec = self.specs[read]
            df = self._table(spec.name)
            orgs = sorted(self.related(org, spec.name))
            keep = df[spec.key[-1]].isin(orgs) & (df["fin_year"] <= fin_year)  # the key's last column: the org
            if "month" in df.columns:
                keep &= (df["fin_year"] < fin_year) | (df["month"] <= month)
            rows = df[keep].reset_index(drop=True)
            h = hashlib.sha256(json.dumps([list(rows.columns), [str(t) for t in rows.dtypes]]).encode())
            h.update(pd.util.hash_pandas_object(rows, index=False).to_numpy().tobytes())
            out[spec.name] = h.hexdigest()
        return out


@dataclass
class PlannedReport:
    """One report of the pack: its job and the hash of everything it depends on."""

    job: Job
    notebook: str
    org: str
    month: int
    input_hash: str


@dataclass
class Plan:
    """Every report to render (or skip) for a run."""

    fin_year: str
    months: list[int]
    reports: list[PlannedReport] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)


def plan(
    *,
    fin_year: str,
    months: list[int],
    orgs: list[str] | None,
    notebooks: dict[str, Path],
    data_dir: Path,
    out: Path,
    held: Held,
    extra: dict[str, str] | None = None,
    marking: str = "",
    sub: str = "",
    include_illustrative: bool = False,
) -> Plan:
    """Every notebook × organisation × month with its data, and a reason for each without.

    A report whose figures would all be synthetic (illustrative) is skipped, with that reason, unless
    ``include_illustrative``: the circulated pack holds no wholly synthetic report by default.

    ``extra`` parameters (``--param NAME=VALUE``) go to every notebook that declares them, converted
    to the declared type; a parameter no notebook declares is a UsageError.
    """
    per_notebook = _declared_extras(notebooks, dict(extra or {}))
    hashes = input_hashes(data_dir, notebooks)
    values = Values(data_dir)
    p = Plan(fin_year=fin_year, months=months, hashes=hashes)
    # --org all: every organisation some notebook of the run is made for, so what a notebook leaves out is
    # reported the same way as when the organisation is named
    considered = orgs or list(dict.fromkeys(o for name in notebooks for o in default_orgs(name)))
    for month in months:
        for name, path in notebooks.items():
            defaults = default_orgs(name) if orgs is None else None
            for org in considered:
                skip = _skip(name, org, month, fin_year, held, defaults, include_illustrative)
                if skip is not None:
                    p.skipped.append(skip)
                    continue
                params = _job_parameters(path, per_notebook[name], fin_year, month, org, data_dir)
                key = _input_key(
                    hashes, values.digest(CATALOGUE[name].reads, fin_year, month, org), path, params, marking
                )
                job = Job(
                    notebook=path.resolve(),
                    parameters=params,
                    out_dir=org_dir(out, fin_year, month, org, sub),
                    stem=name,
                    label=f"{org} {name} M{month}",
                )
                p.reports.append(PlannedReport(job, name, org, month, hashlib.sha256(key.encode()).hexdigest()))
    return p


def _declared_extras(notebooks: dict[str, Path], extra: dict[str, str]) -> dict[str, dict[str, object]]:
    """Notebook -> the ``--param`` values it declares, converted to the declared types. UsageError for a parameter
    the runner sets itself or that no notebook of the run declares; each notebook is checked first."""
    refuse_injected(extra)
    per_notebook: dict[str, dict[str, object]] = {}
    for name, path in notebooks.items():
        check_notebook(path)
        declared = signature(path)
        per_notebook[name] = check_parameters(path, {k: v for k, v in extra.items() if k in declared})
    unused = [k for k in extra if not any(k in p for p in per_notebook.values())]
    if unused:
        raise UsageError(
            f"--param {', '.join(unused)}: no notebook of this run declares it "
            f"({'; '.join(f'{n}: ' + ', '.join(signature(p)) for n, p in notebooks.items())})"
        )
    return per_notebook


def _skip(
    name: str,
    org: str,
    month: int,
    fin_year: str,
    held: Held,
    defaults: list[str] | None,
    include_illustrative: bool,
) -> dict | None:
    """Why notebook ``name`` is not rendered for ``org`` and ``month``, as the plan's skipped line; None if it is.

    Its data is not held; or its figures would all be synthetic (unless ``include_illustrative``); or, under
    ``--org all`` (``defaults``: the notebook's organisations, None when organisations are named), ``org`` is
    not one of the notebook's own.
    """
    entry_ = CATALOGUE[name]
    reason = entry_.why_not(held, fin_year, month, org)
    if reason is None and not include_illustrative and entry_.illustrative(held, fin_year, month, org):
        return {"notebook": name, "org": org, "month": month, "reason": ILLUSTRATIVE_REASON, "illustrative": True}
    if reason is None and defaults is not None and org not in defaults:
        reason = not_in_default(name, org)
    return {"notebook": name, "org": org, "month": month, "reason": reason} if reason else None


def _job_parameters(
    path: Path, extras: dict[str, object], fin_year: str, month: int, org: str, data_dir: Path
) -> dict[str, object]:
    """A report's parameters, checked against the notebook: the ``--param`` values it declares, then what the
    runner injects."""
    return check_parameters(
        path,
        {  # what the runner injects comes last: nothing overrides it
            **extras,
            "fin_year": fin_year,
            "month": month,
            "org": org,
            # relative to the notebook's folder (its working directory while it runs): the executed
            # notebook and the manifest name no folder of this machine
            "data_dir": os.path.relpath(Path(data_dir).resolve(), path.resolve().parent),
        },
    )


def _input_key(
    hashes: dict[str, str], values: dict[str, str], path: Path, params: Mapping[str, object], marking: str
) -> str:
    """Everything a report depends on, as the JSON its input hash is taken of: its notebook's bytes (of ``hashes``),
    the ``values`` it reads (their digests), its parameters (not the data folder), the package version and the
    protective marking."""
    return json.dumps(
        {
            "inputs": {k: v for k, v in hashes.items() if k == f"notebooks/{path.name}"},
            "values": values,
            "parameters": {k: v for k, v in params.items() if k != "data_dir"},
            "version": __version__,
            "marking": marking,
        },
        sort_keys=True,
        default=str,
    )


def refuse_injected(extra: Mapping[str, object]) -> None:
    """UsageError if ``--param`` names a parameter the runner sets itself (organisation, year, month, data folder):
    a report is always for the organisation, period and store version its folder and manifest say."""
    injected = [k for k in extra if k in STANDARD_PARAMETERS]
    if injected:
        raise UsageError(
            f"--param {', '.join(injected)}: set by the run itself (use --org, --fin-year, --month, --data-dir or "
            "--as-of); a report is always for what its folder and manifest say"
        )


def grouped_skips(skipped: list[dict]) -> list[dict]:
    """Skipped reports grouped by notebook, month and reason: one line names every organisation it applies to."""
    groups: dict[tuple, list[str]] = {}
    for s in skipped:
        groups.setdefault((s["notebook"], s["month"], s["reason"]), []).append(s["org"])
    return [{"notebook": n, "month": m, "reason": r, "org": ", ".join(orgs)} for (n, m, r), orgs in groups.items()]


def previous_manifest(out: Path, fin_year: str, month: int, sub: str = "") -> dict:
    """The manifest a previous run left for this month (or its ``sub`` folder) ({} if none or unreadable)."""
    path = run_dir(out, fin_year, month, sub) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def output_file(folder: Path, entry: dict, fmt: str) -> Path | None:
    """Where a manifest entry's output of format ``fmt`` lies: ``folder/<ORG>/<file>``, never the working directory.

    ``folder`` is the month folder holding the manifest. A manifest records outputs relative to it
    (``ELR/monthly_position.pdf``); older ones recorded them as the run saw them (``reports/2019-20/...``),
    which means another folder once the pack is copied or moved, so only the file's name is used.
    """
    from ..core.files import safe_code

    recorded, org = (entry.get("outputs") or {}).get(fmt), str(entry.get("org") or "")
    if not recorded or not safe_code(org):
        return None
    return Path(folder) / org / Path(str(recorded)).name


def unchanged(report: PlannedReport, previous: dict, folder: Path) -> dict | None:
    """The previous manifest entry of ``report`` if its inputs are unchanged and its files are still in ``folder``."""
    for entry in previous.get("reports", []):
        if (entry.get("notebook"), entry.get("org")) != (report.notebook, report.org):
            continue
        ok = entry.get("status") in ("ok", "unchanged") and entry.get("input_hash") == report.input_hash
        files = [output_file(folder, entry, fmt) for fmt in entry.get("outputs") or {}]
        if ok and files and all(p is not None and p.exists() for p in files):
            return entry
    return None


@contextlib.contextmanager
def month_locks(out: Path, fin_year: str, months: list[int], sub: str = "") -> Iterator[None]:
    """Hold the run lock of every month's folder (or its ``sub`` folder; in order, so two runs cannot deadlock)."""
    with contextlib.ExitStack() as stack:
        for month in sorted(months):
            folder = make_dirs(out, run_dir(out, fin_year, month, sub))
            fh = stack.enter_context(open_nofollow(folder / LOCK, "w"))
            fcntl.flock(fh, fcntl.LOCK_EX)
            stack.callback(fcntl.flock, fh, fcntl.LOCK_UN)
            remove_stale_temps(folder)  # left by a run killed mid-write; nobody else writes here now
        yield


def entry(report: PlannedReport, result: JobResult | None, previous: dict | None = None) -> dict:
    """A manifest line for one report."""
    if result is None:
        return {**(previous or {}), "status": "unchanged", "seconds": 0.0}
    return {
        "notebook": report.notebook,
        "org": report.org,
        "status": result.status,
        "seconds": round(result.seconds, 2),
        # relative to the month folder holding the manifest: the pack can be copied or moved and still be found
        "outputs": {fmt: f"{report.org}/{Path(p).name}" for fmt, p in result.outputs.items()},
        "error": result.error,
        "input_hash": report.input_hash,
        "parameters": {k: v for k, v in report.job.parameters.items()},
        "pages": result.pages,
        # with the size, the pack knows the PDF is the one whose pages were counted without opening it
        "pdf_bytes": _size(result.outputs.get(writers.merged().name)),
        "banner": result.banner,
    }


def _size(path: str | None) -> int | None:
    try:
        return Path(path).stat().st_size if path else None
    except OSError:
        return None


def write_manifest(folder: Path, manifest: dict) -> Path:
    """Write ``manifest.json`` atomically."""
    path = folder / MANIFEST
    atomic_write_bytes(path, (json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n").encode("utf-8"))
    return path


def now() -> str:
    """UTC timestamp for the manifest."""
    return datetime.now(UTC).isoformat(timespec="seconds")
