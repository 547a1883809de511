"""Hand tables and report metadata from an executed notebook to the batch runner.

A notebook calls :func:`publish`; it displays one output of a private MIME type that HTML
and PDF renderers ignore and the runner reads back with :func:`published` to write the
``.xlsx`` and the page banner. Nothing here knows about finance.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
from IPython.display import display

MIME = "application/vnd.qipp.report+json"


def publish(tables: Mapping[str, pd.DataFrame], **meta: object) -> None:
    """Emit ``tables`` (sheet name -> DataFrame) and metadata (title, banner lines...) as one output."""
    payload = {
        "meta": meta,
        "order": list(tables),  # notebooks are saved with sorted keys; keep the sheet order the notebook chose
        "tables": {
            name: json.loads(df.to_json(orient="split", index=False, double_precision=15))
            for name, df in tables.items()
        },
    }
    display({MIME: payload}, raw=True)


def published(executed_notebook: Path) -> tuple[dict[str, pd.DataFrame], dict]:
    """Read back what :func:`publish` emitted in an executed notebook (empty if nothing was)."""
    import nbformat  # here, not at module level: notebooks import this module and nbformat is slow to import

    nb = nbformat.read(executed_notebook, as_version=4)
    tables: dict[str, pd.DataFrame] = {}
    meta: dict = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if MIME in data:
                payload = data[MIME]
                meta.update(payload.get("meta", {}))
                found = payload.get("tables", {})
                for name in [*payload.get("order", []), *sorted(found)]:
                    if name in found and name not in tables:
                        tables[name] = pd.DataFrame(found[name]["data"], columns=found[name]["columns"])
    return tables, meta
