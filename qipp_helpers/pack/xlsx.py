"""The report workbook (.xlsx) for analysts: a notes sheet, a headline sheet, one sheet per table.

No finance inside: every table arrives with its layout (:class:`~qipp_helpers.report.publish.Table`:
display headers, column kinds, data rows, total rows and what each total adds up) and this module
lays it out the same way for every report:

- row 1 is the header (so ``pandas.read_excel`` gets the display headers), frozen, with an autofilter
  over the header and data rows only;
- total rows sit under the data after one blank row (so a filter, a sort or a sum over the data
  never takes them in), each a live ``=SUM(...)`` of the data rows it adds up, stored with its
  computed value so readers that take cached values (pandas, openpyxl ``data_only``) get the number;
- cells keep full precision; each column's number format shows it as the report prints it
  (£000 whole, £m one decimal, brackets for negatives, percentages);
- text is written as text, never as a formula or link: formula-looking text is neutralised with
  :func:`~qipp_helpers.core.text.safe_cell`, and control characters become visible symbols.

Written with XlsxWriter, which stores a formula together with its result (openpyxl can only write
the formula, leaving cached-value readers a blank), into memory and then atomically to disk.
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from ..core.files import atomic_write_bytes
from ..core.periods import consecutive_runs
from ..core.text import safe_cell
from ..report.publish import Column, Figure, Table

NOTES_SHEET = "notes"
HEADLINE_SHEET = "headline"

#: Number format of each column kind (``decimals`` of a column changes the places).
_FORMATS = {
    "gbp000": ("#,##0{d}_);(#,##0{d});0{d}_)", 0),  # _) keeps a bracket's width: figures line up
    "gbpm": ("#,##0{d}_);(#,##0{d});0{d}_)", 1),
    "gbp": ("#,##0{d}_);(#,##0{d});0{d}_)", 0),
    "count": ("#,##0{d}", 0),
    "pct": ("0{d}%", 1),
    "number": ("#,##0{d}", 2),
}
UNITS = {"gbp000": "£000", "gbpm": "£m", "gbp": "£", "count": "count", "pct": "%", "number": "", "text": ""}
HEADER_BLUE = "#005EB8"  # NHS blue; white bold text on it is 5.9:1 (WCAG AA)
_MAX_WIDTH, _MIN_WIDTH = 50, 8
_LINE_HEIGHT = 15  # points per line of Calibri 11
# XML 1.0 cannot hold C0 controls other than tab, newline and return, nor U+FFFE/U+FFFF or lone surrogates
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NOT_XML = re.compile("[\ud800-\udfff\ufffe\uffff]")
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")


def number_format(kind: str, decimals: int | None = None) -> str:
    """The Excel number format that shows a ``kind`` of value as the report prints it."""
    if kind == "text":
        return "@"
    pattern, default = _FORMATS[kind]
    places = default if decimals is None else decimals
    return pattern.format(d="." + "0" * places if places else "")


def cell_text(value: object, *, neutralise: bool = True) -> str:
    """Text safe to store in a cell: no control characters and (``neutralise``) never formula-like.

    Cells are always written as text, which a spreadsheet never runs; formula-looking text from
    returns is also apostrophe-prefixed (:func:`safe_cell`) so it stays inert if copied out or
    saved as CSV. A control character (which XML cannot hold and a return should never carry) is
    shown as its Unicode control picture (BEL -> ␇) rather than dropped, so the cell says what was there.
    """
    text = str(safe_cell(str(value))) if neutralise else str(value)
    text = _CONTROL.sub(_picture, text)
    return _NOT_XML.sub("\ufffd", text)


def _picture(m: re.Match[str]) -> str:
    code = ord(m.group())
    return chr(0x2421) if code == 0x7F else chr(0x2400 + code)


class _Styles:
    """XlsxWriter formats, made once per workbook and shared."""

    def __init__(self, wb: xlsxwriter.Workbook) -> None:
        self.wb = wb
        self._cache: dict[tuple, object] = {}
        self.header = wb.add_format(
            {
                "bold": True,
                "font_color": "#FFFFFF",
                "bg_color": HEADER_BLUE,
                "text_wrap": True,
                "valign": "top",
                "border": 1,
                "border_color": "#FFFFFF",
            }
        )
        self.header_right = wb.add_format(
            {
                "bold": True,
                "font_color": "#FFFFFF",
                "bg_color": HEADER_BLUE,
                "text_wrap": True,
                "valign": "top",
                "align": "right",
                "border": 1,
                "border_color": "#FFFFFF",
            }
        )
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top", "num_format": "@"})
        self.bold = wb.add_format({"bold": True, "valign": "top", "num_format": "@"})

    def cell(self, kind: str, decimals: int | None = None, *, total: bool = False, indent: bool = False) -> object:
        key = (kind, decimals, total, indent)
        if key not in self._cache:
            props: dict[str, object] = {"num_format": number_format(kind, decimals)}
            if total:
                props.update({"bold": True, "top": 1})
            if indent:  # text right after a figure: keep them apart
                props["indent"] = 1
            self._cache[key] = self.wb.add_format(props)
        return self._cache[key]


def _is_missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT


def _write_value(ws, row: int, col: int, value: object, kind: str, fmt: object) -> None:
    """One cell: a number for numeric kinds, text (neutralised) otherwise; blank if missing."""
    if _is_missing(value) or (kind == "text" and value == ""):
        ws.write_blank(row, col, None, fmt)
    elif kind != "text" and isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isfinite(float(value)):
            ws.write_number(row, col, float(value), fmt)
        else:
            ws.write_string(row, col, str(value), fmt)
    else:
        ws.write_string(row, col, cell_text(value), fmt)


def _ranges(rows: Iterable[int], col: int, first_row: int) -> str:
    """``B2:B13,B15:B15``: the cells of data ``rows`` (0-based) in column ``col``, data starting at ``first_row``."""
    return ",".join(
        f"{xl_rowcol_to_cell(first_row + a, col)}:{xl_rowcol_to_cell(first_row + b, col)}"
        for a, b in consecutive_runs(rows)
    )


def _shown_width(value: object, column: Column) -> int:
    if _is_missing(value):
        return 0
    if column.kind != "text" and isinstance(value, (int, float)) and not isinstance(value, bool):
        v = float(value) * (100 if column.kind == "pct" else 1)
        places = _FORMATS[column.kind][1] if column.decimals is None else column.decimals
        return len(f"{abs(v):,.{places}f}") + 2
    return len(str(value))


def _widths(table: Table) -> list[int]:
    out = []
    for c in table.columns:
        values = [*table.data[c.key].head(500), *(table.total_value(t, c) for t in table.totals)]
        longest = max([_shown_width(v, c) for v in values] + [0])
        header_word = max((len(w) for w in c.header.split()), default=0)
        width = max(longest, header_word + 1, min(len(c.header), 14 if c.kind == "text" else 20)) + 2
        out.append(min(max(width, _MIN_WIDTH), _MAX_WIDTH))
    return out


def _lines(text: str, width: float, *, bold: bool = False) -> int:
    """Lines ``text`` wraps to in a column ``width`` characters wide (Calibri 11: ~1.15 letters per unit)."""
    per_line = max(int(width * (0.9 if bold else 1.15)) - 1, 1)
    return sum(max(len(textwrap.wrap(part, per_line)), 1) for part in text.split("\n"))


def _header_row(ws, headers: Sequence[str], widths: Sequence[int], styles: _Styles, right: Sequence[bool] = ()) -> None:
    """Row 1: the display headers (over figures: right-aligned), wrapped; the row as tall as the longest."""
    lines = 1
    right = list(right) or [False] * len(headers)
    for j, (h, w) in enumerate(zip(headers, widths, strict=True)):
        ws.write_string(0, j, cell_text(h, neutralise=False), styles.header_right if right[j] else styles.header)
        lines = max(lines, _lines(h, w, bold=True))
    if lines > 1:
        ws.set_row(0, _LINE_HEIGHT * min(lines, 5))


def _print_setup(ws, title: str, marking: str) -> None:
    """Landscape A4, one page wide, header row repeated, the marking at the top of every printed page."""

    def hf(text: str) -> str:
        return cell_text(text, neutralise=False).replace("&", "&&")[:100]

    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(0)
    if marking:
        ws.set_header(f"&C&B{hf(marking)}")
    ws.set_footer(f"&L{hf(title)}&RPage &P of &N")


def _table_sheet(ws, table: Table, styles: _Styles) -> list[int]:
    """Header, data, a blank row, the total rows (live SUMs); filter and frozen panes. Returns the widths."""
    cols = table.columns
    widths = _widths(table)
    _header_row(ws, [c.header for c in cols], widths, styles, [c.kind != "text" for c in cols])
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    n = len(table.data)
    after_figure = [j > 0 and c.kind == "text" and cols[j - 1].kind != "text" for j, c in enumerate(cols)]
    formats = [styles.cell(c.kind, c.decimals, indent=after_figure[j]) for j, c in enumerate(cols)]
    for i, rec in enumerate(table.data.itertuples(index=False), start=1):
        for j, (c, v) in enumerate(zip(cols, rec, strict=True)):
            _write_value(ws, i, j, v, c.kind, formats[j])
    if table.totals:
        first = n + 2  # one blank row between the data and the totals
        for k, total in enumerate(table.totals):
            r = first + k
            rows = range(n) if total.rows is None else total.rows
            for j, c in enumerate(cols):
                fmt = styles.cell(c.kind, c.decimals, total=True, indent=after_figure[j])
                value = table.total_value(total, c)
                if c.total_rule == "sum" and value is not None and len(rows):
                    ws.write_formula(r, j, f"=SUM({_ranges(rows, j, 1)})", fmt, value)
                else:
                    _write_value(ws, r, j, value, c.kind, fmt)
    last = len(cols) - 1
    ws.autofilter(0, 0, max(n, 0), last)
    ws.freeze_panes(1, min(max(table.freeze_columns, 0), last))
    return widths


def _pairs_sheet(ws, header: Sequence[str], rows: Sequence[Sequence[object]], styles: _Styles, widths: Sequence[int]):
    """A plain sheet of text rows (notes): bold first column, wrapped text, filter and frozen header."""
    _header_row(ws, header, widths, styles)
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    for i, row in enumerate(rows, start=1):
        lines = 1
        for j, v in enumerate(row):
            text = "" if _is_missing(v) else str(v)
            if text:
                ws.write_string(i, j, cell_text(text), styles.bold if j == 0 else styles.wrap)
                lines = max(lines, _lines(text, widths[j]))
        if lines > 1:
            ws.set_row(i, _LINE_HEIGHT * lines)
    ws.autofilter(0, 0, max(len(rows), 0), len(header) - 1)
    ws.freeze_panes(1, 0)


def _headline_sheet(ws, figures: Sequence[Figure], styles: _Styles) -> None:
    widths = [max([len(f.label) for f in figures] + [10]) + 2, 14, 8]
    widths[0] = min(widths[0], _MAX_WIDTH)
    _header_row(ws, ["Measure", "Value", "Unit"], widths, styles, [False, True, False])
    for j, w in enumerate(widths):
        ws.set_column(j, j, w)
    for i, f in enumerate(figures, start=1):
        ws.write_string(i, 0, cell_text(f.label), styles.bold)
        _write_value(ws, i, 1, f.value, f.kind, styles.cell(f.kind, f.decimals))
        ws.write_string(i, 2, UNITS.get(f.kind, ""), styles.cell("text", indent=True))
    ws.autofilter(0, 0, len(figures), 2)
    ws.freeze_panes(1, 1)


def _sheet_name(name: str, used: set[str]) -> str:
    """A name Excel accepts (31 characters, none of []:*?/\\), unique in the workbook."""
    base = _SHEET_BAD.sub("_", cell_text(name, neutralise=False)).strip("'") or "sheet"
    base = base[:31]
    out, k = base, 2
    while out.lower() in used or out.lower() == "history":
        suffix = f"_{k}"
        out, k = base[: 31 - len(suffix)] + suffix, k + 1
    used.add(out.lower())
    return out


def _as_table(df: pd.DataFrame | Table, number_format_: str | None) -> Table:
    return df if isinstance(df, Table) else Table.infer(df, number_format_)


def layout_notes(tables: Mapping[str, Table], names: Mapping[str, str]) -> list[tuple[str, str]]:
    """The notes every workbook carries: what each sheet holds, how totals and rounding work."""
    out = [("Sheet " + names[k], t.title + (f" {t.note}" if t.note else "")) for k, t in tables.items() if t.title]
    out += [
        (
            "Totals",
            "Each table's total rows sit under its data after one blank row, in bold. A total is a live SUM "
            "formula of the data rows it adds up (stored with its value), so filtering, sorting or summing the "
            "data rows never counts a total twice.",
        ),
        (
            "Rounding",
            "Cells hold figures to full precision; each column's number format shows them as the report prints "
            "them (£000 to the nearest thousand, £m to one decimal, negatives in brackets), so shown figures "
            "may differ from their shown total by rounding.",
        ),
    ]
    return out


def write_tables_xlsx(
    path: Path,
    tables: Mapping[str, pd.DataFrame | Table],
    *,
    notes: Mapping[str, str] | Sequence[tuple[str, str]] | None = None,
    headline: Sequence[Figure] = (),
    number_formats: Mapping[str, str] | None = None,
    title: str = "",
    marking: str = "",
) -> None:
    """Write the workbook atomically: ``notes``, then ``headline`` (if any figures), then one sheet per table.

    ``tables`` map sheet names to :class:`Table` (or bare DataFrames, laid out by
    :meth:`Table.infer`, with ``number_formats`` per sheet as before). ``notes`` are (heading,
    text) lines; the workbook adds what each sheet holds and how totals and rounding work.
    ``marking`` (a protective marking) heads every printed page and is a document property.
    """
    laid = {name: _as_table(t, (number_formats or {}).get(name)) for name, t in tables.items()}
    used: set[str] = {NOTES_SHEET, HEADLINE_SHEET} if headline else {NOTES_SHEET}
    names = {name: _sheet_name(name, used) for name in laid}
    pairs = list(notes.items()) if isinstance(notes, Mapping) else list(notes or [])
    pairs += layout_notes(laid, names)
    buffer = io.BytesIO()
    wb = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False},
    )
    wb.set_properties(
        {
            "title": cell_text(title, neutralise=False),
            "subject": cell_text(title, neutralise=False),
            "category": cell_text(marking),
            "keywords": cell_text(marking),
            "comments": "Tables as published by the report; see the notes sheet.",
        }
    )
    if marking:
        wb.set_custom_property("Protective marking", cell_text(marking))
    styles = _Styles(wb)
    ws = wb.add_worksheet(NOTES_SHEET)
    _pairs_sheet(ws, ["Note", "Detail"], pairs, styles, [26, 110])
    _print_setup(ws, title, marking)
    if headline:
        ws = wb.add_worksheet(HEADLINE_SHEET)
        _headline_sheet(ws, headline, styles)
        _print_setup(ws, title, marking)
    for name, table in laid.items():
        ws = wb.add_worksheet(names[name])
        _table_sheet(ws, table, styles)
        _print_setup(ws, f"{title} · {names[name]}" if title else names[name], marking)
    wb.close()
    atomic_write_bytes(path, buffer.getvalue())
