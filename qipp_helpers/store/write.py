"""Committing: changes checked and coerced (staged), then written as consecutive versions in ONE transaction.

A commit replaces exact slices of any number of tables: the current rows of each slice named are
retired (``_v_to`` set to the new version) and the new rows added (``_v_from``); rows are never
rewritten otherwise. A batch of commits writes each table once (one UPDATE, one INSERT) and
records the same versions one commit after another would have. Any error rolls everything back.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from ..core.faults import fault
from .connection import StoreFiles, connect, remove_stale_temps
from .errors import StoreConflict, StoreError, translate
from .layout import counts, ensure_schema, file_records, first, frame_digest, insert_version, now, q, user_of
from .migrate import ready
from .tables import TABLES, Change, TableChange, TableSpec, Version, key_tuple, slice_keys


@dataclass(frozen=True)
class Staged:
    """One change ready to write: its table, rows with the stored dtypes, and every slice it replaces."""

    spec: TableSpec
    rows: pd.DataFrame
    keys: set[tuple]


def stage(changes: Iterable[Change], log_entry: Mapping[str, Any]) -> tuple[list[Staged], dict]:
    """One commit's changes checked and coerced to the stored dtypes, and its log entry as JSON holds it."""
    prepared: list[Staged] = []
    seen = set()
    for ch in changes:
        if ch.table not in TABLES:
            raise StoreError(f"no stored table {ch.table!r} (known: {', '.join(TABLES)})")
        if ch.table in seen:
            raise StoreError(f"table {ch.table!r} given twice in one commit")
        seen.add(ch.table)
        spec = TABLES[ch.table]
        rows = ch.rows if ch.rows is not None else pd.DataFrame()
        missing = [c for c in spec.key if c not in rows.columns] if len(rows) else []
        if missing:
            raise StoreError(f"rows for {spec.name} lack the key column(s) {', '.join(missing)}")
        try:
            slices = {key_tuple(spec, s) for s in ch.slices}
        except (TypeError, ValueError):
            raise StoreError(f"slices of {spec.name} must be tuples of {', '.join(spec.key)}") from None
        try:
            coerced = spec.conform(rows)
        except (TypeError, ValueError) as exc:
            msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise StoreError(f"rows for {spec.name} cannot take the stored column types: {msg}") from None
        keys = slices | slice_keys(spec, coerced)
        prepared.append(Staged(spec, coerced, keys))
    try:
        entry = json.loads(json.dumps(dict(log_entry), sort_keys=True))
    except (TypeError, ValueError) as exc:
        raise StoreError(f"the log entry cannot be stored as JSON: {exc}") from None
    return prepared, entry


def commit_many(
    files: StoreFiles,
    commits: Iterable[tuple[Iterable[Change], Mapping[str, Any]]],
    *,
    based_on: int | None = None,
) -> list[Version]:
    """Several commits as consecutive versions, in one transaction (see :meth:`Store.commit_many`)."""
    staged = [stage(changes, entry) for changes, entry in commits]
    if not staged:
        return []
    ready(files)
    what = "committing to the store"
    with connect(files, write=True, what=what) as con:
        try:
            remove_stale_temps(files)
            con.execute("BEGIN TRANSACTION")
            fault("store.begin")
            ensure_schema(con)
            versions = _write(con, staged, based_on)
            fault("store.before_commit")
            con.execute("COMMIT")
        except StoreError:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise
        except (duckdb.Error, OSError, UnicodeError) as exc:
            with contextlib.suppress(duckdb.Error):
                con.execute("ROLLBACK")
            raise translate(exc, what, files.path) from None
    fault("store.after_commit")
    return versions


def _write(
    con: duckdb.DuckDBPyConnection, staged: list[tuple[list[Staged], dict]], based_on: int | None
) -> list[Version]:
    """The staged commits' rows and versions, numbered on from the latest (inside the transaction)."""
    last = first(con, "SELECT version, digest FROM versions ORDER BY version DESC LIMIT 1")
    start, digest = (int(last[0]) + 1, last[1]) if last else (1, "")
    if based_on is not None and based_on != start - 1:
        raise StoreConflict(
            f"the store moved on to version {start - 1} while this change was prepared from version "
            f"{based_on}; nothing was changed: run it again"
        )
    numbers = list(range(start, start + len(staged)))
    rows_now = counts(con)
    by_table: dict[str, list[tuple[int, Staged]]] = {}
    for number, (parts, _) in zip(numbers, staged, strict=True):
        for part in parts:
            by_table.setdefault(part.spec.name, []).append((number, part))
    removed: dict[tuple[str, int], int] = {}
    for name, items in by_table.items():
        removed.update({(name, n): r for n, r in _replace_many(con, TABLES[name], items).items()})
    fault("store.after_rows")
    versions = []
    for number, (parts, entry) in zip(numbers, staged, strict=True):
        versions.append(_record(con, number, parts, entry, digest, removed, rows_now))
        digest = versions[-1].digest
    return versions


def _record(
    con: duckdb.DuckDBPyConnection,
    number: int,
    parts: list[Staged],
    entry: dict,
    digest: str,
    removed: Mapping[tuple[str, int], int],
    rows_now: dict[str, int],
) -> Version:
    """Record version ``number`` (its changes, counts and digest chained on ``digest``); ``rows_now``,
    the tables' current rows, is moved on to after it."""
    done: dict[str, TableChange] = {}
    for part in parts:
        name = part.spec.name
        done[name] = TableChange(len(part.rows), removed[name, number], tuple(sorted(part.keys)))
        rows_now[name] += len(part.rows) - removed[name, number]
        piece = json.dumps([list(s) for s in done[name].slices]) + frame_digest(part.rows)
        digest = hashlib.sha256((digest + name + piece).encode()).hexdigest()
    files = file_records(entry)
    when = now()
    user, kind = user_of(entry), str(entry.get("kind", "ingest"))
    rows = dict(rows_now)
    insert_version(con, number, when, user, kind, True, digest, files, rows, done, entry)
    return Version(number, when, user, kind, tuple(files), rows, done, digest, entry)


def _replace_many(con: duckdb.DuckDBPyConnection, spec: TableSpec, items: list[tuple[int, Staged]]) -> dict[int, int]:
    """Replace the slices of each (version, change) in turn, in one UPDATE and one INSERT.

    A current row is retired by the first version that names its slice; a row added by one
    version is retired by the next one naming its slice. Returns version -> rows retired.
    """
    hist = q(f"{spec.name}_history")
    naming: dict[tuple, list[int]] = {}  # slice -> versions naming it, in order
    for number, part in items:
        for k in part.keys:
            naming.setdefault(k, []).append(number)
    removed = dict.fromkeys((n for n, _ in items), 0)
    if naming:
        _retire(con, spec, hist, naming, items, removed)
    fault("store.after_retire")
    _add(con, spec, hist, naming, items, removed)
    return removed


def _retire(
    con: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    hist: str,
    naming: dict[tuple, list[int]],
    items: list[tuple[int, Staged]],
    removed: dict[int, int],
) -> None:
    """Retire the current rows of every slice named, each by the first version naming it (counted in ``removed``)."""
    dtypes = {"BIGINT": "int64", "DOUBLE": "float64", "BOOLEAN": "bool"}
    keys = sorted(naming)
    frame = pd.DataFrame(keys, columns=list(spec.key))
    frame = frame.astype({c: dtypes.get(spec.sql_types[c], "str") for c in spec.key})
    frame["_ver"] = [naming[k][0] for k in keys]
    con.register("_slices", pa.Table.from_pandas(frame, preserve_index=False))
    match = " AND ".join(f"h.{q(c)} = k.{q(c)}" for c in spec.key)
    res = first(con, f"UPDATE {hist} AS h SET _v_to = k._ver FROM _slices AS k WHERE h._v_to IS NULL AND {match}")
    con.unregister("_slices")
    retired = int(res[0]) if res else 0
    if retired and len(items) == 1:
        removed[items[0][0]] = retired
    elif retired:
        lo, hi = items[0][0], items[-1][0]
        for number, count in con.execute(
            f"SELECT _v_to, count(*) FROM {hist} WHERE _v_to BETWEEN ? AND ? GROUP BY _v_to", [lo, hi]
        ).fetchall():
            removed[int(number)] += int(count)


def _add(
    con: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    hist: str,
    naming: dict[tuple, list[int]],
    items: list[tuple[int, Staged]],
    removed: dict[int, int],
) -> None:
    """Add each version's rows; a row whose slice a later version of the batch names is retired by it."""
    tables = []
    start = int(con.execute(f"SELECT coalesce(max(_seq), 0) FROM {hist}").fetchall()[0][0]) + 1
    for number, part in items:
        n = len(part.rows)
        if not n:
            continue
        later = {k: next((v for v in naming[k] if v > number), None) for k in part.keys}
        to: list | None = None
        if any(v is not None for v in later.values()):  # retired again later in this batch
            keys_of = zip(*(part.rows[c].tolist() for c in spec.key), strict=True)
            to = [later.get(key_tuple(spec, k)) for k in keys_of]
            for v in to:
                if v is not None:
                    removed[v] += 1
        table = pa.table({c: pa.array(part.rows[c]) for c in spec.columns})  # 10x faster than from_pandas
        table = table.append_column("_seq", pa.array(np.arange(start, start + n), pa.int64()))
        table = table.append_column("_v_from", pa.array(np.full(n, number), pa.int64()))
        table = table.append_column("_v_to", pa.array(to, pa.int64()) if to else pa.nulls(n, pa.int64()))
        tables.append(table)
        start += n
    if tables:
        con.register("_rows", pa.concat_tables(tables))
        cols = ", ".join(map(q, [*spec.columns, "_seq", "_v_from", "_v_to"]))
        con.execute(f"INSERT INTO {hist} ({cols}) SELECT {cols} FROM _rows")
        con.unregister("_rows")
