"""The returns tracker as the PMO reads it (``qipp status``): per organisation, what the month received."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from ..analysis import tracker as tr
from ..analysis.changes import carried as is_carried
from ..core.due import ReturnsDue
from ..core.orgs import organisations
from ..core.periods import period_label, previous_period
from .summary import DataNote
from .tables import Col, TableSpec

#: The tracker as the pack's data-quality note prints it: per organisation and file received.
RETURNS_RECEIVED = TableSpec(
    "returns_received",
    (
        Col("org", "Organisation"),
        Col("state", "Return"),
        Col("file", "File"),
        Col("when", "Received"),
        Col("timeliness", "On time?"),
        Col("version", "Store version", "count"),
        Col("lines", "Lines returned", "count"),
        Col("carried", "Lines carried forward", "count"),
        Col("note", "Note"),
    ),
)


@dataclass
class Tracker:
    """The month's returns tracker and the lines nobody returned."""

    fin_year: str
    month: int
    table: pd.DataFrame  # :data:`qipp_helpers.analysis.tracker.COLUMNS`
    carried: list[str]  # "ELR 2.6 Follow Up Outpatients" per line carried forward
    rule: ReturnsDue = field(default_factory=ReturnsDue)

    @property
    def due(self) -> date:
        """The month's due date."""
        return self.rule.date(self.fin_year, self.month)

    def due_words(self) -> str:
        """'by the end of Thursday 7 November 2019 (working day 5 after month end)'."""
        return f"by the end of {self.due:%A} {self.due.day} {self.due:%B %Y} ({self.rule.words()})"

    @property
    def late(self) -> list[tuple[str, int]]:
        """(organisation, days late) of each organisation whose first file came in after the due day."""
        got = self.table[self.table["file"].astype(bool)].sort_values("version", kind="stable")
        first = got.drop_duplicates("org")
        return [(o, int(n)) for o, n in zip(first["org"], first["days_late"], strict=True) if pd.notna(n) and n > 0]


def month_tracker(
    returns: pd.DataFrame,
    versions: Sequence,
    *,
    fin_year: str,
    month: int,
    rule: ReturnsDue | None = None,
    as_of: date | None = None,
) -> Tracker:
    """The tracker from the stored returns and the store's versions (``number``, ``time``, ``files``, ``entry``).

    Expected: the CCGs that returned last month (every CCG of the registry if none did). Due: ``rule``
    (default working day 5 after month end); a missing return is overdue once ``as_of`` is past the due day.
    """
    rule = rule or ReturnsDue()
    rows = returns[(returns["fin_year"] == fin_year) & (returns["month"] == month)]
    prev_fy, prev_m = previous_period(fin_year, month)
    before = returns[(returns["fin_year"] == prev_fy) & (returns["month"] == prev_m)]
    ccgs = organisations().ccgs
    expected = [o for o in ccgs if o in set(before["org"])] or list(ccgs)
    entries = [
        {
            "version": v.number,
            "when": f"{v.time:%Y-%m-%d %H:%M}",
            "files": [{"name": f.name} for f in v.files],
            "parts": v.entry.get("parts") or [v.entry],
        }
        for v in versions
        if any(p.get("fin_year") == fin_year and p.get("month") == month for p in (v.entry.get("parts") or [v.entry]))
    ]
    table = tr.tracker(rows, tr.received_files(entries), expected, due=rule.date(fin_year, month), as_of=as_of)
    gone = rows[is_carried(rows["provenance"])]
    carried = [f"{o} {n} {s}" for o, n, s in zip(gone["org"], gone["scheme_no"], gone["scheme_name"], strict=True)]
    return Tracker(fin_year, month, table, carried, rule)


def tracker_lines(t: Tracker) -> list[str]:
    """The tracker as lines of text: one block per organisation, then the lines carried forward."""
    out = [f"Returns for {period_label(t.fin_year, t.month)}", f"Due {t.due_words()}"]
    for org, block in t.table.groupby("org", sort=False):
        first = block.iloc[0]
        head = f"{org}: {first['state']}"
        if first["state"] != tr.MISSING:
            head += f" ({first['lines']} lines returned, {first['carried']} carried forward)"
        else:
            overdue = f"; {first['timeliness']}" if str(first["timeliness"]).startswith("overdue") else ""
            head += f" ({first['note']}{overdue})"
        out.append(head)
        for r in block.itertuples(index=False):
            if r.file:
                note = f"  [{r.note}]" if r.note else ""
                out.append(f"    {r.file}  received {r.when}  {r.timeliness}  store version {r.version}{note}")
    if t.carried:
        out.append(f"Lines with no return this month (carried forward from last month): {len(t.carried)}")
        out += [f"    {line}" for line in t.carried]
    return out


def tracker_note(t: Tracker) -> DataNote:
    """The tracker as a data-quality note of the pack's front matter: a sentence and a table per file."""
    missing = t.table.loc[t.table["state"] == tr.MISSING, "org"].tolist()
    text = (
        f"Returns held for {period_label(t.fin_year, t.month)}, per organisation: the files received, when (as "
        "the PMO recorded it at ingest, else when the store took them in) and at which store version; an "
        "organisation expected (it returned last month) with no line returned is missing; one whose return came "
        "in more than one file or more than once is re-submitted (the "
        f"latest file stands, line by line). Returns are due {t.due_words()}: a file received after that day is "
        "late, by so many calendar days."
    )
    if missing:
        text += f" Missing: {', '.join(missing)}."
    if t.late:
        text += " Late: " + ", ".join(f"{o} ({n} day{'s' if n != 1 else ''} late)" for o, n in t.late) + "."
    elif (t.table["timeliness"] == tr.ON_TIME).any():
        text += " Every return received came in on time."
    if (t.table["timeliness"] == tr.NOT_A_RETURN).any():
        text += " Figures transcribed from a published paper are not returns: no due date applies to them."
    if t.carried:
        text += f" Lines with no return, carried forward from last month: {'; '.join(t.carried)}."
    return DataNote("Returns received", [text], RETURNS_RECEIVED, RETURNS_RECEIVED.display(t.table))
