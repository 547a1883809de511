"""Bad-input corpus: manifest of case -> generator, options, expected message and location (see README.md).

Every generator is deterministic (fixed content, seeded random bytes) and writes into ``folder``;
it returns the file paths to ingest. Template cases start from a real template of the data folder.
"""

from __future__ import annotations

import io
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from openpyxl import Workbook, load_workbook

from qipp_helpers.ingest.dashboard import REQUIRED
from qipp_helpers.ingest.sro_return import COLUMNS, MILESTONE_DESCRIPTORS, write_template
from qipp_helpers.store.db import load_returns

SEED = 20191017
HEADER = list(REQUIRED.values())
DESC = (
    "On track to hit target / Meet key criteria",
    "On track to hit target / Meet key criteria",
    "Planned activity(ies) is (are) progressing according to plan",
)


def row(no, name, rag, *money):
    return [no, name, *DESC, rag, *money]


GOOD_ROWS = [
    row("1.1", "Same Day Emergency Care", "Red", -198, 3, -593, -357, -174),
    row("1.2", "Community Services Redesign", "Green", -31, 0, -61, 140, 0),
]


def dashboard(path: Path, rows=None, *, sheet="ELR", title_rows=1, edit: Callable | None = None) -> Path:
    """A small dashboard-layout workbook: title row(s), header, scheme rows (data from row title_rows + 2)."""
    wb = Workbook()
    ws = wb.active
    ws.title = sheet
    for _ in range(title_rows):
        ws.append(["ELR CCG QIPP Dashboard"])
    ws.append(HEADER)
    for r in rows if rows is not None else GOOD_ROWS:
        ws.append(r)
    if edit:
        edit(ws)
    wb.save(path)
    return path


def xlsx_bytes(**kw) -> bytes:
    buf = io.BytesIO()
    wb = Workbook()
    ws = wb.active
    ws.title = kw.get("sheet", "ELR")
    ws.append(HEADER)
    for r in GOOD_ROWS:
        ws.append(r)
    wb.save(buf)
    return buf.getvalue()


def add_member(
    path: Path,
    base: bytes,
    name: str,
    data: bytes | None = None,
    *,
    size: int = 0,
    compress: int = zipfile.ZIP_DEFLATED,
) -> Path:
    """``base`` xlsx plus one member: ``data``, or ``size`` zero bytes written in 1 MB chunks."""
    path.write_bytes(base)
    with zipfile.ZipFile(
        path, "a", compression=compress, compresslevel=1 if compress == zipfile.ZIP_DEFLATED else None
    ) as zf:
        if data is not None:
            zf.writestr(name, data)
        else:
            with zf.open(name, "w", force_zip64=True) as fh:
                chunk = bytes(1 << 20)
                for _ in range(size >> 20):
                    fh.write(chunk)
    return path


def rename_sheet(path: Path, old: str, new: str) -> Path:
    """Rename a sheet in the workbook XML (Excel and openpyxl refuse '/' in names; an attacker need not)."""
    src = path.read_bytes()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(src)) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = data.replace(f'name="{old}"'.encode(), f'name="{new}"'.encode())
            zout.writestr(item, data)
    path.write_bytes(out.getvalue())
    return path


def put(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def csv_file(path: Path, lines: list[str], *, encoding="utf-8", bom="") -> Path:
    path.write_bytes(
        bom.encode(encoding) + "\n".join(lines).encode(encoding) + b"\n"
    ) if encoding != "utf-16" else path.write_bytes("\n".join(lines).encode("utf-16"))
    return path


CSV_HEADER = ",".join(f'"{h}"' for h in HEADER)


# --- templates -------------------------------------------------------------------------------


def template(folder: Path, data: Path, *, org="ELR", month=7, edit: Callable | None = None) -> Path:
    """A filled-in M7 template of ``org`` (every line returned), then ``edit(workbook)``."""
    path = folder / f"{org}_return.xlsx"
    write_template(load_returns(data), fin_year="2019-20", month=month, org=org, path=path)
    fill(path, edit=edit)
    return path


def fill(
    path: Path,
    *,
    fot_delta: float = 1.0,
    actual_delta: float = -10.0,
    only: set[str] | None = None,
    edit: Callable | None = None,
) -> Path:
    """Fill a template as an SRO would: every line (or only scheme numbers in ``only``)."""
    wb = load_workbook(path)
    ws = wb["Return"]
    col = {k: i for i, k in enumerate(COLUMNS, start=1)}
    for r in range(4, ws.max_row + 1):
        last_fot = ws.cell(r, col["last_fot"]).value
        if last_fot is None or (only is not None and str(ws.cell(r, 1).value) not in only):
            continue
        ws.cell(r, col["actual_ytd"], ws.cell(r, col["last_actual_ytd"]).value + actual_delta)
        ws.cell(r, col["fot"], last_fot + fot_delta)
        ws.cell(r, col["milestones"], MILESTONE_DESCRIPTORS[0])
    if edit:
        edit(wb)
    wb.save(path)
    return path


def cell(sheet: str, r: int, key: str, value) -> Callable:
    def edit(wb):
        col = list(COLUMNS).index(key) + 1 if sheet == "Return" else {"assured": 4, "rag": 5}[key]
        wb[sheet].cell(r, col, value)

    return edit


def meta(key: str, value) -> Callable:
    def edit(wb):
        ws = wb["qipp_template"]
        for r in range(1, ws.max_row + 1):
            if ws.cell(r, 1).value == key:
                ws.cell(r, 2, value)

    return edit


# --- the manifest ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One malformed input: how to make it, how to ingest it, what the error must say and where."""

    make: Callable[[Path, Path], list[Path]]  # (folder, data dir) -> files
    expect: str
    where: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    fin_year: str = "2019-20"
    month: str = "7"


def _one(fn: Callable[[Path], Path]) -> Callable[[Path, Path], list[Path]]:
    return lambda folder, data: [fn(folder)]


def _big(folder: Path) -> Path:
    blob = random.Random(SEED).randbytes(50 * 1024 * 1024)
    return add_member(folder / "big.xlsx", xlsx_bytes(), "xl/media/image1.bin", blob, compress=zipfile.ZIP_STORED)


def _corrupt(folder: Path) -> Path:
    data = bytearray(xlsx_bytes())
    rng = random.Random(SEED)
    for i in rng.sample(range(200, len(data) - 400), 40):
        data[i] ^= 0xFF
    (folder / "corrupt.xlsx").write_bytes(bytes(data))
    return folder / "corrupt.xlsx"


def _encrypted(folder: Path) -> Path:
    # An encrypted .xlsx is an OLE compound file holding EncryptionInfo + EncryptedPackage streams.
    body = bytearray(random.Random(SEED).randbytes(4096))
    body[512 : 512 + 28] = "EncryptionInfo".encode("utf-16-le")
    body[640 : 640 + 32] = "EncryptedPackage".encode("utf-16-le")
    (folder / "locked.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(body))
    return folder / "locked.xlsx"


def _two_files_same_org(folder: Path, data: Path) -> list[Path]:
    return [dashboard(folder / "a.xlsx"), dashboard(folder / "b.xlsx")]


def _hide_sheet(ws):
    ws.parent.create_sheet("Notes").append(["a visible sheet"])
    ws.sheet_state = "hidden"


def _hide(ws):
    ws.row_dimensions[3].hidden = True


CASES: dict[str, Case] = {
    # headers
    "missing_header": Case(
        _one(lambda f: dashboard(f / "in.xlsx", edit=lambda ws: ws.delete_cols(10))),
        "missing column 'Sum of Revised FOT'",
        ("in.xlsx", "sheet 'ELR'", "row 2"),
    ),
    "wrong_header": Case(
        _one(lambda f: dashboard(f / "in.xlsx", edit=lambda ws: ws.cell(2, 9, "Annual Budget"))),
        "missing column 'Annual Plan'",
        ("in.xlsx", "sheet 'ELR'", "row 2"),
    ),
    "header_in_wrong_row": Case(
        _one(lambda f: dashboard(f / "in.xlsx", title_rows=34)),
        "looked for 'Scheme Name' and 'Annual Plan' in the first 30 rows",
        ("sheet 'ELR'",),
    ),
    "duplicate_column": Case(
        _one(lambda f: dashboard(f / "in.xlsx", edit=lambda ws: ws.cell(2, 12, "Annual Plan"))),
        "column 'Annual Plan' appears twice",
        ("sheet 'ELR'", "row 2"),
    ),
    # cells
    "text_in_money": Case(
        _one(lambda f: dashboard(f / "in.xlsx", [row("1.1", "SDEC", "Red", "ten", 0, 0, 0, 0)])),
        "not a money value: 'ten'",
        ("sheet 'ELR'", "row 3", "column 'Sum of Plan YTD'"),
    ),
    "ref_error": Case(
        _one(lambda f: dashboard(f / "in.xlsx", [row("1.1", "SDEC", "Red", 0, "#REF!", 0, 0, 0)])),
        "not a money value: '#REF!'",
        ("sheet 'ELR'", "row 3", "column 'Sum of Actuals YTD'"),
    ),
    "div0_error": Case(
        _one(lambda f: dashboard(f / "in.xlsx", [row("1.1", "SDEC", "Red", 0, 0, "#DIV/0!", 0, 0)])),
        "not a money value: '#DIV/0!'",
        ("sheet 'ELR'", "row 3", "column 'Annual Plan'"),
    ),
    "infinite_money": Case(
        _one(lambda f: dashboard(f / "in.xlsx", [row("1.1", "SDEC", "Red", 0, 0, 0, "1e400", 0)])),
        "not a money value",
        ("row 3", "column 'Sum of Revised FOT'"),
    ),
    "merged_cells": Case(
        _one(lambda f: dashboard(f / "in.xlsx", edit=lambda ws: ws.merge_cells("H3:I3"))),
        "merged cells H3:I3",
        ("sheet 'ELR'", "row 3", "column 'Sum of Actuals YTD'"),
    ),
    "hidden_rows": Case(_one(lambda f: dashboard(f / "in.xlsx", edit=_hide)), "hidden row 3", ("sheet 'ELR'", "row 3")),
    "formula_without_cached_value": Case(
        _one(lambda f: dashboard(f / "in.xlsx", edit=lambda ws: ws.cell(3, 10, "=SUM(H3:I3)"))),
        "formula =SUM(H3:I3) has no saved value",
        ("sheet 'ELR'", "row 3", "column 'Sum of Revised FOT'"),
    ),
    "dde_formula": Case(
        _one(lambda f: dashboard(f / "in.xlsx", edit=lambda ws: ws.cell(3, 2, "=cmd|' /C calc'!A0"))),
        "has no saved value",
        ("row 3", "column 'Scheme Name'"),
    ),
    "duplicate_scheme_numbers": Case(
        _one(lambda f: dashboard(f / "in.xlsx", [*GOOD_ROWS, row("1.1", "SDEC again", "Red", 0, 0, -5, -5, 0)])),
        "duplicate scheme number '1.1': already used on row 3",
        ("sheet 'ELR'", "row 5", "column 'Scheme no."),
    ),
    "bad_rag": Case(
        _one(lambda f: dashboard(f / "in.xlsx", [row("1.1", "SDEC", "Purple", 0, 0, 0, 0, 0)])),
        "RAG rating 'Purple'",
        ("row 3", "column 'Overall PMO RAG ratings'"),
    ),
    "blank_scheme_name": Case(
        _one(lambda f: dashboard(f / "in.xlsx", [row("1.1", None, "Red", 1, 0, 0, 0, 0)])),
        "scheme name is blank",
        ("row 3", "column 'Scheme Name'"),
    ),
    "blank_first_scheme_no": Case(
        _one(lambda f: dashboard(f / "in.xlsx", [row(None, "SDEC", "Red", 0, 0, 0, 0, 0)])),
        "scheme number is blank",
        ("row 3",),
    ),
    "unknown_scheme_number": Case(
        _one(lambda f: dashboard(f / "in.xlsx", [row("99.9", "X", "Red", 0, 0, 0, 0, 0)])),
        "scheme number '99.9' has no workstream",
        ("row 3",),
    ),
    "no_scheme_rows": Case(
        _one(lambda f: dashboard(f / "in.xlsx", [])), "no scheme rows below the header", ("sheet 'ELR'",)
    ),
    "several_errors_together": Case(
        _one(
            lambda f: dashboard(
                f / "in.xlsx",
                [row("1.1", "SDEC", "Purple", "x", 0, 0, 0, 0), row("1.2", "CSR", "Red", 0, 0, "#DIV/0!", 0, 0)],
            )
        ),
        "3 problems in input",
        ("row 3", "row 4"),
    ),
    # organisations and periods
    "unknown_organisation_sheet": Case(
        _one(lambda f: dashboard(f / "in.xlsx", sheet="XYZ")),
        "sheet name is not a known organisation code",
        ("sheet 'XYZ'",),
    ),
    "unknown_organisation_csv": Case(
        _one(lambda f: csv_file(f / "in.csv", [CSV_HEADER])),
        "--org 'NHS' is not a known organisation code",
        ("in.csv",),
        ("--org", "NHS"),
    ),
    "org_code_path_traversal": Case(
        _one(lambda f: csv_file(f / "in.csv", [CSV_HEADER])),
        "--org '../ELR' is not a known organisation code",
        ("in.csv",),
        ("--org", "../ELR"),
    ),
    "sheet_name_dotdot": Case(
        _one(lambda f: rename_sheet(dashboard(f / "in.xlsx"), "ELR", "../ELR")),
        "sheet name looks like a path",
        ("sheet '../ELR'",),
    ),
    "sheet_name_slash": Case(
        _one(lambda f: rename_sheet(dashboard(f / "in.xlsx"), "ELR", "ELR/WL")),
        "sheet name looks like a path",
        ("sheet 'ELR/WL'",),
    ),
    "same_organisation_twice": Case(_two_files_same_org, "organisation ELR is also in a.xlsx:ELR", ("b.xlsx",)),
    "month_13": Case(_one(lambda f: dashboard(f / "in.xlsx")), "month must be 1-12", ("(command line)",), month="13"),
    "month_0": Case(_one(lambda f: dashboard(f / "in.xlsx")), "month must be 1-12", ("(command line)",), month="0"),
    "wrong_financial_year": Case(
        _one(lambda f: dashboard(f / "in.xlsx")),
        "financial year must look like 2019-20",
        ("(command line)",),
        fin_year="2019-21",
    ),
    # file types and encodings
    "empty_xlsx": Case(_one(lambda f: put(f / "empty.xlsx", b"")), "empty file (0 bytes)", ("empty.xlsx",)),
    "empty_csv": Case(_one(lambda f: put(f / "ELR.csv", b"")), "empty file (0 bytes)", ("ELR.csv",)),
    "csv_utf8_bom_text_in_money": Case(
        _one(lambda f: csv_file(f / "ELR.csv", [CSV_HEADER, "1.1,SDEC,,,,Red,oops,0,0,0,0"], bom="\ufeff")),
        "not a money value: 'oops'",
        ("ELR.csv", "sheet 'ELR'", "row 2", "column 'Sum of Plan YTD'"),
    ),
    "csv_utf16_bom": Case(
        _one(lambda f: csv_file(f / "ELR.csv", [CSV_HEADER], encoding="utf-16")), "UTF-16 text", ("ELR.csv",)
    ),
    "csv_semicolon_delimiter": Case(
        _one(lambda f: csv_file(f / "ELR.csv", [";".join(HEADER), "1.1;SDEC;;;;Red;0;0;0;0;0"])),
        "semicolon-delimited CSV",
        ("ELR.csv", "sheet 'ELR'", "row 1"),
    ),
    "csv_not_utf8": Case(
        _one(lambda f: csv_file(f / "ELR.csv", [CSV_HEADER, "1.1,SDEC £,,,,Red,0,0,0,0,0"], encoding="latin-1")),
        "not a readable UTF-8 CSV",
        ("ELR.csv",),
    ),
    "csv_that_is_a_workbook": Case(
        _one(lambda f: put(f / "ELR.csv", xlsx_bytes())), "a spreadsheet saved with a .csv name", ("ELR.csv",)
    ),
    "xls": Case(
        _one(lambda f: put(f / "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2048))),
        "Excel 97-2003 workbook (.xls) is not read",
        ("old.xls",),
    ),
    "xls_renamed_xlsx": Case(
        _one(lambda f: put(f / "old.xlsx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2048))),
        "Excel 97-2003 workbook (.xls) is not read",
        ("old.xlsx",),
    ),
    "password_protected": Case(_one(_encrypted), "password-protected (encrypted) workbook", ("locked.xlsx",)),
    "xlsm_with_macro": Case(
        _one(
            lambda f: add_member(
                f / "macro.xlsm", xlsx_bytes(), "xl/vbaProject.bin", b'\xd0\xcf\x11\xe0 Sub AutoOpen() Shell "calc"'
            )
        ),
        "macro-enabled workbook (.xlsm) refused",
        ("macro.xlsm",),
    ),
    "macro_renamed_xlsx": Case(
        _one(
            lambda f: add_member(
                f / "macro.xlsx", xlsx_bytes(), "xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 Sub AutoOpen()"
            )
        ),
        "carries a VBA macro project",
        ("macro.xlsx",),
    ),
    "truncated_zip": Case(
        _one(lambda f: put(f / "cut.xlsx", xlsx_bytes()[:3000])), "corrupt or truncated .xlsx", ("cut.xlsx",)
    ),
    "corrupt_zip": Case(_one(_corrupt), "corrupt", ("corrupt.xlsx",)),
    "zip_bomb_ratio": Case(
        _one(lambda f: add_member(f / "bomb.xlsx", xlsx_bytes(), "xl/media/zeros.bin", size=20 << 20)),
        "zip bomb guard: compression ratio",
        ("bomb.xlsx",),
    ),
    "zip_bomb_size": Case(
        _one(lambda f: add_member(f / "bomb.xlsx", xlsx_bytes(), "xl/media/zeros.bin", size=210 << 20)),
        "zip bomb guard: the workbook would inflate",
        ("bomb.xlsx",),
    ),
    "sheet_50mb": Case(_one(_big), "over the 20 MB limit", ("big.xlsx",)),
    "not_a_spreadsheet": Case(
        _one(lambda f: put(f / "notes.txt", b"hello")), "unsupported file type '.txt'", ("notes.txt",)
    ),
    "file_not_found": Case(lambda f, d: [f / "missing.xlsx"], "file not found", ("missing.xlsx",)),
    # returned templates
    "template_wrong_financial_year": Case(
        lambda f, d: [template(f, d, edit=meta("fin_year", "2018-19"))],
        "template is for financial year '2018-19', not 2019-20",
        ("ELR_return.xlsx", "sheet 'qipp_template'"),
    ),
    "template_wrong_month": Case(
        lambda f, d: [template(f, d)], "template is for M7, not M8", ("sheet 'qipp_template'",), month="8"
    ),
    "template_month_13": Case(
        lambda f, d: [template(f, d, edit=meta("month", 13))],
        "template month 13 is not 1-12",
        ("sheet 'qipp_template'",),
    ),
    "template_org_traversal": Case(
        lambda f, d: [template(f, d, edit=meta("org", "../ELR"))],
        "template organisation '../ELR'",
        ("sheet 'qipp_template'",),
    ),
    "template_descriptor_outside_list": Case(
        lambda f, d: [template(f, d, edit=cell("Return", 5, "risk_issue", "Fine, honestly"))],
        "'Fine, honestly' is not one of the PMO descriptors",
        ("sheet 'Return'", "row 5", "column 'Risk/Issue'"),
    ),
    "template_rag_outside_list": Case(
        lambda f, d: [template(f, d, edit=cell("PMO", 6, "rag", "Purple"))],
        "Overall PMO RAG 'Purple'",
        ("sheet 'PMO'", "row 6", "column 'Overall PMO RAG rating'"),
    ),
    "template_silent_plan_change": Case(
        lambda f, d: [template(f, d, edit=cell("Return", 4, "annual_plan", -999))],
        "without a plan change: restore it",
        ("sheet 'Return'", "row 4", "column 'Annual Plan'"),
    ),
    "template_plan_change_without_reason": Case(
        lambda f, d: [template(f, d, edit=cell("Return", 4, "new_annual_plan", -700))],
        "a New Annual Plan needs a Plan change reason",
        ("row 4", "column 'Plan change reason'"),
    ),
    "template_text_in_money": Case(
        lambda f, d: [template(f, d, edit=cell("Return", 7, "fot", "about 40"))],
        "not a money value: 'about 40'",
        ("sheet 'Return'", "row 7", "column 'Revised FOT'"),
    ),
    "template_header_changed": Case(
        lambda f, d: [template(f, d, edit=cell("Return", 3, "commentary", "Notes"))],
        "template header changed: expected 'Commentary'",
        ("sheet 'Return'", "row 3"),
    ),
    # hostile content (issue 15): text is inert and bounded, nothing hidden, nothing too big to render
    "control_character_in_name": Case(
        _one(lambda f: csv_file(f / "ELR.csv", [CSV_HEADER, "1.1,SDEC\x07,,,,Red,0,0,0,0,0"])),
        "contains the control character U+0007",
        ("ELR.csv", "sheet 'ELR'", "row 2", "column 'Scheme Name'"),
    ),
    "direction_override_in_descriptor": Case(
        _one(
            lambda f: dashboard(
                f / "in.xlsx",
                [row("1.1", "SDEC", "Red", 0, 0, 0, 0, 0)],
                edit=lambda ws: ws.cell(3, 3, "On track \u202e kcart fo ffO"),
            )
        ),
        "contains the control character U+202E",
        ("in.xlsx", "sheet 'ELR'", "row 3", "column 'Milestones'"),
    ),
    "name_100k_characters": Case(
        _one(lambda f: csv_file(f / "ELR.csv", [CSV_HEADER, "1.1," + "S" * 100_000 + ",,,,Red,0,0,0,0,0"])),
        "is 100,000 characters long; the limit is 300",
        ("ELR.csv", "sheet 'ELR'", "row 2", "column 'Scheme Name'"),
    ),
    "hidden_sheet": Case(
        _one(lambda f: dashboard(f / "in.xlsx", edit=_hide_sheet)),
        "the sheet is hidden: unhide it",
        ("in.xlsx", "sheet 'ELR'"),
    ),
    "too_many_rows": Case(
        _one(
            lambda f: dashboard(
                f / "in.xlsx", [row(f"{i // 10}.{i % 10}", f"S{i}", "Red", 0, 0, 0, 0, 0) for i in range(3500)]
            )
        ),
        "the sheet has 3,502 rows; a return is limited to 2,000 scheme lines",
        ("in.xlsx", "sheet 'ELR'"),
    ),
    "csv_for_a_group": Case(
        _one(lambda f: csv_file(f / "in.csv", [CSV_HEADER])),
        "--org LLR is a group (ELR + WL + LC)",
        ("in.csv",),
        options=("--org", "LLR"),
    ),
    "fullwidth_financial_year": Case(
        _one(lambda f: dashboard(f / "in.xlsx")),
        "financial year must look like 2019-20",
        ("(command line)",),
        fin_year="２０１９-２０",
    ),
    "org_sheet_not_in_workbook": Case(
        _one(lambda f: dashboard(f / "in.xlsx")),
        "no organisation sheets (WL) in this workbook",
        ("in.xlsx",),
        options=("--org", "WL"),
    ),
}
