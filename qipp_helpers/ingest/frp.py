"""Reader for the system FRP workbook (Paper E Appendix 1 scheme table + Paper D Table 6 lines).

Layout, as Paper E prints it:

- sheet ``FRP Schemes``: a header row (``Scheme Group``, ``Scheme``, ``FRP Submission``,
  ``Revised Forecast``, ``Forecast Movement``, ``In Month Delivery``, ``Forecast Balance
  Remaining``, ``In Month Movement``, ``RAG Status``) below any title rows; a group line
  (group named, scheme blank, the group's printed totals), its scheme lines (scheme named,
  group blank or repeated), and a ``Grand Total`` line.
- sheet ``FRP Position``: ``Section``, ``Item``, ``Organisation``, ``Value`` — the position
  before FRP (net risk, contract triangulation), the other items not in the FRP, the
  organisation impact by organisation, and the printed subtotal lines (section ``Total``).
- optional sheet ``About``: ``System``, ``As at``, ``Provenance`` in two columns.

Like the dashboard reader it collects every problem (file, sheet, row, column) and writes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import Problem
from ..core.money import parse_money
from ..core.orgs import organisations
from ..core.vocab import BEFORE, FRP_PRINTED, FRP_RAGS, FRP_SUBTOTALS, NOT_IN_FRP, ORG_IMPACT
from .excel import about_rows, cell_text, find_header, norm, open_scanned, sheet_problems

SCHEMES_SHEET, POSITION_SHEET = "frp schemes", "frp position"

SCHEME_HEADERS = {
    "scheme group": "group",
    "schemes by type": "group",
    "scheme": "scheme",
    "frp submission": "submission",
    "revised forecast": "revised",
    "forecast movement": "movement",
    "in month delivery": "delivered",
    "forecast balance remaining": "balance",
    "in month movement": "in_month_movement",
    "rag status": "rag",
    "rag": "rag",
}
SCHEME_REQUIRED = {
    "group": "Scheme Group",
    "scheme": "Scheme",
    "submission": "FRP Submission",
    "revised": "Revised Forecast",
    "delivered": "In Month Delivery",
}
SCHEME_MONEY = ("submission", "revised", "movement", "delivered", "balance", "in_month_movement")
POSITION_HEADERS = {
    "section": "section",
    "item": "item",
    "organisation": "org",
    "value": "value",
    "value £000": "value",
    "£000": "value",
}
POSITION_REQUIRED = {"section": "Section", "item": "Item", "value": "Value"}
SECTIONS = {norm(s): s for s in (BEFORE, NOT_IN_FRP, ORG_IMPACT)}


@dataclass
class FrpFileResult:
    """What one FRP workbook held: scheme-table lines, position lines, metadata, problems."""

    path: Path
    lines: list[dict] = field(default_factory=list)
    position: list[dict] = field(default_factory=list)
    about: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def _optional_money(value: object) -> float:
    """A printed figure: blank means not printed (NaN), anything else must parse."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return math.nan
    return parse_money(value)


def _line_money(
    cell: Callable[[str], object], printed: dict[str, str], problems: list[Problem], where: tuple[str, str, int]
) -> dict[str, float]:
    """A scheme-table line's printed figures by stored column (blank = NaN); a figure that is not money is a
    located problem (and NaN)."""
    file, sheet, excel_row = where
    money: dict[str, float] = {}
    for key in SCHEME_MONEY:
        try:
            money[FRP_PRINTED[key]] = _optional_money(cell(key))
        except ValueError as exc:
            problems.append(Problem(file, str(exc), sheet, excel_row, printed.get(key)))
            money[FRP_PRINTED[key]] = math.nan
    return money


def _line_rag(text: str, printed: dict[str, str], problems: list[Problem], where: tuple[str, str, int]) -> str:
    """A scheme-table line's RAG status as the FRP spells it ('' when blank or not one of them: a problem)."""
    rag = next((r for r in FRP_RAGS if r.lower() == text.lower()), None)
    if rag is None:
        file, sheet, excel_row = where
        problems.append(
            Problem(
                file,
                f"RAG status {text!r} is not one of Green, Amber, Orange, Red or blank",
                sheet,
                excel_row,
                printed.get("rag", "RAG Status"),
            )
        )
    return rag or ""


def parse_schemes(rows: list[tuple], *, file: str, sheet: str) -> tuple[list[dict], list[Problem]]:
    """Parse the FRP scheme table into lines of kind scheme / group_total / grand_total."""
    problems: list[Problem] = []
    header = find_header(
        rows, SCHEME_HEADERS, SCHEME_REQUIRED, file=file, sheet=sheet, anchors=("Scheme", "Revised Forecast")
    )
    if isinstance(header, Problem):
        return [], [header]
    h, cols, printed = header.row, header.columns, header.printed
    lines: list[dict] = []
    group = ""
    for i in range(h + 1, len(rows)):
        raw, excel_row = rows[i], i + 1

        def cell(key: str, raw: tuple = raw) -> object:
            j = cols.get(key)
            return raw[j] if j is not None and j < len(raw) else None

        g, s = cell_text(cell("group")), cell_text(cell("scheme"))
        if norm(g) in SCHEME_HEADERS or norm(s) == "scheme":
            continue  # repeated header
        money = _line_money(cell, printed, problems, (file, sheet, excel_row))
        has_money = any(not math.isnan(v) and v != 0 for v in money.values())
        rag = _line_rag(cell_text(cell("rag")), printed, problems, (file, sheet, excel_row))
        label = norm(g) or norm(s)
        if label in ("grand total", "total"):
            kind, line_group, scheme = "grand_total", "", ""
        elif g and not s:
            group, kind, line_group, scheme = g, "group_total", g, ""
        elif s:
            if g:
                group = g
            if not group:
                problems.append(
                    Problem(file, "scheme line comes before any scheme group line", sheet, excel_row, printed["group"])
                )
            kind, line_group, scheme = "scheme", group, s
        elif has_money:
            problems.append(
                Problem(file, "figures on a line with no scheme group or scheme", sheet, excel_row, printed["scheme"])
            )
            continue
        else:
            continue  # spacer or note
        lines.append(
            {
                "kind": kind,
                "group": line_group,
                "scheme": scheme,
                "rag": rag,
                **money,
                "source_sheet": sheet,
                "source_row": excel_row,
            }
        )
    if not any(r["kind"] == "scheme" for r in lines) and not problems:
        problems.append(Problem(file, "no scheme lines below the header", sheet))
    return lines, problems


def _position_total(item: str, value: float, where: tuple[str, str, int]) -> dict | Problem:
    """A printed subtotal line (section 'Total'): its item must name one of the FRP's subtotals."""
    file, sheet, excel_row = where
    key = FRP_SUBTOTALS.get(norm(item))
    if key is None:
        return Problem(
            file,
            f"unknown subtotal {item!r}; expected one of " + ", ".join(repr(k) for k in FRP_SUBTOTALS),
            sheet,
            excel_row,
            "Item",
        )
    return {
        "kind": "total",
        "section": key,
        "item": item,
        "org": "",
        "value": value,
        "source_sheet": sheet,
        "source_row": excel_row,
    }


def _position_line(
    section_text: str,
    item: str,
    org: str,
    value: float,
    *,
    orgs: tuple[str, ...],
    system: str,
    where: tuple[str, str, int],
) -> dict | Problem:
    """A position line: a known section, an item, and (for the organisation impact) one of the system's
    organisations ``orgs``."""
    file, sheet, excel_row = where
    section = SECTIONS.get(norm(section_text))
    if section is None:
        return Problem(
            file,
            f"section {section_text!r} is not one of {BEFORE!r}, {NOT_IN_FRP!r}, {ORG_IMPACT!r} or 'Total'",
            sheet,
            excel_row,
            "Section",
        )
    if section == ORG_IMPACT and org not in orgs:
        return Problem(
            file,
            f"organisation {org!r} is not one of {', '.join(orgs)} ({system})",
            sheet,
            excel_row,
            "Organisation",
        )
    if not item:
        return Problem(file, "item is blank", sheet, excel_row, "Item")
    return {
        "kind": "line",
        "section": section,
        "item": item,
        "org": org if section == ORG_IMPACT else "",
        "value": value,
        "source_sheet": sheet,
        "source_row": excel_row,
    }


def parse_position(rows: list[tuple], *, file: str, sheet: str, system: str) -> tuple[list[dict], list[Problem]]:
    """Parse the position lines (before FRP, not in FRP, organisation impact, printed subtotals)."""
    problems: list[Problem] = []
    header = find_header(rows, POSITION_HEADERS, POSITION_REQUIRED, file=file, sheet=sheet)
    if isinstance(header, Problem):
        return [], [header]
    h, cols = header.row, header.columns
    orgs = organisations().systems.get(system, ())
    out: list[dict] = []
    for i in range(h + 1, len(rows)):
        raw, excel_row = rows[i], i + 1
        get = {k: (raw[j] if j < len(raw) else None) for k, j in cols.items()}
        section_text, item = cell_text(get["section"]), cell_text(get["item"])
        if not section_text and not item and get["value"] in (None, ""):
            continue
        try:
            value = parse_money(get["value"])
        except ValueError as exc:
            problems.append(Problem(file, str(exc), sheet, excel_row, "Value"))
            continue
        org, where = cell_text(get.get("org")).upper(), (file, sheet, excel_row)
        if norm(section_text) == "total":
            line = _position_total(item, value, where)
        else:
            line = _position_line(section_text, item, org, value, orgs=orgs, system=system, where=where)
        if isinstance(line, Problem):
            problems.append(line)
        else:
            out.append(line)
    return out, problems


def read_frp_xlsx(path: Path, *, system: str | None = None) -> FrpFileResult:
    """Read an FRP workbook: its scheme table, position lines and About sheet."""
    result = FrpFileResult(path=path)
    name = path.name
    flags, wb, problem = open_scanned(path)
    if problem:
        result.problems.append(problem)
        return result
    try:
        sheets = {ws.title.strip().lower(): ws for ws in wb.worksheets}
        result.problems.extend(sheet_problems(name, flags, ("about", SCHEMES_SHEET, POSITION_SHEET)))
        if "about" in sheets:
            result.about = {k.lower(): v for k, v in about_rows(sheets["about"].iter_rows(values_only=True)).items()}
        systems = organisations().systems
        code = (system or result.about.get("system") or (next(iter(systems)) if len(systems) == 1 else "")).upper()
        if code not in systems:
            result.problems.append(Problem(name, f"system {code!r} is not one of {', '.join(systems)}", "About"))
            return result
        result.about["system"] = code
        for key, parse in ((SCHEMES_SHEET, "schemes"), (POSITION_SHEET, "position")):
            ws = sheets.get(key)
            if ws is None:
                result.problems.append(Problem(name, f"no sheet named {key.title().replace('Frp', 'FRP')!r}"))
                continue
            rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
            if parse == "schemes":
                result.lines, probs = parse_schemes(rows, file=name, sheet=ws.title)
            else:
                result.position, probs = parse_position(rows, file=name, sheet=ws.title, system=code)
            result.problems.extend(probs)
    finally:
        wb.close()
    return result
