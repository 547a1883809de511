"""The versioned processed store: one DuckDB file, every commit a numbered version.

``data/processed/store.duckdb`` holds every stored table and the history of commits. A commit
replaces exact slices of any number of tables (the key columns of each table name a slice, as
``replace_slices`` did) and records its log entry, all in ONE transaction: a reader sees the
version before it or the version after it, never a mix, and a process killed at any instant
leaves the previous version intact (DuckDB's write-ahead log is replayed or discarded on the
next open; nothing to clean up by hand).

Rows are never rewritten: each has ``_v_from`` (the version that added it) and ``_v_to`` (the
version that replaced it, NULL while current), so any past version can be read exactly as it
was (``as_of``). Analysts can query the file with SQL: the view ``returns`` (and one per table)
is the current version; ``returns_history`` holds every version's rows; ``versions`` the log.

DuckDB lets one process at a time open the file for writing and, while it does, no other
process may open it; so this module opens the file only for the duration of one read or one
commit, and a process that finds it in use waits (telling ``on_wait`` once) up to ``wait``
seconds, then raises :class:`StoreBusy`. Runs read one pinned version, so an ingest committing
meanwhile changes nothing they read.

The first open of a data folder holding the old parquet store (``returns.parquet``...,
``ingest_log.jsonl``) imports it in one transaction: each old log entry becomes a version
(without tables: the old store kept none), then one ``migration`` version holds the tables;
the old files are then moved to ``processed/pre-versioned/``. Parquet is from then on an export
(:meth:`Store.export_parquet`), e.g. exactly one version handed to notebook kernels or Dask
workers.

Errors are :class:`StoreError` subclasses with a one-line message; the store is unchanged.

:class:`Store` is the facade; the work is done, by concern, in :mod:`.tables` (the table registry
and value objects), :mod:`.errors`, :mod:`.layout` (the file's tables and version records),
:mod:`.connection` (opening the file safely), :mod:`.migrate` (importing the old store),
:mod:`.write` (commits), :mod:`.read` (reading a version) and :mod:`.export` (parquet). Every
name below is importable from here, as before.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from . import export, read, write
from .connection import DUCKDB_CONFIG, LEGACY_LOCK, LEGACY_LOG, STORE_FILE, WAIT_S, StoreFiles
from .errors import (
    StoreBusy,
    StoreConflict,
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreReadOnly,
    UnknownVersion,
)
from .layout import LAYOUT
from .migrate import LEGACY_DIR, ready
from .read import Reading
from .tables import (
    TABLES,
    Change,
    FileRecord,
    TableChange,
    TableSpec,
    Version,
    key_tuple,
    register_table,
    slice_keys,
)

__all__ = [
    "DUCKDB_CONFIG",
    "LAYOUT",
    "LEGACY_DIR",
    "LEGACY_LOCK",
    "LEGACY_LOG",
    "STORE_FILE",
    "TABLES",
    "WAIT_S",
    "Change",
    "FileRecord",
    "Reading",
    "Store",
    "StoreBusy",
    "StoreConflict",
    "StoreCorrupt",
    "StoreError",
    "StoreFull",
    "StoreReadOnly",
    "TableChange",
    "TableSpec",
    "UnknownVersion",
    "Version",
    "key_tuple",
    "open_store",
    "register_table",
    "slice_keys",
]


class Store(StoreFiles):
    """The versioned store of one data folder (``<data_dir>/processed/store.duckdb``).

    ``wait``: seconds to wait for another process using the store before :class:`StoreBusy`;
    ``on_wait``: told once, with a one-line message, when a read or commit has to wait.
    Opening touches nothing on disk; the first read migrates an old parquet store, the first
    commit creates the file.
    """

    def __repr__(self) -> str:
        return f"Store({str(self.data_dir)!r})"

    # ------------------------------------------------------------------------------- writing

    def commit(
        self, changes: Iterable[Change], log_entry: Mapping[str, Any], *, based_on: int | None = None
    ) -> Version:
        """Apply every change and record ``log_entry`` as the next version, in one transaction.

        ``log_entry`` is the ingest's record (``user``, ``kind``, ``files`` [{name, sha256, bytes}],
        anything else JSON can hold); it is kept whole and shown by :meth:`versions`.
        ``based_on``: the version the changes were computed from (e.g. the history an ingest
        compared against); if another commit came in since, :class:`StoreConflict` and no change.
        """
        return self.commit_many([(changes, log_entry)], based_on=based_on)[0]

    def commit_many(
        self,
        commits: Iterable[tuple[Iterable[Change], Mapping[str, Any]]],
        *,
        based_on: int | None = None,
    ) -> list[Version]:
        """Several commits as consecutive versions, in ONE transaction: all of them, or none.

        Each (changes, log entry) becomes the version :meth:`commit` would have made of it after the
        ones before it (same rows, slices, counts, digest and entry); written set by set, one
        statement per table rather than per version, so a batch of months costs one commit.
        """
        return write.commit_many(self, commits, based_on=based_on)

    # ------------------------------------------------------------------------------- reading

    def versions(self) -> list[Version]:
        """Every version, oldest first (empty before the first commit)."""
        return read.versions(self)

    def current_version(self) -> int:
        """The number of the latest version (0 before the first commit)."""
        return read.current_version(self)

    def version(self, as_of: int | datetime | date | None = None) -> Version | None:
        """The version ``as_of`` names (see :meth:`load`); None for the empty store (version 0)."""
        return read.version(self, as_of)

    def load(
        self, table: str, as_of: int | datetime | date | None = None, *, where: Mapping[str, Any] | None = None
    ) -> pd.DataFrame:
        """One table as of a version: None = current; an int = that version; a datetime (naive = UTC)
        or a date (its end) = the latest version committed by then. Same columns, dtypes and row order
        as the old ``load_*`` functions. ``where``: column -> value (or list of values) to read a slice.
        """
        return read.load(self, table, as_of, where=where)

    def reading(self, as_of: int | datetime | date | None = None) -> contextlib.AbstractContextManager[Reading]:
        """One read-only connection pinned to one version, for many reads (each open costs ~20 ms).

        Other processes can read meanwhile but cannot commit: keep it for one piece of work.
        """
        return read.reading(self, as_of)

    def load_many(
        self, tables: Iterable[str] | None = None, as_of: int | datetime | date | None = None
    ) -> tuple[int, dict[str, pd.DataFrame]]:
        """Several tables (default: all) from one version, read in one snapshot; returns (version, tables)."""
        return read.load_many(self, tables, as_of)

    def log(self, as_of: int | datetime | date | None = None) -> list[dict]:
        """The log entries of every version up to ``as_of`` (default: all), oldest first (as ``read_log``)."""
        return read.log(self, as_of)

    def versions_holding(self, table: str, where: Mapping[str, Any]) -> list[int]:
        """The versions at which ``table`` held rows matching ``where`` (column -> value), oldest first."""
        return read.versions_holding(self, table, where)

    # ------------------------------------------------------------------------------- export

    def export_parquet(self, folder: Path | str, as_of: int | datetime | date | None = None) -> Version | None:
        """Write one version as parquet: a file per table (the old store's names, so the old readers
        read it as ``<data_dir>/processed``), ``ingest_log.jsonl`` and ``version.json`` (number,
        digest, file hashes), written last. A new folder appears whole (built beside it and renamed);
        an existing folder has its files replaced one by one. Returns the version (None: empty store).
        """
        return export.export_parquet(self, folder, as_of)


def open_store(data_dir: Path | str, *, wait: float = WAIT_S, on_wait: Callable[[str], None] | None = None) -> Store:
    """The store of a data folder, with an old parquet store imported if the folder has one."""
    store = Store(data_dir, wait=wait, on_wait=on_wait)
    ready(store)
    return store
