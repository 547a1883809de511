"""Importing the old parquet store (``returns.parquet``..., ``ingest_log.jsonl``) on the first open.

One transaction: each old log entry becomes a version without tables (the old store kept none),
then one ``migration`` version holds the tables. The old files are then moved to
``processed/pre-versioned/``; a kill before the move is finished by the next open.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

from ..core.faults import fault
from ..core.files import sha256_file
from .connection import LEGACY_LOCK, LEGACY_LOG, StoreFiles, connect, refuse_links, remove_stale_temps
from .errors import StoreError, translate
from .layout import (
    counts,
    current,
    ensure_schema,
    file_records,
    first,
    frame_digest,
    insert_version,
    now,
    parse_time,
    q,
    user_of,
)
from .tables import TABLES, FileRecord, TableChange, TableSpec, key_tuple

#: Where the old parquet store's files go once imported (kept, never read again).
LEGACY_DIR = "pre-versioned"


def legacy_present(files: StoreFiles) -> list[Path]:
    """The old store's files in the folder (none once imported)."""
    names = [s.legacy_file for s in TABLES.values() if s.legacy_file] + [LEGACY_LOG]
    return [files.folder / n for n in names if (files.folder / n).is_file()]


def ready(files: StoreFiles) -> None:
    """Import the old parquet store if this folder has one and it was not imported yet."""
    refuse_links(files)
    if not files.folder.is_dir() or not legacy_present(files):
        return
    with connect(files, write=True, what="importing the parquet store") as con, _legacy_lock(files):
        try:
            _migrate(con, files)
        except StoreError:
            raise
        except (duckdb.Error, OSError, ValueError, TypeError, pa.ArrowException) as exc:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise translate(exc, "importing the parquet store", files.path) from None
        _move_legacy(files)
        remove_stale_temps(files)


@contextlib.contextmanager
def _legacy_lock(files: StoreFiles) -> Iterator[None]:
    """The old store's writer lock (never following a link), held while its files are imported/moved."""
    fd = os.open(files.folder / LEGACY_LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _migrate(con: duckdb.DuckDBPyConnection, files: StoreFiles) -> None:
    """Old log entries -> versions without tables; old parquet files -> one migration version."""
    con.execute("BEGIN TRANSACTION")
    ensure_schema(con)
    if first(con, "SELECT value FROM meta WHERE key = 'migrated'") is not None:
        con.execute("ROLLBACK")  # imported already (a kill stopped the move of the old files)
        return
    if current(con):
        con.execute("ROLLBACK")
        raise StoreError(
            f"{files.folder} holds both a versioned store and old parquet store files "
            f"({', '.join(p.name for p in legacy_present(files))}): move the old files away"
        )
    log = files.folder / LEGACY_LOG
    entries, unreadable = _read_log(log)
    digest = _log_versions(con, entries, log)
    number = len(entries) + 1
    changes, records, digest = _import_tables(con, files.folder, number, digest)
    if log.is_file():
        records.append(FileRecord(log.name, sha256_file(log), log.stat().st_size))
    entry = {
        "kind": "migration",
        "time": now().isoformat(timespec="seconds"),
        "user": user_of({}),
        "from": "parquet store (processed/*.parquet and ingest_log.jsonl)",
        "log_entries": len(entries),
        "unreadable_log_lines": unreadable,
        "files": [f.__dict__ for f in records],
    }
    insert_version(
        con, number, now(), str(entry["user"]), "migration", True, digest, records, counts(con), changes, entry
    )
    con.execute("INSERT OR REPLACE INTO meta VALUES ('migrated', ?)", [str(number)])
    fault("store.migrate.before_commit")
    con.execute("COMMIT")
    fault("store.migrate.after_commit")


def _read_log(log: Path) -> tuple[list[dict], list[dict]]:
    """The old log's entries, and its lines that are not JSON objects ({line, text})."""
    entries, unreadable = [], []
    if log.is_file():
        for i, line in enumerate(log.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
            if not line.strip():
                continue
            try:
                entry = json.loads(line)
                if not isinstance(entry, dict):
                    raise ValueError("not an object")
                entries.append(entry)
            except ValueError:
                unreadable.append({"line": i, "text": line[:500]})
    return entries, unreadable


def _log_versions(con: duckdb.DuckDBPyConnection, entries: list[dict], log: Path) -> str:
    """Versions 1 to n, without tables, from the old log's entries; returns the digest chained so far."""
    digest = ""
    for n, entry in enumerate(entries, start=1):
        try:
            when = parse_time(entry.get("time", ""))
        except ValueError:
            when = datetime.fromtimestamp(log.stat().st_mtime, UTC)
        digest = hashlib.sha256((digest + json.dumps(entry, sort_keys=True)).encode()).hexdigest()
        kind = str(entry.get("kind", "ingest"))
        insert_version(con, n, when, user_of(entry), kind, False, digest, file_records(entry), {}, {}, entry)
    return digest


def _import_tables(
    con: duckdb.DuckDBPyConnection, folder: Path, number: int, digest: str
) -> tuple[dict[str, TableChange], list[FileRecord], str]:
    """The old parquet files' rows as version ``number``: (changes, files read, digest chained on)."""
    changes, records = {}, []
    for spec in TABLES.values():
        path = folder / spec.file if spec.legacy_file else None
        if path is None or not path.is_file():
            continue
        records.append(FileRecord(path.name, sha256_file(path), path.stat().st_size))
        try:
            rows = spec.coerce(pd.read_parquet(path))
        except (OSError, ValueError, TypeError, pa.ArrowException) as exc:
            msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise StoreError(
                f"importing the parquet store: {path} cannot be read ({msg}); nothing was imported"
            ) from None

        changes[spec.name] = _replace(con, spec, rows, set(), number)
        digest = hashlib.sha256((digest + spec.name + frame_digest(rows)).encode()).hexdigest()
    return changes, records, digest


def _replace(
    con: duckdb.DuckDBPyConnection, spec: TableSpec, rows: pd.DataFrame, slices: set[tuple], version: int
) -> TableChange:
    """Retire the current rows of ``slices`` and of the slices of ``rows``; add ``rows``."""
    hist = q(f"{spec.name}_history")
    given = rows[list(spec.key)].drop_duplicates()
    keys = set(slices) | {key_tuple(spec, k) for k in given.itertuples(index=False, name=None)}
    removed = 0
    if keys:
        dtypes = {"BIGINT": "int64", "DOUBLE": "float64", "BOOLEAN": "bool"}
        frame = pd.DataFrame(sorted(keys), columns=list(spec.key))
        frame = frame.astype({c: dtypes.get(spec.sql_types[c], "str") for c in spec.key})
        con.register("_slices", pa.Table.from_pandas(frame, preserve_index=False))
        match = " AND ".join(f"h.{q(c)} = k.{q(c)}" for c in spec.key)
        res = first(
            con, f"UPDATE {hist} AS h SET _v_to = ? FROM _slices AS k WHERE h._v_to IS NULL AND {match}", [version]
        )
        removed = int(res[0]) if res else 0
        con.unregister("_slices")
    fault("store.after_retire")
    if len(rows):
        start = int(con.execute(f"SELECT coalesce(max(_seq), 0) FROM {hist}").fetchall()[0][0]) + 1
        frame = rows.assign(_seq=range(start, start + len(rows)), _v_from=version)
        con.register("_rows", pa.Table.from_pandas(frame, preserve_index=False))
        cols = ", ".join(map(q, [*spec.columns, "_seq", "_v_from"]))
        con.execute(f"INSERT INTO {hist} ({cols}) SELECT {cols} FROM _rows")
        con.unregister("_rows")
    return TableChange(len(rows), removed, tuple(sorted(keys)))


def _move_legacy(files: StoreFiles) -> None:
    """Move the imported parquet files and log out of the way (idempotent; after a kill, the next open)."""
    present = legacy_present(files)
    if not present:
        return
    target = files.folder / LEGACY_DIR
    if target.is_symlink():
        raise StoreError(f"{target} is a symbolic link: refusing to move the old store into it")
    target.mkdir(exist_ok=True)
    for p in present:
        dest = target / p.name
        if dest.exists():
            dest = target / f"{p.stem}.{now():%Y%m%dT%H%M%S%f}{p.suffix}"
        os.replace(p, dest)
