"""What `make lab` saves: notebooks as git holds them, so using the explorer leaves `git status` clean.

JupyterLab saves a run notebook with its outputs, execution counts, widget state and the kernel's
language details. The nbstripout git filter hides those from commits, but git still reports the file
as modified (its size differs from the index). `make lab` therefore starts JupyterLab with
:func:`strip_on_save` as the contents manager's pre-save hook: the notebook is saved exactly as
`make strip` leaves it. Outputs here are views of a live kernel (widgets need it anyway): Run All
brings them back.
"""

from __future__ import annotations

from typing import Any

#: Kept in the notebook metadata: what papermill and the tests need (the kernel's name and language).
_LANGUAGE_KEEP = ("name",)
_CELL_KEYS = ("collapsed", "scrolled", "execution", "ExecuteTime", "heading_collapsed", "hidden")


def strip_notebook(nb: Any) -> Any:
    """``nb`` (a notebook dict or NotebookNode) without outputs, counts, widget state or language details."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        for key in _CELL_KEYS:
            cell.get("metadata", {}).pop(key, None)
    meta = nb.get("metadata", {})
    meta.pop("widgets", None)
    meta.pop("signature", None)
    if isinstance(meta.get("language_info"), dict):
        meta["language_info"] = {k: v for k, v in meta["language_info"].items() if k in _LANGUAGE_KEEP}
    return nb


def strip_on_save(model: dict, **_: object) -> None:
    """Jupyter's ``ContentsManager.pre_save_hook``: a notebook is saved stripped (other files as they are)."""
    if model.get("type") == "notebook" and model.get("content") is not None:
        strip_notebook(model["content"])
