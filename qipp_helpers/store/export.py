"""Exporting one version as parquet: the old store's file names, ``ingest_log.jsonl`` and ``version.json``.

Parquet is an export only, e.g. exactly one version handed to notebook kernels or Dask workers
(:func:`qipp_helpers.store.db.snapshot`). A new folder appears whole (built beside it and renamed);
an existing folder has its files replaced one by one; ``version.json`` is written last.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path

import pandas as pd

from ..core.files import atomic_path, sha256_file
from .connection import LEGACY_LOG, StoreFiles
from .errors import StoreError, translate
from .layout import entries, version_rows
from .read import AsOf, read_table, reader, resolve
from .tables import TABLES, Version


def export_parquet(files: StoreFiles, folder: Path | str, as_of: AsOf = None) -> Version | None:
    """Write one version as parquet into ``folder``; returns the version (None: empty store)."""
    folder = Path(folder)
    if folder.is_symlink() or (folder.exists() and not folder.is_dir()):
        raise StoreError(f"{folder} is a symbolic link or not a folder: refusing to export into it")
    with reader(files, "exporting the store") as con:
        number = resolve(con, as_of)
        tables = {s.name: read_table(con, s, number, None) for s in TABLES.values()}
        version = None if con is None or number == 0 else version_rows(con, "WHERE version = ?", [number])[0]
        log = [] if con is None or number == 0 else entries(con, number)
    parent = folder.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        fresh = not folder.exists()
        build = parent / f".{folder.name}.{uuid.uuid4().hex}.tmp" if fresh else folder
        if fresh:
            build.mkdir()
        try:
            _write(build, number, version, tables, log)
            if fresh:
                os.rename(build, folder)
        finally:
            if fresh and build.exists():
                shutil.rmtree(build, ignore_errors=True)
    except OSError as exc:
        raise translate(exc, "exporting the store", folder) from None
    return version


def _write(build: Path, number: int, version: Version | None, tables: dict[str, pd.DataFrame], log: list[dict]) -> None:
    """Each table's file, the log, then ``version.json`` (number, digest, file hashes), each written atomically."""
    hashes = {}
    for spec in TABLES.values():
        with atomic_path(build / spec.file) as tmp:
            tables[spec.name].to_parquet(tmp, index=False)
        hashes[spec.file] = sha256_file(build / spec.file)
    text = "".join(json.dumps(e, sort_keys=True) + "\n" for e in log)
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
