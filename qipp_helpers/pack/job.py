"""One report to render (:class:`Job`) and the notes its workbook opens with: what the runner and every writer
share, below both so neither imports the other."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Job:
    """One report to render: ``notebook`` run with ``parameters`` into ``out_dir/stem.*``."""

    notebook: Path
    parameters: dict
    out_dir: Path
    stem: str
    label: str


def run_notes(job: Job, title: str, period: str, marking: str) -> list[tuple[str, str]]:
    """The workbook's first notes: report, period, protective marking, the store version read, when made."""
    import json
    from datetime import datetime

    from ..store.db import SNAPSHOT_MARK, processed_dir

    data = "not recorded (the report did not read a store snapshot)"
    given = Path(str(job.parameters.get("data_dir", "")))
    mark = processed_dir(given if given.is_absolute() else job.notebook.parent / given) / SNAPSHOT_MARK
    if job.parameters.get("data_dir") and mark.is_file():
        try:
            about = json.loads(mark.read_text(encoding="utf-8"))
            data = f"store version {about.get('version', '?')}"
            if about.get("time"):
                when = str(about["time"])
                data += f", committed {when[:19].replace('T', ' ')}{' UTC' if when.endswith(('+00:00', 'Z')) else ''}"
            if about.get("digest"):
                data += f" (digest {str(about['digest'])[:12]})"
        except (OSError, ValueError):
            pass
    return [
        ("Report", title),
        ("Period", period),
        ("Protective marking", marking or "none given"),
        ("Data version", data),
        ("Generated", datetime.now().strftime("%d %b %Y %H:%M")),
    ]
