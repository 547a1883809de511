"""Reading and writing the processed store.

The live store is one DuckDB file, ``<data_dir>/processed/store.duckdb`` (:mod:`.versioned`):
every ingest commits one numbered version, all or nothing. A run reads ONE version: it exports
it once as parquet to a snapshot folder (:func:`snapshot`), and its notebooks read that folder
as their ``data_dir``, so an ingest committing meanwhile changes nothing a report reads. The
``load_*`` functions read either kind of folder, the live store (optionally ``as_of`` a version)
or a snapshot.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.files import sha256_file
from ..core.orgs import ORGANISATIONS_FILE, use_organisations
from ..core.periods import consecutive_runs
from .versioned import LEGACY_LOG, STORE_FILE, TABLES, Change, Store, StoreError, Version, open_store

SNAPSHOTS = "snapshots"
SNAPSHOT_MARK = "version.json"
#: Snapshots kept besides the one just made (older ones are removed).
KEEP_SNAPSHOTS = 4

AsOf = int | None


def processed_dir(data_dir: Path | str) -> Path:
    """The processed store under a data folder."""
    return Path(data_dir) / "processed"


def is_snapshot(data_dir: Path | str) -> bool:
    """True if ``data_dir`` is a snapshot of one version (parquet), not a live store."""
    folder = processed_dir(data_dir)
    return (folder / SNAPSHOT_MARK).is_file() and not (folder / STORE_FILE).exists()


def store(data_dir: Path | str, *, on_wait: Callable[[str], None] | None = None) -> Store:
    """The live store of a data folder (an old parquet store there is imported on first use)."""
    return open_store(data_dir, on_wait=on_wait)


def _table(data_dir: Path | str, name: str, as_of: AsOf = None) -> pd.DataFrame:
    spec = TABLES[name]
    if is_snapshot(data_dir):
        if as_of is not None:
            raise StoreError(f"{data_dir} is a snapshot of one version; as_of does not apply")
        path = processed_dir(data_dir) / spec.file
        return spec.coerce(pd.read_parquet(path)) if path.is_file() else spec.empty()
    return Store(data_dir).load(name, as_of=as_of)


def load_table(data_dir: Path | str, name: str, as_of: AsOf = None) -> pd.DataFrame:
    """Any stored table by name (``returns``, ``warnings``, ``frp_lines``...) from a live store or a snapshot."""
    if name not in TABLES:
        raise StoreError(f"no stored table {name!r} (known: {', '.join(TABLES)})")
    return _table(data_dir, name, as_of)


def load_returns(data_dir: Path | str, as_of: AsOf = None) -> pd.DataFrame:
    """Every stored scheme row (all years, months, CCGs) of the version; empty table if nothing is stored.

    Also makes the data folder's organisations (``organisations.csv``, else the built-in ones) the
    ones in use, so a notebook that loads a folder's returns knows that folder's organisations.
    """
    use_organisations(data_dir)
    return _table(data_dir, "returns", as_of)


def load_warnings(data_dir: Path | str, as_of: AsOf = None) -> pd.DataFrame:
    """Every stored reconciliation warning (a return that does not add up to its own printed total)."""
    return _table(data_dir, "warnings", as_of)


def load_frp(data_dir: Path | str, as_of: AsOf = None) -> dict[str, pd.DataFrame]:
    """The stored FRP tables: ``lines`` (scheme table), ``position`` and ``checks`` (all periods)."""
    use_organisations(data_dir)
    return {k: _table(data_dir, f"frp_{k}", as_of) for k in ("lines", "position", "checks")}


def load_rightcare(data_dir: Path | str, as_of: AsOf = None) -> dict[str, pd.DataFrame]:
    """The stored RightCare tables: ``indicators`` (spend per 1,000 by CCG) and ``peers`` (all years)."""
    use_organisations(data_dir)
    return {k: _table(data_dir, f"rightcare_{k}", as_of) for k in ("indicators", "peers")}


def load_adjustments(data_dir: Path | str, as_of: AsOf = None) -> pd.DataFrame:
    """Every adjustment to returns that fall short of their printed control totals (derived, or by the PMO)."""
    return _table(data_dir, "adjustments", as_of)


def load_commentary(data_dir: Path | str, as_of: AsOf = None) -> pd.DataFrame:
    """Commentary per organisation, month and scheme (group): SRO returns, PMO commentary sheets, papers."""
    return _table(data_dir, "commentary", as_of)


def load_controls(data_dir: Path | str, as_of: AsOf = None) -> dict[str, pd.DataFrame]:
    """The controls held: ``combined_rows`` (combined dashboards as received) and ``printed_totals``."""
    return {k: _table(data_dir, k, as_of) for k in ("combined_rows", "printed_totals")}


def read_log(data_dir: Path | str) -> list[dict]:
    """The ingest log (one entry per version), oldest first."""
    if is_snapshot(data_dir):
        path = processed_dir(data_dir) / LEGACY_LOG
        lines = path.read_text(encoding="utf-8").splitlines() if path.is_file() else []
        return [json.loads(line) for line in lines if line.strip()]
    return Store(data_dir).log()


def commit(
    data_dir: Path | str, changes: Iterable[Change], log_entry: Mapping[str, Any], *, based_on: int | None = None
) -> Version:
    """Commit ``changes`` and ``log_entry`` as the next version of the data folder's store (one transaction)."""
    return store(data_dir).commit(changes, log_entry, based_on=based_on)


def versions(data_dir: Path | str) -> list[Version]:
    """Every version of the store, oldest first."""
    return store(data_dir).versions()


def snapshot(
    data_dir: Path | str, as_of: int | str | None = None, *, on_wait: Callable[[str], None] | None = None
) -> tuple[Path, Version | None]:
    """A folder holding exactly one version (the latest, or ``as_of``) as parquet, to hand to notebooks.

    ``<data_dir>/processed/snapshots/v<N>/`` with ``processed/`` and the folder's ``organisations.csv``;
    a version never changes, so an existing complete snapshot is reused. ``as_of`` is a version
    number or a date/time (ISO text). Returns (snapshot data folder, version; None for an empty store).
    """
    live = store(data_dir, on_wait=on_wait)
    when: Any = as_of
    if isinstance(as_of, str):
        when = _as_of(as_of)
    version = live.version(when)
    if as_of is not None and version is None and not (isinstance(when, int) and when == 0):
        raise _no_version_then(live, str(as_of))
    number = version.number if version else 0
    root = processed_dir(data_dir) / SNAPSHOTS
    target = root / f"v{number:06d}"
    remove_stale_builds(root)
    # edited or damaged since it was made: made again from the store, then swapped in (a run reading it meanwhile
    # keeps its open files, and finds the whole snapshot at the same path)
    stale = (target / "processed" / SNAPSHOT_MARK).is_file() and bool(snapshot_problems(target, version, data_dir))
    if stale or not (target / "processed" / SNAPSHOT_MARK).is_file():
        if target.exists() and not stale:
            shutil.rmtree(target)  # an incomplete one left by a killed run
        build = root / f".v{number:06d}.building"
        if build.exists():
            shutil.rmtree(build)
        build.mkdir(parents=True)
        orgs = Path(data_dir) / ORGANISATIONS_FILE
        if orgs.is_file():
            shutil.copyfile(orgs, build / ORGANISATIONS_FILE)
        live.export_parquet(build / "processed", as_of=number)
        aside = root / f".v{number:06d}.replaced"
        if stale:
            shutil.rmtree(aside, ignore_errors=True)
            target.rename(aside)
        build.rename(target)
        shutil.rmtree(aside, ignore_errors=True)
    problems = snapshot_problems(target, version, data_dir)
    if problems:
        raise StoreError(f"the snapshot {target} of version {number} does not match the store: {problems[0]}")
    _prune(root, keep=target)
    return target, version


def versions_holding_month(data_dir: Path | str, fin_year: str, month: int) -> list[int]:
    """The versions of the store that hold scheme returns or an FRP for ``fin_year`` month ``month``."""
    live = store(data_dir)
    where = {"fin_year": fin_year, "month": int(month)}
    return sorted(set(live.versions_holding("returns", where)) | set(live.versions_holding("frp_lines", where)))


def spans(numbers: Iterable[int]) -> str:
    """Version numbers as runs: [2, 3, 4, 7] -> '2 to 4, 7'."""
    return ", ".join(f"{a} to {b}" if b > a else str(a) for a, b in consecutive_runs(numbers))


def _no_version_then(live: Store, as_of: str) -> StoreError:
    """The error for an --as-of date before the first version was committed."""
    first = next(iter(live.versions()), None)
    if first is None:
        return StoreError(f"--as-of {as_of}: the store has no versions yet; ingest returns first")
    return StoreError(
        f"--as-of {as_of}: no version of the store was committed on or before it; the first, version "
        f"{first.number}, was committed {first.time:%Y-%m-%d %H:%M} UTC (qipp history lists them all)"
    )


def snapshot_problems(snap: Path, version: Version | None, data_dir: Path | str) -> list[str]:
    """How a snapshot differs from what was recorded when it was made (empty: it is exactly that version).

    Every table file's sha256 against its ``version.json``, that file's version and digest against the
    store's, and the organisations file against the data folder's: an edited parquet, a swapped
    ``version.json`` or a changed registry is never rendered under the version's number.
    """
    folder = processed_dir(snap)
    try:
        about = json.loads((folder / SNAPSHOT_MARK).read_text(encoding="utf-8"))
        files = dict(about["files"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [f"{SNAPSHOT_MARK} unreadable ({exc})"]
    problems = []
    number, digest = (version.number, version.digest) if version else (0, "")
    if about.get("version") != number or about.get("digest", "") != digest:
        problems.append(f"{SNAPSHOT_MARK} names version {about.get('version')!r}, not version {number}")
    expected = {spec.file for spec in TABLES.values()} | {LEGACY_LOG}
    if set(files) != expected:
        problems.append(f"{SNAPSHOT_MARK} lists {sorted(files)}, not the store's tables")
    for name, sha in files.items():
        path = folder / Path(name).name
        if path.is_symlink() or not path.is_file() or sha256_file(path) != sha:
            problems.append(f"{name} is not the file exported (its sha256 differs)")
    orgs, copied = Path(data_dir) / ORGANISATIONS_FILE, Path(snap) / ORGANISATIONS_FILE
    if orgs.is_file() != copied.is_file() or (orgs.is_file() and sha256_file(orgs) != sha256_file(copied)):
        problems.append(f"its {ORGANISATIONS_FILE} is not the data folder's")
    return problems


#: A snapshot being built this long ago was left by a killed run (an export takes seconds).
STALE_BUILD_S = 3600.0


def remove_stale_builds(root: Path) -> None:
    """Remove ``.vNNNNNN.building`` (and ``.replaced``) folders a killed run left (older than :data:`STALE_BUILD_S`)."""
    import time

    for build in [*root.glob(".v[0-9]*.building"), *root.glob(".v[0-9]*.replaced")]:
        try:
            if not build.is_symlink() and time.time() - build.stat().st_mtime > STALE_BUILD_S:
                shutil.rmtree(build, ignore_errors=True)
        except OSError:
            continue


def _as_of(text: str) -> int | Any:
    """'12' -> version 12; '2019-10-04' or an ISO date-time -> that moment."""
    from datetime import date, datetime

    t = text.strip()
    if t.isdigit():
        return int(t)
    try:
        return datetime.fromisoformat(t) if "T" in t or ":" in t else date.fromisoformat(t)
    except ValueError:
        raise StoreError(
            f"--as-of {text!r}: give a version number (qipp history lists them) or a date such as 2019-10-04"
        ) from None


def _prune(root: Path, *, keep: Path) -> None:
    """Remove all but the newest snapshots (and the one in use)."""
    snaps = sorted(p for p in root.glob("v[0-9]*") if p.is_dir() and not p.is_symlink())
    for old in snaps[:-KEEP_SNAPSHOTS]:
        if old != keep:
            shutil.rmtree(old, ignore_errors=True)


def snapshot_hashes(snapshot_dir: Path | str) -> dict[str, str]:
    """sha256 of each table file of a snapshot (from its version.json), for ``--changed-only``."""
    about = json.loads((processed_dir(snapshot_dir) / SNAPSHOT_MARK).read_text(encoding="utf-8"))
    return {f"processed/{name}": digest for name, digest in about.get("files", {}).items()}


def empty_warnings() -> pd.DataFrame:
    """An empty reconciliation-warnings table with the stored columns."""
    return TABLES["warnings"].empty()
