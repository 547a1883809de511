"""Reader of the PMO dashboard layout (Paper D Appendices 2-5) from .xlsx or .csv.

One reader per input layout. A reader turns cells into tidy records and collects every
problem it meets (file, sheet, row, column) instead of stopping at the first. It does not
write anything and does not validate across files; see :mod:`qipp_helpers.ingest.pipeline`.

Two ways through, one result. :func:`parse_rows` reads a sheet row by row and names every
problem. Most sheets are well formed (a national ingest is thousands of them), so
:func:`parse_sheets` first tries the fast reader: the sheets' rows below their headers, column
by column across many sheets at once (a plain CSV file's lines parsed by Arrow, never made into
Python rows), every value worked out once per distinct text by the same functions the row-by-row
reader calls. A sheet with anything out of the ordinary (a problem, a continuation row, a
repeated header, blank rows in the middle...) goes to :func:`parse_rows`, so what a user is told
never depends on the way taken. ``tests/unit/test_ingest_fast.py`` holds the two to the same records.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as pa_csv

from ..core.errors import Problem
from ..core.files import path_like
from ..core.money import parse_money
from ..core.orgs import organisations
from ..core.vocab import DASHBOARD_HEADERS, MONEY_COLUMNS, RAG_ALIASES, RAGS
from ..reference import normalise_scheme_no
from .excel import (
    HEADER_SEARCH_ROWS,
    Header,
    about_rows,
    cell_text,
    column_letter,
    find_header,
    flag_problems,
    norm,
    open_scanned,
)
from .guard import SheetFlags, check_input_file

#: Header text as printed -> column. Matching ignores case, underlining and spacing.
HEADERS: dict[str, str] = {
    "scheme no. for llr summary report": "scheme_no",
    "scheme no.": "scheme_no",
    "scheme no": "scheme_no",
    "scheme number": "scheme_no",
    "scheme name": "scheme_name",
    "milestones": "milestones",
    "financial benefits": "financial_benefits",
    "risk/issue": "risk_issue",
    "overall pmo rag ratings": "rag",
    "overall pmo rag rating": "rag",
    "sum of plan ytd": "plan_ytd",
    "plan ytd": "plan_ytd",
    "sum of actuals ytd": "actual_ytd",
    "actuals ytd": "actual_ytd",
    "actual ytd": "actual_ytd",
    "annual plan": "annual_plan",
    "sum of revised fot": "fot",
    "revised fot": "fot",
    "sum of pmo assured value": "assured",
    "pmo assured value": "assured",
    "workstream": "workstream",
}
#: The printed header of each required column, for error messages.
REQUIRED: dict[str, str] = DASHBOARD_HEADERS
#: The labels a "no header row found" message names.
ANCHORS = ("Scheme Name", "Annual Plan")
TOTAL_LABELS = {"grand total", "total"}


def _values(column: Any) -> list:
    """A column (list, NumPy or Arrow array) as a list of Python values."""
    if isinstance(column, np.ndarray):
        return column.tolist()
    if isinstance(column, pa.Array | pa.ChunkedArray):
        return column.to_pylist()
    return list(column)


class SheetResult:
    """What one sheet held: scheme records, its printed Grand Total row (if any), problems.

    The records are kept either as dicts (``records``, the row-by-row reader) or column by column
    (``columns``, the fast reader); each form is made from the other when asked for.
    """

    def __init__(
        self,
        org: str,
        sheet: str,
        records: list[dict] | None = None,
        printed_total: dict[str, float] | None = None,
        printed_total_row: int = 0,
        problems: list[Problem] | None = None,
        columns: dict[str, Any] | None = None,
    ):
        self.org, self.sheet = org, sheet
        self.printed_total, self.printed_total_row = printed_total, printed_total_row
        self.problems: list[Problem] = problems if problems is not None else []
        self._records = records if records is not None or columns is not None else []
        self._columns = columns

    def __repr__(self) -> str:
        return f"SheetResult(org={self.org!r}, sheet={self.sheet!r}, rows={len(self)}, problems={len(self.problems)})"

    def __len__(self) -> int:
        if self._columns is not None:
            return len(next(iter(self._columns.values())))
        return len(self._records or [])

    @property
    def records(self) -> list[dict]:
        """One dict per scheme row, as the row-by-row reader makes them."""
        if self._records is None:
            cols = {k: _values(v) for k, v in (self._columns or {}).items()}
            self._records = [dict(zip(cols, values, strict=True)) for values in zip(*cols.values(), strict=True)]
        return self._records

    def column(self, name: str) -> list:
        """One field of every record, in row order (``[]`` if the records lack it)."""
        if self._columns is not None:
            col = self._columns.get(name)
            return [] if col is None else _values(col)
        return [r[name] for r in self.records if name in r]

    def columns(self) -> dict[str, Any]:
        """The records column by column (text as Arrow arrays, money as float arrays, when the fast reader made
        them; else lists)."""
        if self._columns is not None:
            return self._columns
        names = list(self.records[0]) if self.records else []
        return {k: [r[k] for r in self.records] for k in names}

    def fields(self) -> list[str]:
        """The fields of the records."""
        if self._columns is not None:
            return list(self._columns)
        return list(self.records[0]) if self.records else []


@dataclass
class FileResult:
    """What one input file held."""

    path: Path
    sheets: list[SheetResult] = field(default_factory=list)
    provenance: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # organisation sheets not read (--org named another)


@dataclass
class SheetJob:
    """One dashboard grid to read and where it comes from.

    ``rows``: the cell values, first row = spreadsheet row 1; or, for a CSV file, ``csv``: its text, from
    which the fast reader takes the rows below the header column by column, and the grid is made only if
    the row-by-row reader is needed (:meth:`grid`).
    """

    rows: Sequence[Sequence[object]] | None
    file: str
    sheet: str
    org: str
    flags: SheetFlags | None = None
    csv: CsvText | None = None

    def grid(self) -> Sequence[Sequence[object]]:
        """The rows of cell values (first row = spreadsheet row 1)."""
        if self.rows is None:
            self.rows = self.csv.grid() if self.csv is not None else []
        return self.rows


def parse_sheet(
    rows: Sequence[Sequence[object]], *, file: str, sheet: str, org: str, flags: SheetFlags | None = None
) -> SheetResult:
    """Parse one dashboard grid (rows of cell values, first row = spreadsheet row 1).

    ``flags`` (from :func:`qipp_helpers.guard.scan_xlsx`) adds hidden rows, merged cells and
    formulas without a saved value below the title rows as problems.
    """
    return parse_sheets([SheetJob(rows, file, sheet, org, flags)])[0]


#: False: every sheet is read row by row (the benchmark's naive baseline; tests compare the two readers).
FAST_READER = True


def parse_sheets(jobs: Sequence[SheetJob]) -> list[SheetResult]:
    """:func:`parse_sheet` of many grids: the well-formed ones read together, column by column
    (:func:`_read_blocks`); any other row by row (:func:`parse_rows`), which locates every problem."""
    out: list[SheetResult | None] = [None] * len(jobs)
    blocks: list[tuple[int, _Block]] = []
    headers: dict[int, Header | Problem] = {}
    for i, block in _csv_blocks(jobs, headers) if FAST_READER else ():
        blocks.append((i, block))
    for i, job in enumerate(jobs):
        if i in headers:
            continue
        header = find_header(job.grid(), HEADERS, REQUIRED, file=job.file, sheet=job.sheet, anchors=ANCHORS)
        headers[i] = header
        found = _block(job, header) if isinstance(header, Header) and FAST_READER else None
        if found is not None:
            blocks.append((i, found))
    read = dict(zip([i for i, _ in blocks], _read_blocks([b for _, b in blocks]), strict=True))
    for i, job in enumerate(jobs):
        result = read.get(i)
        if result is None:
            header = headers[i]
            result = parse_rows(job.grid(), header, file=job.file, sheet=job.sheet, org=job.org, flags=job.flags)
        out[i] = result
    return out  # type: ignore[return-value]


def parse_rows(
    rows: Sequence[Sequence[object]],
    header: Header | Problem,
    *,
    file: str,
    sheet: str,
    org: str,
    flags: SheetFlags | None = None,
) -> SheetResult:
    """The row-by-row reader: every row looked at on its own, every problem located (what :func:`parse_sheet`
    falls back to whenever :func:`parse_block` finds anything out of the ordinary)."""
    result = SheetResult(org=org, sheet=sheet)

    def problem(message: str, row: int | None = None, column: str | None = None) -> None:
        result.problems.append(Problem(file, message, sheet, row, column))

    if isinstance(header, Problem):
        result.problems.append(header)
        return result
    header_index, seen = header.row, header.columns
    printed = {c: REQUIRED.get(c, c) for c in seen}
    result.problems.extend(_header_problems(header, printed, flags, file=file, sheet=sheet))
    current_scheme = ""
    first_seen: dict[str, int] = {}  # scheme number -> row it was first written on
    for i in range(header_index + 1, len(rows)):
        raw = rows[i]
        excel_row = i + 1
        width = len(raw)
        cells = {col: (raw[j] if j < width else None) for col, j in seen.items()}
        kind = _row_kind(raw, cells)
        if kind == "total":
            result.printed_total = _money(cells, excel_row, printed, problem, what="Grand Total: ")
            result.printed_total_row = excel_row
        if kind != "scheme":
            continue
        current_scheme = _scheme_no(cells, excel_row, current_scheme, first_seen, printed, problem)
        result.records.append(
            _record(
                cells,
                org=org,
                sheet=sheet,
                scheme_no=current_scheme,
                excel_row=excel_row,
                printed=printed,
                problem=problem,
            )
        )
    if not result.records and not result.problems:
        problem("no scheme rows below the header")
    return result


def _header_problems(
    header: Header, printed: dict[str, str], flags: SheetFlags | None, *, file: str, sheet: str
) -> list[Problem]:
    """A column the header gives twice, and anything hidden, merged or unsaved below the title rows; located."""
    problems = [
        Problem(file, f"column {REQUIRED.get(col, col)!r} appears twice", sheet, header.row + 1)
        for col in dict.fromkeys(header.repeated)
    ]
    problems += flag_problems(
        flags,
        file=file,
        sheet=sheet,
        first_row=header.row + 1,
        names={j + 1: printed[c] for c, j in header.columns.items()},
    )
    return problems


def _row_kind(raw: Sequence[object], cells: dict) -> Literal["skip", "total", "scheme"]:
    """What a row below the header is: a scheme row, the Grand Total, or one to skip (blank, the header
    repeated at a page break, a title or note row above or between the blocks)."""
    if all(c is None or (isinstance(c, str) and not c.strip()) for c in raw):
        return "skip"
    first = norm(cells["scheme_no"])
    if first in HEADERS or norm(cells["scheme_name"]) == "scheme name":
        return "skip"  # header repeated at a page break
    if (first or norm(cells["scheme_name"])) in TOTAL_LABELS:
        return "total"
    has_money = any(cells[c] not in (None, "") for c in MONEY_COLUMNS)
    if not cell_text(cells["scheme_name"]) and not has_money:
        return "skip"  # a title or note row above/between the blocks
    return "scheme"


def _scheme_no(
    cells: dict,
    excel_row: int,
    current_scheme: str,
    first_seen: dict[str, int],
    printed: dict[str, str],
    problem: Callable[..., None],
) -> str:
    """A scheme row's scheme number: its own (a problem if an earlier scheme's rows used it; noted in
    ``first_seen``), else the scheme above's (a continuation row), else blank (a problem)."""
    scheme_no = normalise_scheme_no(cells["scheme_no"])
    if scheme_no and scheme_no != current_scheme and scheme_no in first_seen:
        problem(
            f"duplicate scheme number {scheme_no!r}: already used on row {first_seen[scheme_no]} (a scheme's "
            "further rows follow it directly, number blank or repeated)",
            excel_row,
            printed["scheme_no"],
        )
    if scheme_no:
        first_seen.setdefault(scheme_no, excel_row)
        return scheme_no
    if current_scheme:
        return current_scheme  # continuation row: belongs to the scheme above
    problem("scheme number is blank and there is no scheme above it to continue", excel_row, printed["scheme_no"])
    return scheme_no


def _money(
    cells: dict, excel_row: int, printed: dict[str, str], problem: Callable[..., None], *, what: str = ""
) -> dict[str, float]:
    """The money cells of a row in £000; an unreadable cell is a problem naming it (and NaN)."""
    out: dict[str, float] = {}
    for col in MONEY_COLUMNS:
        try:
            out[col] = parse_money(cells[col])
        except ValueError as exc:
            problem(f"{what}{exc}", excel_row, printed[col])
            out[col] = float("nan")
    return out


def _record(
    cells: dict,
    *,
    org: str,
    sheet: str,
    scheme_no: str,
    excel_row: int,
    printed: dict[str, str],
    problem: Callable[..., None],
) -> dict:
    """One scheme row as a record; a blank name or an unknown RAG is a problem naming the cell."""
    name = cell_text(cells["scheme_name"])
    if not name:
        problem("scheme name is blank", excel_row, printed["scheme_name"])
    rag_text = cell_text(cells["rag"])
    rag = RAG_ALIASES.get(rag_text.lower(), rag_text.capitalize())
    if rag not in RAGS:
        problem(
            f"RAG rating {rag_text!r} is not one of {', '.join(RAGS)} (Blue = completed, Grey = closed)",
            excel_row,
            printed["rag"],
        )
    record = {
        "org": org,
        "scheme_no": scheme_no,
        "scheme_name": name,
        "milestones": cell_text(cells["milestones"]),
        "financial_benefits": cell_text(cells["financial_benefits"]),
        "risk_issue": cell_text(cells["risk_issue"]),
        "rag": rag,
        "source_sheet": sheet,
        "source_row": excel_row,
    }
    if "workstream" in cells:
        record["workstream"] = cell_text(cells["workstream"])
    record.update(_money(cells, excel_row, printed, problem))
    return record


# --- the fast reader: well-formed sheets, many at a time, column by column ------------------------------

_RAG_SET = frozenset(RAGS)
#: A money cell the fast reader converts itself: a plain number of moderate length, as CSV exports write them
#: (any other text goes through :func:`parse_money`, once per distinct value).
_PLAIN_NUMBER = r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$"
_TEXT_FIELDS = ("milestones", "financial_benefits", "risk_issue")
_STRING = pa.large_string()  # what pandas' text dtype holds


@dataclass
class CsvText:
    """A CSV file read as text: the records down to its header, and the plain lines below it (as bytes).

    Plain: no quote, carriage return (but in CRLF line ends, which Arrow reads as csv does) or NUL character, so
    each line is one record
    and its fields are what splitting at commas gives, exactly as :mod:`csv` reads them. (No byte of a
    multi-byte UTF-8 character is one of those, so bytes can be split where the text would be.)
    """

    text: str
    header: Header
    body: bytes  # the lines below the header (b'\n' or b'\r\n' between them, none at the end)
    width: int  # fields on the first line below the header

    def grid(self) -> list[list[str]]:
        """The file's rows as :func:`read_csv` has always read them."""
        return list(csv.reader(io.StringIO(self.text, newline="")))


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # a line as a file opened with newline="" gives it


def csv_text(data: bytes, text: str, *, file: str, sheet: str) -> CsvText | None:
    """The file (``data``, decoded as ``text``) as :class:`CsvText`, or None when its header is not found or the
    lines below it are not plain."""
    records: list[list[str]] = []
    ends: list[int] = []
    read = 0

    def lines() -> Iterator[str]:
        nonlocal read
        for line in _LINE.finditer(text):
            read = line.end()
            yield line.group()

    header: Header | Problem | None = None
    try:
        for record in csv.reader(lines()):
            records.append(record)
            ends.append(read)
            if len(records) == HEADER_SEARCH_ROWS:
                break
            if sum(norm(c) in HEADERS for c in record) >= len(REQUIRED):  # perhaps the header: look no further
                header = find_header(records, HEADERS, REQUIRED, file=file, sheet=sheet, anchors=ANCHORS)
                if isinstance(header, Header) and header.row == len(records) - 1:
                    break  # every column named: find_header stops at this row in the whole file too
    except csv.Error:
        return None
    if not isinstance(header, Header) or header.row != len(records) - 1:
        header = find_header(records, HEADERS, REQUIRED, file=file, sheet=sheet, anchors=ANCHORS)
    if not isinstance(header, Header):
        return None
    bom = len(codecs.BOM_UTF8) if data.startswith(codecs.BOM_UTF8) else 0
    body = data[bom + len(text[: ends[header.row]].encode("utf-8")) :]
    if b'"' in body or b"\0" in body or (b"\r" in body and body.count(b"\r") != body.count(b"\r\n")):
        return None  # a quote, a NUL or a lone carriage return: read row by row
    body = body.rstrip(b"\r\n")
    if not body or b"\n\n" in body or b"\n\r\n" in body or body.startswith((b"\n", b"\r\n")):
        return None  # blank lines: read row by row
    first = body[: body.find(b"\n")] if b"\n" in body else body
    return CsvText(text, header, body, first.count(b",") + 1)


def _csv_blocks(jobs: Sequence[SheetJob], headers: dict[int, Header | Problem]) -> Iterator[tuple[int, _Block]]:
    """The plain CSV jobs' blocks, the files of one layout parsed together by Arrow; records their headers."""
    groups: dict[tuple, list[int]] = {}
    for i, job in enumerate(jobs):
        if job.csv is not None:
            headers[i] = job.csv.header
            key = (job.csv.width, tuple(sorted(job.csv.header.columns.items())))
            groups.setdefault(key, []).append(i)
    for (width, _), members in groups.items():
        header = jobs[members[0]].csv.header  # type: ignore[union-attr]
        if max(header.columns.values()) >= width or header.repeated:
            continue
        found: list[tuple[int, tuple[int, dict | None, int]]] = []
        bodies = []
        for i in members:
            body = jobs[i].csv.body  # type: ignore[union-attr]
            lines = body.count(b"\n") + 1
            ends = _csv_ends(jobs[i], lines)
            if ends is not None:
                found.append((i, ends))
                bodies.append(body.rsplit(b"\n", lines - ends[0])[0] if ends[0] < lines else body)
        rows = _arrow_csv(b"\n".join([*bodies, b""]), width, header)  # each file's scheme rows, end to end
        if rows is None or rows.num_rows != sum(n for _, (n, _, _) in found):
            continue
        start = 0
        for i, (n, total, total_row) in found:
            own = jobs[i].csv.header  # type: ignore[union-attr]  # the same columns; its own row
            yield i, _Block(jobs[i], own, _Rows(rows, start, n), own.row + 1, total, total_row)
            start += n


def _arrow_csv(body: bytes, width: int, header: Header) -> pa.Table | None:
    """Plain CSV lines (UTF-8, each ending b'\\n') as a table of text columns (the header's columns only), or
    None if Arrow cannot."""
    names = [f"c{j}" for j in range(width)]
    wanted = {f"c{j}": col for col, j in header.columns.items()}
    small = len(body) < 1 << 30  # 32-bit offsets, in one block: parsed several times faster, then widened
    try:
        table = pa_csv.read_csv(
            io.BytesIO(body),
            # one thread: as fast on a small machine, and it leaves the other cores alone
            read_options=pa_csv.ReadOptions(
                column_names=names, block_size=len(body) + 1 if small else 1 << 24, use_threads=False
            ),
            parse_options=pa_csv.ParseOptions(quote_char=False, newlines_in_values=False, ignore_empty_lines=False),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string() if small else _STRING),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                include_columns=list(wanted),
                check_utf8=False,  # the text was decoded as UTF-8 already
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException):
        return None
    table = table.combine_chunks()  # one chunk per column, as the fast reader takes them
    columns = [c.cast(_STRING) for c in table.columns] if small else table.columns
    return pa.table(columns, names=[wanted[n] for n in table.column_names])


def _printed_total(cells: dict) -> dict[str, float] | None:
    """The money of a Grand Total line (None if the line is not one); ValueError if a figure does not parse."""
    if (norm(cells["scheme_no"]) or norm(cells["scheme_name"])) not in TOTAL_LABELS:
        return None
    return {col: parse_money(cells[col]) for col in MONEY_COLUMNS}


def _csv_ends(job: SheetJob, n: int) -> tuple[int, dict[str, float] | None, int] | None:
    """Of a plain CSV file's ``n`` lines below the header: how many are scheme rows (blank lines and the Grand
    Total row at the end left off), the Grand Total and its row; None if it is not readable (row by row then)."""
    assert job.csv is not None
    header = job.csv.header
    tail = job.csv.body.rsplit(b"\n", 8)[1:] if n > 8 else job.csv.body.split(b"\n")
    total, total_row = None, 0
    while tail:
        fields = tail.pop().rstrip(b"\r").decode("utf-8").split(",")
        if all(not c.strip() for c in fields):
            n -= 1
            continue
        cells = {col: (fields[j] if j < len(fields) else None) for col, j in header.columns.items()}
        try:
            total = _printed_total(cells)
        except ValueError:
            return None
        if total is not None:
            total_row = header.row + 1 + n
            n -= 1
        return (n, total, total_row) if n > 0 else None
    return None  # nothing but blank lines at the end: read row by row


@dataclass(frozen=True)
class _Rows:
    """A run of rows of an Arrow table of text columns (one file's scheme rows in a table of many files')."""

    table: pa.Table
    start: int
    n: int

    def __len__(self) -> int:
        return self.n

    def __contains__(self, name: object) -> bool:
        return name in self.table.column_names

    def __getitem__(self, name: str) -> pa.Array:
        return self.table.column(name).chunk(0).slice(self.start, self.n)


@dataclass
class _Block:
    """A sheet's scheme rows, column by column (Arrow text, or cell values), once its layout is known plain."""

    job: SheetJob
    header: Header
    cells: dict[str, Any] | _Rows  # column -> its cells below the header, Grand Total row left out
    first_row: int  # 0-based index of the first row below the header
    total: dict[str, float] | None
    total_row: int

    def __len__(self) -> int:
        return len(self.cells["scheme_no"])


def _block(job: SheetJob, header: Header) -> _Block | None:
    """The sheet as a :class:`_Block`, or None when its layout is not plain: a repeated column, anything hidden,
    merged or unsaved, rows shorter than the header, a Grand Total row that is not the last or not readable,
    no rows (so :func:`parse_rows` says what is wrong)."""
    if header.repeated:
        return None
    seen = header.columns
    first_row = header.row + 1
    if flag_problems(job.flags, file=job.file, sheet=job.sheet, first_row=first_row, names={}):
        return None
    body = list(job.grid()[first_row:])
    while body and all(c is None or (isinstance(c, str) and not c.strip()) for c in body[-1]):
        body.pop()  # blank rows at the end are skipped by the row-by-row reader too
    if not body:
        return None
    last = body[-1]
    cells = {col: (last[j] if j < len(last) else None) for col, j in seen.items()}
    total_row = 0
    try:
        total = _printed_total(cells)
    except ValueError:
        return None
    if total is not None:
        total_row = first_row + len(body)
        body.pop()
    need = max(seen.values()) + 1
    if not body or min(map(len, body)) < need:
        return None
    columns = list(zip(*body, strict=False))
    return _Block(job, header, {col: columns[j] for col, j in seen.items()}, first_row, total, total_row)


def _column(blocks: list[_Block], name: str) -> pa.Array | list:
    """One column of every block, end to end: Arrow text when every cell is text, else the cell values."""
    if not blocks:
        return pa.array([], type=_STRING)
    runs = [b.cells for b in blocks]
    first, at = runs[0], 0
    for run in runs:  # every row of one table, in order (one layout of CSV files): that table's column
        if not (isinstance(run, _Rows) and isinstance(first, _Rows) and run.table is first.table and run.start == at):
            break
        at += run.n
    else:
        if at == first.table.num_rows:  # type: ignore[union-attr]
            return first.table.column(name).chunk(0)  # type: ignore[union-attr]
    parts = [r[name] for r in runs]
    if all(isinstance(p, pa.Array) or all(type(c) is str for c in p) for p in parts):
        arrays = [p if isinstance(p, pa.Array) else pa.array(p, type=_STRING) for p in parts]
        return pa.chunked_array(arrays, type=_STRING).combine_chunks()
    return list(itertools.chain.from_iterable(p.to_pylist() if isinstance(p, pa.Array) else p for p in parts))


def _by_value(
    values: pa.Array | list, fn: Callable[[Any], Any], test: Callable[[Any], bool] | None = None
) -> tuple[pa.Array, np.ndarray | None]:
    """``fn`` of each value as Arrow text (worked out once per distinct text), and ``test`` of each result."""
    if isinstance(values, pa.Array):
        codes = values.dictionary_encode()
        before = codes.dictionary.to_pylist()
        distinct = [fn(v) for v in before]
        # most values need no change (text already trimmed, numbers already plain): then no copy is made
        mapped = values if distinct == before else pa.array(distinct, type=_STRING).take(codes.indices)
        if test is None:
            return mapped, None
        tested = np.array([test(v) for v in distinct], dtype=bool)
        if not tested.any():
            return mapped, np.zeros(len(values), dtype=bool)
        return mapped, tested[codes.indices.to_numpy(zero_copy_only=False)]
    out = [fn(v) for v in values]
    return pa.array(out, type=_STRING), None if test is None else np.array([test(v) for v in out], dtype=bool)


def _cell_text(value: object) -> str:
    return cell_text(value)


def _rag(value: object) -> str:
    text = cell_text(value)
    return RAG_ALIASES.get(text.lower(), text.capitalize())


def _read_blocks(blocks: list[_Block]) -> list[SheetResult | None]:
    """Each block's records, read together column by column; None for a block with anything out of the ordinary.

    Out of the ordinary (then :func:`parse_rows` reads the sheet and names the problem): a scheme number
    blank, repeated or looking like a header or total; a blank scheme name or one reading 'Scheme Name'; a RAG
    not known; a money cell :func:`parse_money` refuses. Otherwise the records are exactly those of
    :func:`parse_rows`, which would find no problem: every value is worked out by the same functions.
    """
    if not blocks:
        return []
    sizes = np.array([len(b) for b in blocks])
    ends = np.cumsum(sizes)
    starts = ends - sizes
    raw_nos = _column(blocks, "scheme_no")
    _, odd = _by_value(raw_nos, norm, lambda f: not f or f in HEADERS or f in TOTAL_LABELS)
    nos, bad = _by_value(raw_nos, normalise_scheme_no, lambda n: not n)
    bad |= odd  # type: ignore[operator]
    raw_names = _column(blocks, "scheme_name")
    _, headerish = _by_value(raw_names, norm, lambda n: n == "scheme name")
    names, blank = _by_value(raw_names, _cell_text, lambda n: not n)
    bad |= headerish | blank  # type: ignore[operator]
    rags, unknown = _by_value(_column(blocks, "rag"), _rag, lambda r: r not in _RAG_SET)
    bad |= unknown
    texts = {f: _by_value(_column(blocks, f), _cell_text)[0] for f in _TEXT_FIELDS}
    with_ws = [b for b in blocks if "workstream" in b.cells]
    ws = iter(_split(_by_value(_column(with_ws, "workstream"), _cell_text)[0], [len(b) for b in with_ws]))
    money = {}
    for col in MONEY_COLUMNS:
        money[col], unreadable = _money_column(_column(blocks, col))
        bad |= unreadable
    spoilt = _spoilt(bad, nos, sizes)
    out: list[SheetResult | None] = []
    for k, (block, start, end) in enumerate(zip(blocks, starts, ends, strict=True)):
        n = int(end - start)
        workstreams = next(ws) if "workstream" in block.cells else None
        if spoilt[k]:
            out.append(None)
            continue
        job, first = block.job, block.first_row
        cols: dict[str, Any] = {
            "org": [job.org] * n,
            "scheme_no": nos.slice(start, n),
            "scheme_name": names.slice(start, n),
            **{f: texts[f].slice(start, n) for f in _TEXT_FIELDS},
            "rag": rags.slice(start, n),
            "source_sheet": [job.sheet] * n,
            "source_row": np.arange(first + 1, first + 1 + n),
        }
        if workstreams is not None:
            cols["workstream"] = workstreams
        cols.update({c: money[c][start:end] for c in MONEY_COLUMNS})
        result = SheetResult(org=job.org, sheet=job.sheet, columns=cols)
        if block.total is not None:
            result.printed_total, result.printed_total_row = block.total, block.total_row
        out.append(result)
    return out


def _spoilt(bad: np.ndarray, nos: pa.Array, sizes: np.ndarray) -> np.ndarray:
    """Which blocks (of ``sizes`` rows, end to end) hold a row out of the ordinary (``bad``) or a scheme number
    (``nos``) twice: those are read row by row."""
    sheet_of = np.repeat(np.arange(len(sizes)), sizes)
    spoilt = np.zeros(len(sizes), dtype=bool)
    spoilt[sheet_of[bad]] = True
    codes = nos.dictionary_encode()  # a scheme number twice in one sheet spoils it too
    pairs = np.sort(sheet_of.astype(np.int64) * (len(codes.dictionary) + 1) + codes.indices.to_numpy())
    spoilt[pairs[1:][pairs[1:] == pairs[:-1]] // (len(codes.dictionary) + 1)] = True
    return spoilt


def _split(column: pa.Array, sizes: list[int]) -> list[pa.Array]:
    """A column cut back into the blocks it was made of."""
    ends = np.cumsum(sizes, dtype=np.int64)
    return [column.slice(int(e) - n, n) for e, n in zip(ends, sizes, strict=True)]


def _money_column(cells: pa.Array | list) -> tuple[np.ndarray, np.ndarray]:
    """:func:`parse_money` of each cell, and which cells it refuses (their value then NaN)."""
    n = len(cells)
    values = np.zeros(n, dtype=float)
    bad = np.zeros(n, dtype=bool)
    if isinstance(cells, pa.Array):
        plain = pc.match_substring_regex(cells, _PLAIN_NUMBER)
        values = pc.cast(pc.if_else(plain, cells, "0"), pa.float64()).to_numpy(zero_copy_only=False).copy()
        if not pc.all(plain).as_py():
            others = np.flatnonzero(~plain.to_numpy(zero_copy_only=False))
            got: dict[object, float | None] = {}
            for v in set(cells.take(pa.array(others)).to_pylist()):
                try:
                    got[v] = parse_money(v)
                except (ValueError, OverflowError):
                    got[v] = None
            for i, v in zip(others, cells.take(pa.array(others)).to_pylist(), strict=True):
                values[i], bad[i] = (float("nan"), True) if got[v] is None else (got[v], False)
        return values, bad
    kinds = set(map(type, cells))
    todo: Iterable[int] = range(n)
    if kinds <= {int, float, type(None)}:
        try:
            values = np.array([0.0 if c is None else c for c in cells], dtype=float)
        except (OverflowError, ValueError, TypeError):
            pass
        else:
            values[np.isnan(values)] = 0.0
            bad = np.isinf(values)
            todo = ()
    for j in todo:
        try:
            values[j] = parse_money(cells[j])
        except (ValueError, OverflowError, TypeError):
            values[j], bad[j] = float("nan"), True
    return values, bad


def sheet_org(name: str) -> str | None:
    """The organisation a sheet name denotes ('ELR', ' wl ' -> 'WL'), or None if unknown."""
    code = name.strip().upper()
    return code if code in _codes() else None


_CODES: tuple[object, frozenset[str], frozenset[str]] = (None, frozenset(), frozenset())


def _codes(groups: bool = False) -> frozenset[str]:
    """The organisation codes in use (or the groups among them), worked out once per registry: asked per file."""
    global _CODES
    registry = organisations()
    if _CODES[0] is not registry:
        _CODES = (registry, frozenset(registry.codes), frozenset(registry.groups))
    return _CODES[2] if groups else _CODES[1]


def hidden_sheet(file: str, sheet: str, flags: SheetFlags | None) -> Problem | None:
    """A problem if a sheet that would be read is hidden: everything ingested must be visible to its sender."""
    if flags is None or flags.state == "visible":
        return None
    return Problem(
        file,
        f"the sheet is {'very ' if flags.state == 'veryHidden' else ''}hidden: unhide it (or delete it) "
        "so every figure ingested can be seen",
        sheet,
    )


#: Rows a dashboard sheet may have (a month's return is limited to 2,000 lines per organisation, plus titles,
#: repeated headers and notes); a larger sheet is refused before it is read.
MAX_SHEET_ROWS = 3000


def _too_many_rows(file: str, ws: Any) -> Problem | None:
    rows = ws.max_row or 0
    if rows > MAX_SHEET_ROWS:
        return Problem(
            file,
            f"the sheet has {rows:,} rows; a return is limited to 2,000 scheme lines per organisation "
            "(split it by programme, or ask the PMO)",
            ws.title,
        )
    return None


#: Sheets a reader leaves to be parsed with others (:func:`read_returns_files`): (file result, index, grid).
Deferred = list[tuple["FileResult", int, SheetJob]]


def _parse_into(result: FileResult, job: SheetJob, deferred: Deferred | None) -> None:
    """Parse a sheet into ``result`` now, or leave a place for it in ``deferred``."""
    if deferred is None:
        result.sheets.extend(parse_sheets([job]))
    else:
        deferred.append((result, len(result.sheets), job))
        result.sheets.append(None)  # type: ignore[arg-type]  # filled by read_returns_files


def read_xlsx(path: Path, *, only: str | None = None, deferred: Deferred | None = None) -> FileResult:
    """Read every organisation sheet of a dashboard workbook (or only organisation ``only``'s), and its About sheet."""
    result = FileResult(path=path)
    name = path.name
    flags, wb, problem = open_scanned(path)
    if problem:
        result.problems.append(problem)
        return result
    try:
        for ws in wb.worksheets:
            if path_like(ws.title):
                result.problems.append(
                    Problem(
                        name,
                        "sheet name looks like a path ('/', '\\' or '..'): refused; "
                        "name organisation sheets by their code (e.g. ELR)",
                        ws.title,
                    )
                )
                continue
            org = sheet_org(ws.title)
            is_about = ws.title.strip().lower() == "about"
            if only is not None and org is not None and org != only:
                result.left_out.append(ws.title)
                continue
            if is_about or org is not None:
                hidden = hidden_sheet(name, ws.title, flags.get(ws.title))
                if hidden is not None:
                    result.problems.append(hidden)
                    continue
            too_big = _too_many_rows(name, ws)
            if too_big is not None:
                result.problems.append(too_big)
                continue
            rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
            if is_about:
                result.provenance.update({k.upper(): v for k, v in about_rows(rows).items()})
                continue
            if org is None:
                if isinstance(find_header(rows, HEADERS, REQUIRED, file=name, sheet=ws.title), Header):
                    result.problems.append(
                        Problem(
                            name,
                            f"sheet name is not a known organisation code "
                            f"(expected {', '.join(organisations().codes)})",
                            ws.title,
                        )
                    )
                continue
            _parse_into(result, SheetJob(rows, name, ws.title, org, flags.get(ws.title)), deferred)
    finally:
        wb.close()
    if not result.sheets and not result.problems:
        wanted = f"{only}" if only else ", ".join(organisations().codes)
        result.problems.append(Problem(name, f"no organisation sheets ({wanted}) in this workbook"))
    return result


def stray_quote(rows: Sequence[Sequence[str]]) -> tuple[int, int, str] | None:
    """(record, field, why) of the first field a misplaced ``"`` made out of several: one that swallowed the
    lines after it, or one holding commas in a record shorter than the file's others. None if there is none."""
    widths = Counter(len(r) for r in rows if len(r) > 1)
    usual = widths.most_common(1)[0][0] if widths else 0
    for i, record in enumerate(rows, start=1):
        for j, value in enumerate(record):
            lines = value.splitlines()
            if len(lines) > 1 and any(line.count(",") >= 3 for line in lines[1:]):
                return (
                    i,
                    j,
                    'a quote (") opened here is closed lines later, so the rows between became one field: '
                    "remove the stray quote or close it",
                )
            if 1 < len(record) < usual and value.count(",") >= 1 and len(lines) <= 1:
                return (
                    i,
                    j,
                    (
                        f'this row has {len(record)} fields where the others have {usual}: a quote (") joins fields '
                        "here; remove the stray quote or put the comma's text in quotes on its own"
                    ),
                )
    return None


def read_csv(path: Path, org: str, *, deferred: Deferred | None = None) -> FileResult:
    """Read one organisation's dashboard exported as CSV (comma separated, UTF-8, BOM tolerated)."""
    result = FileResult(path=path)
    code = sheet_org(org or "")
    if code is None:
        result.problems.append(
            Problem(
                path.name,
                f"--org {org!r} is not a known organisation code (expected {', '.join(organisations().codes)})",
            )
        )
        return result
    if deferred is not None and FAST_READER:  # read with others: plain lines below the header are read by Arrow
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = None  # read below as always, for the same message
        plain = csv_text(data, text, file=path.name, sheet=code) if text is not None else None
        if plain is not None:
            _parse_into(result, SheetJob(None, path.name, code, code, csv=plain), deferred)
            return result
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = list(csv.reader(fh))
    except (UnicodeDecodeError, csv.Error) as exc:
        result.problems.append(Problem(path.name, f"not a readable UTF-8 CSV file ({exc})"))
        return result
    broken = stray_quote(rows)
    if broken is not None:
        result.problems.append(Problem(path.name, broken[2], code, broken[0], column_letter(broken[1] + 1)))
        return result
    if not isinstance(find_header(rows, HEADERS, REQUIRED, file=path.name, sheet=code), Header):
        for i, r in enumerate(rows[:HEADER_SEARCH_ROWS]):
            if len(r) == 1 and ";" in r[0] and "scheme name" in norm(r[0]):
                result.problems.append(
                    Problem(
                        path.name,
                        "semicolon-delimited CSV (a European-locale export): save it as 'CSV UTF-8 (Comma delimited)'",
                        code,
                        i + 1,
                    )
                )
                return result
    _parse_into(result, SheetJob(rows, path.name, code, code), deferred)
    return result


def read_returns_files(paths: Iterable[Path], *, org: str | None = None, guarded: bool = False) -> list[FileResult]:
    """:func:`read_returns_file` of each file, their well-formed sheets read together (much faster)."""
    deferred: Deferred = []
    results = [read_returns_file(Path(p), org=org, deferred=deferred, guarded=guarded) for p in paths]
    for (result, i, _), sheet in zip(deferred, parse_sheets([job for _, _, job in deferred]), strict=True):
        result.sheets[i] = sheet
    return results


def read_returns_file(
    path: Path, *, org: str | None = None, deferred: Deferred | None = None, guarded: bool = False
) -> FileResult:
    """Dispatch on file type: .xlsx dashboard workbook (``org``: read only that organisation's sheet), or .csv of
    one organisation (``org``, or a file named <ORG>.csv). ``guarded``: the caller has already passed the file
    through :func:`~.guard.check_input_file` (an ingest guards each of its files once, before routing it)."""
    suffix = path.suffix.lower()
    unsafe = [] if guarded else check_input_file(path)
    if unsafe:
        return FileResult(path=path, problems=unsafe)
    code = (org or "").strip().upper() or None
    if code is not None and code not in _codes():
        return FileResult(
            path=path,
            problems=[
                Problem(
                    path.name,
                    f"--org {org!r} is not a known organisation code (expected {', '.join(organisations().codes)})",
                )
            ],
        )
    if code is not None and code in _codes(groups=True):
        members_ = " + ".join(organisations().groups[code])
        return FileResult(
            path=path,
            problems=[
                Problem(
                    path.name,
                    f"--org {code} is a group ({members_}), computed from its members' returns: a return is made "
                    f"by one CCG, so give --org {organisations().groups[code][0]} (or another member)",
                )
            ],
        )
    if suffix == ".xlsx":
        return read_xlsx(path, only=code, deferred=deferred)
    if suffix == ".csv":
        code = code or (path.stem.upper() if sheet_org(path.stem) else None)  # <ORG>.csv names its organisation
        if not code:
            return FileResult(
                path=path, problems=[Problem(path.name, "a .csv holds one organisation: say which with --org")]
            )
        return read_csv(path, code, deferred=deferred)
    return FileResult(
        path=path,
        problems=[Problem(path.name, f"unsupported file type {suffix or '(none)'!r}: expected .xlsx or .csv")],
    )


def iter_problems(results: Iterable[FileResult]) -> list[Problem]:
    """Every problem in a set of file results, file-level first."""
    out: list[Problem] = []
    for r in results:
        out.extend(r.problems)
        for s in r.sheets:
            out.extend(s.problems)
    return out
