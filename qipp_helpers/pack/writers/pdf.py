"""The report as a tagged PDF, laid out by WeasyPrint from the same HTML as its web page; the pack merges it."""

from __future__ import annotations

from pathlib import Path

from .base import Executed, Writer


def write(report: Executed, path: Path) -> int:
    from ..render import html_to_pdf

    return html_to_pdf(report.html, path, base_url=report.notebook.resolve().parent)


WRITER = Writer("pdf", ".pdf", "PDF", "a PDF", write, merged=True)
