"""One provenance label per month per organisation, worded once for every view.

A stored line's ``provenance`` starts with its kind: ``synthetic: ...`` (demonstration data made by a
seeded script), ``published: ...`` (transcribed from a published paper); anything else is a real SRO
return. A month of an organisation (a system: its member CCGs) has ONE kind: synthetic if any of its
lines is (synthetic data is never shown as real), else returned if any line is a return, else published.
:func:`month_label` is how the summary, every footnote, every chart legend and the explorer name it, and
:func:`months_label` is how they name a set of months ('M1–M5').
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import pandas as pd

from ..core.orgs import members
from ..core.periods import consecutive_runs

SYNTHETIC, PUBLISHED, RETURNED = "synthetic", "published", "returned"
#: The words for each kind: the one wording every view uses.
LABELS: dict[str, str] = {
    SYNTHETIC: "synthetic demonstration data, not returns",
    PUBLISHED: "published",
    RETURNED: "SRO returns",
}


def kind(provenance: object) -> str:
    """The kind of one line's provenance: 'synthetic', 'published' or 'returned'."""
    head = str(provenance).split(":", 1)[0].strip().lower()
    return head if head in (SYNTHETIC, PUBLISHED) else RETURNED


def kind_of(provenances: Iterable[object]) -> str | None:
    """The one kind of a month's lines: synthetic if any is, else returned if any is, else published; None if
    there are no lines."""
    kinds = {kind(p) for p in provenances}
    for k in (SYNTHETIC, RETURNED, PUBLISHED):
        if k in kinds:
            return k
    return None


def label(k: str | None) -> str:
    """The words for a kind ('' for None: no data held)."""
    return LABELS.get(k, "") if k else ""


def rows_kind(rows: pd.DataFrame) -> str | None:
    """The one kind of stored rows, control-total adjustment lines left out (they say "adjustment", not where
    a month is from); None if no other line is held."""
    if "is_adjustment" in rows:
        rows = rows[~rows["is_adjustment"].astype(bool)]
    return kind_of(rows["provenance"])


def month_kind(returns: pd.DataFrame, fin_year: str, month: int, org: str) -> str | None:
    """The kind of ``org``'s figures for a month (a system's: its member CCGs'), None if none is held."""
    rows = returns[(returns["fin_year"] == fin_year) & (returns["month"] == month) & returns["org"].isin(members(org))]
    return rows_kind(rows)


def month_label(returns: pd.DataFrame, fin_year: str, month: int, org: str) -> str:
    """THE label of ``org``'s figures for a month: 'synthetic demonstration data, not returns', 'published'
    or 'SRO returns' ('' if none is held)."""
    return label(month_kind(returns, fin_year, month, org))


def months_label(months: Sequence[int]) -> str:
    """How every view names a set of months: runs of three or more as a range, others one by one:
    [1, 2, 3, 4] -> 'M1–M4'; [1, 3] -> 'M1, M3'; [5, 6] -> 'M5, M6'; [1, 2, 3, 4, 5, 7] -> 'M1–M5, M7'."""
    out: list[str] = []
    for a, b in consecutive_runs(int(m) for m in months):
        out += [f"M{a}–M{b}"] if b - a >= 2 else [f"M{m}" for m in range(a, b + 1)]
    return ", ".join(out)


def months_with(months: Sequence[int], k: str) -> str:
    """'M1–M5: synthetic demonstration data, not returns': a set of months and their one label."""
    return f"{months_label(months)}: {label(k)}"
