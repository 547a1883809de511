"""The processed store: what each stored table is (:mod:`.schema`) and how it is written and read (:mod:`.db`).

Notebooks and the pack read it through these names; only ingest writes it.
"""

from .db import (
    load_frp,
    load_returns,
    load_rightcare,
    load_warnings,
    processed_dir,
    read_log,
)

__all__ = ["load_frp", "load_returns", "load_rightcare", "load_warnings", "processed_dir", "read_log"]
