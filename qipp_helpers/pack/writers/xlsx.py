"""The report's tables as a workbook for analysts (laid out by :mod:`..xlsx`); none when it published no table."""

from __future__ import annotations

from pathlib import Path

from .base import Executed, Writer


def write(report: Executed, path: Path) -> int | None:
    if not report.book.tables:
        return None
    from ..job import run_notes
    from ..xlsx import write_tables_xlsx

    write_tables_xlsx(
        path,
        report.book.tables,
        notes=[*run_notes(report.job, report.title, report.period, report.marking), *report.book.notes],
        headline=report.book.headline,
        title=report.title,
        marking=report.marking,
    )
    return 0


WRITER = Writer("xlsx", ".xlsx", "Excel workbook", "an Excel workbook (for analysts)", write)
