"""Reading one version: which version ``as_of`` names, its tables (or slices of them), its history.

A version's rows are those with ``_v_from <= version`` and ``_v_to`` NULL or after it, so any past
version reads exactly as it was. Each read opens the file read-only for its duration (or reads
nothing, version 0, when no store exists yet); :class:`Reading` keeps one connection pinned to
one version for many reads.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import duckdb
import pandas as pd

from .connection import StoreFiles, connect
from .errors import StoreError, UnknownVersion, translate
from .layout import current, entries, first, has_table, parse_time, q, version_rows
from .migrate import ready
from .tables import TABLES, TableSpec, Version

#: What names a version: None (the current one), a number, or a time (the latest committed by then).
AsOf = int | datetime | date | None


@contextlib.contextmanager
def reader(files: StoreFiles, what: str) -> Iterator[duckdb.DuckDBPyConnection | None]:
    """A read-only connection, or None when no store exists yet (everything empty, version 0)."""
    ready(files)
    if not files.path.is_file():
        yield None
        return
    with connect(files, write=False, what=what) as con:
        try:
            yield con
        except StoreError:
            raise
        except duckdb.Error as exc:
            raise translate(exc, what, files.path) from None


def spec_of(table: str) -> TableSpec:
    """The registered table ``table``, or StoreError naming the known ones."""
    if table not in TABLES:
        raise StoreError(f"no stored table {table!r} (known: {', '.join(TABLES)})")
    return TABLES[table]


def resolve(con: duckdb.DuckDBPyConnection | None, as_of: AsOf) -> int:
    """A version number with tables: the current one, the one given, or the latest at a time."""
    latest = current(con)
    if as_of is None:
        number = latest
    elif isinstance(as_of, datetime | date):
        if not isinstance(as_of, datetime):  # a date: the end of that day
            as_of = datetime(as_of.year, as_of.month, as_of.day, 23, 59, 59, 999999)
        when = parse_time(as_of).isoformat(timespec="microseconds")
        row = (
            con.execute("SELECT coalesce(max(version), 0) FROM versions WHERE time <= ?", [when]).fetchall()[0]
            if con is not None and latest
            else (0,)
        )
        number = int(row[0])
    elif isinstance(as_of, int) and not isinstance(as_of, bool):
        if not 0 <= as_of <= latest:
            raise UnknownVersion(f"no version {as_of}: the store has versions 1 to {latest}")
        number = as_of
    else:
        raise StoreError(f"as_of must be a version number, a date or a time, not {as_of!r}")
    if number and con is not None:
        _refuse_without_tables(con, number)
    return number


def _refuse_without_tables(con: duckdb.DuckDBPyConnection, number: int) -> None:
    """UnknownVersion if version ``number`` was imported from the old log (its tables were not kept)."""
    has = first(con, "SELECT has_data FROM versions WHERE version = ?", [number])
    if has is not None and not has[0]:
        earliest = con.execute("SELECT min(version) FROM versions WHERE has_data").fetchall()[0][0]
        raise UnknownVersion(
            f"version {number} was recorded before the store kept versions (its tables were not kept); "
            f"the earliest version with tables is {earliest}"
        )


def read_table(
    con: duckdb.DuckDBPyConnection | None,
    spec: TableSpec,
    number: int,
    where: Mapping[str, Any] | None,
    layout: Mapping[str, set[str]] | None = None,
) -> pd.DataFrame:
    """Table ``spec`` (or the slice ``where`` names) as of version ``number``, with the stored dtypes.

    ``layout``: table -> columns of the file, when the caller has read them (else they are looked up).
    """
    hist = f"{spec.name}_history"
    if con is None or number == 0:
        return spec.empty()
    if layout is not None:
        if hist not in layout:
            return spec.empty()
        have = layout[hist]
    else:
        if not has_table(con, hist):
            return spec.empty()
        have = {r[0] for r in con.execute(f"DESCRIBE {q(hist)}").fetchall()}
    cols = [c for c in spec.columns if c in have]
    sql = f"SELECT {', '.join(map(q, cols))} FROM {q(hist)} WHERE _v_from <= ? AND (_v_to IS NULL OR _v_to > ?)"
    params: list[Any] = [number, number]
    for col, value in (where or {}).items():
        if col not in spec.columns:
            raise StoreError(f"table {spec.name} has no column {col!r}")
        if col not in have:
            return spec.empty()
        if isinstance(value, list | tuple | set | frozenset):
            if not value:
                return spec.empty()
            sql += f" AND {q(col)} IN ({', '.join('?' * len(value))})"
            params += list(value)
        else:
            sql += f" AND {q(col)} = ?"
            params.append(value)
    sql += " ORDER BY " + ", ".join([*map(q, [c for c in spec.order_by if c in have]), "_seq"])
    # through Arrow: several times faster than DuckDB's own .df() for text columns
    return spec.coerce(con.sql(sql, params=params).to_arrow_table().to_pandas())


# ------------------------------------------------------------------------- what the store offers


def versions(files: StoreFiles) -> list[Version]:
    """Every version, oldest first (empty before the first commit)."""
    with reader(files, "reading the store's history") as con:
        if con is None or not has_table(con, "versions"):
            return []
        return version_rows(con)


def current_version(files: StoreFiles) -> int:
    """The number of the latest version (0 before the first commit)."""
    with reader(files, "reading the store's version") as con:
        return current(con)


def version(files: StoreFiles, as_of: AsOf = None) -> Version | None:
    """The version ``as_of`` names; None for the empty store (version 0)."""
    with reader(files, "reading the store's history") as con:
        number = resolve(con, as_of)
        if con is None or number == 0:
            return None
        return version_rows(con, "WHERE version = ?", [number])[0]


def load(files: StoreFiles, table: str, as_of: AsOf = None, *, where: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """One table (or the slice ``where`` names) as of a version."""
    spec = spec_of(table)
    with reader(files, f"reading {table} from the store") as con:
        return read_table(con, spec, resolve(con, as_of), where)


@contextlib.contextmanager
def reading(files: StoreFiles, as_of: AsOf = None) -> Iterator[Reading]:
    """One read-only connection pinned to one version, for many reads."""
    with reader(files, "reading the store") as con:
        yield Reading(files, con, resolve(con, as_of))


def load_many(files: StoreFiles, tables: Iterable[str] | None = None, as_of: AsOf = None) -> tuple[int, dict]:
    """Several tables (default: all) from one version, read in one snapshot; returns (version, tables)."""
    specs = [spec_of(t) for t in (tables if tables is not None else TABLES)]
    with reader(files, "reading the store") as con:
        number = resolve(con, as_of)
        return number, {s.name: read_table(con, s, number, None) for s in specs}


def log(files: StoreFiles, as_of: AsOf = None) -> list[dict]:
    """The log entries of every version up to ``as_of`` (default: all), oldest first."""
    with reader(files, "reading the store's history") as con:
        if con is None or not has_table(con, "versions"):
            return []
        return entries(con, current(con) if as_of is None else resolve(con, as_of))


def versions_holding(files: StoreFiles, table: str, where: Mapping[str, Any]) -> list[int]:
    """The versions at which ``table`` held rows matching ``where`` (column -> value), oldest first."""
    spec = spec_of(table)
    hist = f"{spec.name}_history"
    with reader(files, f"reading {table} from the store") as con:
        if con is None or not has_table(con, hist):
            return []
        latest = current(con)
        bad = [c for c in where if c not in spec.columns]
        if bad:
            raise StoreError(f"table {spec.name} has no column {bad[0]!r}")
        cond = " AND ".join(f"{q(c)} = ?" for c in where) or "TRUE"
        spans = con.execute(
            f"SELECT DISTINCT _v_from, coalesce(_v_to, ?) FROM {q(hist)} WHERE {cond}",
            [latest + 1, *where.values()],
        ).fetchall()
    return sorted({v for lo, hi in spans for v in range(int(lo), int(hi))})


@dataclass
class Reading:
    """Reads of one version through one connection (:meth:`Store.reading`); ``version`` 0 = the empty store."""

    store: StoreFiles
    con: duckdb.DuckDBPyConnection | None
    version: int

    @functools.cached_property
    def layout(self) -> dict[str, set[str]]:
        """Table -> its columns in the file (read once)."""
        if self.con is None:
            return {}
        out: dict[str, set[str]] = {}
        for table, column in self.con.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
        ).fetchall():
            out.setdefault(table, set()).add(column)
        return out

    def load(self, table: str, *, where: Mapping[str, Any] | None = None) -> pd.DataFrame:
        """One table (or the slice ``where`` names) as :meth:`Store.load` reads it."""
        try:
            return read_table(self.con, spec_of(table), self.version, where, self.layout)
        except StoreError:
            raise
        except duckdb.Error as exc:
            raise translate(exc, f"reading {table} from the store", self.store.path) from None

    def keys(self, table: str) -> pd.DataFrame:
        """The distinct key values (the slices) that hold rows of ``table``, with the stored dtypes."""
        spec = spec_of(table)
        hist = f"{spec.name}_history"
        empty = spec.empty()[list(spec.key)]
        if self.con is None or self.version == 0 or hist not in self.layout:
            return empty
        cols = ", ".join(map(q, spec.key))
        sql = f"SELECT DISTINCT {cols} FROM {q(hist)} WHERE _v_from <= ? AND (_v_to IS NULL OR _v_to > ?)"
        try:
            got = self.con.sql(sql, params=[self.version, self.version]).to_arrow_table().to_pandas()
        except duckdb.Error as exc:
            raise translate(exc, f"reading {table} from the store", self.store.path) from None
        return got.astype(empty.dtypes.to_dict()) if len(got) else empty
