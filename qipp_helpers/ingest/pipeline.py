"""Ingest: read return files, validate them, reconcile totals, replace their slices in the store.

All or nothing: if any file has a problem, every problem is reported together and nothing is
written. ``data/raw`` is only ever read.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from .. import __version__
from ..core.errors import IngestError, Problem
from ..core.files import sha256_file
from ..core.money import fmt_k
from ..core.orgs import organisations, use_organisations
from ..core.periods import check_fin_year, check_month
from ..core.vocab import MONEY_COLUMNS
from ..reference import workstream_map
from ..store.db import load_returns, replace_slices
from ..store.schema import WARNING_COLUMNS, coerce_returns, validate_returns
from .dashboard import REQUIRED, FileResult, SheetResult, iter_problems, read_returns_file

#: A printed total further than this (£000) from the computed sum is a reconciliation warning.
TOLERANCE_K = 5.0


@dataclass
class IngestSummary:
    """What an ingest stored."""

    fin_year: str
    month: int
    rows: dict[str, int] = field(default_factory=dict)
    warnings: list[dict] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)  # missing / new / plan_changes / replaced


#: Most lines of each kind of note kept in the ingest log entry.
LOG_NOTES = 200


def scheme_changes(tidy: pd.DataFrame, stored: pd.DataFrame, fin_year: str, month: int) -> dict[str, list[str]]:
    """Against each organisation's latest month held before this one: schemes missing, new, plan changed."""
    notes: dict[str, list[str]] = {"missing": [], "new": [], "plan_changes": []}
    if tidy.empty or stored.empty:
        return notes
    # one pass over the store for every organisation (per-organisation masks are slow at national scale)
    mine = stored[stored["org"].isin(tidy["org"].unique())]
    periods = mine[["org", "fin_year", "month"]].drop_duplicates()
    earlier = (periods["fin_year"] < fin_year) | ((periods["fin_year"] == fin_year) & (periods["month"] < month))
    periods = periods[earlier]
    if periods.empty:
        return notes
    base = periods.sort_values(["fin_year", "month"]).groupby("org").tail(1)
    labels = {
        r.org: (f"M{int(r.month)}" if r.fin_year == fin_year else f"{r.fin_year} M{int(r.month)}")
        for r in base.itertuples(index=False)
    }
    prev = mine.merge(base, on=["org", "fin_year", "month"])
    now = tidy[tidy["org"].isin(list(labels))]
    plan_now = now.groupby(["org", "scheme_no"])["annual_plan"].sum()
    plan_prev = prev.groupby(["org", "scheme_no"])["annual_plan"].sum()
    names = {
        **dict(zip(zip(prev["org"], prev["scheme_no"], strict=True), prev["scheme_name"], strict=True)),
        **dict(zip(zip(now["org"], now["scheme_no"], strict=True), now["scheme_name"], strict=True)),
    }
    for org, no in sorted(plan_prev.index.difference(plan_now.index)):
        notes["missing"].append(f"{org} {no} {names[org, no]}: in {labels[org]}, not in this return")
    for org, no in sorted(plan_now.index.difference(plan_prev.index)):
        notes["new"].append(
            f"{org} {no} {names[org, no]}: new since {labels[org]} (annual plan {fmt_k(plan_now[org, no])})"
        )
    both = plan_now.index.intersection(plan_prev.index)
    changed = both[((plan_now[both] - plan_prev[both]).abs() > 0.5).to_numpy()]
    for org, no in sorted(changed):
        notes["plan_changes"].append(
            f"{org} {no} {names[org, no]}: annual plan {fmt_k(plan_prev[org, no])} in "
            f"{labels[org]}, now {fmt_k(plan_now[org, no])}"
        )
    return notes


def _warning(
    fin_year: str, month: int, org: str, file: str, sheet: str, column: str, printed: float, computed: float, what: str
) -> dict:
    diff = printed - computed
    return {
        "fin_year": fin_year,
        "month": month,
        "org": org,
        "source_file": file,
        "sheet": sheet,
        "column": REQUIRED[column],
        "printed": printed,
        "computed": computed,
        "difference": diff,
        "message": f"{what} {REQUIRED[column]} is {fmt_k(printed)} but {{}} {fmt_k(computed)}: "
        f"a difference of {fmt_k(abs(diff))}",
    }


def _check_command(fin_year: str, month: int, data_dir: Path | str) -> None:
    """The command line's period and the data folder's organisations, or an IngestError."""
    try:
        check_fin_year(fin_year)
        check_month(month)
        use_organisations(data_dir)
    except ValueError as exc:
        raise IngestError([Problem("(command line)", str(exc))]) from None


def total_warnings(sheet: SheetResult, *, file: str, fin_year: str, month: int) -> list[dict]:
    """Compare a sheet's printed Grand Total with the sum of its rows, column by column."""
    if sheet.printed_total is None:
        return []
    out = []
    for col in MONEY_COLUMNS:
        computed = float(sum(r[col] for r in sheet.records))
        printed = sheet.printed_total[col]
        if abs(printed - computed) > TOLERANCE_K:
            w = _warning(
                fin_year,
                month,
                sheet.org,
                file,
                sheet.sheet,
                col,
                printed,
                computed,
                f"{sheet.org} dashboard Grand Total for",
            )
            w["message"] = w["message"].format("its scheme rows sum to") + " (rows missing from the return?)"
            out.append(w)
    return out


def group_warnings(sheet: SheetResult, ccg_rows: pd.DataFrame, *, file: str, fin_year: str, month: int) -> list[dict]:
    """Reconcile a combined (e.g. LLR) sheet against the sum of its CCGs' rows."""
    members = organisations().groups[sheet.org]
    have = set(ccg_rows["org"]) if len(ccg_rows) else set()
    lacking = [m for m in members if m not in have]
    if lacking:
        return [
            {
                "fin_year": fin_year,
                "month": month,
                "org": sheet.org,
                "source_file": file,
                "sheet": sheet.sheet,
                "column": "",
                "printed": float("nan"),
                "computed": float("nan"),
                "difference": float("nan"),
                "message": f"{sheet.org} dashboard not reconciled: no returns held for {', '.join(lacking)}",
            }
        ]
    out = []
    for col in MONEY_COLUMNS:
        printed = (sheet.printed_total or {}).get(col, float(sum(r[col] for r in sheet.records)))
        computed = float(ccg_rows[col].sum())
        if abs(printed - computed) > TOLERANCE_K:
            w = _warning(
                fin_year,
                month,
                sheet.org,
                file,
                sheet.sheet,
                col,
                printed,
                computed,
                f"{sheet.org} combined dashboard total for",
            )
            w["message"] = w["message"].format(f"{' + '.join(members)} sum to")
            out.append(w)
    return out


def _assign_workstreams(records: list[dict], file: str) -> list[Problem]:
    mapping = workstream_map()
    problems = []
    for r in records:
        if r.get("workstream"):
            continue
        ws = mapping.get(r["scheme_no"])
        if ws is None:
            problems.append(
                Problem(
                    file,
                    f"scheme number {r['scheme_no']!r} has no workstream: add a "
                    "'Workstream' column or extend qipp_helpers/reference/workstream_map.csv",
                    r["source_sheet"],
                    r["source_row"],
                    REQUIRED["scheme_no"],
                )
            )
            r["workstream"] = ""
        else:
            r["workstream"] = ws
    return problems


def prepare(
    results: list[FileResult], fin_year: str, month: int, *, provenance: str | None = None
) -> tuple[pd.DataFrame, list[SheetResult], list[Problem]]:
    """Turn read files into one validated tidy table of CCG rows (+ combined sheets, problems)."""
    problems = iter_problems(results)
    frames, combined = [], []
    seen: dict[str, str] = {}
    for res in results:
        for sheet in res.sheets:
            where = f"{res.path.name}:{sheet.sheet}"
            if sheet.org in seen:
                problems.append(
                    Problem(
                        res.path.name,
                        f"organisation {sheet.org} is also in {seen[sheet.org]}; "
                        "give each organisation once per ingest",
                        sheet.sheet,
                    )
                )
                continue
            seen[sheet.org] = where
            if sheet.org in organisations().groups:
                combined.append((res, sheet))
                continue
            problems.extend(_assign_workstreams(sheet.records, res.path.name))
            prov = provenance or res.provenance.get(sheet.org) or f"return file: {res.path.name}"
            extra = {"fin_year": fin_year, "month": month, "provenance": prov, "source_file": res.path.name}
            frames.extend({**r, **extra, "row": i} for i, r in enumerate(sheet.records))
    # one DataFrame for every sheet's records: building one per sheet costs more than parsing them
    tidy = coerce_returns(pd.DataFrame(frames)) if frames else coerce_returns(pd.DataFrame())
    if not problems:
        problems.extend(validate_returns(tidy))
    return tidy, combined, problems


def ingest(
    paths: list[Path],
    fin_year: str,
    month: int,
    data_dir: Path | str,
    *,
    org: str | None = None,
    provenance: str | None = None,
    user: str | None = None,
) -> IngestSummary:
    """Read, validate and store return files for one month; raise IngestError if anything is wrong.

    Each (fin_year, month, organisation) slice present in the files replaces the stored slice.
    Combined sheets (LLR) are reconciled against their CCGs, never stored as rows.
    """
    _check_command(fin_year, month, data_dir)
    paths = [Path(p) for p in paths]
    results = [read_returns_file(p, org=org) for p in paths]
    tidy, combined, problems = prepare(results, fin_year, month, provenance=provenance)
    if problems:
        raise IngestError(problems)
    if tidy.empty and not combined:
        raise IngestError([Problem(", ".join(p.name for p in paths), "no scheme rows found")])

    warnings: list[dict] = []
    for res in results:
        for sheet in res.sheets:
            if sheet.org in organisations().ccgs:
                warnings += total_warnings(sheet, file=res.path.name, fin_year=fin_year, month=month)
    slices = {(fin_year, month, o) for o in tidy["org"].unique()}
    held = load_returns(data_dir)
    notes = scheme_changes(tidy, held, fin_year, month)
    if combined:
        stored = held[
            (held["fin_year"] == fin_year) & (held["month"] == month) & ~held["org"].isin(tidy["org"].unique())
        ]
        ccg_rows = pd.concat([stored, tidy], ignore_index=True)
        for res, sheet in combined:
            warnings += group_warnings(sheet, ccg_rows, file=res.path.name, fin_year=fin_year, month=month)
            warnings += total_warnings(sheet, file=res.path.name, fin_year=fin_year, month=month)
            slices.add((fin_year, month, sheet.org))
    warn_df = pd.DataFrame(warnings, columns=list(WARNING_COLUMNS))
    files = [{"name": p.name, "sha256": sha256_file(p), "bytes": p.stat().st_size} for p in paths]
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "user": user or getpass.getuser(),
        "fin_year": fin_year,
        "month": month,
        "orgs": sorted(s[2] for s in slices),
        "rows": len(tidy),
        "warnings": len(warnings),
        "files": files,
        "qipp_helpers": __version__,
        **{k: v[:LOG_NOTES] for k, v in notes.items()},
    }
    replace_slices(data_dir, tidy, warn_df, slices, entry)
    return IngestSummary(
        fin_year,
        month,
        rows=tidy.groupby("org").size().to_dict() if len(tidy) else {},
        warnings=warnings,
        files=files,
        notes=notes,
    )


def ingest_templates(
    paths: list[Path], fin_year: str, month: int, data_dir: Path | str, *, user: str | None = None
) -> IngestSummary:
    """Read returned SRO templates, merge them into the month (rules: :mod:`qipp_helpers.ingest.sro_return`), store.

    All or nothing, like :func:`ingest`. Each organisation with a template gets its whole
    (fin_year, month) slice replaced by the merged month: returned lines, new schemes, and the
    base month's lines nobody returned, carried forward and reported as missing.
    """
    from .sro_return import merge_returns, read_template, with_lines

    _check_command(fin_year, month, data_dir)
    paths = [Path(p) for p in paths]
    results = [read_template(p, fin_year=fin_year, month=month) for p in paths]
    problems = [p for r in results for p in r.problems]
    if problems:
        raise IngestError(problems)
    stored = load_returns(data_dir)
    base_rows = {}
    for r in results:
        org, fy, m = r.meta["org"], str(r.meta["base_fin_year"]), int(r.meta["base_month"])
        base_rows[org] = with_lines(
            stored[(stored["fin_year"] == fy) & (stored["month"] == m) & (stored["org"] == org)]
        )
    merged = merge_returns(results, base_rows=base_rows)
    if merged.problems:
        raise IngestError(merged.problems)
    tidy = coerce_returns(pd.DataFrame([{**rec, "fin_year": fin_year, "month": month} for rec in merged.records]))
    problems = validate_returns(tidy)
    if problems:
        raise IngestError(problems)
    slices = {(fin_year, month, o) for o in tidy["org"].unique()}
    notes = {
        "missing": merged.missing,
        "new": merged.new,
        "plan_changes": merged.plan_changes,
        "replaced": merged.replaced,
    }
    files = [{"name": p.name, "sha256": sha256_file(p), "bytes": p.stat().st_size} for p in paths]
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "user": user or getpass.getuser(),
        "fin_year": fin_year,
        "month": month,
        "kind": "template",
        "orgs": sorted(s[2] for s in slices),
        "rows": len(tidy),
        "warnings": 0,
        "files": files,
        "qipp_helpers": __version__,
        **{k: v[:LOG_NOTES] for k, v in notes.items()},
        "commentary": merged.commentary[:LOG_NOTES],
    }
    replace_slices(data_dir, tidy, pd.DataFrame(columns=list(WARNING_COLUMNS)), slices, entry)
    return IngestSummary(fin_year, month, rows=tidy.groupby("org").size().to_dict(), files=files, notes=notes)


@dataclass
class FrpIngestSummary:
    """What an FRP ingest stored."""

    fin_year: str
    month: int
    system: str
    as_at: str
    schemes: int
    checks: list[dict] = field(default_factory=list)
    files: list[dict] = field(default_factory=list)


def ingest_frp(
    path: Path,
    fin_year: str,
    month: int,
    data_dir: Path | str,
    *,
    system: str | None = None,
    provenance: str | None = None,
    user: str | None = None,
) -> FrpIngestSummary:
    """Read, validate and store one FRP workbook as the (fin_year, month, system) FRP slice.

    Printed figures that do not add up are stored as checks with the data (and shown in the
    report), not rejected: the paper that printed them is the record.
    """
    from ..analysis.frp import checks as frp_checks
    from ..store.db import replace_frp
    from ..store.schema import (
        FRP_LINE_COLUMNS,
        FRP_LINES_SCHEMA,
        FRP_POSITION_COLUMNS,
        FRP_POSITION_SCHEMA,
        coerce_table,
        validate,
    )
    from .frp import read_frp_xlsx

    try:
        check_fin_year(fin_year)
        check_month(month)
    except ValueError as exc:
        raise IngestError([Problem("(command line)", str(exc))]) from None
    path = Path(path)
    res = read_frp_xlsx(path, system=system)
    if res.problems:
        raise IngestError(res.problems)
    code = res.about["system"]
    as_at = res.about.get("as at", "")
    prov = provenance or res.about.get("provenance") or f"return file: {path.name}"
    common = {
        "fin_year": fin_year,
        "month": month,
        "system": code,
        "as_at": as_at,
        "provenance": prov,
        "source_file": path.name,
    }
    lines = coerce_table(pd.DataFrame([{**common, "row": i, **r} for i, r in enumerate(res.lines)]), FRP_LINE_COLUMNS)
    position = coerce_table(
        pd.DataFrame([{**common, "row": i, **r} for i, r in enumerate(res.position)]), FRP_POSITION_COLUMNS
    )
    problems = validate(lines, FRP_LINES_SCHEMA) + validate(position, FRP_POSITION_SCHEMA)
    if problems:
        raise IngestError(problems)
    found = frp_checks(lines, position)
    for c in ("fin_year", "month", "system", "source_file"):
        found[c] = common[c]
    files = [{"name": path.name, "sha256": sha256_file(path), "bytes": path.stat().st_size}]
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "user": user or getpass.getuser(),
        "fin_year": fin_year,
        "month": month,
        "kind": "frp",
        "orgs": [code],
        "rows": len(lines),
        "warnings": len(found),
        "files": files,
        "qipp_helpers": __version__,
    }
    replace_frp(data_dir, {"lines": lines, "position": position, "checks": found}, {(fin_year, month, code)}, entry)
    return FrpIngestSummary(
        fin_year,
        month,
        code,
        as_at,
        int((lines["kind"] == "scheme").sum()),
        checks=found.to_dict("records"),
        files=files,
    )


@dataclass
class RightCareIngestSummary:
    """What a RightCare indicator ingest stored."""

    fin_year: str
    data_year: str
    ccgs: list[str]
    peers: int
    rows: int
    provenance: str
    files: list[dict] = field(default_factory=list)


def ingest_rightcare(
    path: Path, fin_year: str, data_dir: Path | str, *, provenance: str | None = None, user: str | None = None
) -> RightCareIngestSummary:
    """Read, validate and store one RightCare indicator workbook for ``fin_year`` (the plan year it serves).

    Replaces the stored indicators of every CCG in the file and the peer groups of the CCGs it
    gives peers for; all or nothing.
    """
    from ..store.db import replace_rightcare
    from ..store.schema import (
        RIGHTCARE_INDICATOR_COLUMNS,
        RIGHTCARE_INDICATORS_SCHEMA,
        RIGHTCARE_PEER_COLUMNS,
        RIGHTCARE_PEERS_SCHEMA,
        coerce_table,
        validate,
    )
    from .rightcare import read_rightcare_xlsx

    try:
        check_fin_year(fin_year)
    except ValueError as exc:
        raise IngestError([Problem("(command line)", str(exc))]) from None
    path = Path(path)
    res = read_rightcare_xlsx(path)
    if res.problems:
        raise IngestError(res.problems)
    prov = provenance or res.about.get("provenance") or f"return file: {path.name}"
    common = {"fin_year": fin_year, "provenance": prov, "source_file": path.name}
    data_year = res.about.get("data year", "")
    indicators = coerce_table(
        pd.DataFrame([{**common, "data_year": data_year, **r} for r in res.indicators]), RIGHTCARE_INDICATOR_COLUMNS
    )
    peers = coerce_table(pd.DataFrame([{**common, **r} for r in res.peers]), RIGHTCARE_PEER_COLUMNS)
    problems = validate(indicators, RIGHTCARE_INDICATORS_SCHEMA) + validate(peers, RIGHTCARE_PEERS_SCHEMA)
    if problems:
        raise IngestError(problems)
    subjects = list(dict.fromkeys(peers["ccg"]))
    slices = {"indicators": {(fin_year, c) for c in indicators["ccg"]}, "peers": {(fin_year, c) for c in subjects}}
    files = [{"name": path.name, "sha256": sha256_file(path), "bytes": path.stat().st_size}]
    entry = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "user": user or getpass.getuser(),
        "fin_year": fin_year,
        "kind": "rightcare",
        "orgs": subjects,
        "rows": len(indicators),
        "warnings": 0,
        "files": files,
        "qipp_helpers": __version__,
    }
    replace_rightcare(data_dir, {"indicators": indicators, "peers": peers}, slices, entry)
    return RightCareIngestSummary(
        fin_year, data_year, subjects, int(peers["peer"].nunique()), len(indicators), prov, files=files
    )
