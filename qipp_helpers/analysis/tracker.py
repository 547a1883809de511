"""The returns tracker: per organisation, which returns a month received (file, when, store version),
which were expected but are missing, and which were re-submitted. Pure functions of DataFrames.

``rows`` are the month's stored scheme lines (every organisation); a line whose provenance says it
was carried forward had no return. ``received`` lists the files the store's versions took in for the
month: version, time, file, and the organisation where the version says whose return a file is (a
returned template); a file that delivered an organisation's lines is that organisation's too. A file's
time is when the PMO received it where the version says so (``qipp ingest --received``, a month folder's
RECEIVED.txt), else when the store took it in.

Given the month's due date (:class:`qipp_helpers.core.due.ReturnsDue`), each file received is on time
(received on or before the due day) or late by so many calendar days, and a missing return is overdue
once the due day has passed (``as_of``). Figures transcribed from a published paper are not returns:
no due date applies to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

import pandas as pd

from .changes import carried as is_carried
from .provenance import PUBLISHED, kind

COLUMNS: tuple[str, ...] = (
    "org",
    "state",
    "file",
    "when",
    "version",
    "lines",
    "carried",
    "note",
    "timeliness",
    "days_late",
)
RECEIVED, RESUBMITTED, MISSING, PARTLY = "received", "re-submitted", "missing", "partly returned"
ON_TIME, NOT_YET_DUE, NOT_A_RETURN = "on time", "not yet due", "published, not a return"


def _day(when: str | date | datetime) -> date:
    if isinstance(when, datetime):
        return when.date()
    if isinstance(when, date):
        return when
    return datetime.fromisoformat(str(when).strip()).date()


def timeliness(when: str | date | datetime | None, due: date, as_of: date | None = None) -> tuple[str, int | None]:
    """On time or late: ``when`` a return was received (None: not received), against its due date.

    Received on or before the due day (any time that day): ('on time', 0); after it: ('late by N days', N),
    N calendar days after the due day. Not received: ('overdue by N days', N) once ``as_of`` is past the
    due day, else ('not yet due', None).
    """
    if when is None or (isinstance(when, str) and not when.strip()):
        if as_of is None or as_of <= due:
            return NOT_YET_DUE, None
        n = (as_of - due).days
        return f"overdue by {n} day{'s' if n != 1 else ''}", n
    n = (_day(when) - due).days
    if n <= 0:
        return ON_TIME, 0
    return f"late by {n} day{'s' if n != 1 else ''}", n


def tracker(
    rows: pd.DataFrame,
    received: pd.DataFrame,
    expected: Sequence[str],
    *,
    due: date | None = None,
    as_of: date | None = None,
) -> pd.DataFrame:
    """One row per (organisation, file received), or one row for an organisation with nothing received.

    ``state``: received; re-submitted (more than one file, or one file taken in more than once: the
    latest stands line by line); partly returned (some lines carried forward); missing (expected, no
    line returned). ``lines``: lines returned, ``carried``: lines carried forward, per organisation.
    ``timeliness``/``days_late`` (:func:`timeliness`, per file; empty without a ``due`` date).
    """
    out = []
    for org in [*expected, *sorted(set(rows["org"]) - set(expected))]:
        mine = rows[rows["org"] == org]
        carried = is_carried(mine["provenance"])
        files = _files(org, mine[~carried], received)
        n_lines, n_carried = int((~carried).sum()), int(carried.sum())
        if not n_lines:
            note = f"{n_carried} lines carried forward from last month" if n_carried else "no return held"
            out.append(_row(org, MISSING, None, n_lines, n_carried, note, _timely(None, due, as_of)))
            continue
        published = mine.loc[~carried, "provenance"].map(kind).eq(PUBLISHED).all()
        taken = received[received["file"].isin(files["file"])].drop_duplicates(["version", "file"])
        resubmitted = len(files) > 1 or len(taken) > len(files)
        state = RESUBMITTED if resubmitted else (PARTLY if n_carried else RECEIVED)
        latest = files["version"].max()
        for f in files.itertuples(index=False):
            stood = f.file in set(mine.loc[~carried, "source_file"])
            note = "" if stood else "superseded by a later file"
            if f.version != latest and stood:
                note = "taken in again at a later version" if resubmitted else note
            timely = (NOT_A_RETURN, None) if published and due is not None else _timely(f.when, due, as_of)
            out.append(_row(org, state, f, n_lines, n_carried, note, timely))
    return pd.DataFrame(out, columns=list(COLUMNS))


def _files(org: str, returned: pd.DataFrame, received: pd.DataFrame) -> pd.DataFrame:
    """The files of ``org``'s return: named as its return by a version, or delivering its lines; each with
    the latest version (and time) that took it in."""
    named = received[(received["org"] == org) | received["file"].isin(set(returned["source_file"]))]
    named = named.sort_values(["version", "file"], kind="stable")
    return named.drop_duplicates("file", keep="last").reset_index(drop=True)


def _timely(when: str | None, due: date | None, as_of: date | None) -> tuple[str, int | None]:
    return ("", None) if due is None else timeliness(when, due, as_of)


def _row(org: str, state: str, f: object, lines: int, carried: int, note: str, timely: tuple) -> dict:
    return {
        "org": org,
        "state": state,
        "file": getattr(f, "file", ""),
        "when": getattr(f, "when", ""),
        "version": getattr(f, "version", None),
        "lines": lines,
        "carried": carried,
        "note": note,
        "timeliness": timely[0],
        "days_late": timely[1],
    }


def received_files(entries: Sequence[dict]) -> pd.DataFrame:
    """The files versions took in, from their log entries (``version``, ``when``, ``fin_year``, ``month``,
    ``files``, and for returned templates ``returns``: [{file, org, received if stated}]): one row per
    (version, file); ``when`` is when the file was received if the entry says, else the version's time."""
    out = []
    for e in entries:
        said = [r for part in (e.get("parts") or [e]) for r in part.get("returns", [])]
        whose = {r["file"]: r["org"] for r in said}
        stated = {r["file"]: str(r["received"]) for r in said if r.get("received")}
        for f in e.get("files", []):
            when = stated.get(f["name"], e["when"])
            out.append({"version": e["version"], "when": when, "file": f["name"], "org": whose.get(f["name"], "")})
    return pd.DataFrame(out, columns=["version", "when", "file", "org"])
