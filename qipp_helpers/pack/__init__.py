"""The month-end pack: which notebooks, the batch runner, rendering to HTML/PDF/xlsx, the front page."""

import sys

# nbformat (so papermill and nbconvert) imports jsonschema, which imports the optional IRI checker
# rfc3987-syntax when it is installed (JupyterLab's jupyter-events brings it); that compiles some 40 Lark
# grammars at import, ~1 s of CPU in every process of a run, for a format check nbformat never asks for.
# The batch's processes (the driver, its workers, Dask workers running its jobs) do without it; a process
# that imported it already keeps it.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]
