"""The returns tracker: per organisation, which returns a month received (file, when, store version),
which were expected but are missing, and which were re-submitted. Pure functions of DataFrames.

``rows`` are the month's stored scheme lines (every organisation); a line whose provenance says it
was carried forward had no return. ``received`` lists the files the store's versions took in for the
month: version, time, file, and the organisation where the version says whose return a file is (a
returned template); a file that delivered an organisation's lines is that organisation's too.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .changes import carried as is_carried

COLUMNS: tuple[str, ...] = ("org", "state", "file", "when", "version", "lines", "carried", "note")
RECEIVED, RESUBMITTED, MISSING, PARTLY = "received", "re-submitted", "missing", "partly returned"


def tracker(rows: pd.DataFrame, received: pd.DataFrame, expected: Sequence[str]) -> pd.DataFrame:
    """One row per (organisation, file received), or one row for an organisation with nothing received.

    ``state``: received; re-submitted (more than one file, or one file taken in more than once: the
    latest stands line by line); partly returned (some lines carried forward); missing (expected, no
    line returned). ``lines``: lines returned, ``carried``: lines carried forward, per organisation.
    """
    out = []
    for org in [*expected, *sorted(set(rows["org"]) - set(expected))]:
        mine = rows[rows["org"] == org]
        carried = is_carried(mine["provenance"])
        files = _files(org, mine[~carried], received)
        n_lines, n_carried = int((~carried).sum()), int(carried.sum())
        if not n_lines:
            note = f"{n_carried} lines carried forward from last month" if n_carried else "no return held"
            out.append(_row(org, MISSING, None, n_lines, n_carried, note))
            continue
        taken = received[received["file"].isin(files["file"])].drop_duplicates(["version", "file"])
        resubmitted = len(files) > 1 or len(taken) > len(files)
        state = RESUBMITTED if resubmitted else (PARTLY if n_carried else RECEIVED)
        latest = files["version"].max()
        for f in files.itertuples(index=False):
            stood = f.file in set(mine.loc[~carried, "source_file"])
            note = "" if stood else "superseded by a later file"
            if f.version != latest and stood:
                note = "taken in again at a later version" if resubmitted else note
            out.append(_row(org, state, f, n_lines, n_carried, note))
    return pd.DataFrame(out, columns=list(COLUMNS))


def _files(org: str, returned: pd.DataFrame, received: pd.DataFrame) -> pd.DataFrame:
    """The files of ``org``'s return: named as its return by a version, or delivering its lines; each with
    the latest version (and time) that took it in."""
    named = received[(received["org"] == org) | received["file"].isin(set(returned["source_file"]))]
    named = named.sort_values(["version", "file"], kind="stable")
    return named.drop_duplicates("file", keep="last").reset_index(drop=True)


def _row(org: str, state: str, f: object, lines: int, carried: int, note: str) -> dict:
    return {
        "org": org,
        "state": state,
        "file": getattr(f, "file", ""),
        "when": getattr(f, "when", ""),
        "version": getattr(f, "version", None),
        "lines": lines,
        "carried": carried,
        "note": note,
    }


def received_files(entries: Sequence[dict]) -> pd.DataFrame:
    """The files versions took in, from their log entries (``version``, ``when``, ``fin_year``, ``month``,
    ``files``, and for returned templates ``returns``: [{file, org}]): one row per (version, file)."""
    out = []
    for e in entries:
        whose = {r["file"]: r["org"] for part in (e.get("parts") or [e]) for r in part.get("returns", [])}
        for f in e.get("files", []):
            out.append({"version": e["version"], "when": e["when"], "file": f["name"], "org": whose.get(f["name"], "")})
    return pd.DataFrame(out, columns=["version", "when", "file", "org"])
