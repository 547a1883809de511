"""Guards on what users feed the product: checked before any parser opens a file.

Nothing a return contains may lose data or run code. Before a workbook reaches openpyxl this
module refuses, with a message naming the file: empty files, files over a size limit, zip
archives that would inflate past a limit or at a suspicious ratio (zip bombs), corrupt or
truncated zips, OLE files (Excel 97-2003 ``.xls`` and password-protected workbooks, which
Excel saves as encrypted OLE containers), and macro-enabled workbooks (``.xlsm``, or an
``.xlsx`` carrying a VBA project): macros are never run, and such files are refused rather than
read without them, so nobody mistakes a file we stripped for the one they sent.

It also scans a workbook's sheet XML (streamed) for what ``data_only`` reading would hide:
hidden rows, merged cells and formula cells with no saved value; the readers turn those into
located problems. And it holds the name checks that keep inputs from naming paths.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from ..core.errors import Problem

try:  # defusedxml (installed with nbconvert/openpyxl) refuses entity expansion attacks
    from defusedxml.ElementTree import iterparse
except ImportError:  # pragma: no cover - the stdlib parser on Python 3.11+ limits expansion too
    from xml.etree.ElementTree import iterparse

#: A single return file larger than this is refused unopened (the M6 workbook of 198 rows is ~40 kB).
MAX_FILE_BYTES = 20 * 1024 * 1024
#: Total uncompressed size of an .xlsx's members above which it is refused as a zip bomb.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
#: Uncompressed/compressed size ratio above which an .xlsx (over 1 MB uncompressed) is refused.
MAX_COMPRESSION_RATIO = 100
#: Most members an .xlsx may hold.
MAX_ZIP_MEMBERS = 2000
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_MARKERS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
_MB = 1024 * 1024
SAVE_AS = "open it in Excel and save it as an Excel Workbook (.xlsx)"


def check_input_file(path: Path) -> list[Problem]:
    """Problems that make ``path`` unsafe or impossible to open, found without parsing it."""
    name = path.name
    if not path.is_file():
        return [Problem(name, "file not found")]
    size = path.stat().st_size
    if size == 0:
        return [Problem(name, "empty file (0 bytes): nothing to read")]
    if size > MAX_FILE_BYTES:
        return [
            Problem(
                name,
                f"file is {size / _MB:.0f} MB, over the {MAX_FILE_BYTES // _MB} MB limit for a "
                "return (guard.MAX_FILE_BYTES); refused unopened",
            )
        ]
    suffix = path.suffix.lower()
    with path.open("rb") as fh:
        head = fh.read(8)
    if suffix == ".xls" or (suffix == ".xlsx" and head == OLE_MAGIC):
        data = path.read_bytes()
        if head == OLE_MAGIC and any(m in data for m in _ENCRYPTED_MARKERS):
            return [
                Problem(
                    name,
                    "password-protected (encrypted) workbook: it cannot be read; remove the password "
                    "(File > Info > Protect Workbook) and save it again as .xlsx",
                )
            ]
        return [Problem(name, f"Excel 97-2003 workbook (.xls) is not read: {SAVE_AS}")]
    if suffix == ".xlsm":
        return [Problem(name, f"macro-enabled workbook (.xlsm) refused: macros are never run or read; {SAVE_AS}")]
    if suffix == ".csv":
        if head.startswith((b"\xff\xfe", b"\xfe\xff")):
            return [
                Problem(
                    name,
                    "UTF-16 text (Excel 'Unicode Text'), not a UTF-8 CSV: save it as 'CSV UTF-8 (Comma delimited)'",
                )
            ]
        if head.startswith((b"PK", OLE_MAGIC)):
            return [Problem(name, "a spreadsheet saved with a .csv name: give it its real extension (.xlsx)")]
        return csv_too_long(path)
    if suffix == ".xlsx":
        return _check_zip(path, size)
    return []


def _check_zip(path: Path, size: int) -> list[Problem]:
    name = path.name
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            if len(infos) > MAX_ZIP_MEMBERS:
                return [Problem(name, f"workbook archive holds {len(infos)} parts (limit {MAX_ZIP_MEMBERS}); refused")]
            total = sum(i.file_size for i in infos)
            if total > MAX_UNCOMPRESSED_BYTES:
                return [
                    Problem(
                        name,
                        f"zip bomb guard: the workbook would inflate to {total / _MB:,.0f} MB (limit "
                        f"{MAX_UNCOMPRESSED_BYTES // _MB} MB, guard.MAX_UNCOMPRESSED_BYTES); "
                        "refused unopened",
                    )
                ]
            ratio = total / max(sum(i.compress_size for i in infos), 1)
            if total > _MB and ratio > MAX_COMPRESSION_RATIO:
                return [
                    Problem(
                        name,
                        f"zip bomb guard: compression ratio {ratio:,.0f}:1 (limit "
                        f"{MAX_COMPRESSION_RATIO}:1, guard.MAX_COMPRESSION_RATIO); refused unopened",
                    )
                ]
            if any(PurePosixPath(i.filename).name.lower() == "vbaproject.bin" for i in infos):
                return [
                    Problem(
                        name,
                        "workbook carries a VBA macro project (a renamed .xlsm?): refused, macros are "
                        f"never run or read; {SAVE_AS}",
                    )
                ]
            if "[Content_Types].xml" not in zf.namelist():
                return [Problem(name, "not an Excel workbook: the zip has no [Content_Types].xml")]
            limits = size_limits(zf, name)
            if limits:
                return limits
            bad = zf.testzip()
            if bad is not None:
                return [Problem(name, f"corrupt .xlsx: part {bad!r} fails its checksum")]
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
        return [
            Problem(
                name, f"corrupt or truncated .xlsx (the zip archive cannot be read: {exc}); save it again from Excel"
            )
        ]
    return []


#: The shared-strings part (every text cell's text) above this size is refused before it is parsed.
MAX_SHARED_STRINGS_BYTES = 32 * _MB
#: A sheet's XML above this size is refused before it is parsed (inline text counts here).
MAX_SHEET_BYTES = 64 * _MB
#: Rows any sheet of a workbook (by its <dimension>) or lines a CSV may have before it is parsed.
MAX_ROWS = 100_000
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension[^>]*\bref=\"[A-Z]{1,3}\d+(?::[A-Z]{1,3}(\d+))?\"")


def size_limits(zf: zipfile.ZipFile, name: str) -> list[Problem]:
    """Limits checked before any XML is parsed: shared strings, rows of each sheet, links to other workbooks."""
    out = []
    for info in zf.infolist():
        part = info.filename
        if part.startswith("xl/externalLinks/") and part.endswith(".xml"):
            return [
                Problem(
                    name,
                    "the workbook links to another workbook (its cells show values cached from that file, which may "
                    "be out of date): break the links (Data > Edit Links > Break Link) and save it again",
                )
            ]
        if part == "xl/sharedStrings.xml" and info.file_size > MAX_SHARED_STRINGS_BYTES:
            out.append(
                Problem(
                    name,
                    f"its text (shared strings) is {info.file_size / _MB:,.0f} MB, over the "
                    f"{MAX_SHARED_STRINGS_BYTES // _MB} MB limit (guard.MAX_SHARED_STRINGS_BYTES); refused unparsed",
                )
            )
        if part.startswith("xl/worksheets/") and part.endswith(".xml") and info.file_size > MAX_SHEET_BYTES:
            out.append(
                Problem(
                    name,
                    f"a sheet ({PurePosixPath(part).name}) is {info.file_size / _MB:,.0f} MB of XML, over the "
                    f"{MAX_SHEET_BYTES // _MB} MB limit (guard.MAX_SHEET_BYTES); refused unparsed",
                )
            )
        elif part.startswith("xl/worksheets/") and part.endswith(".xml"):
            with zf.open(info) as fh:
                match = _DIMENSION.search(fh.read(4096))
            rows = int(match.group(1)) if match and match.group(1) else 0
            if rows > MAX_ROWS:
                out.append(
                    Problem(
                        name,
                        f"a sheet ({PurePosixPath(part).name}) has {rows:,} rows, over the {MAX_ROWS:,}-row limit "
                        "(guard.MAX_ROWS); refused unparsed",
                    )
                )
    return out


def csv_too_long(path: Path) -> list[Problem]:
    """A CSV with more lines than :data:`MAX_ROWS`, refused before it is parsed."""
    lines = 0
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(_MB), b""):
            lines += chunk.count(b"\n")
    if lines > MAX_ROWS:
        return [Problem(path.name, f"{lines:,} lines, over the {MAX_ROWS:,}-line limit (guard.MAX_ROWS); refused")]
    return []


@dataclass
class SheetFlags:
    """What a sheet's XML says that ``data_only`` values hide (rows 1-based, columns 1-based)."""

    state: str = "visible"  # visible, hidden or veryHidden
    hidden_rows: set[int] = field(default_factory=set)
    merged: list[tuple[str, int, int]] = field(default_factory=list)  # (range, first row, first column)
    no_cached_value: list[tuple[int, int, str]] = field(default_factory=list)  # (row, column, formula)
    hidden_cols: set[int] = field(default_factory=set)  # hidden, or too narrow to see
    invisible: list[tuple[int, int]] = field(default_factory=list)  # (row, column) of cells formatted ;;;


_REF = re.compile(r"^([A-Z]{1,3})(\d+)")


def split_ref(ref: str) -> tuple[int, int]:
    """'B12' -> (12, 2)."""
    m = _REF.match(ref or "")
    if not m:
        return 0, 0
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)), col


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def workbook_sheets(path: Path) -> list[tuple[str, str, str]]:
    """(sheet name, state, zip part) of every sheet, in workbook order; state is visible, hidden or veryHidden.

    Reads only ``xl/workbook.xml`` and its relationships: cheap enough to route a file by its sheets.
    """
    with zipfile.ZipFile(path) as zf:
        return _sheets(zf)


def _sheets(zf: zipfile.ZipFile) -> list[tuple[str, str, str]]:
    names = set(zf.namelist())
    rels: dict[str, str] = {}
    if "xl/_rels/workbook.xml.rels" in names:
        with zf.open("xl/_rels/workbook.xml.rels") as fh:
            for _, el in iterparse(fh):
                if _local(el.tag) == "Relationship":
                    target = el.get("Target", "")
                    target = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                    rels[el.get("Id", "")] = target
    sheets: list[tuple[str, str, str]] = []
    with zf.open("xl/workbook.xml") as fh:
        for _, el in iterparse(fh):
            if _local(el.tag) == "sheet":
                rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), "")
                sheets.append((el.get("name", ""), el.get("state", "visible") or "visible", rels.get(rid, "")))
    return sheets


#: A row lower, or a column narrower, than this (points / characters) cannot be seen: it counts as hidden.
MIN_ROW_HEIGHT, MIN_COL_WIDTH = 3.0, 0.5


def _invisible_styles(zf: zipfile.ZipFile) -> set[str]:
    """Cell style indices whose number format shows nothing (``;;;``): a value there is counted unseen."""
    if "xl/styles.xml" not in zf.namelist():
        return set()
    formats, out, in_xfs, i = set(), set(), False, 0
    with zf.open("xl/styles.xml") as fh:
        for event, el in iterparse(fh, events=("start", "end")):
            tag = _local(el.tag)
            if event == "end" and tag == "numFmt" and set(el.get("formatCode", "x").replace('""', "")) <= {";"}:
                formats.add(el.get("numFmtId", ""))
            elif tag == "cellXfs":
                in_xfs = event == "start"
            elif event == "start" and in_xfs and tag == "xf":
                if el.get("numFmtId", "0") in formats:
                    out.add(str(i))
                i += 1
    return out


def _hidden_col(el: object, flags: SheetFlags) -> None:
    width = el.get("width")  # type: ignore[attr-defined]
    narrow = width is not None and el.get("customWidth") in ("1", "true") and float(width) < MIN_COL_WIDTH  # type: ignore[attr-defined]
    if el.get("hidden") in ("1", "true") or narrow:  # type: ignore[attr-defined]
        first, last = int(el.get("min", "0")), int(el.get("max", "0"))  # type: ignore[attr-defined]
        flags.hidden_cols.update(range(first, min(last, first + 16384) + 1))


def scan_xlsx(path: Path) -> dict[str, SheetFlags]:
    """Sheet name -> visibility, hidden rows and columns (or too small to see), merged ranges, formulas without a
    saved value and cells formatted to show nothing (streamed XML)."""
    out: dict[str, SheetFlags] = {}
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        sheets = _sheets(zf)
        invisible = _invisible_styles(zf)
        for title, state, part in sheets:
            flags = out.setdefault(title, SheetFlags(state=state))
            if part not in names:
                continue
            with zf.open(part) as fh:
                for _, el in iterparse(fh):
                    tag = _local(el.tag)
                    if tag == "c":
                        f = v = None
                        for child in el:
                            t = _local(child.tag)
                            if t == "f":
                                f = child
                            elif t == "v":
                                v = child
                        if f is not None and (v is None or not (v.text or "").strip()):
                            row, col = split_ref(el.get("r", ""))
                            flags.no_cached_value.append((row, col, f.text or ""))
                        if el.get("s") in invisible and v is not None and (v.text or "").strip():
                            flags.invisible.append(split_ref(el.get("r", "")))
                        el.clear()
                    elif tag == "row":
                        height = el.get("ht")
                        tiny = height is not None and el.get("customHeight") in ("1", "true")
                        if el.get("hidden") in ("1", "true") or (tiny and float(height) < MIN_ROW_HEIGHT):
                            flags.hidden_rows.add(int(el.get("r", "0")))
                        el.clear()
                    elif tag == "col":
                        _hidden_col(el, flags)
                    elif tag == "mergeCell":
                        ref = el.get("ref", "")
                        row, col = split_ref(ref)
                        flags.merged.append((ref, row, col))
    return out
