"""Ingest: turn read files into validated changes to the store, then commit them as ONE version.

Each input layout has a ``prepare_*`` function: it reads its files (through the layout's reader),
validates and reconciles them against the version of the store it was given, and returns a
:class:`Prepared` (the changes to the stored tables, a log entry, a summary) or raises
:class:`~qipp_helpers.core.errors.InputError` with every problem found. :func:`commit_parts`
commits any number of them in one transaction: all or nothing, one version. ``data/raw`` is
only ever read.

:func:`prepare_and_commit_many` does that for several ingests at once (``qipp ingest-raw``: every
month folder): each is prepared against the store as the ones before it leave it (:class:`Stored`
lays their changes over the version read), then all are committed in one transaction, a version
each, so the log reads as if they had been committed one by one.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import getpass
import itertools
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .. import __version__
from ..core.errors import IngestError, Problem
from ..core.faults import fault
from ..core.files import sha256_file
from ..core.money import fmt_k
from ..core.orgs import organisations, use_organisations
from ..core.periods import check_fin_year, check_month
from ..core.text import CONTROL
from ..core.vocab import MONEY_COLUMNS
from ..reference import workstream_map
from ..store import db
from ..store.schema import (
    COMBINED_COLUMNS,
    COMMENTARY_COLUMNS,
    PRINTED_TOTAL_COLUMNS,
    WARNING_COLUMNS,
    coerce_returns,
    coerce_table,
    validate_returns,
)
from ..store.versioned import TABLES, Change, Reading, Store, StoreConflict, Version, key_tuple, slice_keys
from .dashboard import REQUIRED, FileResult, SheetResult, iter_problems, read_returns_files
from .excel import text_problems

if TYPE_CHECKING:
    from .sro_return import Merged, TemplateResult

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
    version: int = 0  # the store version the ingest committed
    unchanged: bool = False  # True: ``version`` already held these rows, and no version was added


#: Most lines of each kind of note kept in the ingest log entry.
LOG_NOTES = 200


def scheme_changes(tidy: pd.DataFrame, stored: pd.DataFrame, fin_year: str, month: int) -> dict[str, list[str]]:
    """Against each organisation's latest month held before this one: schemes missing, new, plan changed."""
    notes: dict[str, list[str]] = {"missing": [], "new": [], "plan_changes": []}
    if tidy.empty or stored.empty:
        return notes
    # one pass over the store for every organisation (per-organisation masks are slow at national scale)
    mine = stored[stored["org"].isin(tidy["org"].unique())]
    held = mine[["org", "fin_year", "month"]].drop_duplicates()
    earlier = (held["fin_year"] < fin_year) | ((held["fin_year"] == fin_year) & (held["month"] < month))
    periods = held[earlier]
    if periods.empty:
        return notes
    base = periods.sort_values(["fin_year", "month"]).groupby("org").tail(1)
    labels = {
        r.org: (f"M{int(r.month)}" if r.fin_year == fin_year else f"{r.fin_year} M{int(r.month)}")
        for r in base.itertuples(index=False)
    }
    # every row held is of its organisation's base month (the store gave only those): no need to pick them out
    prev = mine if len(base) == len(held) else mine.merge(base, on=["org", "fin_year", "month"])
    now = tidy[tidy["org"].isin(list(labels))]
    plan_now = now.groupby(["org", "scheme_no"])["annual_plan"].sum()
    plan_prev = prev.groupby(["org", "scheme_no"])["annual_plan"].sum()
    names = _Names(prev, now)
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


class _Names:
    """(org, scheme number) -> the scheme name on its last row, this return's over the stored one's; looked up
    only for the schemes a note names (most months name none)."""

    def __init__(self, prev: pd.DataFrame, now: pd.DataFrame):
        self.frames = (now, prev)
        self.found: list[pd.Series] | None = None

    def __getitem__(self, key: tuple[str, str]) -> str:
        if self.found is None:
            self.found = [
                f.drop_duplicates(["org", "scheme_no"], keep="last").set_index(["org", "scheme_no"])["scheme_name"]
                for f in self.frames
            ]
        for names in self.found:
            if key in names.index:
                return str(names[key])
        raise KeyError(key)


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


def total_warnings(sheet: SheetResult, *, file: str, fin_year: str, month: int) -> list[dict]:
    """Compare a sheet's printed Grand Total with the sum of its rows, column by column."""
    if sheet.printed_total is None:
        return []
    out = []
    for col in MONEY_COLUMNS:
        computed = float(sum(sheet.column(col)))
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
    have = set(ccg_rows["org"].unique()) if len(ccg_rows) else set()
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
        printed = (sheet.printed_total or {}).get(col, float(sum(sheet.column(col))))
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


def _workstreams(sheet: SheetResult, file: str) -> tuple[list[str] | pa.Array, list[Problem]]:
    """Each row's workstream: as given, else from the scheme number; a problem for a number with neither."""
    given_column = sheet.columns().get("workstream")
    if isinstance(given_column, pa.Array) and pc.all(pc.not_equal(given_column, "")).as_py():
        return given_column, []  # every row names its workstream
    mapping = workstream_map()
    given = sheet.column("workstream") or [""] * len(sheet)
    out, problems = [], []
    for ws, no, row in zip(given, sheet.column("scheme_no"), sheet.column("source_row"), strict=True):
        if ws:
            out.append(ws)
            continue
        found = mapping.get(no)
        if found is None:
            problems.append(
                Problem(
                    file,
                    f"scheme number {no!r} has no workstream: add a "
                    "'Workstream' column or extend qipp_helpers/reference/workstream_map.csv",
                    sheet.sheet,
                    row,
                    REQUIRED["scheme_no"],
                )
            )
            found = ""
        out.append(found)
    return out, problems


#: Fields with one value per sheet (the same on every record of it).
_PER_SHEET = ("org", "source_sheet", "provenance", "source_file")
#: The fields of a dashboard record, as :func:`tidy_returns` gathers them (workstream apart).
_RECORD_FIELDS = (
    "org", "scheme_no", "scheme_name", "milestones", "financial_benefits", "risk_issue", "rag", "source_sheet",
    "source_row", *MONEY_COLUMNS,
)  # fmt: skip


def tidy_returns(
    results: list[FileResult], fin_year: str, month: int, *, provenance: str | None = None
) -> tuple[pd.DataFrame, list[tuple[FileResult, SheetResult]], list[Problem]]:
    """Turn read files into one validated tidy table of CCG rows (+ combined sheets, problems)."""
    problems = iter_problems(results)
    pieces: dict[str, list] = {c: [] for c in (*_RECORD_FIELDS, "workstream", "row") if c not in _PER_SHEET}
    per_sheet: dict[str, list] = {c: [] for c in _PER_SHEET}  # a value per sheet, repeated on its rows
    sizes: list[int] = []
    combined = []
    seen: dict[str, str] = {}
    groups = organisations().groups
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
            if sheet.org in groups:
                combined.append((res, sheet))
                continue
            n = len(sheet)
            workstreams, missing = _workstreams(sheet, res.path.name)
            problems.extend(missing)
            if not n:
                continue
            cols = sheet.columns()
            for c in _RECORD_FIELDS:
                if c not in _PER_SHEET:
                    pieces[c].append(cols[c])
            prov = provenance or res.provenance.get(sheet.org) or f"return file: {res.path.name}"
            for c, value in zip(_PER_SHEET, (sheet.org, sheet.sheet, prov, res.path.name), strict=True):
                per_sheet[c].append(value)  # every record of a sheet has its org and sheet name
            pieces["workstream"].append(workstreams)
            pieces["row"].append(np.arange(n))
            sizes.append(n)
    tidy = _tidy_table(pieces, per_sheet, sizes, fin_year, month)
    problems.extend(text_problems(tidy, {c: REQUIRED.get(c, c.replace("_", " ").capitalize()) for c in TEXT_COLUMNS}))
    problems.extend(too_many_schemes(tidy))
    if not problems:
        problems.extend(validate_returns(tidy))
    return tidy, combined, problems


def _tidy_table(
    pieces: dict[str, list], per_sheet: dict[str, list], sizes: list[int], fin_year: str, month: int
) -> pd.DataFrame:
    """The returns table of every sheet's records: ``pieces`` holds each field's part per sheet, ``per_sheet``
    each sheet's one value of the fields that have one, ``sizes`` each sheet's number of records."""
    if not sizes:
        return coerce_returns(pd.DataFrame())
    # one DataFrame for every sheet's columns: building one per sheet costs more than reading them
    which = pa.array(np.repeat(np.arange(len(sizes)), sizes))
    data = {
        c: np.concatenate([np.asarray(p, dtype=float) for p in parts])
        if c in MONEY_COLUMNS
        else np.concatenate([np.asarray(p, dtype=np.int64) for p in parts])
        if c in ("row", "source_row")
        else _text(parts)
        for c, parts in pieces.items()
    }
    for c, values in per_sheet.items():
        data[c] = pd.Series(pa.array(values, type=pa.large_string()).take(which), dtype=_STR)
    return coerce_returns(pd.DataFrame({"fin_year": fin_year, "month": month, **data}))


def _text(parts: list) -> pd.Series | list:
    """A text column made of sheets' parts (lists or Arrow arrays), built straight from Arrow (10x faster than from
    Python objects); a list of the values if they are not all text."""
    try:
        arrays = [p if isinstance(p, _ARROW) else pa.array(p, type=pa.large_string()) for p in parts]
        return pd.Series(pa.chunked_array(arrays, type=pa.large_string()).combine_chunks(), dtype=_STR)
    except (pa.ArrowException, TypeError):
        return list(itertools.chain.from_iterable(p.to_pylist() if isinstance(p, _ARROW) else p for p in parts))


_ARROW = (pa.Array, pa.ChunkedArray)


_STR = pd.StringDtype("pyarrow", na_value=np.nan)  # pandas' own text dtype ("str")


#: The text columns of a return checked for control characters and length.
TEXT_COLUMNS = (
    "scheme_no",
    "scheme_name",
    "workstream",
    "milestones",
    "financial_benefits",
    "risk_issue",
    "scheme_owner",
    "key_risk",
    "mitigation",
    "action_owner",
)
#: Most scheme lines one organisation's return may hold in a month: beyond this a report would not be readable
#: (and a 50,000-line return takes minutes and gigabytes to render), so it is refused at ingest.
MAX_LINES_PER_ORG = 2000


def too_many_schemes(tidy: pd.DataFrame) -> list[Problem]:
    """A problem for each organisation whose return has more scheme lines than :data:`MAX_LINES_PER_ORG`."""
    out: list[Problem] = []
    if len(tidy) <= MAX_LINES_PER_ORG or tidy["org"].value_counts().max() <= MAX_LINES_PER_ORG:
        return out  # no organisation has that many lines, so no sheet of one has
    for (org, file, sheet), n in tidy.groupby(["org", "source_file", "source_sheet"]).size().items():
        if n > MAX_LINES_PER_ORG:
            out.append(
                Problem(
                    str(file),
                    f"{org} has {n:,} scheme lines; a month's return is limited to "
                    f"{MAX_LINES_PER_ORG:,} lines per organisation (split it by programme, or ask the PMO "
                    "to raise MAX_LINES_PER_ORG)",
                    str(sheet),
                )
            )
    return out


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
    version: int = 0
    unchanged: bool = False


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
    version: int = 0
    unchanged: bool = False


class Stored:
    """The store as of the version an ingest is prepared from, read slice by slice and kept.

    Reads go through ``reading`` (one connection, :meth:`~qipp_helpers.store.versioned.Store.reading`)
    when given, else open the store for each read. For a batch of ingests committed together,
    :meth:`add` lays each prepared ingest's changes over it, so the next one sees the store as
    it will be once the earlier ones are committed.
    """

    def __init__(self, data_dir: Path | str, version: int | None, reading: Reading | None = None):
        self.data_dir, self.version = data_dir, version
        self._reading = reading
        self._tables: dict[str, pd.DataFrame] = {}
        self._months: dict[tuple[str, str, int], pd.DataFrame] = {}
        self._keys: dict[str, set[tuple]] = {}  # table -> slices holding rows in the version read
        self._held: dict[str, set[tuple]] = {}  # the same with the changes added
        self._pending: dict[tuple[str, str, int], list[tuple[pd.DataFrame, set[tuple]]]] = {}
        self._changes: list[Change] = []
        self._by_org: dict[str, list[tuple[str, int]]] | None = None
        #: Dashboard files of a batch read before its first ingest is prepared, all together (much faster than
        #: month by month): (paths, --org) -> what :func:`read_returns_files` gives for them.
        self.read_ahead: dict[tuple[tuple[Path, ...], str | None], list[FileResult]] = {}

    def _load(self, name: str, where: dict | None = None) -> pd.DataFrame:
        if self._reading is not None:
            return self._reading.load(name, where=where)
        store = db.store(self.data_dir)
        return store.load(name, as_of=self.version, where=where) if self.version else store.load(name, where=where)

    def table(self, name: str) -> pd.DataFrame:
        """A whole table (with the changes added by :meth:`add`)."""
        if name not in self._tables:
            out = self._load(name)
            for ch in self._changes:
                if ch.table == name:
                    out = _overlay(out, name, ch.rows, set(ch.slices))
            self._tables[name] = out
        return self._tables[name]

    @property
    def returns(self) -> pd.DataFrame:
        return self.table("returns")

    def held(self, name: str) -> set[tuple]:
        """The (fin_year, month, org) slices of a table that hold rows (with the changes added)."""
        if name not in self._held:
            held = set(self._stored_keys(name))
            for ch in self._changes:
                if ch.table == name:
                    held = (held - set(ch.slices)) | slice_keys(TABLES[name], ch.rows)
            self._held[name] = held  # kept up to date by add() from now on
        return self._held[name]

    def _stored_keys(self, name: str) -> set[tuple]:
        """The slices of a table holding rows in the version read (one query per table)."""
        if name not in self._keys:
            if self._reading is not None:
                keys = self._reading.keys(name)
            else:
                keys = self._load(name)[list(TABLES[name].key)].drop_duplicates()
            self._keys[name] = set(keys.itertuples(index=False, name=None))
        return self._keys[name]

    def month(self, name: str, fin_year: str, month: int) -> pd.DataFrame:
        """One month of a table keyed (fin_year, month, org), in stored order."""
        key = (name, fin_year, month)
        if key not in self._months:
            stored = any(k[0] == fin_year and k[1] == month for k in self._stored_keys(name))
            out = self._load(name, {"fin_year": fin_year, "month": month}) if stored else TABLES[name].empty()
            for rows, keys in self._pending.get(key, []):
                out = _overlay(out, name, rows, keys)
            self._months[key] = out
        return self._months[key]

    def previous(self, orgs: list[str], fin_year: str, month: int) -> pd.DataFrame:
        """The returns of each organisation's latest month held before (fin_year, month), in stored order."""
        periods = self._periods()
        latest: dict[tuple[str, int], list[str]] = {}
        for org in orgs:
            held = periods.get(org, [])
            i = bisect.bisect_left(held, (fin_year, month))
            if i:
                latest.setdefault(held[i - 1], []).append(org)
        frames = [
            (t := self.month("returns", fy, m))[t["org"].isin(group)] for (fy, m), group in sorted(latest.items())
        ]
        return pd.concat(frames, ignore_index=True) if frames else TABLES["returns"].empty()

    def _periods(self) -> dict[str, list[tuple[str, int]]]:
        """Organisation -> the months it has returns for, in order (kept up to date by :meth:`add`)."""
        if self._by_org is None:
            self._by_org = {}
            for fy, m, org in sorted(self.held("returns")):
                self._by_org.setdefault(org, []).append((fy, m))
        return self._by_org

    def add(self, changes: list[Change]) -> None:
        """Lay changes (of a prepared ingest to be committed with this one) over the store as read."""
        for ch in changes:
            spec = TABLES[ch.table]
            rows = spec.conform(ch.rows if ch.rows is not None else pd.DataFrame())
            given = slice_keys(spec, rows)
            keys = {key_tuple(spec, k) for k in ch.slices} | given
            self._changes.append(Change(ch.table, rows, keys))
            self._tables.pop(ch.table, None)
            if ch.table in self._held:
                self._held[ch.table] = (self._held[ch.table] - keys) | given
            if ch.table == "returns" and self._by_org is not None:
                for fy, m, org in keys:
                    periods = self._by_org.setdefault(org, [])
                    i = bisect.bisect_left(periods, (fy, m))
                    there = i < len(periods) and periods[i] == (fy, m)
                    if (fy, m, org) in given and not there:
                        periods.insert(i, (fy, m))
                    elif (fy, m, org) not in given and there:
                        del periods[i]
            if spec.key[:2] != ("fin_year", "month"):
                continue
            months = {(k[0], k[1]) for k in keys}
            for fy, m in months:
                mine = rows[(rows["fin_year"] == fy) & (rows["month"] == m)] if len(months) > 1 else rows
                self._pending.setdefault((ch.table, fy, m), []).append(
                    (mine, {k for k in keys if (k[0], k[1]) == (fy, m)})
                )
                self._months.pop((ch.table, fy, m), None)


def _overlay(base: pd.DataFrame, name: str, rows: pd.DataFrame, keys: set[tuple]) -> pd.DataFrame:
    """``base`` with the slices ``keys`` replaced by ``rows``, in the order the store would return them."""
    spec = TABLES[name]
    cols = list(spec.key)
    if len(base) and keys:
        own = pd.MultiIndex.from_frame(base[cols]).isin(list(keys))
        base = base[~own]
    out = pd.concat([base, rows], ignore_index=True) if len(rows) else base.reset_index(drop=True)
    if spec.order_by and len(rows):
        out = out.sort_values(list(spec.order_by), kind="stable", ignore_index=True)
    return out


def month_adjustments(
    stored: Stored,
    fin_year: str,
    month: int,
    tidy: pd.DataFrame,
    *,
    printed: pd.DataFrame | None = None,
    combined: pd.DataFrame | None = None,
) -> tuple[list[Change], int]:
    """The month's controls and adjustments after this ingest replaces the slices of ``tidy``'s organisations.

    Returns the changes (printed totals and combined rows given by this ingest, the month's adjustments
    derived again from all the month's rows and controls, the PMO's manual ones kept) and the number of
    derived adjustment lines.
    """
    from ..analysis.adjustments import MANUAL, derive_adjustments

    replaced = set(tidy["org"].unique()) if len(tidy) else set()
    held = stored.month("returns", fin_year, month)
    rows = pd.concat([held[~held["org"].isin(replaced)], tidy], ignore_index=True)
    old_printed = stored.month("printed_totals", fin_year, month)
    new_printed = printed if printed is not None else old_printed.iloc[:0]
    all_printed = pd.concat([old_printed[~old_printed["org"].isin(replaced)], new_printed], ignore_index=True)
    given = combined is not None and len(combined)
    all_combined = combined if given else stored.month("combined_rows", fin_year, month)
    derived = derive_adjustments(rows, all_printed, all_combined)
    stored_adj = stored.month("adjustments", fin_year, month)
    manual = stored_adj[stored_adj["basis"] == MANUAL]
    adjustments = pd.concat([derived, manual], ignore_index=True) if len(manual) else derived
    month_orgs = set(rows["org"].unique()) | set(stored_adj["org"].unique())
    changes = [
        Change("printed_totals", new_printed, {(fin_year, month, o) for o in replaced}),
        Change("adjustments", adjustments, {(fin_year, month, o) for o in month_orgs}),
    ]
    if given and combined is not None:
        changes.append(Change("combined_rows", combined, {(fin_year, month, o) for o in set(combined["org"])}))
    return changes, len(derived["adjustment_id"].unique()) if len(derived) else 0


@dataclass
class Prepared:
    """One layout's part of an ingest: the changes to commit, its log entry and what to tell the user."""

    changes: list[Change]
    entry: dict
    summary: IngestSummary | FrpIngestSummary | RightCareIngestSummary | CommentaryIngestSummary
    files: list[dict] = field(default_factory=list)


def file_records(paths: list[Path]) -> list[dict]:
    """Name, sha256 and size of each input file, for the version's log entry."""
    return [{"name": p.name, "sha256": sha256_file(p), "bytes": p.stat().st_size} for p in paths]


def _command_line(fin_year: str, month: int | None = None) -> None:
    try:
        check_fin_year(fin_year)
        if month is not None:
            check_month(month)
    except ValueError as exc:
        raise IngestError([Problem("(command line)", str(exc))]) from None


def prepare_dashboards(
    paths: list[Path],
    fin_year: str,
    month: int,
    stored: Stored,
    *,
    org: str | None = None,
    provenance: str | None = None,
) -> Prepared:
    """Dashboard workbooks or CSVs for one month, against the version of the store ``stored`` reads.

    Each (fin_year, month, organisation) slice present in the files replaces the stored slice.
    Combined sheets (LLR) are reconciled against their CCGs, never stored as rows. The files have been guarded
    (:func:`~.guard.check_input_file`) by the ingest that routed them here, once.
    """
    _command_line(fin_year, month)
    paths = [Path(p) for p in paths]
    results = stored.read_ahead.get((tuple(paths), org)) or read_returns_files(paths, org=org, guarded=True)
    tidy, combined, problems = tidy_returns(results, fin_year, month, provenance=provenance)
    if problems:
        raise IngestError(problems)
    if tidy.empty and not combined:
        raise IngestError([Problem(", ".join(p.name for p in paths), "no scheme rows found")])
    warnings = _dashboard_warnings(results, combined, tidy, stored, fin_year=fin_year, month=month)
    slices = {(fin_year, month, o) for o in tidy["org"].unique()}
    notes = _dashboard_notes(results, tidy, stored, fin_year=fin_year, month=month, org=org)
    for _, sheet in combined:
        slices.add((fin_year, month, sheet.org))
    warn_df = pd.DataFrame(warnings, columns=list(WARNING_COLUMNS))
    printed, combined_rows = _controls(results, fin_year, month, provenance)
    control_changes, n_adjustments = month_adjustments(
        stored, fin_year, month, tidy, printed=printed, combined=combined_rows
    )
    files = file_records(paths)
    entry = {
        "kind": "dashboard",
        "adjustments": n_adjustments,
        "fin_year": fin_year,
        "month": month,
        "orgs": sorted(s[2] for s in slices),
        "rows": len(tidy),
        "warnings": len(warnings),
        **{k: v[:LOG_NOTES] for k, v in notes.items()},
    }
    summary = IngestSummary(
        fin_year,
        month,
        rows=tidy.groupby("org").size().to_dict() if len(tidy) else {},
        warnings=warnings,
        files=files,
        notes=notes,
    )
    changes = [Change("returns", tidy, slices), Change("warnings", warn_df, slices), *control_changes]
    return Prepared(changes, entry, summary, files)


def _dashboard_warnings(
    results: list[FileResult],
    combined: list[tuple[FileResult, SheetResult]],
    tidy: pd.DataFrame,
    stored: Stored,
    *,
    fin_year: str,
    month: int,
) -> list[dict]:
    """A dashboard ingest's warnings: each CCG sheet's printed Grand Total against its rows, then each combined
    sheet (LLR) against its CCGs' rows (ingested now, else held for the month) and against its Grand Total."""
    warnings: list[dict] = []
    ccgs = set(organisations().ccgs)
    for res in results:
        for sheet in res.sheets:
            if sheet.org in ccgs:
                warnings += total_warnings(sheet, file=res.path.name, fin_year=fin_year, month=month)
    if combined:
        held = stored.month("returns", fin_year, month)
        others = held[~held["org"].isin(tidy["org"].unique())]
        ccg_rows = pd.concat([others, tidy], ignore_index=True)
        for res, sheet in combined:
            warnings += group_warnings(sheet, ccg_rows, file=res.path.name, fin_year=fin_year, month=month)
            warnings += total_warnings(sheet, file=res.path.name, fin_year=fin_year, month=month)
    return warnings


def _dashboard_notes(
    results: list[FileResult], tidy: pd.DataFrame, stored: Stored, *, fin_year: str, month: int, org: str | None
) -> dict[str, list[str]]:
    """What a dashboard ingest tells the user: the schemes changed since each organisation's previous month
    (:func:`scheme_changes`), and the sheets left out because ``--org`` named another organisation."""
    notes = scheme_changes(tidy, stored.previous(list(tidy["org"].unique()), fin_year, month), fin_year, month)
    left_out = [f"{res.path.name}: {', '.join(res.left_out)}" for res in results if res.left_out]
    if left_out:
        notes["left_out"] = [f"{line} (only --org {org.upper() if org else ''} was ingested)" for line in left_out]
    return notes


def _controls(
    results: list[FileResult], fin_year: str, month: int, provenance: str | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The printed Grand Totals of the CCG sheets and the rows of combined sheets, as the store holds them."""
    printed, combined = [], []
    groups = organisations().groups
    for res in results:
        for sheet in res.sheets:
            if sheet.org in groups:
                prov = provenance or res.provenance.get(sheet.org) or f"return file: {res.path.name}"
                combined += [
                    {**r, "fin_year": fin_year, "month": month, "provenance": prov, "source_file": res.path.name}
                    for r in sheet.records
                ]
            elif sheet.printed_total is not None:
                printed.append({
                    "fin_year": fin_year, "month": month, "org": sheet.org, **sheet.printed_total,
                    "source_file": res.path.name, "source_sheet": sheet.sheet, "source_row": sheet.printed_total_row,
                })  # fmt: skip
    return (
        coerce_table(pd.DataFrame(printed), PRINTED_TOTAL_COLUMNS) if printed else TABLES["printed_totals"].empty(),
        coerce_table(pd.DataFrame(combined), COMBINED_COLUMNS) if combined else TABLES["combined_rows"].empty(),
    )


def _return_record(file: str, org: str, received: dict[str, str] | None) -> dict:
    """A returned file's line of the log: whose return it is, and when it was received if not at ingest."""
    when = (received or {}).get(file)
    return {"file": file, "org": org, **({"received": when} if when else {})}


def prepare_templates(
    paths: list[Path],
    fin_year: str,
    month: int,
    stored: Stored,
    *,
    provenance: str | None = None,
    received: dict[str, str] | None = None,
) -> Prepared:
    """Returned SRO templates merged into the month (rules: :mod:`qipp_helpers.ingest.sro_return`).

    Each organisation with a template gets its whole (fin_year, month) slice replaced by the merged
    month: returned lines, new schemes, and the base month's lines nobody returned, carried forward
    and reported as missing. ``provenance`` (``--provenance`` or a folder's PROVENANCE.txt, e.g. the
    synthetic demonstration returns) is each returned line's, with its file; else ``SRO return: <file>``.
    ``received`` (file name -> ISO date/time) is when the PMO received a file, if not when it is ingested.
    """
    _command_line(fin_year, month)
    paths = [Path(p) for p in paths]
    results, merged = _merged_templates(paths, fin_year, month, stored, provenance=provenance)
    tidy = _merged_table(merged, fin_year, month)
    slices = {(fin_year, month, o) for o in tidy["org"].unique()}
    notes = {
        "missing": merged.missing,
        "new": merged.new,
        "plan_changes": merged.plan_changes,
        "replaced": merged.replaced,
    }
    files = file_records(paths)
    entry = {
        "kind": "template",
        "fin_year": fin_year,
        "month": month,
        "orgs": sorted(s[2] for s in slices),
        "rows": len(tidy),
        "warnings": 0,
        **{k: v[:LOG_NOTES] for k, v in notes.items()},
        "commentary": merged.commentary[:LOG_NOTES],
        # whose return each file is, and when it was received if that was not when it was ingested
        "returns": [_return_record(r.path.name, r.meta["org"], received) for r in results],
    }
    summary = IngestSummary(fin_year, month, rows=tidy.groupby("org").size().to_dict(), files=files, notes=notes)
    control_changes, _ = month_adjustments(stored, fin_year, month, tidy)
    comments = _template_commentary(merged.commentary, fin_year, month)
    changes = [
        Change("returns", tidy, slices),
        Change("warnings", pd.DataFrame(columns=list(WARNING_COLUMNS)), slices),
        *control_changes,
        Change("commentary", comments, slices),
    ]
    return Prepared(changes, entry, summary, files)


def _merged_templates(
    paths: list[Path], fin_year: str, month: int, stored: Stored, *, provenance: str | None
) -> tuple[list[TemplateResult], Merged]:
    """The returned templates read, and merged with the base month each was made from (as the template showed
    it); IngestError with every problem of the files, else of the merge."""
    from ..reference import prefilled_fields
    from .sro_return import merge_returns, read_template, with_lines

    results = [read_template(p, fin_year=fin_year, month=month) for p in paths]
    for r in results:
        r.provenance = provenance or ""
    problems = [p for r in results for p in r.problems]
    if problems:
        raise IngestError(problems)
    base_rows = {}
    for r in results:
        org, fy, m = r.meta["org"], str(r.meta["base_fin_year"]), int(r.meta["base_month"])
        held = stored.month("returns", fy, m)
        base_rows[org] = prefilled_fields(with_lines(held[held["org"] == org]))  # what the template showed
    merged = merge_returns(results, base_rows=base_rows)
    if merged.problems:
        raise IngestError(merged.problems)
    return results, merged


def _merged_table(merged: Merged, fin_year: str, month: int) -> pd.DataFrame:
    """The merged month as the returns table, validated (texts, schemes per organisation, the table's rules);
    IngestError if anything is refused."""
    tidy = coerce_returns(pd.DataFrame([{**rec, "fin_year": fin_year, "month": month} for rec in merged.records]))
    problems = text_problems(tidy, {c: c.replace("_", " ").capitalize() for c in TEXT_COLUMNS}) + too_many_schemes(tidy)
    problems = problems or validate_returns(tidy)
    if problems:
        raise IngestError(problems)
    return tidy


#: The longest FRP texts: a scheme group, scheme, section or item is a line of Table 6 or Appendix 1.
FRP_TEXT_LIMITS = {"group": 120, "scheme": 200, "section": 120, "item": 200}


def about_problems(file: str, about: Mapping[str, object], limits: Mapping[str, int]) -> list[Problem]:
    """An About sheet's values (keys lower case) longer than their limit or holding control characters, located at
    the About sheet: they head report pages and tables."""
    out = []
    for key, limit in limits.items():
        text = str(about.get(key) or "")
        if CONTROL.search(text):
            out.append(Problem(file, f"the {key!r} value holds a control character: retype it", "About"))
        elif len(text) > limit:
            out.append(Problem(file, f"the {key!r} value is {len(text):,} characters; the limit is {limit}", "About"))
    return out


def prepare_frp(
    path: Path, fin_year: str, month: int, *, system: str | None = None, provenance: str | None = None
) -> Prepared:
    """One FRP workbook as the (fin_year, month, system) FRP slice.

    Printed figures that do not add up are stored as checks with the data (and shown in the
    report), not rejected: the paper that printed them is the record.
    """
    from ..analysis.frp import checks as frp_checks
    from .frp import read_frp_xlsx

    _command_line(fin_year, month)
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
    lines, position = _frp_tables(res.lines, res.position, res.about, common)
    found = frp_checks(lines, position)
    for c in ("fin_year", "month", "system", "source_file"):
        found[c] = common[c]
    files = file_records([path])
    entry = {
        "kind": "frp",
        "fin_year": fin_year,
        "month": month,
        "orgs": [code],
        "rows": len(lines),
        "warnings": len(found),
    }
    summary = FrpIngestSummary(
        fin_year,
        month,
        code,
        as_at,
        int((lines["kind"] == "scheme").sum()),
        checks=found.to_dict("records"),
        files=files,
    )
    key = {(fin_year, month, code)}
    changes = [Change("frp_lines", lines, key), Change("frp_position", position, key), Change("frp_checks", found, key)]
    return Prepared(changes, entry, summary, files)


def _frp_tables(
    scheme_lines: list[dict], position_lines: list[dict], about: dict[str, str], common: dict
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """An FRP workbook's scheme-table and position lines as the store holds them (each with ``common``'s fields),
    checked with its About values (schema, lengths, control characters); IngestError if anything is refused."""
    from ..store.schema import (
        FRP_LINE_COLUMNS,
        FRP_LINES_SCHEMA,
        FRP_POSITION_COLUMNS,
        FRP_POSITION_SCHEMA,
        coerce_table,
        validate,
    )

    file = common["source_file"]
    lines = coerce_table(
        pd.DataFrame([{**common, "row": i, **r} for i, r in enumerate(scheme_lines)]), FRP_LINE_COLUMNS
    )
    position = coerce_table(
        pd.DataFrame([{**common, "row": i, **r} for i, r in enumerate(position_lines)]), FRP_POSITION_COLUMNS
    )
    problems = validate(lines, FRP_LINES_SCHEMA) + validate(position, FRP_POSITION_SCHEMA)
    problems += about_problems(file, about, {"as at": 60, "system": 16, "provenance": 1000})
    problems += text_problems(lines, {"group": "Scheme Group", "scheme": "Scheme"}, limits=FRP_TEXT_LIMITS)
    problems += text_problems(position, {"section": "Section", "item": "Item"}, limits=FRP_TEXT_LIMITS)
    if problems:
        raise IngestError(problems)
    return lines, position


def prepare_rightcare(path: Path, fin_year: str, *, provenance: str | None = None) -> Prepared:
    """One RightCare indicator workbook for ``fin_year`` (the plan year it serves).

    Replaces the stored indicators of every CCG in the file and the peer groups of the CCGs it
    gives peers for.
    """
    from ..store.schema import (
        RIGHTCARE_INDICATOR_COLUMNS,
        RIGHTCARE_INDICATORS_SCHEMA,
        RIGHTCARE_PEER_COLUMNS,
        RIGHTCARE_PEERS_SCHEMA,
        coerce_table,
        validate,
    )
    from .rightcare import read_rightcare_xlsx

    _command_line(fin_year)
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
    problems += about_problems(path.name, res.about, {"data year": 60, "provenance": 1000})
    problems += text_problems(
        indicators,
        {"ccg_name": "CCG name", "programme_area": "Programme area", "pod": "Point of delivery"},
        limits={"ccg_name": 100, "programme_area": 80, "pod": 80},
    )
    if problems:
        raise IngestError(problems)
    subjects = list(dict.fromkeys(peers["ccg"]))
    files = file_records([path])
    entry = {"kind": "rightcare", "fin_year": fin_year, "orgs": subjects, "rows": len(indicators), "warnings": 0}
    summary = RightCareIngestSummary(
        fin_year, data_year, subjects, int(peers["peer"].nunique()), len(indicators), prov, files=files
    )
    changes = [
        Change("rightcare_indicators", indicators, {(fin_year, c) for c in indicators["ccg"]}),
        Change("rightcare_peers", peers, {(fin_year, c) for c in subjects}),
    ]
    return Prepared(changes, entry, summary, files)


def _merged(parts: list[Prepared]) -> list[Change]:
    """One Change per table: the parts' rows together; a slice claimed by two parts is an input problem."""
    by_table: dict[str, list[Change]] = {}
    for part in parts:
        for ch in part.changes:
            by_table.setdefault(ch.table, []).append(ch)
    out = []
    for table, chs in by_table.items():
        if len(chs) == 1:
            out.append(chs[0])
            continue
        seen: dict[tuple, int] = {}
        for i, ch in enumerate(chs):
            own = set(ch.slices)
            if len(ch.rows):
                spec_key = [c for c in ("fin_year", "month", "org", "system", "ccg") if c in ch.rows.columns]
                own |= set(map(tuple, ch.rows[spec_key].drop_duplicates().itertuples(index=False, name=None)))
            for s in own:
                if s in seen and seen[s] != i:
                    raise IngestError(
                        [
                            Problem(
                                "(these files)",
                                f"{' '.join(map(str, s))} is given twice (e.g. by a "
                                "returned template and by a dashboard): give it once per ingest",
                            )
                        ]
                    )
                seen[s] = i
        rows = [ch.rows for ch in chs if len(ch.rows)]
        out.append(
            Change(
                table, pd.concat(rows, ignore_index=True) if rows else chs[0].rows, [s for ch in chs for s in ch.slices]
            )
        )
    return out


def log_entry(parts: list[Prepared], *, user: str | None = None) -> dict:
    """The one log entry of an ingest made of ``parts``."""
    entry: dict = {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "user": user or getpass.getuser(),
        "files": [f for p in parts for f in p.files],
        "qipp_helpers": __version__,
    }
    if len(parts) == 1:
        entry.update(parts[0].entry)
    else:
        entry.update(
            {
                "kind": "+".join(p.entry["kind"] for p in parts),
                "parts": [p.entry for p in parts],
                "rows": sum(p.entry.get("rows", 0) for p in parts),
                "warnings": sum(p.entry.get("warnings", 0) for p in parts),
            }
        )
    return entry


def commit_parts(
    parts: list[Prepared], data_dir: Path | str, *, user: str | None = None, based_on: int | None = None
) -> Version:
    """Commit every part as ONE version: all their changes and one log entry, in one transaction."""
    return db.commit(data_dir, _merged(parts), log_entry(parts, user=user), based_on=based_on)


#: Times an ingest is prepared again when another ingest committed first.
RETRIES = 3


def prepare_and_commit(
    prepare: Callable[[Stored], list[Prepared]], data_dir: Path | str, *, user: str | None = None
) -> tuple[list[Prepared], Version]:
    """Prepare against the current version, commit based on it; if another ingest committed meanwhile, again.

    ``prepare`` is given the store as of the version it is prepared from (:class:`Stored`).
    """
    done, versions = prepare_and_commit_many([prepare], data_dir, user=user)
    return done[0], versions[0]


def read_dashboards(groups: list[tuple[list[Path], str | None]]) -> dict[tuple[tuple[Path, ...], str | None], list]:
    """Several ingests' dashboard files read together (:attr:`Stored.read_ahead`): (paths, --org) -> results."""
    out: dict[tuple[tuple[Path, ...], str | None], list] = {}
    for org in dict.fromkeys(o for _, o in groups):
        mine = [tuple(Path(p) for p in paths) for paths, o in groups if o == org]
        results = iter(read_returns_files([p for paths in mine for p in paths], org=org, guarded=True))
        for paths in mine:
            out[paths, org] = [next(results) for _ in paths]
    return out


def prepare_and_commit_many(
    prepares: list[Callable[[Stored], list[Prepared]]],
    data_dir: Path | str,
    *,
    user: str | None = None,
    read_ahead: list[tuple[list[Path], str | None]] | None = None,
) -> tuple[list[list[Prepared]], list[Version]]:
    """Several ingests prepared in turn, each against the store as the ones before it leave it, then committed
    in ONE transaction as one version each: all of them, or none (the first that fails raises, nothing is
    written). If another ingest committed meanwhile, all are prepared again. ``read_ahead``: dashboard files
    (paths, --org) to read together first (:func:`read_dashboards`).
    """
    use_organisations(data_dir)
    with _collector_paused():
        return _prepare_and_commit_many(prepares, data_dir, user=user, read_ahead=read_ahead)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cycle collector off while an ingest runs: it would walk the millions of cells read, again and
    again, for nothing (they hold no cycles); about a tenth of a national ingest. Back as it was after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _prepare_and_commit_many(
    prepares: list[Callable[[Stored], list[Prepared]]],
    data_dir: Path | str,
    *,
    user: str | None,
    read_ahead: list[tuple[list[Path], str | None]] | None,
) -> tuple[list[list[Prepared]], list[Version]]:
    files = read_dashboards(read_ahead) if read_ahead else {}
    for attempt in range(RETRIES):
        live = db.store(data_dir)
        with live.reading() as reading:
            stored = Stored(data_dir, reading.version, reading)
            stored.read_ahead = files
            done: list[list[Prepared]] = []
            commits: list[tuple[list[Change], dict]] = []
            holders: list[int | None] = []  # per ingest: the version already holding its rows, None: commit it
            for prepare in prepares:
                parts = prepare(stored)
                changes = _merged(parts)
                done.append(parts)
                if reading.version and holds(stored, changes):
                    holders.append(reading.version + len(commits))
                    continue
                holders.append(None)
                commits.append((changes, log_entry(parts, user=user)))
                if len(prepares) > 1:
                    stored.add(changes)
        fault("ingest.prepared")
        try:
            made = iter(live.commit_many(commits, based_on=reading.version))
        except StoreConflict:
            if attempt == RETRIES - 1:
                raise
            continue
        return done, [
            next(made) if h is None else _held_by(live, h, parts) for h, parts in zip(holders, done, strict=True)
        ]
    raise AssertionError("unreachable")


def holds(stored: Stored, changes: list[Change]) -> bool:
    """True if the store as read already holds exactly these changes: every slice they replace holds the same
    rows (values, not file bytes; in any order). Such an ingest is not committed: it would be a version
    that changes nothing."""
    if not changes:
        return False
    for ch in changes:
        spec = TABLES[ch.table]
        rows = spec.conform(ch.rows if ch.rows is not None else pd.DataFrame())
        given = slice_keys(spec, rows)
        keys = {key_tuple(spec, k) for k in ch.slices} | given
        if not given <= stored.held(ch.table):
            return False
        if keys and not _same_rows(rows, _held_rows(stored, ch.table, keys), spec.columns):
            return False
    return True


def _held_rows(stored: Stored, name: str, keys: set[tuple]) -> pd.DataFrame:
    """The rows ``stored`` holds in the slices ``keys`` of table ``name``."""
    spec = TABLES[name]
    if spec.key[:2] == ("fin_year", "month"):
        frames = [stored.month(name, fy, m) for fy, m in sorted({(k[0], k[1]) for k in keys})]
        held = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    else:
        held = stored.table(name)
    if not len(held):
        return held
    return held[pd.MultiIndex.from_frame(held[list(spec.key)]).isin(list(keys))]


def _same_rows(a: pd.DataFrame, b: pd.DataFrame, columns: tuple[str, ...]) -> bool:
    """The same rows (every column's value, stored dtypes) in any order."""
    if len(a) != len(b):
        return False
    cols = list(columns)

    def canonical(df: pd.DataFrame) -> pd.DataFrame:
        return df[cols].sort_values(cols, kind="stable", na_position="last").reset_index(drop=True)

    return canonical(a).equals(canonical(b))


def _held_by(live: Store, number: int, parts: list[Prepared]) -> Version:
    """The version that already holds an unchanged ingest's rows; its summaries say so."""
    for part in parts:
        if part.summary is not None:
            part.summary.unchanged = True
    version = live.version(number)
    assert version is not None  # an unchanged ingest matched rows, so a version holds them
    return version


def _template_commentary(items: list[dict], fin_year: str, month: int) -> pd.DataFrame:
    """SRO commentary from returned templates, one row per returned line that has some."""
    rows = [
        {
            "fin_year": fin_year,
            "month": month,
            "org": c.get("org", ""),
            "scheme_no": c.get("scheme_no", ""),
            "kind": "sro",
            "section": "SRO return",
            "order": i,
            "label": c.get("scheme_name") or c.get("scheme_no", ""),
            "text": c.get("commentary", "") or c.get("plan_change_reason", ""),
            "provenance": f"SRO return: {c.get('file', '')}".strip(),
            "source_file": c.get("file", ""),
            "source_sheet": c.get("sheet", "Return"),
            "source_row": int(c.get("row", 0) or 0),
        }
        for i, c in enumerate(items, start=1)
        if c.get("commentary") or c.get("plan_change_reason")
    ]
    reasons = [  # the reason itself, whatever the commentary says: "changes since last month" shows it
        {**row, "kind": "plan_change", "section": "Plan change reason", "order": len(rows) + n, "text": reason}
        for n, (row, reason) in enumerate(
            ((row, c.get("plan_change_reason")) for row, c in zip(rows, _with_text(items), strict=True)), start=1
        )
        if reason
    ]
    return coerce_table(pd.DataFrame(rows + reasons), COMMENTARY_COLUMNS)


def _with_text(items: list[dict]) -> list[dict]:
    """The items :func:`_template_commentary` makes a row of, in order."""
    return [c for c in items if c.get("commentary") or c.get("plan_change_reason")]


def prepare_commentary(path: Path, fin_year: str, month: int, *, provenance: str | None = None) -> Prepared:
    """A PMO commentary file for one month: replaces the commentary of each organisation it names, that month."""
    from .commentary import read_commentary

    _command_line(fin_year, month)
    path = Path(path)
    res = read_commentary(path)
    if res.problems:
        raise IngestError(res.problems)
    if not res.records:
        raise IngestError([Problem(path.name, "no commentary rows found")])
    prov = provenance or res.about.get("provenance") or f"commentary file: {path.name}"
    table = coerce_table(
        pd.DataFrame(
            [
                {**r, "fin_year": fin_year, "month": month, "provenance": prov, "source_file": path.name}
                for r in res.records
            ]
        ),
        COMMENTARY_COLUMNS,
    )
    problems = text_problems(
        table,
        {"text": "Commentary", "label": "Label", "section": "Section"},
        limits={"text": 4000, "label": 300, "section": 300},
    )
    if problems:
        raise IngestError(problems)
    orgs = sorted(set(table["org"]))
    files = file_records([path])
    entry = {
        "kind": "commentary",
        "fin_year": fin_year,
        "month": month,
        "orgs": orgs,
        "rows": len(table),
        "warnings": 0,
    }
    summary = CommentaryIngestSummary(fin_year, month, orgs, len(table), prov.split(":", 1)[0], files=files)
    return Prepared([Change("commentary", table, {(fin_year, month, o) for o in orgs})], entry, summary, files)


@dataclass
class CommentaryIngestSummary:
    """What a commentary ingest stored."""

    fin_year: str
    month: int
    orgs: list[str]
    items: int
    provenance: str
    files: list[dict] = field(default_factory=list)
    version: int = 0
    unchanged: bool = False


def add_manual_adjustment(
    data_dir: Path | str, record: pd.DataFrame, *, user: str | None = None, duplicate: bool = False
) -> Version:
    """Commit a PMO's hand-made adjustment (see :func:`qipp_helpers.analysis.adjustments.manual_adjustment`) as a
    new version: the organisation-month's other adjustments are kept.

    Refused (IngestError, nothing written): an organisation that is not a CCG of the registry; a month with no
    return for it; a scheme its return does not hold, unless the record names the scheme (``--scheme-name``:
    a scheme new to the return); an amount larger than the organisation's whole annual plan; and, unless
    ``duplicate``, an adjustment of a scheme and measure an adjustment held already adjusts (it would be
    counted twice). The record gets a short id, ``ADJ-<fy>-M<mm>-<ORG>-MANUAL-<n>``, to remove it by.
    """
    first = record.iloc[0]
    fin_year, month, org = str(first["fin_year"]), int(first["month"]), str(first["org"])
    _command_line(fin_year, month)
    use_organisations(data_dir)
    if org not in organisations().ccgs:
        raise IngestError(
            [
                Problem(
                    "(command line)",
                    f"--org {org}: adjustments are made to a CCG's return ({', '.join(organisations().ccgs)})",
                )
            ]
        )

    def prepare(stored: Stored) -> list[Prepared]:
        held = stored.month("adjustments", fin_year, month)
        held = held[held["org"] == org]
        returns = stored.month("returns", fin_year, month)
        problems = manual_problems(record, returns[returns["org"] == org], held, duplicate=duplicate)
        if problems:
            raise IngestError([Problem("(command line)", p) for p in problems])
        mine = record.assign(adjustment_id=_manual_id(held, fin_year, month, org))
        table = pd.concat([held, mine], ignore_index=True)
        entry = {
            "kind": "adjustment",
            "fin_year": fin_year,
            "month": month,
            "orgs": [org],
            "rows": len(record),
            "warnings": 0,
            "adjustment_id": str(mine.iloc[0]["adjustment_id"]),
            "reason": str(first["evidence"]),
        }
        return [Prepared([Change("adjustments", table, {(fin_year, month, org)})], entry, None, [])]  # type: ignore[arg-type]

    _, version = prepare_and_commit(prepare, data_dir, user=user)
    return version  # its log entry names the adjustment's id


def _manual_id(held: pd.DataFrame, fin_year: str, month: int, org: str) -> str:
    """The next short id of a manual adjustment of the organisation-month: ``ADJ-2019-20-M06-ELR-MANUAL-1``."""
    stem = f"ADJ-{fin_year}-M{int(month):02d}-{org}-MANUAL-"
    used = [int(i.removeprefix(stem)) for i in held["adjustment_id"] if i.startswith(stem) and i[len(stem) :].isdigit()]
    return f"{stem}{max(used, default=0) + 1}"


def manual_problems(record: pd.DataFrame, returns: pd.DataFrame, held: pd.DataFrame, *, duplicate: bool) -> list[str]:
    """What is wrong with a manual adjustment of one organisation-month, given its return and its held adjustments."""
    from ..reference import normalise_scheme_no

    first = record.iloc[0]
    org, period = str(first["org"]), f"{first['fin_year']} M{int(first['month'])}"
    if returns.empty:
        return [f"no return is held for {org} in {period}: ingest it before adjusting it"]
    out = []
    no = normalise_scheme_no(first["scheme_no"]) if first["scheme_no"] else ""
    schemes = {normalise_scheme_no(x) for x in returns["scheme_no"]}
    if no and no not in schemes and not str(first["scheme_name"]).strip():
        out.append(
            f"--scheme {no}: {org}'s {period} return has no such scheme; for a scheme new to the return, "
            "give its name with --scheme-name"
        )
    plan = abs(float(returns["annual_plan"].sum()))
    for measure, amount in zip(record["measure"], record["amount"], strict=True):
        if abs(float(amount)) > plan:
            out.append(
                f"--amount {measure}={amount:g}: larger than {org}'s whole {period} annual plan of {fmt_k(-plan)} "
                "(amounts are in £000)"
            )
    same = held[(held["scheme_no"].map(normalise_scheme_no) == no) & held["measure"].isin(list(record["measure"]))]
    if len(same) and not duplicate:
        ident, basis = same.iloc[0]["adjustment_id"], same.iloc[0]["basis"]
        measures = ", ".join(dict.fromkeys(same["measure"]))
        out.append(
            f"{org} {no or 'unallocated'} already has an adjustment of {measures} ({ident}, {basis}): this one "
            "would count it twice; give --duplicate if it is meant to add to it"
        )
    return out


def remove_adjustment(
    data_dir: Path | str, fin_year: str, month: int, ident: str, *, reason: str, user: str | None = None
) -> tuple[pd.DataFrame, Version]:
    """Take back a manual adjustment by its id, as a new version (the reason is logged); returns its records.

    Derived adjustments are refused: the dashboards derive them again at every ingest (offset one with a
    manual adjustment instead).
    """
    from ..analysis.adjustments import MANUAL

    _command_line(fin_year, month)
    if not reason or not reason.strip():
        raise IngestError([Problem("(command line)", "--remove needs a --reason (kept in the store's log)")])
    use_organisations(data_dir)
    removed: list[pd.DataFrame] = []

    def prepare(stored: Stored) -> list[Prepared]:
        held = stored.month("adjustments", fin_year, month)
        mine = held[held["adjustment_id"] == ident]
        if mine.empty:
            ids = ", ".join(dict.fromkeys(held.loc[held["basis"] == MANUAL, "adjustment_id"])) or "none"
            raise IngestError(
                [
                    Problem(
                        "(command line)", f"--remove {ident}: no such adjustment in {fin_year} M{month} (manual: {ids})"
                    )
                ]
            )
        if set(mine["basis"]) != {MANUAL}:
            raise IngestError(
                [
                    Problem(
                        "(command line)",
                        f"--remove {ident}: not a manual adjustment ({mine.iloc[0]['basis']}): it is made again at "
                        "every ingest of the dashboards; offset it with a manual adjustment instead",
                    )
                ]
            )
        org = str(mine.iloc[0]["org"])
        removed[:] = [mine]
        keep = held[(held["org"] == org) & (held["adjustment_id"] != ident)]
        entry = {"kind": "adjustment removed", "fin_year": fin_year, "month": month, "orgs": [org], "rows": 0}
        entry.update({"warnings": 0, "adjustment_id": ident, "reason": reason.strip()})
        return [Prepared([Change("adjustments", keep, {(fin_year, month, org)})], entry, None, [])]  # type: ignore[arg-type]

    _, version = prepare_and_commit(prepare, data_dir, user=user)
    return removed[0], version
