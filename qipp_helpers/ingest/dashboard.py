"""Reader of the PMO dashboard layout (Paper D Appendices 2-5) from .xlsx or .csv.

One reader per input layout. A reader turns cells into tidy records and collects every
problem it meets (file, sheet, row, column) instead of stopping at the first. It does not
write anything and does not validate across files; see :mod:`qipp_helpers.ingest.pipeline`.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import Problem
from ..core.files import path_like
from ..core.money import parse_money
from ..core.orgs import organisations
from ..core.vocab import MONEY_COLUMNS, RAG_ALIASES, RAGS
from ..reference import normalise_scheme_no
from .excel import (
    HEADER_SEARCH_ROWS,
    Header,
    about_rows,
    cell_text,
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
REQUIRED: dict[str, str] = {
    "scheme_no": "Scheme no. for LLR Summary Report",
    "scheme_name": "Scheme Name",
    "milestones": "Milestones",
    "financial_benefits": "Financial Benefits",
    "risk_issue": "Risk/Issue",
    "rag": "Overall PMO RAG ratings",
    "plan_ytd": "Sum of Plan YTD",
    "actual_ytd": "Sum of Actuals YTD",
    "annual_plan": "Annual Plan",
    "fot": "Sum of Revised FOT",
    "assured": "Sum of PMO Assured Value",
}
#: The labels a "no header row found" message names.
ANCHORS = ("Scheme Name", "Annual Plan")
TOTAL_LABELS = {"grand total", "total"}


@dataclass
class SheetResult:
    """What one sheet held: scheme records, its printed Grand Total row (if any), problems."""

    org: str
    sheet: str
    records: list[dict] = field(default_factory=list)
    printed_total: dict[str, float] | None = None
    printed_total_row: int = 0
    problems: list[Problem] = field(default_factory=list)


@dataclass
class FileResult:
    """What one input file held."""

    path: Path
    sheets: list[SheetResult] = field(default_factory=list)
    provenance: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    left_out: list[str] = field(default_factory=list)  # organisation sheets not read (--org named another)


def parse_sheet(
    rows: Sequence[Sequence[object]], *, file: str, sheet: str, org: str, flags: SheetFlags | None = None
) -> SheetResult:
    """Parse one dashboard grid (rows of cell values, first row = spreadsheet row 1).

    ``flags`` (from :func:`qipp_helpers.guard.scan_xlsx`) adds hidden rows, merged cells and
    formulas without a saved value below the title rows as problems.
    """
    result = SheetResult(org=org, sheet=sheet)

    def problem(message: str, row: int | None = None, column: str | None = None) -> None:
        result.problems.append(Problem(file, message, sheet, row, column))

    header = find_header(rows, HEADERS, REQUIRED, file=file, sheet=sheet, anchors=ANCHORS)
    if isinstance(header, Problem):
        result.problems.append(header)
        return result
    header_index, seen = header.row, header.columns
    for col in dict.fromkeys(header.repeated):
        problem(f"column {REQUIRED.get(col, col)!r} appears twice", row=header_index + 1)
    printed = {c: REQUIRED.get(c, c) for c in seen}
    result.problems.extend(
        flag_problems(
            flags,
            file=file,
            sheet=sheet,
            first_row=header_index + 1,
            names={j + 1: printed[c] for c, j in seen.items()},
        )
    )

    current_scheme = ""
    first_seen: dict[str, int] = {}  # scheme number -> row it was first written on
    for i in range(header_index + 1, len(rows)):
        raw = rows[i]
        excel_row = i + 1
        width = len(raw)
        cells = {col: (raw[j] if j < width else None) for col, j in seen.items()}
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in raw):
            continue
        first = norm(cells["scheme_no"])
        if first in HEADERS or norm(cells["scheme_name"]) == "scheme name":
            continue  # header repeated at a page break
        label = first or norm(cells["scheme_name"])
        if label in TOTAL_LABELS:
            result.printed_total = _money(cells, excel_row, printed, problem, what="Grand Total: ")
            result.printed_total_row = excel_row
            continue
        has_money = any(cells[c] not in (None, "") for c in MONEY_COLUMNS)
        if not cell_text(cells["scheme_name"]) and not has_money:
            continue  # a title or note row above/between the blocks
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
            current_scheme = scheme_no
        elif current_scheme:
            scheme_no = current_scheme  # continuation row: belongs to the scheme above
        else:
            problem(
                "scheme number is blank and there is no scheme above it to continue", excel_row, printed["scheme_no"]
            )
        result.records.append(
            _record(
                cells, org=org, sheet=sheet, scheme_no=scheme_no, excel_row=excel_row, printed=printed, problem=problem
            )
        )
    if not result.records and not result.problems:
        problem("no scheme rows below the header")
    return result


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


def sheet_org(name: str) -> str | None:
    """The organisation a sheet name denotes ('ELR', ' wl ' -> 'WL'), or None if unknown."""
    code = name.strip().upper()
    return code if code in organisations().codes else None


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


def read_xlsx(path: Path, *, only: str | None = None) -> FileResult:
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
            result.sheets.append(parse_sheet(rows, file=name, sheet=ws.title, org=org, flags=flags.get(ws.title)))
    finally:
        wb.close()
    if not result.sheets and not result.problems:
        wanted = f"{only}" if only else ", ".join(organisations().codes)
        result.problems.append(Problem(name, f"no organisation sheets ({wanted}) in this workbook"))
    return result


def read_csv(path: Path, org: str) -> FileResult:
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
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            rows = [tuple(r) for r in csv.reader(fh)]
    except (UnicodeDecodeError, csv.Error) as exc:
        result.problems.append(Problem(path.name, f"not a readable UTF-8 CSV file ({exc})"))
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
    result.sheets.append(parse_sheet(rows, file=path.name, sheet=code, org=code))
    return result


def read_returns_file(path: Path, *, org: str | None = None) -> FileResult:
    """Dispatch on file type: .xlsx dashboard workbook (``org``: read only that organisation's sheet), or .csv of
    one organisation (``org``, or a file named <ORG>.csv)."""
    suffix = path.suffix.lower()
    unsafe = check_input_file(path)
    if unsafe:
        return FileResult(path=path, problems=unsafe)
    code = (org or "").strip().upper() or None
    if code is not None and code not in organisations().codes:
        return FileResult(
            path=path,
            problems=[
                Problem(
                    path.name,
                    f"--org {org!r} is not a known organisation code (expected {', '.join(organisations().codes)})",
                )
            ],
        )
    if code is not None and code in organisations().groups:
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
        return read_xlsx(path, only=code)
    if suffix == ".csv":
        code = code or (path.stem.upper() if sheet_org(path.stem) else None)  # <ORG>.csv names its organisation
        if not code:
            return FileResult(
                path=path, problems=[Problem(path.name, "a .csv holds one organisation: say which with --org")]
            )
        return read_csv(path, code)
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
