"""How the store file is laid out, and its ``versions`` table.

Per stored table, ``<table>_history`` holds every row ever committed with ``_seq`` (insertion
order), ``_v_from`` and ``_v_to`` (the versions that added and retired it), and the view
``<table>`` shows the current rows; ``versions`` holds one row per commit and ``meta`` the layout
number and the tables' signature. :func:`ensure_schema` creates what is missing; the rest writes
and reads version records. Every function works inside the caller's connection and transaction.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import duckdb
import pandas as pd

from .tables import TABLES, FileRecord, TableChange, Version

#: Layout of the tables in the file; bumped (with a migration) if it ever changes.
LAYOUT = 1


def q(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name + '"'


def first(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row of a query, or None (every result read to the end, as DuckDB requires)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


# ----------------------------------------------------------------------------------- schema


def signature() -> str:
    """The registered tables' columns, keys and types, as ``meta`` records them."""
    return json.dumps({n: [s.columns, s.key, s.sql_types] for n, s in sorted(TABLES.items())}, sort_keys=True)


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create missing tables, columns and views (inside the caller's transaction)."""
    con.execute("CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
    row = first(con, "SELECT value FROM meta WHERE key = 'tables'")
    if row and row[0] == signature():
        return
    con.execute(
        "CREATE TABLE IF NOT EXISTS versions (version BIGINT PRIMARY KEY, time VARCHAR NOT NULL, "
        "user VARCHAR NOT NULL, kind VARCHAR NOT NULL, has_data BOOLEAN NOT NULL, digest VARCHAR NOT NULL, "
        "files VARCHAR NOT NULL, rows VARCHAR NOT NULL, changes VARCHAR NOT NULL, entry VARCHAR NOT NULL)"
    )
    for spec in TABLES.values():
        hist = q(f"{spec.name}_history")
        cols = ", ".join(f"{q(c)} {spec.sql_types[c]}" for c in spec.columns)
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {hist} ({cols}, _seq BIGINT NOT NULL, _v_from BIGINT NOT NULL, _v_to BIGINT)"
        )
        have = {r[0] for r in con.execute(f"DESCRIBE {hist}").fetchall()}
        for c in spec.columns:
            if c not in have:
                default = {"VARCHAR": "''", "BIGINT": "0", "BOOLEAN": "false"}.get(spec.sql_types[c], "NULL")
                con.execute(f"ALTER TABLE {hist} ADD COLUMN {q(c)} {spec.sql_types[c]} DEFAULT {default}")
        select = ", ".join(q(c) for c in spec.columns)
        order = ", ".join([*map(q, spec.order_by), "_seq"])
        con.execute(
            f"CREATE OR REPLACE VIEW {q(spec.name)} AS SELECT {select} FROM {hist} WHERE _v_to IS NULL ORDER BY {order}"
        )
    con.execute("INSERT OR REPLACE INTO meta VALUES ('layout', ?), ('tables', ?)", [str(LAYOUT), signature()])


def has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    """Whether the file has table ``name``."""
    return bool(
        con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]).fetchall()[0][0]
    )


def counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Table -> its current rows."""
    return {
        s.name: int(con.execute(f"SELECT count(*) FROM {q(s.name + '_history')} WHERE _v_to IS NULL").fetchall()[0][0])
        for s in TABLES.values()
    }


# ---------------------------------------------------------------------------------- versions


def now() -> datetime:
    """The time a version is recorded (UTC)."""
    return datetime.now(UTC)


def user_of(entry: Mapping[str, Any]) -> str:
    """The log entry's user, else the account running this process."""
    if entry.get("user"):
        return str(entry["user"])
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def parse_time(value: Any) -> datetime:
    """An ISO time (the log's), as an aware UTC datetime; naive means UTC."""
    t = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def frame_digest(df: pd.DataFrame) -> str:
    """sha256 of a frame's columns and values, a link of the versions' digest chain."""
    h = hashlib.sha256(json.dumps(list(df.columns)).encode())
    if len(df):
        h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


def file_records(entry: Mapping[str, Any]) -> list[FileRecord]:
    """The input files a log entry names (``files``: [{name, sha256, bytes}]; anything else skipped)."""
    return [
        FileRecord(str(f.get("name", "")), str(f.get("sha256", "")), int(f.get("bytes", 0)))
        for f in entry.get("files", [])
        if isinstance(f, dict)
    ]


def current(con: duckdb.DuckDBPyConnection | None) -> int:
    """The latest version's number (0: no file, or no commit yet)."""
    if con is None or not has_table(con, "versions"):
        return 0
    return int(con.execute("SELECT coalesce(max(version), 0) FROM versions").fetchall()[0][0])


def insert_version(
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
    """Record one version in ``versions``."""
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


def version_rows(con: duckdb.DuckDBPyConnection, where: str = "", params: list | None = None) -> list[Version]:
    """The versions ``where`` selects (SQL on ``versions``), oldest first."""
    rows = con.execute(
        "SELECT version, time, user, kind, files, rows, changes, digest, entry, has_data FROM versions "
        f"{where} ORDER BY version",
        params or [],
    ).fetchall()
    out = []
    for number, when, who, kind, files, rows_then, changes, digest, entry, has_data in rows:
        ch = {
            t: TableChange(c["added"], c["removed"], tuple(tuple(s) for s in c["slices"]))
            for t, c in json.loads(changes).items()
        }
        out.append(
            Version(
                int(number),
                parse_time(when),
                who,
                kind,
                tuple(FileRecord(**f) for f in json.loads(files)),
                json.loads(rows_then),
                ch,
                digest,
                json.loads(entry),
                bool(has_data),
            )
        )
    return out


def entries(con: duckdb.DuckDBPyConnection, number: int) -> list[dict]:
    """The log entries of versions 1 to ``number``, oldest first."""
    rows = con.execute("SELECT entry FROM versions WHERE version <= ? ORDER BY version", [number]).fetchall()
    return [json.loads(r[0]) for r in rows]
