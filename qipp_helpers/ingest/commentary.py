"""Reader of the PMO commentary layout: what QAG discusses beside each driver, movement and red-rated scheme.

A workbook with a ``Commentary`` sheet (or a .csv with a ``Commentary`` column) and an optional
``About`` sheet (its ``provenance``). One row per comment:

==================  ====================================================================
Organisation        the CCG or group the comment is about (ELR, WL, LC, LLR...)
Scheme no.          the scheme or scheme group (e.g. 1.5, 4.1; blank for a general note)
Kind                movement | driver | qag | scheme | note (default scheme)
Section             where the paper printed it (optional)
Order               the order to show it in (optional)
Label               the heading printed before it (e.g. "Falls")
Commentary          the text, plain (no formatting is interpreted)
==================  ====================================================================

The commentary of SRO returns comes from the returned templates (:mod:`.sro_return`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import Problem
from ..core.orgs import organisations
from ..reference import normalise_scheme_no
from .excel import about_rows, cell_text, find_header, norm, open_scanned, sheet_problems

SHEET = "commentary"
KINDS = ("movement", "driver", "qag", "scheme", "note")
HEADERS = {
    "organisation": "org",
    "org": "org",
    "scheme no.": "scheme_no",
    "scheme no": "scheme_no",
    "scheme group": "scheme_no",
    "scheme": "scheme_no",
    "kind": "kind",
    "section": "section",
    "order": "order",
    "label": "label",
    "commentary": "text",
    "comment": "text",
    "text": "text",
}
REQUIRED = {"org": "Organisation", "label": "Label", "text": "Commentary"}
LABELS = {**REQUIRED, "scheme_no": "Scheme no.", "kind": "Kind", "section": "Section", "order": "Order"}


@dataclass
class CommentaryResult:
    """What a commentary file held: one record per comment, its About sheet, every problem found."""

    path: Path
    records: list[dict] = field(default_factory=list)
    about: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def is_commentary_header(line: str) -> bool:
    """True if a CSV's first line names a Commentary column (and is not a dashboard)."""
    cells = [norm(c) for c in next(csv.reader([line]), [])]
    return any(HEADERS.get(c) == "text" for c in cells) and "annual plan" not in cells


def parse_rows(rows: list[tuple], *, file: str, sheet: str) -> tuple[list[dict], list[Problem]]:
    """The comments of a grid (first row = row 1); unknown organisations or kinds are located problems."""
    header = find_header(rows, HEADERS, REQUIRED, file=file, sheet=sheet)
    if isinstance(header, Problem):
        return [], [header]
    known = set(organisations().codes) | set(organisations().all_codes)
    out: list[dict] = []
    problems: list[Problem] = []
    for i in range(header.row + 1, len(rows)):
        raw = rows[i]

        def get(key: str, raw: tuple = raw) -> object:
            j = header.columns.get(key)
            return raw[j] if j is not None and j < len(raw) else None

        if not any(cell_text(v) for v in raw):
            continue
        row = i + 1
        org = cell_text(get("org")).upper()
        text = str(get("text") or "").strip()
        if org not in known:
            problems.append(
                Problem(
                    file, f"organisation {org!r} is not one of {', '.join(sorted(known))}", sheet, row, LABELS["org"]
                )
            )
        kind = (cell_text(get("kind")) or "scheme").lower()
        if kind not in KINDS:
            problems.append(
                Problem(file, f"kind {kind!r} is not one of {', '.join(KINDS)}", sheet, row, LABELS["kind"])
            )
        if not text:
            problems.append(Problem(file, "the commentary is blank", sheet, row, LABELS["text"]))
        order_text = cell_text(get("order"))
        try:
            order = int(float(order_text)) if order_text else len(out) + 1
        except ValueError:
            problems.append(Problem(file, f"order {order_text!r} is not a whole number", sheet, row, LABELS["order"]))
            order = 0
        out.append({
            "org": org, "scheme_no": normalise_scheme_no(get("scheme_no")), "kind": kind,
            "section": cell_text(get("section")), "order": order, "label": cell_text(get("label")), "text": text,
            "source_sheet": sheet, "source_row": row,
        })  # fmt: skip
    return out, problems


def read_commentary(path: Path) -> CommentaryResult:
    """Read a commentary workbook (``Commentary`` and ``About`` sheets) or a commentary .csv."""
    result = CommentaryResult(path=path)
    name = path.name
    if path.suffix.lower() == ".csv":
        try:
            with path.open(encoding="utf-8-sig", newline="") as fh:
                rows = [tuple(r) for r in csv.reader(fh)]
        except (UnicodeDecodeError, csv.Error) as exc:
            result.problems.append(Problem(name, f"not a readable UTF-8 CSV file ({exc})"))
            return result
        result.records, result.problems = parse_rows(rows, file=name, sheet=path.stem)
        return result
    flags, wb, problem = open_scanned(path)
    if problem:
        result.problems.append(problem)
        return result
    try:
        sheets = {ws.title.strip().lower(): ws for ws in wb.worksheets}
        result.problems.extend(sheet_problems(name, flags, ("about", SHEET)))
        if "about" in sheets:
            result.about = {k.lower(): v for k, v in about_rows(sheets["about"].iter_rows(values_only=True)).items()}
        ws = sheets.get(SHEET)
        if ws is None:
            result.problems.append(Problem(name, "no sheet named 'Commentary'"))
            return result
        records, problems = parse_rows([tuple(r) for r in ws.iter_rows(values_only=True)], file=name, sheet=ws.title)
        result.records, result.problems = records, result.problems + problems
    finally:
        wb.close()
    return result
