"""Opening the store file safely, for the duration of one read or one commit.

DuckDB lets one process at a time open the file for writing and, while it does, no other process
may open it; so a connection is held only for one read or one commit, and a process that finds the
file in use waits (telling ``on_wait`` once) up to ``wait`` seconds, then raises :class:`StoreBusy`.
Before a file is opened: no part of the store is a symbolic link, a writer's folder is writable,
the file is a DuckDB database (not SQLite, not truncated) whose layout this code knows. A new file
is made whole beside its place and then linked in, so a kill never leaves a half-made store.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from ..core.faults import fault
from .errors import StoreBusy, StoreCorrupt, StoreError, StoreReadOnly, translate
from .layout import LAYOUT, ensure_schema, first
from .tables import TABLES

STORE_FILE = "store.duckdb"
LEGACY_LOG = "ingest_log.jsonl"
LEGACY_LOCK = ".lock"
#: Default seconds to wait for another process using the store.
WAIT_S = 120.0

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

_PROCESS_LOCK = threading.RLock()  # DuckDB refuses two differently configured opens in one process


def _new_process_lock() -> None:
    """A forked child (a Dask or multiprocessing worker) starts with its own, free lock."""
    global _PROCESS_LOCK
    _PROCESS_LOCK = threading.RLock()


os.register_at_fork(after_in_child=_new_process_lock)


class StoreFiles:
    """Where the store of one data folder lives (``<data_dir>/processed/store.duckdb``), and how long to
    wait for another process using it (``wait`` seconds; ``on_wait`` told once, in one line)."""

    def __init__(self, data_dir: Path | str, *, wait: float = WAIT_S, on_wait: Callable[[str], None] | None = None):
        self.data_dir = Path(data_dir)
        self.folder = self.data_dir / "processed"
        self.path = self.folder / STORE_FILE
        self.wait = wait
        self.on_wait = on_wait


def refuse_links(files: StoreFiles) -> None:
    """Refuse a store folder or file that is a symbolic link (one line), before anything is created."""
    if files.data_dir.exists() and not files.data_dir.is_dir():
        raise StoreError(f"{files.data_dir} is not a folder")
    candidates = [files.folder, files.path, Path(f"{files.path}.wal"), Path(f"{files.path}.tmp")]
    candidates.append(files.folder / LEGACY_LOCK)
    candidates += [files.folder / s.file for s in TABLES.values()] + [files.folder / LEGACY_LOG]
    for p in candidates:
        if p.is_symlink():
            raise StoreError(f"{p} is a symbolic link: refusing to use it as part of the store")
    if files.folder.exists() and not files.folder.is_dir():
        raise StoreError(f"{files.folder} is not a folder")


@contextlib.contextmanager
def connect(files: StoreFiles, *, write: bool, what: str) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open the file for one read or one commit, waiting while another process has it."""
    refuse_links(files)
    if write:
        _prepare_write(files, what)
    deadline = time.monotonic() + files.wait
    with _PROCESS_LOCK:
        con = _open_waiting(files, write=write, what=what, deadline=deadline)
        try:
            _check_layout(con, files.path, what)
            yield con
        finally:
            # closing checkpoints the write-ahead log into the file; if that fails (disk full) the
            # committed log stays and is replayed by the next open, so there is nothing to report
            with contextlib.suppress(duckdb.Error):
                con.close()


def _prepare_write(files: StoreFiles, what: str) -> None:
    """A writable folder (made if missing, with no link swapped in meanwhile) holding a store file."""
    for p in (files.folder, files.path):
        if p.exists() and not os.access(p, os.W_OK):
            raise StoreReadOnly(f"{what}: {p} is read-only; nothing was changed")
    try:
        files.folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise translate(exc, what, files.folder) from None
    refuse_links(files)  # nothing swapped a link in while the folder was made
    create_if_missing(files, what)


def _open_waiting(files: StoreFiles, *, write: bool, what: str, deadline: float) -> duckdb.DuckDBPyConnection:
    """A connection to the file, retried while another process holds it, until ``deadline`` (monotonic)."""
    told = False
    while True:
        try:
            _refuse_foreign(files.path, what)
            return duckdb.connect(str(files.path), read_only=not write, config=DUCKDB_CONFIG)
        except duckdb.Error as exc:
            msg = str(exc)
            if not _LOCKED.search(msg):  # "Corrupt database file ... in block ..." is not a lock
                raise translate(exc, what, files.path) from None
            if time.monotonic() >= deadline:
                raise StoreBusy(
                    f"{what}: the store {files.path} has been in use by {_lock_holder(msg)} for "
                    f"{files.wait:g} s; try again when it has finished"
                ) from None
            if not told and files.on_wait is not None:
                files.on_wait(f"waiting for {_lock_holder(msg)}, which is using the store {files.path}")
                told = True
            time.sleep(0.05)


def create_if_missing(files: StoreFiles, what: str) -> None:
    """Make the file whole beside its place, then link it in: a kill never leaves a half-made store."""
    if files.path.exists():
        return
    tmp = files.folder / f".{STORE_FILE}.{uuid.uuid4().hex}.tmp"
    try:
        with _PROCESS_LOCK:
            con = duckdb.connect(str(tmp), config=DUCKDB_CONFIG)
            try:
                con.execute("BEGIN TRANSACTION")
                ensure_schema(con)
                con.execute("COMMIT")
            finally:
                con.close()
        fault("store.create")
        try:
            os.link(tmp, files.path)  # never replaces a store another process made meanwhile
        except FileExistsError:
            pass
        except FileNotFoundError:  # that process, holding the store, cleared our temporary file
            if not files.path.exists():
                raise
        dir_fd = os.open(files.folder, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except (duckdb.Error, OSError) as exc:
        raise translate(exc, what, files.folder) from None
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)


def remove_stale_temps(files: StoreFiles) -> None:
    """Temporary files a killed writer of the old store left (``.returns.<uuid>.tmp.parquet``)."""
    for p in files.folder.glob(".*.tmp*"):
        with contextlib.suppress(OSError):
            if not stat.S_ISDIR(p.lstat().st_mode):
                p.unlink()


def _refuse_foreign(path: Path, what: str) -> None:
    """StoreCorrupt at once if the store file is not a DuckDB database (a SQLite file, a truncated copy...)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(16)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise translate(exc, what, path) from None
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
    row = first(con, "SELECT value FROM meta WHERE key = 'layout'")
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
