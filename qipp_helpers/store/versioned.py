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
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import getpass
import hashlib
import json
import os
import re
import shutil
import stat
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from ..core.errors import StoreError as QippStoreError
from ..core.faults import fault
from ..core.files import atomic_path, sha256_file
from ..core.vocab import ADJUSTMENT_COLUMNS
from .schema import (
    COMBINED_COLUMNS,
    COMMENTARY_COLUMNS,
    FRP_CHECK_COLUMNS,
    FRP_KEY,
    FRP_LINE_COLUMNS,
    FRP_POSITION_COLUMNS,
    PRINTED_TOTAL_COLUMNS,
    RETURN_COLUMNS,
    RIGHTCARE_INDICATOR_COLUMNS,
    RIGHTCARE_KEY,
    RIGHTCARE_PEER_COLUMNS,
    WARNING_COLUMNS,
    coerce_returns,
    coerce_table,
)

STORE_FILE = "store.duckdb"
#: Where the old parquet store's files go once imported (kept, never read again).
LEGACY_DIR = "pre-versioned"
LEGACY_LOG = "ingest_log.jsonl"
LEGACY_LOCK = ".lock"
#: Layout of the tables in the file; bumped (with a migration) if it ever changes.
LAYOUT = 1
#: Default seconds to wait for another process using the store.
WAIT_S = 120.0

_SQL_TYPES = {"float64": "DOUBLE", "int64": "BIGINT", "bool": "BOOLEAN"}
_SYSTEM = ("_seq", "_v_from", "_v_to")


# --------------------------------------------------------------------------------------- errors


class StoreError(QippStoreError):
    """The store could not do what was asked; the message is one line and the store is unchanged."""


class StoreBusy(StoreError):
    """Another process kept the store in use for longer than we were prepared to wait."""


class StoreReadOnly(StoreError):
    """The store's folder or file cannot be written."""


class StoreFull(StoreError):
    """The disk (or the file-size limit) ran out during a write."""


class StoreCorrupt(StoreError):
    """The store file is not a readable DuckDB database."""


class StoreConflict(StoreError):
    """Another commit came in after the version a change was prepared from (``based_on``)."""


class UnknownVersion(StoreError):
    """No such version, or a version whose tables were not kept (recorded before migration)."""


# ------------------------------------------------------------------------------ table registry


@dataclass(frozen=True)
class TableSpec:
    """One stored table: its columns (in stored order), the key columns naming a slice, and the
    function that gives a frame the stored column order and dtypes (float64, int64, bool, str).

    ``order_by``: columns rows are returned sorted by (then insertion order); empty = insertion
    order, which is what replacing a slice in the old parquet store gave (kept rows, then new).
    ``legacy_file``: the table's parquet file in the old store and in exports.
    """

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    coerce: Callable[[pd.DataFrame], pd.DataFrame]
    order_by: tuple[str, ...] = ()
    legacy_file: str | None = None

    @property
    def file(self) -> str:
        """The parquet file name of the table in an export."""
        return self.legacy_file or f"{self.name}.parquet"

    @functools.cached_property
    def sql_types(self) -> dict[str, str]:
        """Column -> DuckDB type, read off the dtypes ``coerce`` gives an empty frame."""
        empty = self.coerce(pd.DataFrame({c: pd.Series(dtype="object") for c in self.columns}))
        out = {}
        for c in self.columns:
            dtype = empty[c].dtype
            if str(dtype) in _SQL_TYPES:
                out[c] = _SQL_TYPES[str(dtype)]
            elif pd.api.types.is_string_dtype(dtype):
                out[c] = "VARCHAR"
            else:
                raise TypeError(f"table {self.name}: column {c} has dtype {dtype}, not float64/int64/bool/str")
        return out

    def empty(self) -> pd.DataFrame:
        """The table with no rows, stored columns and dtypes."""
        return self._empty.copy()

    def conform(self, rows: pd.DataFrame) -> pd.DataFrame:
        """``coerce(rows)``, skipped when ``rows`` already have the stored columns, dtypes and no blank text."""
        empty = self._empty
        same = list(rows.columns) == list(empty.columns) and bool((rows.dtypes == empty.dtypes).all())
        if same and not any(rows[c].hasnans for c in self.columns if self.sql_types[c] == "VARCHAR"):
            return rows
        return self.coerce(rows)

    @functools.cached_property
    def _empty(self) -> pd.DataFrame:
        return self.coerce(pd.DataFrame({c: pd.Series(dtype="object") for c in self.columns}))


#: name -> spec of every stored table; add one with :func:`register_table`.
TABLES: dict[str, TableSpec] = {}


def register_table(spec: TableSpec, *, replace: bool = False) -> TableSpec:
    """Add a table to the store. Its history table and current view are created by the next commit;
    columns added to a registered table later are added to the stored table (old rows get ''/0/NULL)."""
    if spec.name in TABLES and not replace:
        raise ValueError(f"table {spec.name!r} is already registered")
    if not spec.name.isidentifier() or spec.name.startswith("_") or spec.name in ("versions", "meta"):
        raise ValueError(f"table name {spec.name!r}: use a plain identifier (not versions/meta, no leading _)")
    if len(set(spec.columns)) != len(spec.columns) or any(c.startswith("_") or '"' in c for c in spec.columns):
        raise ValueError(f"table {spec.name}: columns must be unique, without a leading _ or a double quote")
    if not spec.key or not set(spec.key) <= set(spec.columns) or not set(spec.order_by) <= set(spec.columns):
        raise ValueError(f"table {spec.name}: key and order_by must be columns of the table (key not empty)")
    spec.sql_types  # noqa: B018 - fail now, not at the first commit, if a dtype cannot be stored
    TABLES[spec.name] = spec
    return spec


def _coerce_with(columns: tuple[str, ...]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return functools.partial(coerce_table, columns=columns)


register_table(
    TableSpec(
        "returns", RETURN_COLUMNS, ("fin_year", "month", "org"), coerce_returns, ("fin_year", "month", "org", "row"),
        "returns.parquet",
    )
)  # fmt: skip
register_table(
    TableSpec("warnings", WARNING_COLUMNS, ("fin_year", "month", "org"), _coerce_with(WARNING_COLUMNS),
              legacy_file="reconciliation.parquet")
)  # fmt: skip
for _name, _cols in (("lines", FRP_LINE_COLUMNS), ("position", FRP_POSITION_COLUMNS), ("checks", FRP_CHECK_COLUMNS)):
    register_table(TableSpec(f"frp_{_name}", _cols, FRP_KEY, _coerce_with(_cols), legacy_file=f"frp_{_name}.parquet"))
for _name, _cols in (("indicators", RIGHTCARE_INDICATOR_COLUMNS), ("peers", RIGHTCARE_PEER_COLUMNS)):
    register_table(
        TableSpec(f"rightcare_{_name}", _cols, RIGHTCARE_KEY, _coerce_with(_cols),
                  legacy_file=f"rightcare_{_name}.parquet")
    )  # fmt: skip
#: Tables of the control totals and commentary (no parquet file in the old store: they are new).
for _name, _cols, _order in (
    ("combined_rows", COMBINED_COLUMNS, ("fin_year", "month", "org", "source_row")),
    ("printed_totals", PRINTED_TOTAL_COLUMNS, ("fin_year", "month", "org")),
    ("adjustments", ADJUSTMENT_COLUMNS, ("fin_year", "month", "org", "adjustment_id", "measure")),
    ("commentary", COMMENTARY_COLUMNS, ("fin_year", "month", "org", "order")),
):
    register_table(TableSpec(_name, _cols, ("fin_year", "month", "org"), _coerce_with(_cols), _order))


# ------------------------------------------------------------------------------ value objects


@dataclass(frozen=True)
class Change:
    """Replace exactly these slices of one table by ``rows``.

    ``slices`` are tuples of the table's key values; the slice of every row given is replaced too,
    so ``slices`` need only name slices that become empty (e.g. an LLR slice with warnings only).
    """

    table: str
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    slices: Iterable[tuple] = ()


@dataclass(frozen=True)
class FileRecord:
    """An input file of a commit."""

    name: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class TableChange:
    """What one commit did to one table."""

    added: int
    removed: int
    slices: tuple[tuple, ...]


@dataclass(frozen=True)
class _Staged:
    """One change ready to write: its table, rows with the stored dtypes, and every slice it replaces."""

    spec: TableSpec
    rows: pd.DataFrame
    keys: set[tuple]


@dataclass(frozen=True)
class Version:
    """One commit: who, when, from which files, how many rows each table then held, what changed.

    ``digest`` identifies the content: sha256 chained over every commit's changes up to this one.
    ``has_data`` is False for versions imported from the old log (their tables were not kept).
    """

    number: int
    time: datetime
    user: str
    kind: str
    files: tuple[FileRecord, ...]
    rows: dict[str, int]
    changes: dict[str, TableChange]
    digest: str
    entry: dict
    has_data: bool = True

    def summary(self) -> str:
        """One line: what changed, table by table."""
        parts = [
            f"{t} +{c.added:,} -{c.removed:,} ({len(c.slices)} slice{'s' if len(c.slices) != 1 else ''})"
            for t, c in self.changes.items()
        ]
        return "; ".join(parts) or ("no tables (recorded before migration)" if not self.has_data else "log only")


# ----------------------------------------------------------------------------------- helpers

_PROCESS_LOCK = threading.RLock()  # DuckDB refuses two differently configured opens in one process


def _new_process_lock() -> None:
    """A forked child (a Dask or multiprocessing worker) starts with its own, free lock."""
    global _PROCESS_LOCK
    _PROCESS_LOCK = threading.RLock()


os.register_at_fork(after_in_child=_new_process_lock)


def _q(name: str) -> str:
    return '"' + name + '"'


def _first(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row of a query, or None (every result read to the end, as DuckDB requires)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def _now() -> datetime:
    return datetime.now(UTC)


def _user(entry: Mapping[str, Any]) -> str:
    if entry.get("user"):
        return str(entry["user"])
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def _parse_time(value: Any) -> datetime:
    """An ISO time (the log's), as an aware UTC datetime; naive means UTC."""
    t = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def key_tuple(spec: TableSpec, values: Iterable[Any]) -> tuple:
    out = []
    for c, v in zip(spec.key, values, strict=True):
        kind = spec.sql_types[c]
        out.append(int(v) if kind == "BIGINT" else float(v) if kind == "DOUBLE" else str(v))
    return tuple(out)


def slice_keys(spec: TableSpec, rows: pd.DataFrame) -> set[tuple]:
    """The slices (key values, as stored) that ``rows`` of table ``spec`` fall in."""
    if not len(rows):
        return set()
    cols = list(spec.key)
    lead = cols[:-1]
    if all(rows[c].nunique(dropna=False) == 1 for c in lead):  # the usual case: one period, many organisations
        first = [rows[c].iloc[0] for c in lead]
        return {key_tuple(spec, (*first, v)) for v in rows[cols[-1]].unique()}
    return {key_tuple(spec, k) for k in rows[cols].drop_duplicates().itertuples(index=False, name=None)}


def _frame_digest(df: pd.DataFrame) -> str:
    h = hashlib.sha256(json.dumps(list(df.columns)).encode())
    if len(df):
        h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


def _translate(exc: BaseException, what: str, path: Path) -> StoreError:
    """A DuckDB or OS error as one clear line."""
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    low = msg.lower()
    if isinstance(exc, StoreError):
        return exc
    if "no space left" in low or "disk is full" in low or "file too large" in low or "disk full" in low:
        return StoreFull(f"{what}: no space left for {path} (disk full or file-size limit); the store is unchanged")
    if "read-only file system" in low or "permission denied" in low or "read only" in low or "readonly" in low:
        return StoreReadOnly(f"{what}: {path} cannot be written (read-only file or folder); the store is unchanged")
    if "not a valid duckdb" in low or "corrupt" in low or "checksum" in low or "invalid database" in low:
        return StoreCorrupt(f"{what}: {path} is not a readable store ({msg})")
    return StoreError(f"{what}: {msg}")


#: Every connection: nothing is ever downloaded or loaded at run time (a file that is not a DuckDB store, a
#: SQLite one say, would otherwise make DuckDB fetch the extension that reads it).
DUCKDB_CONFIG: dict[str, str | bool | int | float | list[str]] = {
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
}
#: DuckDB's words when another process holds the file (and not the "block" of a corrupt file's message).
_LOCKED = re.compile(r"\b(could not set lock|conflicting lock)\b", re.IGNORECASE)
#: Bytes 8-11 of every DuckDB database file.
_DUCKDB_MAGIC = b"DUCK"


def _refuse_foreign(path: Path, what: str) -> None:
    """StoreCorrupt at once if the store file is not a DuckDB database (a SQLite file, a truncated copy...)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise _translate(exc, what, path) from None
    if len(head) < 12 or head[8:12] != _DUCKDB_MAGIC:
        kind = "a SQLite database" if head.startswith(b"SQLite format 3") else f"{len(head)}+ bytes of something else"
        raise StoreCorrupt(f"{what}: {path} is not a readable store (not a DuckDB file: it holds {kind})")


def _check_layout(con: duckdb.DuckDBPyConnection, path: Path, what: str) -> None:
    """StoreError (one line naming both layouts) unless the file's table layout is one this code knows."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    if "meta" not in tables:
        if tables:
            raise StoreError(f"{what}: {path} is a DuckDB file but not a qipp store (no meta table): refusing it")
        return
    row = _first(con, "SELECT value FROM meta WHERE key = 'layout'")
    if row is None:
        return  # being created: the layout is written in the same transaction as the tables
    if str(row[0]).strip() != str(LAYOUT):
        newer = str(row[0]).strip().isdigit() and int(str(row[0]).strip()) > LAYOUT
        raise StoreError(
            f"{what}: {path} has store layout {str(row[0])[:20]!r}, but this qipp-workbooks knows layout {LAYOUT}"
            + ("; upgrade qipp-workbooks to use it" if newer else "; refusing to read or write it")
        )


def _lock_holder(msg: str) -> str:
    """The 'PID n' DuckDB names in a lock conflict, for the waiting message."""
    i = msg.find("PID ")
    return msg[i : i + 4 + len(msg[i + 4 :].split(")")[0])] if i >= 0 else "another process"


# --------------------------------------------------------------------------------------- store


class Store:
    """The versioned store of one data folder (``<data_dir>/processed/store.duckdb``).

    ``wait``: seconds to wait for another process using the store before :class:`StoreBusy`;
    ``on_wait``: told once, with a one-line message, when a read or commit has to wait.
    Opening touches nothing on disk; the first read migrates an old parquet store, the first
    commit creates the file.
    """

    def __init__(self, data_dir: Path | str, *, wait: float = WAIT_S, on_wait: Callable[[str], None] | None = None):
        self.data_dir = Path(data_dir)
        self.folder = self.data_dir / "processed"
        self.path = self.folder / STORE_FILE
        self.wait = wait
        self.on_wait = on_wait

    def __repr__(self) -> str:
        return f"Store({str(self.data_dir)!r})"

    # ------------------------------------------------------------------ paths, locks, connections

    def _refuse_links(self) -> None:
        """Refuse a store folder or file that is a symbolic link (one line), before anything is created."""
        if self.data_dir.exists() and not self.data_dir.is_dir():
            raise StoreError(f"{self.data_dir} is not a folder")
        candidates = [self.folder, self.path, Path(f"{self.path}.wal"), Path(f"{self.path}.tmp")]
        candidates.append(self.folder / LEGACY_LOCK)
        candidates += [self.folder / s.file for s in TABLES.values()] + [self.folder / LEGACY_LOG]
        for p in candidates:
            if p.is_symlink():
                raise StoreError(f"{p} is a symbolic link: refusing to use it as part of the store")
        if self.folder.exists() and not self.folder.is_dir():
            raise StoreError(f"{self.folder} is not a folder")

    def _legacy_present(self) -> list[Path]:
        names = [s.legacy_file for s in TABLES.values() if s.legacy_file] + [LEGACY_LOG]
        return [self.folder / n for n in names if (self.folder / n).is_file()]

    def _check_writable(self, what: str) -> None:
        for p in (self.folder, self.path):
            if p.exists() and not os.access(p, os.W_OK):
                raise StoreReadOnly(f"{what}: {p} is read-only; nothing was changed")

    @contextlib.contextmanager
    def _connect(self, *, write: bool, what: str) -> Iterator[duckdb.DuckDBPyConnection]:
        """Open the file for one read or one commit, waiting while another process has it."""
        self._refuse_links()
        if write:
            self._check_writable(what)
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise _translate(exc, what, self.folder) from None
            self._refuse_links()  # nothing swapped a link in while the folder was made
            self._create_if_missing(what)
        deadline = time.monotonic() + self.wait
        told = False
        with _PROCESS_LOCK:
            while True:
                try:
                    _refuse_foreign(self.path, what)
                    con = duckdb.connect(str(self.path), read_only=not write, config=DUCKDB_CONFIG)
                    break
                except duckdb.Error as exc:
                    msg = str(exc)
                    if not _LOCKED.search(msg):  # "Corrupt database file ... in block ..." is not a lock
                        raise _translate(exc, what, self.path) from None
                    if time.monotonic() >= deadline:
                        raise StoreBusy(
                            f"{what}: the store {self.path} has been in use by {_lock_holder(msg)} for "
                            f"{self.wait:g} s; try again when it has finished"
                        ) from None
                    if not told and self.on_wait is not None:
                        self.on_wait(f"waiting for {_lock_holder(msg)}, which is using the store {self.path}")
                        told = True
                    time.sleep(0.05)
            try:
                _check_layout(con, self.path, what)
                yield con
            finally:
                # closing checkpoints the write-ahead log into the file; if that fails (disk full) the
                # committed log stays and is replayed by the next open, so there is nothing to report
                with contextlib.suppress(duckdb.Error):
                    con.close()

    def _create_if_missing(self, what: str) -> None:
        """Make the file whole beside its place, then link it in: a kill never leaves a half-made store."""
        if self.path.exists():
            return
        tmp = self.folder / f".{STORE_FILE}.{uuid.uuid4().hex}.tmp"
        try:
            with _PROCESS_LOCK:
                con = duckdb.connect(str(tmp), config=DUCKDB_CONFIG)
                try:
                    con.execute("BEGIN TRANSACTION")
                    self._ensure_schema(con)
                    con.execute("COMMIT")
                finally:
                    con.close()
            fault("store.create")
            try:
                os.link(tmp, self.path)  # never replaces a store another process made meanwhile
            except FileExistsError:
                pass
            except FileNotFoundError:  # that process, holding the store, cleared our temporary file
                if not self.path.exists():
                    raise
            dir_fd = os.open(self.folder, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(dir_fd)
            finally:
                os.close(dir_fd)
        except (duckdb.Error, OSError) as exc:
            raise _translate(exc, what, self.folder) from None
        finally:
            tmp.unlink(missing_ok=True)
            Path(f"{tmp}.wal").unlink(missing_ok=True)

    @contextlib.contextmanager
    def _legacy_lock(self) -> Iterator[None]:
        """The old store's writer lock (never following a link), held while its files are imported/moved."""
        fd = os.open(self.folder / LEGACY_LOCK, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _remove_stale_temps(self) -> None:
        """Temporary files a killed writer of the old store left (``.returns.<uuid>.tmp.parquet``)."""
        for p in self.folder.glob(".*.tmp*"):
            with contextlib.suppress(OSError):
                if not stat.S_ISDIR(p.lstat().st_mode):
                    p.unlink()

    # ----------------------------------------------------------------------------- schema

    @staticmethod
    def _signature() -> str:
        return json.dumps({n: [s.columns, s.key, s.sql_types] for n, s in sorted(TABLES.items())}, sort_keys=True)

    def _ensure_schema(self, con: duckdb.DuckDBPyConnection) -> None:
        """Create missing tables, columns and views (inside the caller's transaction)."""
        con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        row = _first(con, "SELECT value FROM meta WHERE key = 'tables'")
        if row and row[0] == self._signature():
            return
        con.execute(
            "CREATE TABLE IF NOT EXISTS versions (version BIGINT PRIMARY KEY, time VARCHAR NOT NULL, "
            "user VARCHAR NOT NULL, kind VARCHAR NOT NULL, has_data BOOLEAN NOT NULL, digest VARCHAR NOT NULL, "
            "files VARCHAR NOT NULL, rows VARCHAR NOT NULL, changes VARCHAR NOT NULL, entry VARCHAR NOT NULL)"
        )
        for spec in TABLES.values():
            hist = _q(f"{spec.name}_history")
            cols = ", ".join(f"{_q(c)} {spec.sql_types[c]}" for c in spec.columns)
            con.execute(
                f"CREATE TABLE IF NOT EXISTS {hist} ({cols}, _seq BIGINT NOT NULL, _v_from BIGINT NOT NULL, "
                "_v_to BIGINT)"
            )
            have = {r[0] for r in con.execute(f"DESCRIBE {hist}").fetchall()}
            for c in spec.columns:
                if c not in have:
                    default = {"VARCHAR": "''", "BIGINT": "0", "BOOLEAN": "false"}.get(spec.sql_types[c], "NULL")
                    con.execute(f"ALTER TABLE {hist} ADD COLUMN {_q(c)} {spec.sql_types[c]} DEFAULT {default}")
            select = ", ".join(_q(c) for c in spec.columns)
            order = ", ".join([*map(_q, spec.order_by), "_seq"])
            con.execute(
                f"CREATE OR REPLACE VIEW {_q(spec.name)} AS SELECT {select} FROM {hist} WHERE _v_to IS NULL "
                f"ORDER BY {order}"
            )
        con.execute("INSERT OR REPLACE INTO meta VALUES ('layout', ?), ('tables', ?)", [str(LAYOUT), self._signature()])

    # ---------------------------------------------------------------------------- migration

    def _ready(self) -> None:
        """Import the old parquet store if this folder has one and it was not imported yet."""
        self._refuse_links()
        if not self.folder.is_dir() or not self._legacy_present():
            return
        with self._connect(write=True, what="importing the parquet store") as con, self._legacy_lock():
            try:
                self._migrate(con)
            except StoreError:
                raise
            except (duckdb.Error, OSError, ValueError, TypeError, pa.ArrowException) as exc:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                raise _translate(exc, "importing the parquet store", self.path) from None
            self._move_legacy()
            self._remove_stale_temps()

    def _migrate(self, con: duckdb.DuckDBPyConnection) -> None:
        """Old log entries -> versions without tables; old parquet files -> one migration version."""
        con.execute("BEGIN TRANSACTION")
        self._ensure_schema(con)
        if _first(con, "SELECT value FROM meta WHERE key = 'migrated'") is not None:
            con.execute("ROLLBACK")  # imported already (a kill stopped the move of the old files)
            return
        if self._current(con):
            con.execute("ROLLBACK")
            raise StoreError(
                f"{self.folder} holds both a versioned store and old parquet store files "
                f"({', '.join(p.name for p in self._legacy_present())}): move the old files away"
            )
        entries, unreadable = [], []
        log = self.folder / LEGACY_LOG
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
        digest = ""
        for n, entry in enumerate(entries, start=1):
            try:
                when = _parse_time(entry.get("time", ""))
            except ValueError:
                when = datetime.fromtimestamp(log.stat().st_mtime, UTC)
            digest = hashlib.sha256((digest + json.dumps(entry, sort_keys=True)).encode()).hexdigest()
            self._insert_version(
                con, n, when, _user(entry), str(entry.get("kind", "ingest")), False, digest,
                [FileRecord(str(f.get("name", "")), str(f.get("sha256", "")), int(f.get("bytes", 0)))
                 for f in entry.get("files", []) if isinstance(f, dict)],
                {}, {}, entry,
            )  # fmt: skip
        number = len(entries) + 1
        changes, files = {}, []
        for spec in TABLES.values():
            path = self.folder / spec.file if spec.legacy_file else None
            if path is None or not path.is_file():
                continue
            files.append(FileRecord(path.name, sha256_file(path), path.stat().st_size))
            try:
                rows = spec.coerce(pd.read_parquet(path))
            except (OSError, ValueError, TypeError, pa.ArrowException) as exc:
                msg = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise StoreError(
                    f"importing the parquet store: {path} cannot be read ({msg}); nothing was imported"
                ) from None

            changes[spec.name] = self._replace(con, spec, rows, set(), number)
            digest = hashlib.sha256((digest + spec.name + _frame_digest(rows)).encode()).hexdigest()
        if log.is_file():
            files.append(FileRecord(log.name, sha256_file(log), log.stat().st_size))
        entry = {
            "kind": "migration",
            "time": _now().isoformat(timespec="seconds"),
            "user": _user({}),
            "from": "parquet store (processed/*.parquet and ingest_log.jsonl)",
            "log_entries": len(entries),
            "unreadable_log_lines": unreadable,
            "files": [f.__dict__ for f in files],
        }
        self._insert_version(
            con, number, _now(), entry["user"], "migration", True, digest, files, self._counts(con), changes, entry
        )
        con.execute("INSERT OR REPLACE INTO meta VALUES ('migrated', ?)", [str(number)])
        fault("store.migrate.before_commit")
        con.execute("COMMIT")
        fault("store.migrate.after_commit")

    def _move_legacy(self) -> None:
        """Move the imported parquet files and log out of the way (idempotent; after a kill, the next open)."""
        present = self._legacy_present()
        if not present:
            return
        target = self.folder / LEGACY_DIR
        if target.is_symlink():
            raise StoreError(f"{target} is a symbolic link: refusing to move the old store into it")
        target.mkdir(exist_ok=True)
        for p in present:
            dest = target / p.name
            if dest.exists():
                dest = target / f"{p.stem}.{_now():%Y%m%dT%H%M%S%f}{p.suffix}"
            os.replace(p, dest)

    # ------------------------------------------------------------------------------- writing

    def _counts(self, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
        return {
            s.name: int(
                con.execute(f"SELECT count(*) FROM {_q(s.name + '_history')} WHERE _v_to IS NULL").fetchall()[0][0]
            )
            for s in TABLES.values()
        }

    def _replace(
        self, con: duckdb.DuckDBPyConnection, spec: TableSpec, rows: pd.DataFrame, slices: set[tuple], version: int
    ) -> TableChange:
        """Retire the current rows of ``slices`` and of the slices of ``rows``; add ``rows``."""
        hist = _q(f"{spec.name}_history")
        given = rows[list(spec.key)].drop_duplicates()
        keys = set(slices) | {key_tuple(spec, k) for k in given.itertuples(index=False, name=None)}
        removed = 0
        if keys:
            dtypes = {"BIGINT": "int64", "DOUBLE": "float64", "BOOLEAN": "bool"}
            frame = pd.DataFrame(sorted(keys), columns=list(spec.key))
            frame = frame.astype({c: dtypes.get(spec.sql_types[c], "str") for c in spec.key})
            con.register("_slices", pa.Table.from_pandas(frame, preserve_index=False))
            match = " AND ".join(f"h.{_q(c)} = k.{_q(c)}" for c in spec.key)
            res = _first(
                con, f"UPDATE {hist} AS h SET _v_to = ? FROM _slices AS k WHERE h._v_to IS NULL AND {match}", [version]
            )
            removed = int(res[0]) if res else 0
            con.unregister("_slices")
        fault("store.after_retire")
        if len(rows):
            start = int(con.execute(f"SELECT coalesce(max(_seq), 0) FROM {hist}").fetchall()[0][0]) + 1
            frame = rows.assign(_seq=range(start, start + len(rows)), _v_from=version)
            con.register("_rows", pa.Table.from_pandas(frame, preserve_index=False))
            cols = ", ".join(map(_q, [*spec.columns, "_seq", "_v_from"]))
            con.execute(f"INSERT INTO {hist} ({cols}) SELECT {cols} FROM _rows")
            con.unregister("_rows")
        return TableChange(len(rows), removed, tuple(sorted(keys)))

    @staticmethod
    def _insert_version(
        con: duckdb.DuckDBPyConnection,
        number: int,
        when: datetime,
        user: str,
        kind: str,
        has_data: bool,
        digest: str,
        files: list[FileRecord],
        rows: dict[str, int],
        changes: dict[str, TableChange],
        entry: Mapping[str, Any],
    ) -> None:
        con.execute(
            "INSERT INTO versions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                number,
                when.astimezone(UTC).isoformat(timespec="microseconds"),
                user,
                kind,
                has_data,
                digest,
                json.dumps([f.__dict__ for f in files]),
                json.dumps(rows, sort_keys=True),
                json.dumps({t: {**c.__dict__, "slices": [list(s) for s in c.slices]} for t, c in changes.items()}),
                json.dumps(entry, sort_keys=True, default=str),
            ],
        )

    @staticmethod
    def _stage(changes: Iterable[Change], log_entry: Mapping[str, Any]) -> tuple[list[_Staged], dict]:
        """One commit's changes checked and coerced to the stored dtypes, and its log entry as JSON holds it."""
        prepared: list[_Staged] = []
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
            prepared.append(_Staged(spec, coerced, keys))
        try:
            entry = json.loads(json.dumps(dict(log_entry), sort_keys=True))
        except (TypeError, ValueError) as exc:
            raise StoreError(f"the log entry cannot be stored as JSON: {exc}") from None
        return prepared, entry

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
        staged = [self._stage(changes, entry) for changes, entry in commits]
        if not staged:
            return []
        self._ready()
        what = "committing to the store"
        with self._connect(write=True, what=what) as con:
            try:
                self._remove_stale_temps()
                con.execute("BEGIN TRANSACTION")
                fault("store.begin")
                self._ensure_schema(con)
                last = _first(con, "SELECT version, digest FROM versions ORDER BY version DESC LIMIT 1")
                first, digest = (int(last[0]) + 1, last[1]) if last else (1, "")
                if based_on is not None and based_on != first - 1:
                    raise StoreConflict(
                        f"the store moved on to version {first - 1} while this change was prepared from version "
                        f"{based_on}; nothing was changed: run it again"
                    )
                numbers = list(range(first, first + len(staged)))
                rows_now = self._counts(con)
                by_table: dict[str, list[tuple[int, _Staged]]] = {}
                for number, (parts, _) in zip(numbers, staged, strict=True):
                    for part in parts:
                        by_table.setdefault(part.spec.name, []).append((number, part))
                removed: dict[tuple[str, int], int] = {}
                for name, items in by_table.items():
                    removed.update({(name, n): r for n, r in self._replace_many(con, TABLES[name], items).items()})
                fault("store.after_rows")
                versions = []
                for number, (parts, entry) in zip(numbers, staged, strict=True):
                    done: dict[str, TableChange] = {}
                    for part in parts:
                        name = part.spec.name
                        done[name] = TableChange(len(part.rows), removed[name, number], tuple(sorted(part.keys)))
                        rows_now[name] += len(part.rows) - removed[name, number]
                        piece = json.dumps([list(s) for s in done[name].slices]) + _frame_digest(part.rows)
                        digest = hashlib.sha256((digest + name + piece).encode()).hexdigest()
                    files = [
                        FileRecord(str(f.get("name", "")), str(f.get("sha256", "")), int(f.get("bytes", 0)))
                        for f in entry.get("files", [])
                        if isinstance(f, dict)
                    ]
                    when = _now()
                    user, kind = _user(entry), str(entry.get("kind", "ingest"))
                    counts = dict(rows_now)
                    self._insert_version(con, number, when, user, kind, True, digest, files, counts, done, entry)
                    versions.append(Version(number, when, user, kind, tuple(files), counts, done, digest, entry))
                fault("store.before_commit")
                con.execute("COMMIT")
            except StoreError:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                raise
            except (duckdb.Error, OSError, UnicodeError) as exc:
                with contextlib.suppress(duckdb.Error):
                    con.execute("ROLLBACK")
                raise _translate(exc, what, self.path) from None
        fault("store.after_commit")
        return versions

    def _replace_many(
        self, con: duckdb.DuckDBPyConnection, spec: TableSpec, items: list[tuple[int, _Staged]]
    ) -> dict[int, int]:
        """What :meth:`_replace` does for each (version, change) in turn, in one UPDATE and one INSERT.

        A current row is retired by the first version that names its slice; a row added by one
        version is retired by the next one naming its slice. Returns version -> rows retired.
        """
        hist = _q(f"{spec.name}_history")
        naming: dict[tuple, list[int]] = {}  # slice -> versions naming it, in order
        for number, part in items:
            for k in part.keys:
                naming.setdefault(k, []).append(number)
        removed = dict.fromkeys((n for n, _ in items), 0)
        if naming:
            dtypes = {"BIGINT": "int64", "DOUBLE": "float64", "BOOLEAN": "bool"}
            keys = sorted(naming)
            frame = pd.DataFrame(keys, columns=list(spec.key))
            frame = frame.astype({c: dtypes.get(spec.sql_types[c], "str") for c in spec.key})
            frame["_ver"] = [naming[k][0] for k in keys]
            con.register("_slices", pa.Table.from_pandas(frame, preserve_index=False))
            match = " AND ".join(f"h.{_q(c)} = k.{_q(c)}" for c in spec.key)
            res = _first(
                con, f"UPDATE {hist} AS h SET _v_to = k._ver FROM _slices AS k WHERE h._v_to IS NULL AND {match}"
            )
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
        fault("store.after_retire")
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
            cols = ", ".join(map(_q, [*spec.columns, "_seq", "_v_from", "_v_to"]))
            con.execute(f"INSERT INTO {hist} ({cols}) SELECT {cols} FROM _rows")
            con.unregister("_rows")
        return removed

    # ------------------------------------------------------------------------------- reading

    @contextlib.contextmanager
    def _reader(self, what: str) -> Iterator[duckdb.DuckDBPyConnection | None]:
        """A read-only connection, or None when no store exists yet (everything empty, version 0)."""
        self._ready()
        if not self.path.is_file():
            yield None
            return
        with self._connect(write=False, what=what) as con:
            try:
                yield con
            except StoreError:
                raise
            except duckdb.Error as exc:
                raise _translate(exc, what, self.path) from None

    @staticmethod
    def _version_rows(con: duckdb.DuckDBPyConnection, where: str = "", params: list | None = None) -> list[Version]:
        rows = con.execute(
            "SELECT version, time, user, kind, files, rows, changes, digest, entry, has_data FROM versions "
            f"{where} ORDER BY version",
            params or [],
        ).fetchall()
        out = []
        for number, when, user, kind, files, counts, changes, digest, entry, has_data in rows:
            ch = {
                t: TableChange(c["added"], c["removed"], tuple(tuple(s) for s in c["slices"]))
                for t, c in json.loads(changes).items()
            }
            out.append(
                Version(
                    int(number),
                    _parse_time(when),
                    user,
                    kind,
                    tuple(FileRecord(**f) for f in json.loads(files)),
                    json.loads(counts),
                    ch,
                    digest,
                    json.loads(entry),
                    bool(has_data),
                )
            )
        return out

    def versions(self) -> list[Version]:
        """Every version, oldest first (empty before the first commit)."""
        with self._reader("reading the store's history") as con:
            if con is None or not self._has_table(con, "versions"):
                return []
            return self._version_rows(con)

    def current_version(self) -> int:
        """The number of the latest version (0 before the first commit)."""
        with self._reader("reading the store's version") as con:
            return self._current(con)

    def version(self, as_of: int | datetime | date | None = None) -> Version | None:
        """The version ``as_of`` names (see :meth:`load`); None for the empty store (version 0)."""
        with self._reader("reading the store's history") as con:
            number = self._resolve(con, as_of)
            if con is None or number == 0:
                return None
            return self._version_rows(con, "WHERE version = ?", [number])[0]

    @staticmethod
    def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
        return bool(
            con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchall()[0][0]
        )

    def _current(self, con: duckdb.DuckDBPyConnection | None) -> int:
        if con is None or not self._has_table(con, "versions"):
            return 0
        return int(con.execute("SELECT coalesce(max(version), 0) FROM versions").fetchall()[0][0])

    def _resolve(self, con: duckdb.DuckDBPyConnection | None, as_of: int | datetime | date | None) -> int:
        """A version number with tables: the current one, the one given, or the latest at a time."""
        current = self._current(con)
        if as_of is None:
            number = current
        elif isinstance(as_of, datetime | date):
            if not isinstance(as_of, datetime):  # a date: the end of that day
                as_of = datetime(as_of.year, as_of.month, as_of.day, 23, 59, 59, 999999)
            when = _parse_time(as_of).isoformat(timespec="microseconds")
            row = (
                con.execute("SELECT coalesce(max(version), 0) FROM versions WHERE time <= ?", [when]).fetchall()[0]
                if con is not None and current
                else (0,)
            )
            number = int(row[0])
        elif isinstance(as_of, int) and not isinstance(as_of, bool):
            if not 0 <= as_of <= current:
                raise UnknownVersion(f"no version {as_of}: the store has versions 1 to {current}")
            number = as_of
        else:
            raise StoreError(f"as_of must be a version number, a date or a time, not {as_of!r}")
        if number and con is not None:
            has = _first(con, "SELECT has_data FROM versions WHERE version = ?", [number])
            if has is not None and not has[0]:
                first = con.execute("SELECT min(version) FROM versions WHERE has_data").fetchall()[0][0]
                raise UnknownVersion(
                    f"version {number} was recorded before the store kept versions (its tables were not kept); "
                    f"the earliest version with tables is {first}"
                )
        return number

    def _read(
        self,
        con: duckdb.DuckDBPyConnection | None,
        spec: TableSpec,
        number: int,
        where: Mapping[str, Any] | None,
        layout: Mapping[str, set[str]] | None = None,
    ) -> pd.DataFrame:
        """``layout``: table -> columns of the file, when the caller has read them (else they are looked up)."""
        hist = f"{spec.name}_history"
        if con is None or number == 0:
            return spec.empty()
        if layout is not None:
            if hist not in layout:
                return spec.empty()
            have = layout[hist]
        else:
            if not self._has_table(con, hist):
                return spec.empty()
            have = {r[0] for r in con.execute(f"DESCRIBE {_q(hist)}").fetchall()}
        cols = [c for c in spec.columns if c in have]
        sql = f"SELECT {', '.join(map(_q, cols))} FROM {_q(hist)} WHERE _v_from <= ? AND (_v_to IS NULL OR _v_to > ?)"
        params: list[Any] = [number, number]
        for col, value in (where or {}).items():
            if col not in spec.columns:
                raise StoreError(f"table {spec.name} has no column {col!r}")
            if col not in have:
                return spec.empty()
            if isinstance(value, list | tuple | set | frozenset):
                if not value:
                    return spec.empty()
                sql += f" AND {_q(col)} IN ({', '.join('?' * len(value))})"
                params += list(value)
            else:
                sql += f" AND {_q(col)} = ?"
                params.append(value)
        sql += " ORDER BY " + ", ".join([*map(_q, [c for c in spec.order_by if c in have]), "_seq"])
        # through Arrow: several times faster than DuckDB's own .df() for text columns
        return spec.coerce(con.sql(sql, params=params).to_arrow_table().to_pandas())

    def load(
        self, table: str, as_of: int | datetime | date | None = None, *, where: Mapping[str, Any] | None = None
    ) -> pd.DataFrame:
        """One table as of a version: None = current; an int = that version; a datetime (naive = UTC)
        or a date (its end) = the latest version committed by then. Same columns, dtypes and row order
        as the old ``load_*`` functions. ``where``: column -> value (or list of values) to read a slice.
        """
        spec = self._spec(table)
        with self._reader(f"reading {table} from the store") as con:
            return self._read(con, spec, self._resolve(con, as_of), where)

    @contextlib.contextmanager
    def reading(self, as_of: int | datetime | date | None = None) -> Iterator[Reading]:
        """One read-only connection pinned to one version, for many reads (each open costs ~20 ms).

        Other processes can read meanwhile but cannot commit: keep it for one piece of work.
        """
        with self._reader("reading the store") as con:
            yield Reading(self, con, self._resolve(con, as_of))

    def load_many(
        self, tables: Iterable[str] | None = None, as_of: int | datetime | date | None = None
    ) -> tuple[int, dict[str, pd.DataFrame]]:
        """Several tables (default: all) from one version, read in one snapshot; returns (version, tables)."""
        specs = [self._spec(t) for t in (tables if tables is not None else TABLES)]
        with self._reader("reading the store") as con:
            number = self._resolve(con, as_of)
            return number, {s.name: self._read(con, s, number, None) for s in specs}

    def log(self, as_of: int | datetime | date | None = None) -> list[dict]:
        """The log entries of every version up to ``as_of`` (default: all), oldest first (as ``read_log``)."""
        with self._reader("reading the store's history") as con:
            if con is None or not self._has_table(con, "versions"):
                return []
            return self._entries(con, self._current(con) if as_of is None else self._resolve(con, as_of))

    def versions_holding(self, table: str, where: Mapping[str, Any]) -> list[int]:
        """The versions at which ``table`` held rows matching ``where`` (column -> value), oldest first."""
        spec = self._spec(table)
        hist = f"{spec.name}_history"
        with self._reader(f"reading {table} from the store") as con:
            if con is None or not self._has_table(con, hist):
                return []
            current = self._current(con)
            bad = [c for c in where if c not in spec.columns]
            if bad:
                raise StoreError(f"table {spec.name} has no column {bad[0]!r}")
            cond = " AND ".join(f"{_q(c)} = ?" for c in where) or "TRUE"
            spans = con.execute(
                f"SELECT DISTINCT _v_from, coalesce(_v_to, ?) FROM {_q(hist)} WHERE {cond}",
                [current + 1, *where.values()],
            ).fetchall()
        return sorted({v for lo, hi in spans for v in range(int(lo), int(hi))})

    @staticmethod
    def _spec(table: str) -> TableSpec:
        if table not in TABLES:
            raise StoreError(f"no stored table {table!r} (known: {', '.join(TABLES)})")
        return TABLES[table]

    # ------------------------------------------------------------------------------- export

    def export_parquet(self, folder: Path | str, as_of: int | datetime | date | None = None) -> Version | None:
        """Write one version as parquet: a file per table (the old store's names, so the old readers
        read it as ``<data_dir>/processed``), ``ingest_log.jsonl`` and ``version.json`` (number,
        digest, file hashes), written last. A new folder appears whole (built beside it and renamed);
        an existing folder has its files replaced one by one. Returns the version (None: empty store).
        """
        folder = Path(folder)
        if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
            raise StoreError(f"{folder} is a symbolic link or not a folder: refusing to export into it")
        with self._reader("exporting the store") as con:
            number = self._resolve(con, as_of)
            tables = {s.name: self._read(con, s, number, None) for s in TABLES.values()}
            version = None if con is None or number == 0 else self._version_rows(con, "WHERE version = ?", [number])[0]
            entries = [] if con is None or number == 0 else self._entries(con, number)
        parent = folder.parent
        try:
            parent.mkdir(parents=True, exist_ok=True)
            fresh = not folder.exists()
            build = parent / f".{folder.name}.{uuid.uuid4().hex}.tmp" if fresh else folder
            if fresh:
                build.mkdir()
            try:
                hashes = {}
                for spec in TABLES.values():
                    with atomic_path(build / spec.file) as tmp:
                        tables[spec.name].to_parquet(tmp, index=False)
                    hashes[spec.file] = sha256_file(build / spec.file)
                text = "".join(json.dumps(e, sort_keys=True) + "\n" for e in entries)
                with atomic_path(build / LEGACY_LOG) as tmp:
                    tmp.write_text(text, encoding="utf-8")
                hashes[LEGACY_LOG] = sha256_file(build / LEGACY_LOG)
                about = {
                    "version": number,
                    "digest": version.digest if version else "",
                    "time": version.time.isoformat() if version else None,
                    "files": hashes,
                    "rows": {s.name: len(tables[s.name]) for s in TABLES.values()},
                }
                with atomic_path(build / "version.json") as tmp:
                    tmp.write_text(json.dumps(about, indent=1, sort_keys=True) + "\n", encoding="utf-8")
                if fresh:
                    os.rename(build, folder)
            finally:
                if fresh and build.exists():
                    shutil.rmtree(build, ignore_errors=True)
        except OSError as exc:
            raise _translate(exc, "exporting the store", folder) from None
        return version

    @staticmethod
    def _entries(con: duckdb.DuckDBPyConnection, number: int) -> list[dict]:
        rows = con.execute("SELECT entry FROM versions WHERE version <= ? ORDER BY version", [number]).fetchall()
        return [json.loads(r[0]) for r in rows]


@dataclass
class Reading:
    """Reads of one version through one connection (:meth:`Store.reading`); ``version`` 0 = the empty store."""

    store: Store
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
            return self.store._read(self.con, Store._spec(table), self.version, where, self.layout)
        except StoreError:
            raise
        except duckdb.Error as exc:
            raise _translate(exc, f"reading {table} from the store", self.store.path) from None

    def keys(self, table: str) -> pd.DataFrame:
        """The distinct key values (the slices) that hold rows of ``table``, with the stored dtypes."""
        spec = Store._spec(table)
        hist = f"{spec.name}_history"
        empty = spec.empty()[list(spec.key)]
        if self.con is None or self.version == 0 or hist not in self.layout:
            return empty
        cols = ", ".join(map(_q, spec.key))
        sql = f"SELECT DISTINCT {cols} FROM {_q(hist)} WHERE _v_from <= ? AND (_v_to IS NULL OR _v_to > ?)"
        try:
            got = self.con.sql(sql, params=[self.version, self.version]).to_arrow_table().to_pandas()
        except duckdb.Error as exc:
            raise _translate(exc, f"reading {table} from the store", self.store.path) from None
        return got.astype(empty.dtypes.to_dict()) if len(got) else empty


def open_store(data_dir: Path | str, *, wait: float = WAIT_S, on_wait: Callable[[str], None] | None = None) -> Store:
    """The store of a data folder, with an old parquet store imported if the folder has one."""
    store = Store(data_dir, wait=wait, on_wait=on_wait)
    store._ready()
    return store
