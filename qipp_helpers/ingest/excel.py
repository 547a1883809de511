"""What every workbook reader shares: opening a workbook once, reading cells as text, finding the header row.

A reader (one per input layout) turns a grid of cell values into records; this module gives it
the grid and the header, and turns what the guard found (hidden rows, merged cells, formulas with
no saved value) into located problems.
"""

from __future__ import annotations

import functools
import re
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..core.errors import Problem
from .guard import SheetFlags, scan_xlsx

#: Rows searched for a header (title and note rows may sit above it).
HEADER_SEARCH_ROWS = 30

#: What opening a file that is not a sound workbook raises (corrupt zip, truncated member, bad XML...).
UNREADABLE_XLSX = (zipfile.BadZipFile, KeyError, OSError, ValueError, EOFError, zlib.error, SyntaxError)


def norm(cell: object) -> str:
    """A cell as comparable text: lower case, underline tags and spacing removed ('Risk / Issue' -> 'risk/issue')."""
    if isinstance(cell, str):
        return _norm_text(cell)
    return _norm_text("" if cell is None else str(cell))


@functools.lru_cache(maxsize=65536)
def _norm_text(text: str) -> str:
    """Cached because headers and scheme numbers repeat on every row."""
    text = re.sub(r"</?u>", "", text)
    text = re.sub(r"\s*/\s*", "/", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def cell_text(cell: object) -> str:
    """A cell as text to store: stripped; whole floats without '.0'; a lone 0 is blank (the paper prints 0
    for 'not applicable')."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    text = str(cell).strip()
    return "" if text == "0" else text


def column_letter(index: int) -> str:
    """1 -> 'A', 28 -> 'AB'."""
    out = ""
    while index > 0:
        index, rem = divmod(index - 1, 26)
        out = chr(65 + rem) + out
    return out


def _quoted(labels: Sequence[str]) -> str:
    q = [repr(x) for x in labels]
    return q[0] if len(q) == 1 else ", ".join(q[:-1]) + " and " + q[-1]


@dataclass
class Header:
    """The header row of a table: its 0-based index, where each known column is, and how it was printed."""

    row: int
    columns: dict[str, int]
    printed: dict[str, str]
    repeated: list[str] = field(default_factory=list)


def find_header(
    rows: Sequence[Sequence[object]],
    names: Mapping[str, str],
    required: Mapping[str, str],
    *,
    file: str,
    sheet: str | None,
    anchors: Sequence[str] | None = None,
) -> Header | Problem:
    """The header row among the first :data:`HEADER_SEARCH_ROWS` rows, or a located problem.

    ``names`` maps header text as :func:`norm` gives it to a column key; ``required`` maps each key
    that must be present to its printed label. The header is the row naming the most required
    columns (at least two); if it lacks some, the problem names that row and every column missing,
    so a renamed column reads as 'missing column', not as 'no header row'. ``anchors`` are the labels
    a 'no header row found' message names (default: every required label).
    """
    best: tuple[int, dict[str, int], list[str], int] | None = None
    need = min(2, len(required))
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        cols: dict[str, int] = {}
        repeated: list[str] = []
        for j, c in enumerate(row):
            key = names.get(norm(c))
            if key is None:
                continue
            if key in cols:
                repeated.append(key)
            else:
                cols[key] = j
        hits = sum(k in cols for k in required)
        if hits >= need and (best is None or hits > best[3]):
            best = (i, cols, repeated, hits)
            if hits == len(required):
                break
    if best is None:
        looked = list(anchors) if anchors else list(required.values())
        return Problem(
            file, f"no header row found: looked for {_quoted(looked)} in the first {HEADER_SEARCH_ROWS} rows", sheet
        )
    i, cols, repeated, _ = best
    missing = [label for key, label in required.items() if key not in cols]
    if missing:
        plural = "s " if len(missing) > 1 else " "
        return Problem(file, "missing column" + plural + ", ".join(repr(m) for m in missing), sheet, i + 1)
    printed = {k: str(rows[i][j]).strip() for k, j in cols.items()}
    return Header(i, cols, printed, repeated)


def flag_problems(
    flags: SheetFlags | None, *, file: str, sheet: str, first_row: int, names: dict[int, str]
) -> list[Problem]:
    """Hidden rows, merged cells and unsaved formulas at or below ``first_row`` as located problems.

    ``names`` maps a 1-based column to its printed header (else the column letter is used).
    Hidden rows are errors, not warnings: a hidden row would otherwise be summed unseen.
    """
    if flags is None:
        return []
    out = []
    hidden = sorted(r for r in flags.hidden_rows if r >= first_row)
    if hidden:
        out.append(
            Problem(
                file,
                f"hidden row{'s' if len(hidden) > 1 else ''} {', '.join(map(str, hidden))}: unhide "
                "(or delete) them so every figure counted can be seen",
                sheet,
                hidden[0],
            )
        )
    out += invisible_problems(flags, file=file, sheet=sheet, first_row=first_row, names=names)
    for ref, row, col in flags.merged:
        if row >= first_row:
            out.append(
                Problem(
                    file,
                    f"merged cells {ref}: unmerge them (a merged cell keeps its value in its first cell only)",
                    sheet,
                    row,
                    names.get(col, column_letter(col)),
                )
            )
    for row, col, formula in flags.no_cached_value:
        if row >= first_row:
            out.append(
                Problem(
                    file,
                    f"formula ={formula} has no saved value: open the file in Excel and save it, or paste values",
                    sheet,
                    row,
                    names.get(col, column_letter(col)),
                )
            )
    return out


def invisible_problems(
    flags: SheetFlags, *, file: str, sheet: str, first_row: int, names: dict[int, str]
) -> list[Problem]:
    """Columns the reader reads (``names``; all when empty) that are hidden (or too narrow to see), and cells
    formatted to show nothing (``;;;``): a figure there would be counted unseen, as in a hidden row."""
    out = []
    for col in sorted(c for c in flags.hidden_cols if c in names or not names):  # no names: every column is read
        out.append(
            Problem(
                file,
                "hidden column: unhide it so every figure counted can be seen",
                sheet,
                None,
                names.get(col, column_letter(col)),
            )
        )
    cells = [(r, c) for r, c in flags.invisible if r >= first_row]
    if cells:
        row, col = cells[0]
        out.append(
            Problem(
                file,
                f"{len(cells)} cell{'s' if len(cells) > 1 else ''} formatted to show nothing (;;;): give them a "
                "visible number format so every figure counted can be seen",
                sheet,
                row,
                names.get(col, column_letter(col)),
            )
        )
    return out


def unreadable(path: Path, exc: BaseException) -> Problem:
    """The one message for a file that cannot be opened as a workbook."""
    return Problem(path.name, f"not a readable .xlsx workbook ({type(exc).__name__}: {exc})")


def open_workbook(path: Path) -> tuple[Any, Problem | None]:
    """Open an .xlsx read-only with cached values: (workbook, None), or (None, a Problem saying why not)."""
    from openpyxl import load_workbook

    try:
        return load_workbook(path, read_only=True, data_only=True), None
    except UNREADABLE_XLSX as exc:
        return None, unreadable(path, exc)


def open_scanned(path: Path) -> tuple[dict, Any, Problem | None]:
    """:func:`open_workbook` after :func:`guard.scan_xlsx`: (sheet flags, workbook, None) or ({}, None, Problem)."""
    try:
        flags = scan_xlsx(path)
    except UNREADABLE_XLSX as exc:
        return {}, None, unreadable(path, exc)
    wb, problem = open_workbook(path)
    return (flags, wb, None) if problem is None else ({}, None, problem)


def about_rows(rows: Iterable[Sequence[object]]) -> dict[str, str]:
    """An About sheet's key -> value pairs (first row is its header; blank keys or values are skipped)."""
    out: dict[str, str] = {}
    for r in list(rows)[1:]:
        if r and r[0] and len(r) > 1 and r[1] is not None and str(r[1]).strip():
            out[str(r[0]).strip()] = str(r[1]).strip()
    return out


@dataclass(frozen=True)
class WorkbookInfo:
    """What routing needs to know of an input file, read once and cheaply: its type and its sheets."""

    path: Path
    suffix: str
    sheets: dict[str, str] = field(default_factory=dict)  # sheet name -> state: visible, hidden, veryHidden
    first_line: str = ""  # a .csv's first line (its header, for routing)

    def has_sheet(self, name: str) -> bool:
        """True if a sheet is called ``name`` (any case, surrounding spaces ignored)."""
        return any(s.strip().lower() == name.lower() for s in self.sheets)


def workbook_info(path: Path) -> WorkbookInfo:
    """The file's suffix and, for an .xlsx, its sheets and their visibility (from ``xl/workbook.xml`` only).

    A file that cannot be read this way gets no sheets: the reader chosen for it says why.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        try:
            with path.open("rb") as fh:
                head = fh.read(4096).decode("utf-8-sig", errors="replace")
        except OSError:
            head = ""
        return WorkbookInfo(path, suffix, first_line=head.splitlines()[0] if head else "")
    if suffix != ".xlsx":
        return WorkbookInfo(path, suffix)
    from .guard import workbook_sheets

    try:
        sheets = {name: state for name, state, _ in workbook_sheets(path)}
    except UNREADABLE_XLSX:
        sheets = {}
    return WorkbookInfo(path, suffix, sheets)


#: Characters no return has a reason to contain: control characters (but tab and line breaks) and the
#: Unicode direction overrides that make text display differently from what it is.
_BAD_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
#: Longest text a field may hold (characters); longer is refused, never cut.
TEXT_LIMITS: dict[str, int] = {
    "scheme_no": 40,
    "scheme_name": 300,
    "workstream": 80,
    "milestones": 1000,
    "financial_benefits": 1000,
    "risk_issue": 1000,
    "rag": 40,
    "provenance": 1000,
    "commentary": 4000,
    "scheme_owner": 200,
    "key_risk": 2000,
    "mitigation": 2000,
    "action_owner": 200,
}


def text_problems(
    df: pd.DataFrame, labels: Mapping[str, str], *, limits: Mapping[str, int] = TEXT_LIMITS, most: int = 50
) -> list[Problem]:
    """Located problems for text cells holding control characters or longer than their limit.

    ``df`` carries ``source_file``, ``source_sheet`` and ``source_row``; ``labels`` maps a column to its
    printed header. Vectorised: a 100,000-row return is checked in milliseconds.
    """
    out: list[Problem] = []
    for col, label in labels.items():
        if col not in df.columns or df.empty:
            continue
        if _all_clean(df[col], limits.get(col)):
            continue  # the usual case, found from the column's distinct values alone
        text = df[col].astype(str)
        bad = text.str.contains(_BAD_CHARS, regex=True)
        for i in df.index[bad][:most]:
            ch = _BAD_CHARS.search(text[i]).group(0)  # type: ignore[union-attr]
            out.append(
                Problem(
                    str(df.at[i, "source_file"]),
                    f"contains the control character U+{ord(ch):04X}: "
                    "remove it (retype the text, or paste it as plain text)",
                    str(df.at[i, "source_sheet"]),
                    int(df.at[i, "source_row"]),
                    label,
                )
            )
        limit = limits.get(col)
        if limit:
            long = text.str.len() > limit
            for i in df.index[long][:most]:
                out.append(
                    Problem(
                        str(df.at[i, "source_file"]),
                        f"is {len(text[i]):,} characters long; the limit is "
                        f"{limit:,}: shorten it (nothing is cut without a word)",
                        str(df.at[i, "source_sheet"]),
                        int(df.at[i, "source_row"]),
                        label,
                    )
                )
    return out


def _all_clean(column: pd.Series, limit: int | None) -> bool:
    """True if no value of a text column holds a control character or is longer than ``limit`` (checked on its
    distinct values: a return repeats the same few descriptors on every row). False says nothing."""
    if column.dtype != "str" or column.hasnans:
        return False
    import pyarrow as pa
    import pyarrow.compute as pc

    distinct = pc.unique(pa.array(column))
    if pc.any(pc.match_substring_regex(distinct, _BAD_CHARS.pattern)).as_py():
        return False
    return limit is None or len(distinct) == 0 or pc.max(pc.utf8_length(distinct)).as_py() <= limit


def sheet_problems(file: str, flags: Mapping[str, SheetFlags], wanted: Sequence[str]) -> list[Problem]:
    """Hidden sheets, hidden rows, merged cells and formulas with no saved value in the sheets a reader reads.

    ``wanted`` are the sheet names read (any case). Used by readers whose sheets have no title rows to skip.
    """
    out: list[Problem] = []
    names = {w.lower() for w in wanted}
    for title, f in flags.items():
        if title.strip().lower() not in names:
            continue
        if f.state != "visible":
            out.append(
                Problem(
                    file,
                    f"the sheet is {'very ' if f.state == 'veryHidden' else ''}hidden: unhide it "
                    "(or delete it) so every figure ingested can be seen",
                    title,
                )
            )
            continue
        out.extend(flag_problems(f, file=file, sheet=title, first_row=1, names={}))
    return out
