"""The OLD parquet store (before the versioned DuckDB store), kept in the tests to build stores to migrate.

The processed store as it was: tidy parquet history in ``data/processed``, written atomically.

Files: ``returns.parquet`` (every scheme row of every month held), ``reconciliation.parquet``
(warnings kept with the data they describe) and ``ingest_log.jsonl`` (append-only record of
every ingest). A lock file serialises writers; readers never see a half-written file because
every write goes to a temporary file in the same folder and is renamed into place.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from qipp_helpers.core.files import atomic_path
from qipp_helpers.core.orgs import use_organisations
from qipp_helpers.store.schema import (
    FRP_CHECK_COLUMNS,
    FRP_KEY,
    FRP_LINE_COLUMNS,
    FRP_POSITION_COLUMNS,
    RIGHTCARE_INDICATOR_COLUMNS,
    RIGHTCARE_KEY,
    RIGHTCARE_PEER_COLUMNS,
    WARNING_COLUMNS,
    coerce_returns,
    coerce_table,
    empty_returns,
)

RETURNS_FILE = "returns.parquet"
WARNINGS_FILE = "reconciliation.parquet"
LOG_FILE = "ingest_log.jsonl"
FRP_FILES = {
    "lines": ("frp_lines.parquet", FRP_LINE_COLUMNS),
    "position": ("frp_position.parquet", FRP_POSITION_COLUMNS),
    "checks": ("frp_checks.parquet", FRP_CHECK_COLUMNS),
}


def processed_dir(data_dir: Path | str) -> Path:
    """The processed store under a data folder."""
    return Path(data_dir) / "processed"


def _atomic_parquet(df: pd.DataFrame, path: Path) -> None:
    with atomic_path(path) as tmp:
        df.to_parquet(tmp, index=False)


@contextlib.contextmanager
def locked(data_dir: Path | str) -> Iterator[Path]:
    """Hold the store's writer lock; yields the processed folder."""
    folder = processed_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield folder
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def load_returns(data_dir: Path | str) -> pd.DataFrame:
    """Every stored scheme row (all years, months, CCGs); empty table if nothing is stored.

    Also makes the data folder's organisations (``organisations.csv``, else LLR's) the ones in
    use, so a notebook that loads a folder's returns knows that folder's organisations.
    """
    use_organisations(data_dir)
    path = processed_dir(data_dir) / RETURNS_FILE
    if not path.exists():
        return empty_returns()
    return coerce_returns(pd.read_parquet(path))


def empty_warnings() -> pd.DataFrame:
    """An empty reconciliation-warnings table."""
    df = pd.DataFrame({c: pd.Series(dtype="object") for c in WARNING_COLUMNS})
    return df.astype({"month": "int64", "printed": float, "computed": float, "difference": float})


def load_warnings(data_dir: Path | str) -> pd.DataFrame:
    """Every stored reconciliation warning."""
    path = processed_dir(data_dir) / WARNINGS_FILE
    if not path.exists():
        return empty_warnings()
    return pd.read_parquet(path)


def replace_slices(
    data_dir: Path | str,
    returns: pd.DataFrame,
    warnings: pd.DataFrame,
    slices: set[tuple[str, int, str]],
    log_entry: dict,
) -> None:
    """Replace exactly the (fin_year, month, org) slices given, keep everything else, log it.

    ``returns`` holds the new rows of CCG slices; ``warnings`` the new warnings of any slice
    (an LLR slice carries warnings only). Both files are rewritten atomically under the lock.
    """
    with locked(data_dir) as folder:

        def keep(df: pd.DataFrame) -> pd.Series:
            if df.empty or not slices:
                return pd.Series(True, index=df.index, dtype=bool)
            key = pd.MultiIndex.from_arrays(
                [df["fin_year"].astype(str), df["month"].astype("int64"), df["org"].astype(str)]
            )
            return pd.Series(~key.isin(list(slices)), index=df.index, dtype=bool)

        old = load_returns(data_dir)
        merged = pd.concat([old[keep(old)], coerce_returns(returns)], ignore_index=True)
        merged = merged.sort_values(["fin_year", "month", "org", "row"], kind="stable", ignore_index=True)
        old_w = load_warnings(data_dir)
        parts = [w for w in (old_w[keep(old_w)], warnings) if len(w)]
        merged_w = pd.concat(parts, ignore_index=True) if parts else empty_warnings()
        _atomic_parquet(merged, folder / RETURNS_FILE)
        _atomic_parquet(merged_w.reindex(columns=list(WARNING_COLUMNS)), folder / WARNINGS_FILE)
        with open(folder / LOG_FILE, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(log_entry, sort_keys=True) + "\n")


def _load_tables(data_dir: Path | str, files: dict[str, tuple[str, tuple[str, ...]]]) -> dict[str, pd.DataFrame]:
    """Each stored table of a family (name -> (file, columns)), empty with its columns if not stored yet."""
    out = {}
    for key, (name, columns) in files.items():
        path = processed_dir(data_dir) / name
        out[key] = coerce_table(pd.read_parquet(path) if path.exists() else pd.DataFrame(), columns)
    return out


def _replace_tables(
    data_dir: Path | str,
    files: dict[str, tuple[str, tuple[str, ...]]],
    key_columns: tuple[str, ...],
    tables: dict[str, pd.DataFrame],
    slices: dict[str, set[tuple]],
    log_entry: dict,
) -> None:
    """Replace exactly the given slices (values of ``key_columns``) of each table, keep the rest, log it."""
    with locked(data_dir) as folder:
        old = _load_tables(data_dir, files)
        for key, (name, columns) in files.items():
            df = old[key]
            wanted = slices.get(key, set())
            stale = pd.Series(
                [k in wanted for k in zip(*(df[c] for c in key_columns), strict=True)], index=df.index, dtype=bool
            )
            new = coerce_table(tables.get(key, pd.DataFrame()), columns)
            merged = pd.concat([df[~stale], new], ignore_index=True) if len(new) else df[~stale]
            _atomic_parquet(coerce_table(merged, columns), folder / name)
        with open(folder / LOG_FILE, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(log_entry, sort_keys=True) + "\n")


def load_frp(data_dir: Path | str) -> dict[str, pd.DataFrame]:
    """The stored FRP tables: ``lines`` (scheme table), ``position`` and ``checks`` (all periods)."""
    return _load_tables(data_dir, FRP_FILES)


def replace_frp(
    data_dir: Path | str, tables: dict[str, pd.DataFrame], slices: set[tuple[str, int, str]], log_entry: dict
) -> None:
    """Replace exactly the (fin_year, month, system) FRP slices given in all three FRP files, log it."""
    _replace_tables(data_dir, FRP_FILES, FRP_KEY, tables, dict.fromkeys(FRP_FILES, slices), log_entry)


def read_log(data_dir: Path | str) -> list[dict]:
    """The ingest log, oldest first."""
    path = processed_dir(data_dir) / LOG_FILE
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


RIGHTCARE_FILES = {
    "indicators": ("rightcare_indicators.parquet", RIGHTCARE_INDICATOR_COLUMNS),
    "peers": ("rightcare_peers.parquet", RIGHTCARE_PEER_COLUMNS),
}


def load_rightcare(data_dir: Path | str) -> dict[str, pd.DataFrame]:
    """The stored RightCare tables: ``indicators`` (spend per 1,000 by CCG) and ``peers`` (all years)."""
    return _load_tables(data_dir, RIGHTCARE_FILES)


def replace_rightcare(
    data_dir: Path | str, tables: dict[str, pd.DataFrame], slices: dict[str, set[tuple[str, str]]], log_entry: dict
) -> None:
    """Replace exactly the (fin_year, ccg) slices given for each RightCare table, keep the rest, log it.

    ``slices`` is per table: a CCG that is only someone's peer in a file replaces its indicators,
    never the peer group another file gave it.
    """
    _replace_tables(data_dir, RIGHTCARE_FILES, RIGHTCARE_KEY, tables, slices, log_entry)
