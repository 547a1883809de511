"""The store's errors: :class:`StoreError` and its kinds, each with a one-line message (the store unchanged),
and :func:`translate`, which turns a DuckDB or OS error into the kind that says what happened."""

from __future__ import annotations

from pathlib import Path

from ..core.errors import StoreError as QippStoreError


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


def translate(exc: BaseException, what: str, path: Path) -> StoreError:
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
