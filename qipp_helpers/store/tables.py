"""What the versioned store holds: the registry of stored tables and the value objects of a commit.

:class:`TableSpec` names a table's columns, its key (the columns naming a slice) and how a frame is
given the stored dtypes; :data:`TABLES` holds every registered one (:func:`register_table`).
:class:`Change` is what a commit is given, :class:`Version` what it records. No I/O here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from ..core.vocab import ADJUSTMENT_COLUMNS
from .schema import (
    COMBINED_COLUMNS,
    COMMENTARY_COLUMNS,
    FRP_CHECK_COLUMNS,
    FRP_KEY,
    FRP_LINE_COLUMNS,
    FRP_POSITION_COLUMNS,
    PRINTED_TOTAL_COLUMNS,
    RETURN_COLUMNS,
    RIGHTCARE_INDICATOR_COLUMNS,
    RIGHTCARE_KEY,
    RIGHTCARE_PEER_COLUMNS,
    WARNING_COLUMNS,
    coerce_returns,
    coerce_table,
)

_SQL_TYPES = {"float64": "DOUBLE", "int64": "BIGINT", "bool": "BOOLEAN"}


# ------------------------------------------------------------------------------ table registry


@dataclass(frozen=True)
class TableSpec:
    """One stored table: its columns (in stored order), the key columns naming a slice, and the
    function that gives a frame the stored column order and dtypes (float64, int64, bool, str).

    ``order_by``: columns rows are returned sorted by (then insertion order); empty = insertion
    order, which is what replacing a slice in the old parquet store gave (kept rows, then new).
    ``legacy_file``: the table's parquet file in the old store and in exports.
    """

    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    coerce: Callable[[pd.DataFrame], pd.DataFrame]
    order_by: tuple[str, ...] = ()
    legacy_file: str | None = None

    @property
    def file(self) -> str:
        """The parquet file name of the table in an export."""
        return self.legacy_file or f"{self.name}.parquet"

    @functools.cached_property
    def sql_types(self) -> dict[str, str]:
        """Column -> DuckDB type, read off the dtypes ``coerce`` gives an empty frame."""
        empty = self.coerce(pd.DataFrame({c: pd.Series(dtype="object") for c in self.columns}))
        out = {}
        for c in self.columns:
            dtype = empty[c].dtype
            if str(dtype) in _SQL_TYPES:
                out[c] = _SQL_TYPES[str(dtype)]
            elif pd.api.types.is_string_dtype(dtype):
                out[c] = "VARCHAR"
            else:
                raise TypeError(f"table {self.name}: column {c} has dtype {dtype}, not float64/int64/bool/str")
        return out

    def empty(self) -> pd.DataFrame:
        """The table with no rows, stored columns and dtypes."""
        return self._empty.copy()

    def conform(self, rows: pd.DataFrame) -> pd.DataFrame:
        """``coerce(rows)``, skipped when ``rows`` already have the stored columns, dtypes and no blank text."""
        empty = self._empty
        same = list(rows.columns) == list(empty.columns) and bool((rows.dtypes == empty.dtypes).all())
        if same and not any(rows[c].hasnans for c in self.columns if self.sql_types[c] == "VARCHAR"):
            return rows
        return self.coerce(rows)

    @functools.cached_property
    def _empty(self) -> pd.DataFrame:
        return self.coerce(pd.DataFrame({c: pd.Series(dtype="object") for c in self.columns}))


#: name -> spec of every stored table; add one with :func:`register_table`.
TABLES: dict[str, TableSpec] = {}


def register_table(spec: TableSpec, *, replace: bool = False) -> TableSpec:
    """Add a table to the store. Its history table and current view are created by the next commit;
    columns added to a registered table later are added to the stored table (old rows get ''/0/NULL)."""
    if spec.name in TABLES and not replace:
        raise ValueError(f"table {spec.name!r} is already registered")
    if not spec.name.isidentifier() or spec.name.startswith("_") or spec.name in ("versions", "meta"):
        raise ValueError(f"table name {spec.name!r}: use a plain identifier (not versions/meta, no leading _)")
    if len(set(spec.columns)) != len(spec.columns) or any(c.startswith("_") or '"' in c for c in spec.columns):
        raise ValueError(f"table {spec.name}: columns must be unique, without a leading _ or a double quote")
    if not spec.key or not set(spec.key) <= set(spec.columns) or not set(spec.order_by) <= set(spec.columns):
        raise ValueError(f"table {spec.name}: key and order_by must be columns of the table (key not empty)")
    spec.sql_types  # noqa: B018 - fail now, not at the first commit, if a dtype cannot be stored
    TABLES[spec.name] = spec
    return spec


def _coerce_with(columns: tuple[str, ...]) -> Callable[[pd.DataFrame], pd.DataFrame]:
    return functools.partial(coerce_table, columns=columns)


register_table(
    TableSpec(
        "returns", RETURN_COLUMNS, ("fin_year", "month", "org"), coerce_returns, ("fin_year", "month", "org", "row"),
        "returns.parquet",
    )
)  # fmt: skip
register_table(
    TableSpec("warnings", WARNING_COLUMNS, ("fin_year", "month", "org"), _coerce_with(WARNING_COLUMNS),
              legacy_file="reconciliation.parquet")
)  # fmt: skip
for _name, _cols in (("lines", FRP_LINE_COLUMNS), ("position", FRP_POSITION_COLUMNS), ("checks", FRP_CHECK_COLUMNS)):
    register_table(TableSpec(f"frp_{_name}", _cols, FRP_KEY, _coerce_with(_cols), legacy_file=f"frp_{_name}.parquet"))
for _name, _cols in (("indicators", RIGHTCARE_INDICATOR_COLUMNS), ("peers", RIGHTCARE_PEER_COLUMNS)):
    register_table(
        TableSpec(f"rightcare_{_name}", _cols, RIGHTCARE_KEY, _coerce_with(_cols),
                  legacy_file=f"rightcare_{_name}.parquet")
    )  # fmt: skip
#: Tables of the control totals and commentary (no parquet file in the old store: they are new).
for _name, _cols, _order in (
    ("combined_rows", COMBINED_COLUMNS, ("fin_year", "month", "org", "source_row")),
    ("printed_totals", PRINTED_TOTAL_COLUMNS, ("fin_year", "month", "org")),
    ("adjustments", ADJUSTMENT_COLUMNS, ("fin_year", "month", "org", "adjustment_id", "measure")),
    ("commentary", COMMENTARY_COLUMNS, ("fin_year", "month", "org", "order")),
):
    register_table(TableSpec(_name, _cols, ("fin_year", "month", "org"), _coerce_with(_cols), _order))


# ------------------------------------------------------------------------------ value objects


@dataclass(frozen=True)
class Change:
    """Replace exactly these slices of one table by ``rows``.

    ``slices`` are tuples of the table's key values; the slice of every row given is replaced too,
    so ``slices`` need only name slices that become empty (e.g. an LLR slice with warnings only).
    """

    table: str
    rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    slices: Iterable[tuple] = ()


@dataclass(frozen=True)
class FileRecord:
    """An input file of a commit."""

    name: str
    sha256: str
    bytes: int


@dataclass(frozen=True)
class TableChange:
    """What one commit did to one table."""

    added: int
    removed: int
    slices: tuple[tuple, ...]


@dataclass(frozen=True)
class Version:
    """One commit: who, when, from which files, how many rows each table then held, what changed.

    ``digest`` identifies the content: sha256 chained over every commit's changes up to this one.
    ``has_data`` is False for versions imported from the old log (their tables were not kept).
    """

    number: int
    time: datetime
    user: str
    kind: str
    files: tuple[FileRecord, ...]
    rows: dict[str, int]
    changes: dict[str, TableChange]
    digest: str
    entry: dict
    has_data: bool = True

    def summary(self) -> str:
        """One line: what changed, table by table."""
        parts = [
            f"{t} +{c.added:,} -{c.removed:,} ({len(c.slices)} slice{'s' if len(c.slices) != 1 else ''})"
            for t, c in self.changes.items()
        ]
        return "; ".join(parts) or ("no tables (recorded before migration)" if not self.has_data else "log only")


# ------------------------------------------------------------------------------------ slices


def key_tuple(spec: TableSpec, values: Iterable[Any]) -> tuple:
    """One slice's key values as stored (int, float or str, by the key column's type)."""
    out = []
    for c, v in zip(spec.key, values, strict=True):
        kind = spec.sql_types[c]
        out.append(int(v) if kind == "BIGINT" else float(v) if kind == "DOUBLE" else str(v))
    return tuple(out)


def slice_keys(spec: TableSpec, rows: pd.DataFrame) -> set[tuple]:
    """The slices (key values, as stored) that ``rows`` of table ``spec`` fall in."""
    if not len(rows):
        return set()
    cols = list(spec.key)
    lead = cols[:-1]
    if all(rows[c].nunique(dropna=False) == 1 for c in lead):  # the usual case: one period, many organisations
        first = [rows[c].iloc[0] for c in lead]
        return {key_tuple(spec, (*first, v)) for v in rows[cols[-1]].unique()}
    return {key_tuple(spec, k) for k in rows[cols].drop_duplicates().itertuples(index=False, name=None)}
