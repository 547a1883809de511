"""Commentary beside the lines of a report: which comments a report shows, and beside which line.

Commentary is data (:func:`qipp_helpers.store.db.load_commentary`): per organisation, month and
scheme group, of a kind (``movement`` and ``driver``: the narrative a paper prints under its
Tables 3 and 4; ``qag``: QAG's actions; ``sro``: the SRO's own words from a returned template;
``scheme`` and ``note``: a PMO commentary sheet). A report shows the comments of its own
organisation, of its members (a system report shows what each CCG's SROs wrote) and of the
groups it belongs to (a CCG report shows the system's narrative about the system-wide schemes it
shares, marked as the system's). Each comment sits beside the line of its scheme group
(the scheme number without its stretch letter). Text is kept as received: the caller shows it
as plain text.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..core.orgs import organisations
from ..reference import scheme_group
from .tables import Col, TableSpec, text

#: How each kind of comment is introduced (where it comes from).
KIND_LABELS: dict[str, str] = {
    "driver": "under-delivery narrative",
    "movement": "movement in month narrative",
    "qag": "QAG action",
    "sro": "SRO return",
    "scheme": "PMO commentary",
    "note": "PMO note",
}
#: The kinds shown beside each table's lines, in the order they are shown.
DRIVER_KINDS: tuple[str, ...] = ("driver", "movement", "sro", "scheme", "qag", "note")
MOVEMENT_KINDS: tuple[str, ...] = ("movement", "sro", "scheme", "note")
SCHEME_KINDS: tuple[str, ...] = ("scheme", "sro", "driver", "movement", "qag", "note")
#: Scheme groups that are not schemes: no SRO is asked to comment on them.
NOT_SCHEMES: frozenset[str] = frozenset({"UNIDENTIFIED"})

COLUMNS: tuple[str, ...] = (
    "org",
    "scheme_group",
    "kind",
    "section",
    "order",
    "label",
    "text",
    "provenance",
    "source_file",
    "source_sheet",
    "source_row",
    "own",
)
BESIDE_COLUMNS: tuple[str, ...] = (
    "item",
    "section",
    "group",
    "value",
    "org",
    "kind",
    "label",
    "text",
    "provenance",
)


def empty() -> pd.DataFrame:
    """A commentary selection with no comments."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in COLUMNS})


def related_orgs(org: str) -> list[str]:
    """The organisations whose comments a report of ``org`` shows: itself, its members, its groups."""
    reg = organisations()
    out = [org]
    out += [m for m in reg.groups.get(org, ()) if m not in out]
    out += [g for g, members in reg.groups.items() if org in members and g not in out]
    return out


def for_report(commentary: pd.DataFrame | None, *, fin_year: str, month: int, org: str) -> pd.DataFrame:
    """This month's comments a report of ``org`` shows, with their scheme group, in the order to show them.

    ``own`` is True for the organisation's own comments (False: a member's or the system's).
    """
    if commentary is None or commentary.empty:
        return empty()
    orgs = related_orgs(org)
    mine = commentary[
        (commentary["fin_year"] == fin_year) & (commentary["month"] == month) & commentary["org"].isin(orgs)
    ].copy()
    if mine.empty:
        return empty()
    mine["scheme_group"] = mine["scheme_no"].map(lambda s: scheme_group(s) if str(s).strip() else "")
    mine["own"] = mine["org"] == org
    mine["_rank"] = mine["org"].map({o: i for i, o in enumerate(orgs)})
    mine = mine.sort_values(["_rank", "order"], kind="stable")
    return mine.reindex(columns=list(COLUMNS)).reset_index(drop=True)


def beside(
    lines: pd.DataFrame,
    comments: pd.DataFrame,
    kinds: Sequence[str],
    *,
    value: str | None = None,
    group_column: str = "group",
    item_column: str = "item",
) -> pd.DataFrame:
    """One row per (line, comment) for the named lines of a table, in the table's order.

    ``lines``: the table (Table 4 drivers, Table 3 movement, red schemes) with a scheme group
    column and an item label; lines with no group (Other, Total) are left out. Comments of
    ``kinds`` on the line's group follow it, kind by kind in the order of ``kinds`` (a comment
    made once about several groups after the group's own, as it refers to them); a line with
    none gets one row with empty ``kind`` and ``text``. ``value`` names the column whose figure
    goes in ``value`` (the report organisation's).
    """
    out = []
    pick = comments[comments["kind"].isin(list(kinds))] if len(comments) else comments
    order = {k: i for i, k in enumerate(kinds)}
    if len(pick):  # a comment printed once about several groups follows each group's own comments
        groups = pick.groupby(["org", "kind", "label", "text"])["scheme_group"].transform("nunique")
        pick = pick.assign(_shared=(groups > 1).astype(int))
    for _, line in lines.iterrows():
        group = str(line.get(group_column, "") or "")
        if not group:
            continue
        base = {
            "item": line[item_column],
            "section": line.get("section", ""),
            "group": group,
            "value": float(line[value]) if value is not None else float("nan"),
        }
        found = pick[pick["scheme_group"] == group] if len(pick) else pick
        if len(found):
            found = found.assign(_k=found["kind"].map(order)).sort_values(["_shared", "_k"], kind="stable")
            seen: set[tuple[str, str, str]] = set()
            for c in found.itertuples(index=False):
                key = (c.org, c.label, c.text)
                if key in seen:  # one printed item about several groups is stored once per group
                    continue
                seen.add(key)
                out.append(
                    {
                        **base,
                        "org": c.org,
                        "kind": c.kind,
                        "label": c.label,
                        "text": c.text,
                        "provenance": c.provenance,
                    }
                )
        else:
            out.append({**base, "org": "", "kind": "", "label": "", "text": "", "provenance": ""})
    return pd.DataFrame(out, columns=list(BESIDE_COLUMNS))


def uncommented(table: pd.DataFrame, *, sections: Sequence[str] | None = None) -> pd.DataFrame:
    """The lines of a :func:`beside` table that no comment explains (scheme groups only, not Unidentified QIPP).

    ``sections`` narrows to lines of those sections (e.g. ``driver`` and ``offset``).
    """
    if table.empty:
        return table
    keep = table[(table["kind"] == "") & ~table["group"].isin(NOT_SCHEMES)]
    if sections is not None:
        keep = keep[keep["section"].isin(list(sections))]
    return keep[["item", "section", "group", "value"]].reset_index(drop=True)


def sheet_spec(name: str, item: Col, value: Col, *, title: str) -> TableSpec:
    """The declaration of a :func:`for_sheet` table's workbook sheet: the line (``item``), its section and scheme
    group, its ``value``, then the comment with its source, label and provenance."""
    return TableSpec(
        name,
        (
            item,
            text("section", "Section"),
            text("group", "Group"),
            value,
            text("source", "Source"),
            text("label", "Label"),
            text("commentary", "Commentary"),
            text("provenance", "Provenance"),
        ),
        title=title,
    )


def for_sheet(table: pd.DataFrame, report_org: str) -> pd.DataFrame:
    """A :func:`beside` table as the xlsx shows it: a line without comments says 'no commentary received'."""
    out = table.copy()
    out["source"] = [
        "" if not k else (KIND_LABELS.get(k, k) + ("" if o == report_org else f" ({o})"))
        for k, o in zip(out["kind"], out["org"], strict=True)
    ]
    out["text"] = [
        t if k else ("no commentary expected: not a scheme" if g in NOT_SCHEMES else "no commentary received")
        for t, k, g in zip(out["text"], out["kind"], out["group"], strict=True)
    ]
    return out[["item", "section", "group", "value", "source", "label", "text", "provenance"]].rename(
        columns={"value": report_org, "text": "commentary"}
    )
