"""Control totals and adjustments: when scheme rows fall short of a printed control, say where the gap sits.

A CCG dashboard's printed Grand Total, and the combined (LLR) dashboard, are controls. When a
CCG's scheme rows do not add up to them, the rows are kept exactly as received and the gap is
recorded as explicit *adjustment* records, one per measure:

* ``derived from combined dashboard``: the combined sheet shows the scheme the gap belongs
  to. Per scheme (matched by number, or by name where the numbers disagree) the combined rows
  are compared with the sum of the member CCGs' rows in every money column; a scheme whose
  difference is more than rounding is located down to the combined row (each combined row is a
  sub-line summed across CCGs, so the member rows are matched to it) and attributed to the
  member CCG whose own Grand Total is short and which has no row in that line (all such
  findings are attributed jointly, to explain the CCGs' gaps best). Paper D M6: LLR
  4.1 Continuing Healthcare annual plan (2,012) minus ELR + LC rows (1,348) -> WL (664).
* ``unallocated gap to printed total``: what is left of a CCG's Grand Total gap that no scheme
  explains (scheme left blank).
* ``rounding to printed total``: a remainder within rounding (at most ``tolerance``). Printed
  rows are rounded to £1k, so their sum drifts from the printed total by a few £k; the drift is
  spread £1k at a time over the CCG's largest identified workstreams for that measure (rounding
  goes to the largest lines), so that every CCG total, and every system total summed from CCGs,
  ties exactly while no workstream moves by more than £1k.
* ``PMO manual``: entered by hand with a reason (:func:`manual_adjustment`).

:func:`apply_adjustments` adds them to scheme rows as extra rows marked ``is_adjustment`` so
every table of :mod:`~qipp_helpers.analysis.position` and :mod:`~qipp_helpers.analysis.drivers`
ties to the controls; :func:`as_received` drops them again. Pure functions of DataFrames: the
``evidence`` sentence is part of the record (what a committee reads), not report prose.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime

import numpy as np
import pandas as pd

from ..core.money import fmt_k
from ..core.orgs import organisations
from ..core.vocab import ADJUSTMENT_COLUMNS, MONEY_COLUMNS
from ..reference import normalise_scheme_no, workstream_map

DERIVED = "derived from combined dashboard"
UNALLOCATED = "unallocated gap to printed total"
ROUNDING = "rounding to printed total"
MANUAL = "PMO manual"
BASES: tuple[str, ...] = (DERIVED, UNALLOCATED, ROUNDING, MANUAL)

_FLOATS = ("amount", "combined_value", "members_value", "control_printed", "control_computed")
_INTS = ("month", "source_row")

#: How each measure is named in an evidence sentence.
MEASURE_LABELS: dict[str, str] = {
    "plan_ytd": "plan YTD",
    "actual_ytd": "actuals YTD",
    "annual_plan": "annual plan",
    "fot": "forecast out-turn",
    "assured": "PMO assured value",
}

#: A difference (£000) larger than this is more than the rounding of printed figures.
TOLERANCE_K = 5.0
#: Most member-row-to-combined-row assignments tried when locating a gap within a scheme.
MAX_ASSIGNMENTS = 250_000


def empty_adjustments() -> pd.DataFrame:
    """An adjustments table with no records and the stored dtypes."""
    return _empty().copy()


@functools.cache
def _empty() -> pd.DataFrame:
    return coerce_adjustments(pd.DataFrame(columns=list(ADJUSTMENT_COLUMNS)))


def coerce_adjustments(df: pd.DataFrame) -> pd.DataFrame:
    """Give an adjustments table its column order and dtypes (float money, int month/row, str rest)."""
    out = df.reindex(columns=list(ADJUSTMENT_COLUMNS)).copy()
    for c in ADJUSTMENT_COLUMNS:
        if c in _FLOATS:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
        elif c in _INTS:
            out[c] = pd.to_numeric(out[c], errors="coerce").fillna(0).astype("int64")
        else:
            out[c] = out[c].astype(object).where(out[c].notna(), "").astype(str)
    return out.reset_index(drop=True)


# --- matching keys ------------------------------------------------------------------------------

_NUMBER_RE = re.compile(r"^(?:scheme(?:no\.?)?)?0*(\d+)\.(\d+)([a-z]*)\.?$")


def canonical_scheme_no(value: object) -> str:
    """A scheme number as a matching key: '4.1', ' 4.1 ', 4.1, '04.1', 'Scheme 4.1' -> '4.1'; '1.2 A' -> '1.2a'."""
    text = normalise_scheme_no(value)
    m = _NUMBER_RE.match(text)
    return f"{m.group(1)}.{m.group(2)}{m.group(3)}" if m else text


def _name_key(value: object) -> str:
    text = re.sub(r"</?u>", "", "" if value is None else str(value))
    return re.sub(r"\s+", " ", text).strip().lower()


def _keys(members: pd.DataFrame, combined: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Scheme keys for member and combined rows.

    A combined row takes its number when (number, name) is a pair the member rows use; if not,
    the number of the one member scheme with its name (a continuation row that lost its number,
    a number typed differently); failing both, its own number.
    """
    m_keys = members["scheme_no"].map(canonical_scheme_no)
    m_names = members["scheme_name"].map(_name_key)
    pairs = set(zip(m_keys, m_names, strict=True))
    by_name: dict[str, set[str]] = {}
    for k, n in pairs:
        by_name.setdefault(n, set()).add(k)
    out = []
    for no, name in zip(combined["scheme_no"], combined["scheme_name"], strict=True):
        key, nm = canonical_scheme_no(no), _name_key(name)
        if (key, nm) not in pairs and len(by_name.get(nm, ())) == 1:
            key = next(iter(by_name[nm]))
        out.append(key or nm)
    return m_keys, pd.Series(out, index=combined.index, dtype=str)


# --- locating a gap inside a scheme -------------------------------------------------------------


def _assignments(owners: Sequence[str], n_targets: int) -> Iterable[tuple[int, ...]]:
    """Every assignment of rows to targets in which no owner has two rows on one target."""
    groups: dict[str, list[int]] = {}
    for i, o in enumerate(owners):
        groups.setdefault(o, []).append(i)
    per_owner = [list(itertools.permutations(range(n_targets), len(idx))) for idx in groups.values()]
    order = [i for idx in groups.values() for i in idx]
    for combo in itertools.product(*per_owner):
        flat = [t for perm in combo for t in perm]
        out = [0] * len(order)
        for i, t in zip(order, flat, strict=True):
            out[i] = t
        yield tuple(out)


def _count_assignments(owners: Sequence[str], n_targets: int) -> int:
    counts: dict[str, int] = {}
    for o in owners:
        counts[o] = counts.get(o, 0) + 1
    total = 1
    for k in counts.values():
        if k > n_targets:
            return 0
        total *= math.perm(n_targets, k)
    return total


def locate(
    combined: pd.DataFrame, members: pd.DataFrame, *, max_assignments: int = MAX_ASSIGNMENTS
) -> tuple[int, np.ndarray, list[str]] | None:
    """Find the combined row of one scheme that its member rows do not explain.

    Each combined row is a sub-line summed across the member CCGs, so each member row belongs
    to one combined row, and a CCG has at most one row per sub-line. Every such assignment is
    tried (rows that are zero in every column are left out); the best leaves the fewest
    combined rows unexplained (residual beyond rounding), then the fewest RAG disagreements,
    then the smallest residual. Returns (position of the one unexplained combined row, its
    residual per money column, organisations with rows in it), or None when the gap cannot be
    pinned to a single row (too many assignments, or no assignment leaves exactly one).
    """
    cols = list(MONEY_COLUMNS)
    members = members[members[cols].abs().sum(axis=1) > 0]
    target = combined[cols].to_numpy(dtype=float)
    n_t = len(target)
    if n_t == 0:
        return None
    owners = list(members["org"])
    count = _count_assignments(owners, n_t)
    if count == 0 or count > max_assignments:
        return None
    values = members[cols].to_numpy(dtype=float)
    m_rag = list(members["rag"]) if "rag" in members else [""] * len(members)
    c_rag = list(combined["rag"]) if "rag" in combined else [""] * n_t
    best: tuple[tuple[int, int, float], tuple[int, ...], np.ndarray, np.ndarray] | None = None
    for assign in _assignments(owners, n_t):
        sums = np.zeros_like(target)
        counts = np.zeros(n_t)
        mismatches = 0
        for i, t in enumerate(assign):
            sums[t] += values[i]
            counts[t] += 1
            mismatches += bool(m_rag[i] and c_rag[t] and m_rag[i] != c_rag[t])
        resid = target - sums
        tol = 0.5 * (counts + 1) + 0.01  # each printed figure is rounded to £1k
        bad = np.abs(resid).max(axis=1) > tol
        score = (int(bad.sum()), mismatches, float(np.abs(resid[~bad]).sum()))
        if best is None or score < best[0]:
            best = (score, assign, resid, bad)
    assert best is not None  # count > 0: at least one assignment was tried
    score, assign, resid, bad = best
    if score[0] != 1:
        return None
    pos = int(np.flatnonzero(bad)[0])
    present = [o for o, t in zip(owners, assign, strict=True) if t == pos]
    return pos, resid[pos], sorted(set(present))  # in code order: the same text whichever return came in last


# --- deriving adjustments -----------------------------------------------------------------------


def _gaps(rows: pd.DataFrame, printed: pd.DataFrame) -> dict[str, dict[str, tuple[float, float]]]:
    """Organisation -> measure -> (printed, computed) for every organisation with a printed total."""
    out: dict[str, dict[str, tuple[float, float]]] = {}
    where = rows.groupby("org", sort=False).indices if len(rows) else {}
    values = {c: rows[c].to_numpy(dtype=float) for c in MONEY_COLUMNS}
    none = np.array([], dtype=np.intp)
    for rec in printed.to_dict("records"):
        idx = where.get(rec["org"], none)  # rows in order: the same sums as the organisation's own rows give
        out[rec["org"]] = {c: (float(rec[c]), float(values[c][idx].sum())) for c in MONEY_COLUMNS}
    return out


def _first(values: Iterable[object]) -> str:
    for v in values:
        if isinstance(v, str) and v:
            return v
    return ""


def _join(orgs: Sequence[str]) -> str:
    return " + ".join(orgs) if orgs else "no CCG"


def derive_adjustments(
    ccg_rows: pd.DataFrame,
    printed_totals: pd.DataFrame,
    combined_rows: pd.DataFrame | None = None,
    *,
    groups: Mapping[str, Sequence[str]] | None = None,
    tolerance: float = TOLERANCE_K,
    rounding: bool = True,
    max_assignments: int = MAX_ASSIGNMENTS,
) -> pd.DataFrame:
    """Adjustment records that reconcile each CCG's scheme rows with its printed Grand Total.

    ``ccg_rows``: stored returns (any periods). ``printed_totals``: one row per CCG sheet with
    fin_year, month, org, the five money columns as printed on its Grand Total row, and
    (optionally) source_file, source_sheet, source_row. ``combined_rows``: the rows of combined
    sheets (org = the group, e.g. LLR) with scheme_no, scheme_name, rag, the money columns and
    source columns. ``groups`` maps a combined org to its members (default: the organisations
    registry). What no scheme accounts for becomes an ``unallocated`` record when larger than
    ``tolerance``, else (with ``rounding``) a ``rounding`` record, so that each CCG ties to its
    printed Grand Total exactly. A gap is located to one combined row when the member rows can be
    matched to the others in at most ``max_assignments`` ways; otherwise to the whole scheme.
    Returns the table of :data:`ADJUSTMENT_COLUMNS`, empty when everything ties.
    """
    groups = dict(groups) if groups is not None else dict(organisations().groups)
    records: list[dict] = []
    if printed_totals is None or printed_totals.empty:
        return empty_adjustments()
    combined_rows = combined_rows if combined_rows is not None else pd.DataFrame(columns=["fin_year", "month", "org"])
    for (fy, month), printed in printed_totals.groupby(["fin_year", "month"], sort=True):
        rows = ccg_rows[(ccg_rows["fin_year"] == fy) & (ccg_rows["month"] == month)]
        gaps = _gaps(rows, printed)
        left = {o: {c: p - q for c, (p, q) in g.items()} for o, g in gaps.items()}
        combined = combined_rows[(combined_rows["fin_year"] == fy) & (combined_rows["month"] == month)]
        for group, sheet in combined.groupby("org", sort=True):
            members = [m for m in groups.get(group, ()) if m in set(rows["org"])]
            if not members or len(members) < len(groups.get(group, ())):
                continue  # a member's returns are not held: nothing to compare with
            mine = rows[rows["org"].isin(members)].reset_index(drop=True)
            sheet = sheet.reset_index(drop=True)
            records += _from_combined(
                str(fy), int(month), str(group), sheet, mine, gaps, left, tolerance, max_assignments
            )
        for org in sorted(left):
            if all(abs(v) < 0.5 or (abs(v) <= tolerance and not rounding) for v in left[org].values()):
                continue  # ties to its printed total: nothing to record
            src = printed[printed["org"] == org].iloc[0]
            records += _remainders(
                str(fy), int(month), org, src, rows[rows["org"] == org], gaps, left, tolerance, rounding
            )
    out = coerce_adjustments(pd.DataFrame(records)) if records else empty_adjustments()
    return _number(out)


def _spread(rows: pd.DataFrame, col: str, amount: float) -> list[tuple[str, float]]:
    """A rounding remainder split £1k at a time over the largest identified workstreams (largest first).

    Spreading, rather than putting it all on one line, keeps each workstream within the rounding
    of its own rows; Unidentified QIPP is a target, not a sum of rounded rows, so it takes none.
    """
    ident = rows[rows["workstream"] != "Unidentified"] if "workstream" in rows else rows.iloc[0:0]
    sizes = ident.groupby("workstream")[col].sum().abs() if len(ident) else pd.Series(dtype=float)
    order = [str(w) for w, v in sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])) if v > 0]
    if not order:
        return [("", amount)]
    units = max(1, round(abs(amount)))
    step = amount / units
    out: dict[str, float] = {}
    for k in range(units):
        w = order[k % len(order)]
        out[w] = out.get(w, 0.0) + step
    return list(out.items())


def _remainders(
    fy: str,
    month: int,
    org: str,
    src: pd.Series,
    rows: pd.DataFrame,
    gaps: dict[str, dict[str, tuple[float, float]]],
    left: dict[str, dict[str, float]],
    tolerance: float,
    rounding: bool,
) -> list[dict]:
    """Unallocated (beyond ``tolerance``) and rounding (within it) records for what no scheme explains."""
    out = []
    for col in MONEY_COLUMNS:
        amount = left[org][col]
        if abs(amount) < 0.5 or (abs(amount) <= tolerance and not rounding):
            continue
        p, q = gaps[org][col]
        located = p - q - amount
        upto = f"{fmt_k(q)}" + (f" and the gap located by scheme {fmt_k(located)}" if abs(located) >= 0.5 else "")
        rec = {
            "fin_year": fy,
            "month": month,
            "org": org,
            "measure": col,
            "amount": amount,
            "control_printed": p,
            "control_computed": q,
            "provenance": f"derived: {org} dashboard Grand Total row",
            "source_file": str(src.get("source_file", "") or ""),
            "source_sheet": str(src.get("source_sheet", "") or ""),
            "source_row": int(src.get("source_row", 0) or 0),
        }
        if abs(amount) > tolerance:
            rec["basis"] = UNALLOCATED
            rec["evidence"] = (
                f"{org} dashboard Grand Total {MEASURE_LABELS[col]} {fmt_k(p)} minus its scheme rows {upto}: "
                f"{fmt_k(amount)} that no scheme on the dashboards accounts for (unallocated)."
            )
        else:
            shares = _spread(rows, col, amount)
            where = ", ".join(f"{fmt_k(v)} {w}" for w, v in shares)
            for workstream, share in shares:
                out.append(
                    {
                        **rec,
                        "amount": share,
                        "basis": ROUNDING,
                        "scheme_name": "Rounding to printed Grand Total",
                        "workstream": workstream,
                        "evidence": f"{org} dashboard Grand Total {MEASURE_LABELS[col]} {fmt_k(p)} minus its scheme "
                        f"rows {upto}: {fmt_k(amount)}, rounding of the printed £000 figures, spread £1k at a time "
                        f"over {org}'s largest workstreams by {MEASURE_LABELS[col]} ({where}).",
                    }
                )
            continue
        out.append(rec)
    return out


def _from_combined(
    fy: str,
    month: int,
    group: str,
    sheet: pd.DataFrame,
    mine: pd.DataFrame,
    gaps: dict[str, dict[str, tuple[float, float]]],
    left: dict[str, dict[str, float]],
    tolerance: float,
    max_assignments: int = MAX_ASSIGNMENTS,
) -> list[dict]:
    """Derived records for one combined sheet: find each scheme it disagrees on, then attribute them together."""
    cols = list(MONEY_COLUMNS)
    gapped = [o for o in left if o in set(mine["org"]) and max(abs(v) for v in left[o].values()) > tolerance]
    if not gapped:
        return []  # every member ties to its Grand Total: no gap to locate
    m_keys, c_keys = _keys(mine, sheet)
    findings = []
    for key in sorted(set(c_keys) | set(m_keys)):
        c_rows = sheet[c_keys == key]
        m_rows = mine[m_keys == key]
        diff = c_rows[cols].sum().to_numpy(dtype=float) - m_rows[cols].sum().to_numpy(dtype=float)
        if np.abs(diff).max() <= tolerance or not gapped:
            continue
        found = locate(c_rows, m_rows, max_assignments=max_assignments) if len(c_rows) else None
        if found is not None:
            pos, amounts, present = found
            line = c_rows.iloc[pos]
            c_vals = line[cols].to_numpy(dtype=float)
            candidates = [o for o in gapped if o not in present] or gapped
        else:
            line, amounts, present = None, diff, sorted(set(m_rows["org"]))
            c_vals = c_rows[cols].sum().to_numpy(dtype=float) if len(c_rows) else np.zeros(len(cols))
            candidates = gapped
        findings.append(
            {
                "key": key,
                "c_rows": c_rows,
                "m_rows": m_rows,
                "line": line,
                "amounts": amounts,
                "present": present,
                "c_vals": c_vals,
                "candidates": [o for o in candidates if _fits(amounts, left[o], tolerance)],
            }
        )
    records: list[dict] = []
    for f, org in zip(findings, _attribute(findings, left, tolerance), strict=True):
        if org is None:
            continue  # the combined sheet differs but no CCG's control is short by it: not an adjustment
        records += _derived_records(fy, month, group, f, org, gaps, left)
    return records


def _fits(amounts: np.ndarray, gap: dict[str, float], tolerance: float) -> bool:
    """Whether a CCG's remaining Grand Total gap can hold ``amounts``: same sign and not larger, measure by measure."""
    for j, col in enumerate(MONEY_COLUMNS):
        a, g = float(amounts[j]), gap[col]
        if abs(a) <= tolerance:
            continue
        if a * g < 0 or abs(a) > abs(g) + tolerance:
            return False
    return True


#: Most joint attributions tried; beyond it, findings are attributed one by one.
MAX_ATTRIBUTIONS = 200_000


def _attribute(findings: list[dict], left: dict[str, dict[str, float]], tolerance: float) -> list[str | None]:
    """For each finding, the CCG it belongs to (or None), chosen jointly.

    Every combination of candidates (or none) is scored by what it leaves of the CCGs' Grand
    Total gaps (sum over CCGs and measures of the absolute remainder): the combination that
    explains the controls best wins, so a difference only on the combined sheet stays
    unattributed and cannot take another scheme's place.
    """
    options = [[*f["candidates"], None] for f in findings]
    if not findings:
        return []
    orgs = list(left)

    def score(choice: Sequence[str | None]) -> float:
        rest = {o: np.array([left[o][c] for c in MONEY_COLUMNS]) for o in orgs}
        for f, org in zip(findings, choice, strict=True):
            if org is not None:
                rest[org] = rest[org] - f["amounts"]
        return float(sum(np.abs(v).sum() for v in rest.values()))

    if math.prod(len(o) for o in options) <= MAX_ATTRIBUTIONS:
        best = min(itertools.product(*options), key=lambda c: (round(score(c), 6), sum(x is None for x in c)))
        return list(best)
    out: list[str | None] = []
    for i in range(len(findings)):  # too many to try jointly: one at a time, best first
        trial = [*out, *[None] * (len(findings) - i)]
        scores = [score([*trial[:i], o, *trial[i + 1 :]]) for o in options[i]]
        choice = options[i][scores.index(min(scores))]
        out.append(choice)
    return out


def _derived_records(
    fy: str,
    month: int,
    group: str,
    f: dict,
    org: str,
    gaps: dict[str, dict[str, tuple[float, float]]],
    left: dict[str, dict[str, float]],
) -> list[dict]:
    cols = list(MONEY_COLUMNS)
    key, c_rows, m_rows, line = f["key"], f["c_rows"], f["m_rows"], f["line"]
    amounts, present, c_vals = f["amounts"], f["present"], f["c_vals"]
    m_vals = c_vals - amounts
    name = _first(m_rows.loc[m_rows["org"] == org, "scheme_name"]) or _first(m_rows["scheme_name"])
    name = name or _first([line["scheme_name"]] if line is not None else c_rows["scheme_name"])
    has_ws = "workstream" in m_rows
    workstream = _first(m_rows.loc[m_rows["org"] == org, "workstream"]) if has_ws else ""
    workstream = workstream or (_first(m_rows["workstream"]) if has_ws else "")
    workstream = workstream or workstream_map().get(normalise_scheme_no(key), "")
    rags = set(c_rows["rag"]) if "rag" in c_rows else set()
    rag = str(line["rag"]) if line is not None else (next(iter(rags)) if len(rags) == 1 else "")
    src = line if line is not None else (c_rows.iloc[0] if len(c_rows) else pd.Series(dtype=object))
    printed_no = str(src.get("scheme_no", "") or "") or key
    label = f"{group} dashboard {printed_no} {name}" + ("" if line is not None else " (all its rows)")
    records = []
    for j, col in enumerate(cols):
        amount = float(amounts[j])
        if abs(amount) < 0.5:
            continue
        p, q = gaps[org][col]
        records.append(
            {
                "fin_year": fy,
                "month": month,
                "org": org,
                "measure": col,
                "amount": amount,
                "scheme_no": normalise_scheme_no(key),
                "scheme_name": name,
                "workstream": workstream,
                "rag": rag,
                "basis": DERIVED,
                "evidence": f"{label} {MEASURE_LABELS[col]} {fmt_k(c_vals[j])} minus {_join(present)} rows "
                f"{fmt_k(m_vals[j])} → {org} {fmt_k(amount)}. {org} dashboard Grand Total "
                f"{MEASURE_LABELS[col]} {fmt_k(p)}; its scheme rows sum to {fmt_k(q)}.",
                "combined_org": group,
                "combined_value": float(c_vals[j]),
                "members_value": float(m_vals[j]),
                "members": " + ".join(present),
                "control_printed": p,
                "control_computed": q,
                "provenance": f"derived: {group} combined dashboard against {org}'s Grand Total",
                "source_file": str(src.get("source_file", "") or ""),
                "source_sheet": str(src.get("source_sheet", "") or ""),
                "source_row": int(src.get("source_row", 0) or 0),
            }
        )
        left[org][col] -= amount
    return records


def _number(df: pd.DataFrame) -> pd.DataFrame:
    """Give each adjustment line (period, org, scheme, basis) an id shared by its measures."""
    if df.empty:
        return df
    order = {m: i for i, m in enumerate(MONEY_COLUMNS)}
    df = df.assign(_m=df["measure"].map(order)).sort_values(
        ["fin_year", "month", "org", "basis", "scheme_no", "workstream", "_m"], kind="stable"
    )
    ids = []
    for fy, month, org, basis, no, ws in zip(
        df["fin_year"], df["month"], df["org"], df["basis"], df["scheme_no"], df["workstream"], strict=True
    ):
        if basis == ROUNDING:
            tag = "ROUNDING-" + re.sub(r"[^A-Za-z0-9]+", "", ws)
        else:
            tag = "UNALLOCATED" if basis == UNALLOCATED else (no or "MANUAL")
        ids.append(f"ADJ-{fy}-M{int(month):02d}-{org}-{tag}")
    df["adjustment_id"] = ids
    return df.drop(columns="_m").reset_index(drop=True)


# --- manual adjustments, carrying, applying -----------------------------------------------------


#: The largest manual adjustment accepted, in £000 (£1bn): far beyond any scheme, so a typo in units is caught.
MAX_ADJUSTMENT_K = 1_000_000.0


def manual_adjustment(
    *,
    fin_year: str,
    month: int,
    org: str,
    amounts: Mapping[str, float],
    reason: str,
    entered_by: str,
    scheme_no: str = "",
    scheme_name: str = "",
    workstream: str = "",
    rag: str = "",
    entered_at: str | None = None,
    adjustment_id: str | None = None,
) -> pd.DataFrame:
    """A PMO's hand-made adjustment: one record per measure in ``amounts``, with the reason as evidence.

    Raises ValueError for an unknown measure, a non-finite amount, or a blank reason or author.
    """
    if not reason or not reason.strip():
        raise ValueError("a manual adjustment needs a reason")
    if not entered_by or not entered_by.strip():
        raise ValueError("a manual adjustment needs the name of who entered it")
    unknown = sorted(set(amounts) - set(MONEY_COLUMNS))
    if unknown:
        raise ValueError(f"unknown measure(s) {', '.join(unknown)}: expected {', '.join(MONEY_COLUMNS)}")
    bad = [m for m, v in amounts.items() if not math.isfinite(float(v))]
    if bad:
        raise ValueError(f"amount for {', '.join(bad)} is not a finite number")
    huge = [m for m, v in amounts.items() if abs(float(v)) > MAX_ADJUSTMENT_K]
    if huge:
        raise ValueError(
            f"amount for {', '.join(huge)} is beyond ±{MAX_ADJUSTMENT_K:,.0f} £000 (£1bn): amounts are in £000, "
            "so -664 means £664k"
        )
    when = entered_at or datetime.now(UTC).isoformat(timespec="seconds")
    no = normalise_scheme_no(scheme_no) if scheme_no else ""
    ident = adjustment_id or f"ADJ-{fin_year}-M{int(month):02d}-{org}-MANUAL-{when}"
    recs = [
        {
            "adjustment_id": ident,
            "fin_year": fin_year,
            "month": int(month),
            "org": org,
            "measure": m,
            "amount": float(amounts[m]),
            "scheme_no": no,
            "scheme_name": scheme_name,
            "workstream": workstream or (workstream_map().get(no, "") if no else ""),
            "rag": rag,
            "basis": MANUAL,
            "evidence": reason.strip(),
            "provenance": f"PMO manual: entered by {entered_by.strip()} {when}",
            "entered_by": entered_by.strip(),
            "entered_at": when,
        }
        for m in MONEY_COLUMNS
        if m in amounts
    ]
    return coerce_adjustments(pd.DataFrame(recs))


def carry_adjustments(
    adjustments: pd.DataFrame,
    fin_year: str,
    month: int,
    *,
    measures: Sequence[str] = ("annual_plan", "fot", "assured"),
    bases: Sequence[str] = (DERIVED, UNALLOCATED, MANUAL),
) -> pd.DataFrame:
    """The adjustments of a later month restated for an earlier one, for like-for-like movement.

    Use only where the earlier month's rows come from the same incomplete return (the synthetic
    demo months M1-M5 are generated from the published M6 rows, so they lack the same WL CHC
    row): then this month's FOT minus last month's compares like with like. Only ``measures``
    that are not cumulative are carried by default (a YTD figure of one month is not another's),
    and not rounding, which belongs to the month's own printed totals.
    """
    if adjustments.empty:
        return empty_adjustments()
    out = adjustments[adjustments["measure"].isin(list(measures)) & adjustments["basis"].isin(list(bases))].copy()
    labels = [f"{fy} M{int(m)}" for fy, m in zip(out["fin_year"], out["month"], strict=True)]
    out["carried_from"] = labels
    out["evidence"] = [
        f"{e} Carried from {lab} to {fin_year} M{month}: that month's rows come from the same incomplete return."
        for e, lab in zip(out["evidence"], labels, strict=True)
    ]
    out["adjustment_id"] = [f"{i}-CARRIED-M{month:02d}" for i in out["adjustment_id"]]
    out["fin_year"] = fin_year
    out["month"] = int(month)
    return coerce_adjustments(out)


def apply_adjustments(rows: pd.DataFrame, adjustments: pd.DataFrame) -> pd.DataFrame:
    """Scheme rows plus one extra row per adjustment line (``is_adjustment`` True), for every period held.

    Received rows are returned unchanged (``is_adjustment`` False, ``adjustment_id`` ""). An
    adjustment row carries its measures' amounts (other measures 0), the scheme, workstream
    and RAG it is attributed to, the adjustment's provenance and source, and ``row`` -1.
    """
    base = rows.copy()
    base["is_adjustment"] = False
    base["adjustment_id"] = ""
    if adjustments is None or adjustments.empty:
        return base
    period = set(zip(rows["fin_year"], rows["month"], strict=True)) if len(rows) else set()
    adds = []
    for ident, recs in adjustments.groupby("adjustment_id", sort=True):
        first = recs.iloc[0]
        if period and (first["fin_year"], int(first["month"])) not in period:
            continue
        row: dict[str, object] = {
            c: "" for c in base.columns if base[c].dtype == object or pd.api.types.is_string_dtype(base[c])
        }
        row.update(
            {
                "fin_year": first["fin_year"],
                "month": int(first["month"]),
                "org": first["org"],
                "row": -1,
                "scheme_no": first["scheme_no"],
                "scheme_name": first["scheme_name"] or "Adjustment (unallocated)",
                "workstream": first["workstream"],
                "rag": first["rag"],
                "provenance": f"adjustment ({first['basis']}): {first['provenance']}",
                "source_file": first["source_file"],
                "source_sheet": first["source_sheet"],
                "source_row": int(first["source_row"]),
                "is_adjustment": True,
                "adjustment_id": ident,
            }
        )
        for col in MONEY_COLUMNS:
            row[col] = float(recs.loc[recs["measure"] == col, "amount"].sum())
        adds.append(row)
    if not adds:
        return base
    extra = pd.DataFrame(adds).reindex(columns=base.columns)
    for col in base.columns:
        if col in MONEY_COLUMNS:
            extra[col] = extra[col].astype(float)
        elif col in ("month", "row", "source_row"):
            extra[col] = extra[col].astype("int64")
        elif col == "is_adjustment":
            extra[col] = extra[col].astype(bool)
        elif col not in ("fin_year",) and pd.api.types.is_string_dtype(base[col]):
            extra[col] = extra[col].fillna("").astype(str)
    return pd.concat([base, extra], ignore_index=True)


def as_received(rows: pd.DataFrame) -> pd.DataFrame:
    """Only the rows as received (adjustment rows dropped): the switch back from :func:`apply_adjustments`."""
    if "is_adjustment" not in rows:
        return rows
    return rows[~rows["is_adjustment"].astype(bool)].drop(columns=["is_adjustment", "adjustment_id"])


def control_totals(rows: pd.DataFrame, printed_totals: pd.DataFrame, adjustments: pd.DataFrame) -> pd.DataFrame:
    """Per period, organisation and measure: printed control, rows as received, adjustments, adjusted, difference.

    ``difference`` = printed − (as received + adjustments): within rounding once the adjustments
    are complete. For the data-quality section and the tests.
    """
    out = []
    for rec in printed_totals.to_dict("records"):
        fy, month, org = rec["fin_year"], int(rec["month"]), rec["org"]
        mine = rows[(rows["fin_year"] == fy) & (rows["month"] == month) & (rows["org"] == org)]
        if "is_adjustment" in mine:
            mine = mine[~mine["is_adjustment"].astype(bool)]
        adj = adjustments[
            (adjustments["fin_year"] == fy) & (adjustments["month"] == month) & (adjustments["org"] == org)
        ]
        for col in MONEY_COLUMNS:
            received = float(mine[col].sum())
            added = float(adj.loc[adj["measure"] == col, "amount"].sum())
            out.append(
                {
                    "fin_year": fy,
                    "month": month,
                    "org": org,
                    "measure": col,
                    "printed": float(rec[col]),
                    "as_received": received,
                    "adjustments": added,
                    "adjusted": received + added,
                    "difference": float(rec[col]) - received - added,
                }
            )
    return pd.DataFrame(
        out,
        columns=[
            "fin_year",
            "month",
            "org",
            "measure",
            "printed",
            "as_received",
            "adjustments",
            "adjusted",
            "difference",
        ],
    )
