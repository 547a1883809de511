"""Hand tables and report metadata from an executed notebook to the batch runner.

A notebook calls :func:`publish`; it displays one output of a private MIME type that HTML
and PDF renderers ignore and the runner reads back with :func:`published_book` (or the older
:func:`published`) to write the ``.xlsx`` and the page banner. Nothing here knows about finance.

A table travels with its layout: each column's display header and kind (text, count, £000,
£m, £, %, number), which rows are data and which are totals (and which data rows each total
adds up), a title for the notes sheet. The report layer says all of that; the workbook writer
(:mod:`qipp_helpers.pack.xlsx`) only lays it out. The payload keeps the plain frames it always
had (data rows then total rows, snake_case columns), so a reader that knows nothing of layouts
still reads it, and a payload without layouts (an older executed notebook) is still written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from IPython.display import display

MIME = "application/vnd.qipp.report+json"

#: Column kinds: how a column's cells are shown. Money kinds and counts add up in a total row.
KINDS = ("text", "count", "gbp000", "gbpm", "gbp", "pct", "number")
ADDITIVE = frozenset({"count", "gbp000", "gbpm", "gbp"})
#: What a total row holds in a column: the SUM of the data rows, the value given, or nothing.
TOTAL_RULES = ("sum", "value", "blank")
TOTAL_LABELS = ("Total", "Grand Total")
_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Column:
    """One column of a published table: frame ``key``, display ``header``, ``kind``.

    ``total`` is what a total row shows in it: ``sum`` (money and counts, by default), ``value``
    (the cell given with the total, e.g. a percentage of the totals, or a figure as printed) or
    ``blank``. ``decimals`` overrides the kind's usual places (a £m difference to 2 places).
    """

    key: str
    header: str
    kind: str = "text"
    total: str | None = None
    decimals: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key!r}: kind must be one of {', '.join(KINDS)}, got {self.kind!r}")
        if self.total is not None and self.total not in TOTAL_RULES:
            raise ValueError(f"column {self.key!r}: total must be one of {', '.join(TOTAL_RULES)}, got {self.total!r}")

    @property
    def total_rule(self) -> str:
        if self.total is not None:
            return self.total
        return "sum" if self.kind in ADDITIVE else "value"

    def to_json(self) -> dict:
        return {
            "key": self.key,
            "header": self.header,
            "kind": self.kind,
            "total": self.total,
            "decimals": self.decimals,
        }


@dataclass(frozen=True)
class Total:
    """A total row under the data: its label (and other given) ``cells``, and the data ``rows`` it adds up.

    ``rows`` are 0-based positions in the data (None: every data row). A summed column's value
    is always computed from those rows, so a total can never disagree with what it totals.
    """

    cells: Mapping[str, object]
    rows: tuple[int, ...] | None = None

    def to_json(self) -> dict:
        return {
            "cells": {k: _jsonable(v) for k, v in self.cells.items()},
            "rows": None if self.rows is None else list(self.rows),
        }


@dataclass
class Table:
    """A table to publish: data rows, the columns as shown, and total rows under the data."""

    data: pd.DataFrame
    columns: tuple[Column, ...]
    totals: tuple[Total, ...] = ()
    title: str = ""
    note: str = ""
    freeze_columns: int = 1

    def __post_init__(self) -> None:
        self.columns = tuple(self.columns)
        self.totals = tuple(self.totals)
        missing = [c.key for c in self.columns if c.key not in self.data.columns]
        if missing:
            raise ValueError(f"table {self.title or '(untitled)'}: no column {', '.join(missing)} in the data")
        self.data = self.data[[c.key for c in self.columns]].reset_index(drop=True)
        n = len(self.data)
        for t in self.totals:
            if t.rows is not None and any(not 0 <= i < n for i in t.rows):
                raise ValueError(f"table {self.title or '(untitled)'}: a total adds up rows outside 0..{n - 1}")

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        columns: Sequence[Column],
        *,
        label: str,
        total_labels: Sequence[str] = TOTAL_LABELS,
        **kw: object,
    ) -> Table:
        """Split a frame whose last rows are totals (``label`` column in ``total_labels``) into data and totals.

        Summed columns of such a row must equal the sum of the data rows (else ValueError: a
        table that does not add up is a bug, not something to write); other columns keep the
        row's value (a percentage, the label).
        """
        frame = frame.reset_index(drop=True)
        end = len(frame)
        while end > 0 and str(frame.at[end - 1, label]) in total_labels:
            end -= 1
        data = frame.iloc[:end]
        totals = []
        for i in range(end, len(frame)):
            row = frame.iloc[i]
            cells = {}
            for c in columns:
                if c.total_rule == "sum":
                    expected = _fsum(data[c.key])
                    given = _number(row[c.key])
                    if given is not None and expected is not None and not _close(given, expected):
                        raise ValueError(
                            f"the {row[label]} row of {c.key!r} is {given}, but its data rows add up to {expected}"
                        )
                elif c.total_rule == "value" and not _missing(row[c.key]) and row[c.key] != "":
                    cells[c.key] = row[c.key]
            totals.append(Total(cells))
        return cls(data, tuple(columns), tuple(totals), **kw)  # type: ignore[arg-type]

    @classmethod
    def infer(cls, frame: pd.DataFrame, number_format: str | None = None) -> Table:
        """A layout for a bare frame (an older payload): kinds from dtypes, trailing Total rows as totals.

        Float columns are £000 (£m if ``number_format`` shows a decimal), ``pct*`` columns
        percentages; a trailing row labelled Total in its first two columns is a total row, its
        columns summed only where the data rows add up to it (else its value is kept).
        """
        frame = frame.reset_index(drop=True)
        columns = []
        for key in frame.columns:
            s = frame[key]
            if pd.api.types.is_bool_dtype(s):
                kind = "text"
            elif pd.api.types.is_float_dtype(s):
                kind = "pct" if str(key).startswith("pct") else ("gbpm" if ".0" in (number_format or "") else "gbp000")
            elif pd.api.types.is_integer_dtype(s):
                kind = "count"
            else:
                kind = "text"
            header = str(key).replace("_", " ")
            columns.append(Column(str(key), header.capitalize() if header.islower() else header, kind))
        labels = list(frame.columns[:2])
        end = len(frame)
        while end > 0 and any(str(frame.at[end - 1, c]) in TOTAL_LABELS for c in labels):
            end -= 1
        data, tail = frame.iloc[:end], frame.iloc[end:]
        fixed = []
        for c in columns:
            if c.total_rule == "sum":
                expected = _fsum(data[c.key])
                given = [_number(v) for v in tail[c.key] if not _missing(v)]
                if any(g is None or expected is None or not _close(g, expected) for g in given):
                    c = Column(c.key, c.header, c.kind, "value")  # a typed total that is not the sum: keep it
            fixed.append(c)
        totals = [
            Total({c.key: row[c.key] for c in fixed if c.total_rule == "value" and not _missing(row[c.key])})
            for _, row in tail.iterrows()
        ]
        return cls(data, tuple(fixed), tuple(totals))

    def total_value(self, total: Total, column: Column) -> object:
        """What ``total``'s row holds in ``column`` (None = blank)."""
        rule = column.total_rule
        if rule == "sum":
            rows = self.data[column.key] if total.rows is None else self.data[column.key].iloc[list(total.rows)]
            return _fsum(rows)
        if rule == "value":
            v = total.cells.get(column.key)
            return None if _missing(v) else v
        return None

    @property
    def frame(self) -> pd.DataFrame:
        """Data rows then total rows, snake_case columns: the plain frame every reader understands."""
        if not self.totals:
            return self.data.copy()
        rows = [{c.key: self.total_value(t, c) for c in self.columns} for t in self.totals]
        tail = pd.DataFrame(rows, columns=[c.key for c in self.columns])
        parts = [p for p in (self.data, tail) if len(p)]
        return pd.concat(parts, ignore_index=True) if len(parts) > 1 else tail

    def layout(self) -> dict:
        """The layout as JSON (the frame travels separately)."""
        return {
            "columns": [c.to_json() for c in self.columns],
            "data_rows": len(self.data),
            "totals": [t.to_json() for t in self.totals],
            "title": self.title,
            "note": self.note,
            "freeze_columns": self.freeze_columns,
        }

    @classmethod
    def from_layout(cls, frame: pd.DataFrame, layout: Mapping) -> Table:
        """Rebuild a table from its plain frame and :meth:`layout`."""
        columns = tuple(Column(**c) for c in layout["columns"])
        n = int(layout["data_rows"])
        totals = tuple(
            Total(dict(t.get("cells", {})), None if t.get("rows") is None else tuple(t["rows"]))
            for t in layout.get("totals", [])
        )
        return cls(
            frame.iloc[:n],
            columns,
            totals,
            title=str(layout.get("title", "")),
            note=str(layout.get("note", "")),
            freeze_columns=int(layout.get("freeze_columns", 1)),
        )


@dataclass(frozen=True)
class Figure:
    """One headline figure: a label, a value and its kind (as :class:`Column` kinds)."""

    label: str
    value: float | int | str | None
    kind: str = "gbp000"
    decimals: int | None = None

    def to_json(self) -> dict:
        return {"label": self.label, "value": _jsonable(self.value), "kind": self.kind, "decimals": self.decimals}


@dataclass
class Book(Mapping[str, Table]):
    """What a report publishes for its workbook: tables in order, headline figures, notes.

    A mapping of sheet name to :class:`Table`, so ``publish(book)`` reads like ``publish(tables)``.
    ``notes`` are (heading, text) lines for the notes sheet (provenance, sign convention, warnings).
    """

    tables: dict[str, Table]
    headline: list[Figure] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)


def publish(tables: Mapping[str, pd.DataFrame | Table], **meta: object) -> None:
    """Emit ``tables`` (sheet name -> Table or DataFrame; a :class:`Book`) and metadata as one output.

    ``meta`` is the title, period, banner lines and the like; a :class:`Book` adds its headline
    figures and notes.
    """
    frames = {name: t.frame if isinstance(t, Table) else t for name, t in tables.items()}
    payload: dict = {
        "meta": meta,
        "order": list(tables),  # notebooks are saved with sorted keys; keep the sheet order the notebook chose
        "tables": {
            name: json.loads(df.to_json(orient="split", index=False, double_precision=15))
            for name, df in frames.items()
        },
        "layout": {name: t.layout() for name, t in tables.items() if isinstance(t, Table)},
    }
    if isinstance(tables, Book):
        payload["headline"] = [f.to_json() for f in tables.headline]
        payload["notes"] = [[str(h), str(t)] for h, t in tables.notes]
    display({MIME: payload}, raw=True)


def _payloads(executed_notebook: Path) -> list[dict]:
    import nbformat  # here, not at module level: notebooks import this module and nbformat is slow to import

    nb = nbformat.read(executed_notebook, as_version=4)
    return [out["data"][MIME] for cell in nb.cells for out in cell.get("outputs", []) if MIME in out.get("data", {})]


def _frames(payload: Mapping) -> dict[str, pd.DataFrame]:
    found = payload.get("tables", {})
    out: dict[str, pd.DataFrame] = {}
    for name in [*payload.get("order", []), *sorted(found)]:
        if name in found and name not in out:
            out[name] = pd.DataFrame(found[name]["data"], columns=found[name]["columns"])
    return out


def published(executed_notebook: Path) -> tuple[dict[str, pd.DataFrame], dict]:
    """Read back what :func:`publish` emitted: plain frames (data then total rows) and metadata."""
    tables: dict[str, pd.DataFrame] = {}
    meta: dict = {}
    for payload in _payloads(executed_notebook):
        meta.update(payload.get("meta", {}))
        for name, df in _frames(payload).items():
            tables.setdefault(name, df)
    return tables, meta


def published_book(executed_notebook: Path) -> tuple[Book, dict]:
    """Read back what :func:`publish` emitted as a :class:`Book` (layouts inferred for older payloads)."""
    book = Book({})
    meta: dict = {}
    for payload in _payloads(executed_notebook):
        meta.update(payload.get("meta", {}))
        formats = meta.get("number_formats") or {}
        layouts = payload.get("layout", {})
        for name, df in _frames(payload).items():
            if name in book.tables:
                continue
            book.tables[name] = (
                Table.from_layout(df, layouts[name]) if name in layouts else Table.infer(df, formats.get(name))
            )
        book.headline += [Figure(**f) for f in payload.get("headline", [])]
        book.notes += [(str(h), str(t)) for h, t in payload.get("notes", [])]
    return book, meta


def _missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT


def _number(v: object) -> float | None:
    if _missing(v) or isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return float(v)


def _fsum(values: pd.Series) -> float | None:
    """The exact sum of the numbers in ``values`` (None if there are none: a blank, not a zero)."""
    nums = [float(v) for v in values if _number(v) is not None]
    return math.fsum(nums) if nums else None


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= _TOLERANCE * max(1.0, abs(a), abs(b))


def _jsonable(v: object) -> object:
    if _missing(v):
        return None
    if hasattr(v, "item"):  # numpy scalar
        return v.item()
    return v
