"""The report as a self-contained web page (nbconvert's ``qipp_report`` template; :mod:`..render`)."""

from __future__ import annotations

from pathlib import Path

from .base import Executed, Writer


def write(report: Executed, path: Path) -> int:
    from ...core.files import atomic_write_bytes

    atomic_write_bytes(path, report.html.encode("utf-8"))
    return 0


WRITER = Writer("html", ".html", "web page", "a web page", write)
