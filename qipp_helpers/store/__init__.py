"""The processed store: what each stored table is (:mod:`.schema`), the versioned DuckDB store
(:mod:`.versioned`) and how the layers above read and write it (:mod:`.db`).

Notebooks and the pack read it through these names; only ingest writes it.
"""

from .db import (
    commit,
    is_snapshot,
    load_adjustments,
    load_commentary,
    load_controls,
    load_frp,
    load_returns,
    load_rightcare,
    load_warnings,
    processed_dir,
    read_log,
    snapshot,
    versions,
)

__all__ = [
    "commit",
    "is_snapshot",
    "load_adjustments",
    "load_commentary",
    "load_controls",
    "load_frp",
    "load_returns",
    "load_rightcare",
    "load_warnings",
    "processed_dir",
    "read_log",
    "snapshot",
    "versions",
]
