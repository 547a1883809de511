"""Safe files: atomic writes (write beside the target, then rename into place), hashes, safe names.

A reader (or a crash) never sees a half-written file, and the finished file gets ordinary
permissions (0666 less the umask), not the 0600 of a temporary file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path: Path | str) -> Iterator[Path]:
    """Yield a temporary sibling of ``path`` to write; on success rename it over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.{uuid.uuid4().hex}.tmp{path.suffix}")
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def remove_inside(base: Path | str, path: Path | str) -> bool:
    """Delete the file ``path`` only if it lies inside ``base``: the one place a run deletes an output.

    Every output a run removes (a format it did not re-render, a temporary file, a pack with no report)
    goes through here, so a path resolved in the wrong place (the working directory, say) fails loudly
    with a one-line ValueError instead of deleting a file the user did not name. A link is never
    followed or removed. True if a file was removed.
    """
    root, target = Path(base).resolve(), Path(path)
    where = target.parent.resolve() / target.name  # the link itself, not what it points to
    if not where.is_relative_to(root) or where == root:
        raise ValueError(f"refusing to delete {target}: it is outside the output folder {root}")
    if target.is_symlink() or not target.is_file():
        return False
    target.unlink(missing_ok=True)
    return True


def remove_stale_temps(folder: Path | str) -> list[Path]:
    """Remove temporary files :func:`atomic_path` left in ``folder`` (and below) when a process was killed mid-write.

    Call only while holding the lock that serialises writers to ``folder``.
    """
    removed = []
    for p in Path(folder).rglob(".*.tmp*"):
        if re.fullmatch(r"\..+\.[0-9a-f]{32}\.tmp.*", p.name) and remove_inside(folder, p):
            removed.append(p)
    return removed


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (fsynced before the rename)."""
    with atomic_path(path) as tmp, open(tmp, "xb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def atomic_save(document: Any, path: Path | str) -> None:
    """Save a document that has ``.save(path)`` (an openpyxl Workbook, say) atomically to ``path``."""
    with atomic_path(path) as tmp:
        document.save(tmp)


def sha256_file(path: Path | str) -> str:
    """The file's sha256, read in chunks (for the ingest log and the run manifest)."""
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


#: An organisation code or sheet name that may become part of a path: no separators, no dots-only.
_SAFE_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 _-]{0,30}$")


def path_like(name: str) -> bool:
    """True if a name from an input contains a path separator or a ``..`` component."""
    return "/" in name or "\\" in name or ".." in name or "\x00" in name


def safe_code(code: str) -> bool:
    """True if ``code`` can safely name a file or folder (letters, digits, space, _ and -)."""
    return bool(_SAFE_CODE.match(code or "")) and not path_like(code)


def inside(base: Path | str, path: Path | str) -> Path:
    """``path`` resolved, if it lies inside ``base``; else ValueError (no input may write elsewhere)."""
    root, target = Path(base).resolve(), Path(path).resolve()
    if target != root and not target.is_relative_to(root):
        raise ValueError(f"refusing to write {target}: it is outside {root}")
    return target


def refuse_links(base: Path | str, path: Path | str) -> Path:
    """``path``, after checking that no folder or file from ``base`` down to it is a symbolic link.

    A planted link could otherwise send a write, a lock or a log outside ``base``. ValueError names
    the link. (``base`` itself may be a link: the user chose it.)
    """
    root, target = Path(base), Path(path)
    rel = target.relative_to(root) if target.is_relative_to(root) else None
    if rel is None:
        raise ValueError(f"refusing to write {target}: it is outside {root}")
    current = root
    for part in rel.parts:
        current = current / part
        if current.is_symlink():
            raise ValueError(
                f"refusing to use {current}: it is a symbolic link (a planted link could send writes "
                "elsewhere); remove it"
            )
    return target


def make_dirs(base: Path | str, path: Path | str) -> Path:
    """Create ``path`` and its parents below ``base``, refusing symbolic links on the way (see :func:`refuse_links`)."""
    target = refuse_links(base, path)
    target.mkdir(parents=True, exist_ok=True)
    return refuse_links(base, target)


def open_nofollow(path: Path | str, mode: str = "a") -> Any:
    """Open a lock or log file for writing without following a symbolic link at ``path`` (O_NOFOLLOW).

    ValueError if ``path`` is a link; the file is created if missing (0666 less the umask).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | (os.O_APPEND if mode == "a" else 0)
    try:
        fd = os.open(path, flags, 0o666)
    except OSError as exc:
        if exc.errno == 40 or Path(path).is_symlink():  # ELOOP
            raise ValueError(f"refusing to open {path}: it is a symbolic link; remove it") from None
        raise
    return os.fdopen(fd, mode)
