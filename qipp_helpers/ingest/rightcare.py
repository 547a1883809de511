"""Reader for the RightCare indicator workbook: spend per 1,000 weighted population and peer groups.

Layout:

- sheet ``RightCare Indicators``: a header row (``CCG code``, ``CCG name``, ``Programme area``,
  ``Point of delivery``, ``Spend per 1,000 weighted population (£)``, ``Weighted population``)
  below any title rows; one row per CCG × programme area × point of delivery (elective,
  non-elective, prescribing), for the CCGs reported on *and* every one of their peers.
- sheet ``RightCare Peers``: ``CCG code``, ``Peer rank`` (1 = most similar), ``Peer CCG code``:
  the peer group of each CCG reported on (RightCare uses 10; the best 5 needs at least 5).
- optional sheet ``About``: ``Provenance``, ``Data year`` (e.g. 2017/18) and notes, in two columns.

A file must be self-contained: each peer has figures for every programme area and POD its CCG
has. Like the other readers it collects every problem (file, sheet, row, column) and writes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import Problem
from ..core.money import parse_money
from ..core.vocab import MIN_PEERS, POD_ALIASES, POD_LABELS, PODS, PROGRAMME_ALIASES, PROGRAMME_AREAS
from .excel import about_rows, cell_text, find_header, norm, open_scanned, sheet_problems

INDICATORS_SHEET, PEERS_SHEET = "rightcare indicators", "rightcare peers"
INDICATOR_HEADERS = {
    "ccg code": "ccg",
    "ccg": "ccg",
    "ccg name": "ccg_name",
    "programme area": "programme_area",
    "programme": "programme_area",
    "point of delivery": "pod",
    "pod": "pod",
    "spend per 1,000 weighted population (£)": "spend",
    "spend per 1,000 weighted population": "spend",
    "spend per 1000 weighted population": "spend",
    "spend per 1,000 (£)": "spend",
    "weighted population": "weighted_population",
}
INDICATOR_LABELS = {
    "ccg": "CCG code",
    "programme_area": "Programme area",
    "pod": "Point of delivery",
    "spend": "Spend per 1,000 weighted population (£)",
    "weighted_population": "Weighted population",
}
PEER_HEADERS = {
    "ccg code": "ccg",
    "ccg": "ccg",
    "peer rank": "rank",
    "rank": "rank",
    "peer ccg code": "peer",
    "peer ccg": "peer",
    "peer": "peer",
}
PEER_LABELS = {"ccg": "CCG code", "rank": "Peer rank", "peer": "Peer CCG code"}
_AREAS = {a.lower(): a for a in PROGRAMME_AREAS} | PROGRAMME_ALIASES


@dataclass
class RightCareFileResult:
    """What one RightCare workbook held: indicator rows, peer rows, About metadata, problems."""

    path: Path
    indicators: list[dict] = field(default_factory=list)
    peers: list[dict] = field(default_factory=list)
    about: dict[str, str] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def _number(value: object) -> float:
    """A figure that must be printed: blank is a problem, text like '£12,345' is fine."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ValueError("blank: a figure is required")
    number = parse_money(value)
    if math.isnan(number):
        raise ValueError("blank: a figure is required")
    return number


def _indicator(
    cell: Callable[[str], object], problems: list[Problem], where: tuple[str, str, int]
) -> tuple[tuple[str, str, str], dict[str, object]] | None:
    """One indicator line: its key (CCG, programme area, point of delivery) and its fields (those, the CCG's
    name and the figures); None when any of them is refused (each a located problem in ``problems``)."""
    file, sheet, excel_row = where
    bad = len(problems)
    ccg = cell_text(cell("ccg")).upper()
    if not ccg:
        problems.append(Problem(file, "CCG code is blank", sheet, excel_row, INDICATOR_LABELS["ccg"]))
    area_text = cell_text(cell("programme_area"))
    area = _AREAS.get(area_text.lower())
    if area is None:
        problems.append(
            Problem(
                file,
                f"programme area {area_text!r} is not one of {', '.join(PROGRAMME_AREAS)}",
                sheet,
                excel_row,
                INDICATOR_LABELS["programme_area"],
            )
        )
    pod_text = cell_text(cell("pod"))
    pod = POD_ALIASES.get(pod_text.lower())
    if pod is None:
        problems.append(
            Problem(
                file,
                f"point of delivery {pod_text!r} is not one of {', '.join(POD_LABELS[p] for p in PODS)}",
                sheet,
                excel_row,
                INDICATOR_LABELS["pod"],
            )
        )
    figures: dict[str, float] = {}
    for key in ("spend", "weighted_population"):
        try:
            figures[key] = _number(cell(key))
        except ValueError as exc:
            problems.append(Problem(file, str(exc), sheet, excel_row, INDICATOR_LABELS[key]))
    if len(problems) > bad or area is None or pod is None:
        return None
    fields = {"ccg": ccg, "ccg_name": cell_text(cell("ccg_name")), "programme_area": area, "pod": pod, **figures}
    return (ccg, area, pod), fields


def parse_indicators(rows: list[tuple], *, file: str, sheet: str) -> tuple[list[dict], list[Problem]]:
    """Parse the indicator rows; unknown programme areas or PODs, bad figures and duplicates are problems."""
    header = find_header(rows, INDICATOR_HEADERS, INDICATOR_LABELS, file=file, sheet=sheet)
    if isinstance(header, Problem):
        return [], [header]
    h, cols = header.row, header.columns
    problems: list[Problem] = []
    out: list[dict] = []
    seen: dict[tuple[str, str, str], int] = {}
    for i in range(h + 1, len(rows)):
        raw, excel_row = rows[i], i + 1

        def cell(key: str, raw: tuple = raw) -> object:
            j = cols.get(key)
            return raw[j] if j is not None and j < len(raw) else None

        if not any(cell_text(v) for v in raw):
            continue
        if norm(cell("ccg")) == "ccg code":
            continue  # repeated header
        found = _indicator(cell, problems, (file, sheet, excel_row))
        if found is None:
            continue
        key3, row = found
        ccg, area, pod = key3
        if key3 in seen:
            problems.append(
                Problem(
                    file,
                    f"{ccg} {area} {POD_LABELS[pod].lower()} is also on row {seen[key3]}",
                    sheet,
                    excel_row,
                    INDICATOR_LABELS["pod"],
                )
            )
            continue
        seen[key3] = excel_row
        out.append({**row, "source_sheet": sheet, "source_row": excel_row})
    if not out and not problems:
        problems.append(Problem(file, "no indicator rows below the header", sheet))
    return out, problems


def _peer(get: dict[str, object], where: tuple[str, str, int]) -> dict | Problem:
    """One peer line: a CCG, its peer's rank (a whole number from 1) and the peer (another CCG); the first thing
    refused is a located problem."""
    file, sheet, excel_row = where
    ccg, peer = cell_text(get["ccg"]).upper(), cell_text(get["peer"]).upper()
    try:
        rank = _number(get["rank"])
        if rank != int(rank) or rank < 1:
            raise ValueError(f"peer rank must be a whole number from 1, got {get['rank']!r}")
    except ValueError as exc:
        return Problem(file, str(exc), sheet, excel_row, PEER_LABELS["rank"])
    if not ccg or not peer:
        return Problem(
            file,
            "CCG code and peer CCG code are both required",
            sheet,
            excel_row,
            PEER_LABELS["peer" if ccg else "ccg"],
        )
    if peer == ccg:
        return Problem(file, f"{ccg} cannot be its own peer", sheet, excel_row, PEER_LABELS["peer"])
    return {"ccg": ccg, "rank": int(rank), "peer": peer, "source_sheet": sheet, "source_row": excel_row}


def _peer_group_problems(out: list[dict], *, file: str, sheet: str) -> list[Problem]:
    """Each CCG's peer group as a whole: a peer or a rank given twice, fewer peers than the best 5 needs."""
    problems: list[Problem] = []
    for ccg in dict.fromkeys(r["ccg"] for r in out):
        group = [r for r in out if r["ccg"] == ccg]
        for what in ("peer", "rank"):
            first: dict[object, int] = {}
            for r in group:
                if r[what] in first:
                    problems.append(
                        Problem(
                            file,
                            f"{ccg}'s peer {what} {r[what]} is also on row {first[r[what]]}",
                            sheet,
                            r["source_row"],
                            PEER_LABELS[what],
                        )
                    )
                first.setdefault(r[what], r["source_row"])
        if len({r["peer"] for r in group}) < MIN_PEERS:
            problems.append(
                Problem(
                    file,
                    f"{ccg} has {len(group)} peers; the best 5 needs at least {MIN_PEERS} (RightCare uses 10)",
                    sheet,
                    group[0]["source_row"],
                    PEER_LABELS["peer"],
                )
            )
    return problems


def parse_peers(rows: list[tuple], *, file: str, sheet: str) -> tuple[list[dict], list[Problem]]:
    """Parse the peer groups: rank and peer per CCG; self-peers, repeats and short groups are problems."""
    header = find_header(rows, PEER_HEADERS, PEER_LABELS, file=file, sheet=sheet)
    if isinstance(header, Problem):
        return [], [header]
    h, cols = header.row, header.columns
    problems: list[Problem] = []
    out: list[dict] = []
    for i in range(h + 1, len(rows)):
        raw, excel_row = rows[i], i + 1
        get = {k: (raw[j] if j < len(raw) else None) for k, j in cols.items()}
        if not any(cell_text(v) for v in raw) or norm(get["ccg"]) == "ccg code":
            continue
        line = _peer(get, (file, sheet, excel_row))
        if isinstance(line, Problem):
            problems.append(line)
        else:
            out.append(line)
    problems.extend(_peer_group_problems(out, file=file, sheet=sheet))
    return out, problems


def cross_check(indicators: list[dict], peers: list[dict], *, file: str) -> list[Problem]:
    """Every CCG with a peer group, and each of its peers, has figures for each programme area × POD it has."""
    cells: dict[str, set[tuple[str, str]]] = {}
    for r in indicators:
        cells.setdefault(r["ccg"], set()).add((r["programme_area"], r["pod"]))
    problems: list[Problem] = []
    reported: set[str] = set()
    for r in peers:
        own = cells.get(r["ccg"])
        if own is None:
            if r["ccg"] not in reported:
                reported.add(r["ccg"])
                problems.append(
                    Problem(
                        file,
                        f"{r['ccg']} has a peer group but no indicator rows",
                        r["source_sheet"],
                        r["source_row"],
                        PEER_LABELS["ccg"],
                    )
                )
            continue
        lacking = sorted(
            own - cells.get(r["peer"], set()), key=lambda c: (PROGRAMME_AREAS.index(c[0]), PODS.index(c[1]))
        )
        if lacking:
            shown = ", ".join(f"{a} {POD_LABELS[p].lower()}" for a, p in lacking[:4])
            more = f" and {len(lacking) - 4} more" if len(lacking) > 4 else ""
            problems.append(
                Problem(
                    file,
                    f"peer {r['peer']} of {r['ccg']} has no indicator rows for {shown}{more}",
                    r["source_sheet"],
                    r["source_row"],
                    PEER_LABELS["peer"],
                )
            )
    if not peers:
        problems.append(Problem(file, "no peer groups: the RightCare Peers sheet lists none"))
    return problems


def read_rightcare_xlsx(path: Path) -> RightCareFileResult:
    """Read a RightCare indicator workbook: indicators, peer groups, About; every problem collected."""
    result = RightCareFileResult(path=path)
    name = path.name
    flags, wb, problem = open_scanned(path)
    if problem:
        result.problems.append(problem)
        return result
    try:
        sheets = {ws.title.strip().lower(): ws for ws in wb.worksheets}
        result.problems.extend(sheet_problems(name, flags, ("about", INDICATORS_SHEET, PEERS_SHEET)))
        if "about" in sheets:
            result.about = {k.lower(): v for k, v in about_rows(sheets["about"].iter_rows(values_only=True)).items()}
        for key in (INDICATORS_SHEET, PEERS_SHEET):
            ws = sheets.get(key)
            if ws is None:
                label = key.title().replace("Rightcare", "RightCare")
                result.problems.append(Problem(name, f"no sheet named {label!r}"))
                continue
            rows = [tuple(r) for r in ws.iter_rows(values_only=True)]
            if key == INDICATORS_SHEET:
                result.indicators, probs = parse_indicators(rows, file=name, sheet=ws.title)
            else:
                result.peers, probs = parse_peers(rows, file=name, sheet=ws.title)
            result.problems.extend(probs)
    finally:
        wb.close()
    if not result.problems:
        result.problems.extend(cross_check(result.indicators, result.peers, file=name))
    return result
