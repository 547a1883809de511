"""Benchmark: DuckDB against SQLite (WAL mode) as the transactional, versioned processed store.

Both engines hold the stored returns table the way the versioned store does: every row carries
``v_from`` (the version that added it) and ``v_to`` (the version that replaced it, NULL while
current), and a ``versions`` table gets one row per commit, in the same transaction. Measured:

1. commit 1,008,000 scheme-month rows (42 systems x 200 schemes x 12 months x 10 years), one transaction;
2. commit a 100,800-row ingest (one more year of every system) as a new version;
3. replace one (fin_year, month, org) slice (200 rows) as a new version;
4. read the current version of the whole returns table into pandas (stored column order and dtypes);
5. read one month's slice (every system, 8,400 rows);
6. read as of an older version (version 1, before steps 2 and 3);
7. a reader in another process, querying in a loop while this process commits a 100,800-row
   replacement: does it block or fail, and does every read see one whole version (old or new)?
8. the file size on disk.

Data are synthetic and seeded (never presented as real). Prints a table and a final line
``RESULT {json}``.
    .venv/bin/python benchmarks/store_engines.py [--years 10] [--systems 42] [--schemes 200]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from qipp_helpers.core.vocab import MONEY_COLUMNS, RAGS, WORKSTREAMS
from qipp_helpers.store.schema import RETURN_COLUMNS, coerce_returns

SEED = 20191017
INTS = ("month", "row", "source_row")
DESCRIPTORS = (
    "Milestones on track",
    "Mitigating actions have been implemented",
    "Milestones have not been implemented",
)


def fin_years(first: int, n: int) -> list[str]:
    """``n`` financial years from ``first`` (2019 -> '2019-20')."""
    return [f"{y}-{(y + 1) % 100:02d}" for y in range(first, first + n)]


def synthetic_returns(years: list[str], systems: int, schemes: int, seed: int = SEED) -> pd.DataFrame:
    """A seeded returns table with the stored columns and dtypes: systems x schemes x 12 months x years."""
    rng = np.random.default_rng(seed)
    orgs = np.array([f"S{i:03d}" for i in range(1, systems + 1)])
    n_month = systems * schemes
    frames = []
    for fy in years:
        for m in range(1, 13):
            scheme = np.tile(np.arange(schemes), systems)
            annual = -np.round(rng.uniform(20, 1500, n_month))
            fot = np.round(annual * rng.uniform(0.4, 1.1, n_month))
            rag = rng.choice(len(RAGS), size=n_month, p=[0.45, 0.3, 0.15, 0.07, 0.03])
            desc = np.array(DESCRIPTORS)[np.minimum(rag, 2)]
            frames.append(
                pd.DataFrame(
                    {
                        "fin_year": fy,
                        "month": m,
                        "org": np.repeat(orgs, schemes),
                        "row": scheme,
                        "scheme_no": [f"{i // 10 + 1}.{i % 10 + 1}" for i in scheme],
                        "scheme_name": [f"Synthetic scheme {i + 1:03d}" for i in scheme],
                        "workstream": np.array(WORKSTREAMS)[scheme % len(WORKSTREAMS)],
                        "milestones": desc,
                        "financial_benefits": desc,
                        "risk_issue": desc,
                        "rag": np.array(RAGS)[rag],
                        "plan_ytd": np.round(annual * m / 12),
                        "actual_ytd": np.round(fot * m / 12 * rng.uniform(0.8, 1.1, n_month)),
                        "annual_plan": annual,
                        "fot": fot,
                        "assured": np.round(fot * rng.uniform(0.8, 1.0, n_month)),
                        "provenance": "synthetic: benchmarks/store_engines.py (generated, not real returns)",
                        "source_file": f"synthetic_{fy}_m{m:02d}.csv",
                        "source_sheet": np.repeat(orgs, schemes),
                        "source_row": scheme + 3,
                    }
                )
            )
    return coerce_returns(pd.concat(frames, ignore_index=True))


def _sql_type(col: str) -> str:
    if col in MONEY_COLUMNS:
        return "DOUBLE"
    return "BIGINT" if col in INTS else "VARCHAR"


DDL = [
    "CREATE TABLE versions (version BIGINT PRIMARY KEY, time VARCHAR, rows BIGINT)",
    "CREATE TABLE returns ("
    + ", ".join(f'"{c}" {_sql_type(c)} NOT NULL' for c in RETURN_COLUMNS)
    + ", v_from BIGINT NOT NULL, v_to BIGINT)",
]
COLS = ", ".join(f'"{c}"' for c in RETURN_COLUMNS)
CURRENT = f"SELECT {COLS} FROM returns WHERE v_to IS NULL ORDER BY fin_year, month, org, row"
AS_OF = (
    f"SELECT {COLS} FROM returns WHERE v_from <= ? AND (v_to IS NULL OR v_to > ?) ORDER BY fin_year, month, org, row"
)
SLICE = f"SELECT {COLS} FROM returns WHERE v_to IS NULL AND fin_year = ? AND month = ? ORDER BY org, row"
CHECK = "SELECT (SELECT max(version) FROM versions), count(*), sum(fot) FROM returns WHERE v_to IS NULL"


class Engine:
    """One engine's implementation of the store's operations (same SQL, same data)."""

    name = ""

    def __init__(self, path: Path):
        self.path = path

    def connect(self, read_only: bool = False):  # pragma: no cover - overridden
        raise NotImplementedError

    def create(self) -> None:
        con = self.connect()
        for stmt in DDL:
            con.execute(stmt)
        self.after_create(con)
        con.close()

    def after_create(self, con) -> None:
        """Indexes etc."""

    def insert_frame(self, con, df: pd.DataFrame, version: int) -> None:  # pragma: no cover - overridden
        raise NotImplementedError

    def commit(self, df: pd.DataFrame, slices: list[tuple[str, int, str]] | None, version: int) -> None:
        """Replace ``slices`` (None = nothing) by ``df`` and record ``version``: one transaction."""
        con = self.connect()
        con.execute("BEGIN")
        if slices:
            self.retire(con, slices, version)
        self.insert_frame(con, df, version)
        con.execute("INSERT INTO versions VALUES (?, ?, ?)", (version, time.strftime("%FT%T"), len(df)))
        con.execute("COMMIT")
        con.close()

    def retire(self, con, slices: list[tuple[str, int, str]], version: int) -> None:
        con.executemany(
            "UPDATE returns SET v_to = ? WHERE v_to IS NULL AND fin_year = ? AND month = ? AND org = ?",
            [(version, *s) for s in slices],
        )

    def read(self, sql: str, params: tuple = ()) -> pd.DataFrame:  # pragma: no cover - overridden
        raise NotImplementedError


class DuckDB(Engine):
    name = "duckdb"

    #: how often the writer found the file locked by a reader and tried again (DuckDB: one process at a time)
    writer_retries = 0

    def connect(self, read_only: bool = False):
        import duckdb

        if read_only:
            return duckdb.connect(str(self.path), read_only=True)
        deadline = time.monotonic() + 60
        while True:  # a reader process holds the file: wait for it, as a real writer would have to
            try:
                return duckdb.connect(str(self.path))
            except duckdb.IOException:
                if time.monotonic() > deadline:
                    raise
                DuckDB.writer_retries += 1
                time.sleep(0.01)

    def insert_frame(self, con, df: pd.DataFrame, version: int) -> None:
        frame = df.assign(v_from=version)  # noqa: F841 - read by DuckDB's replacement scan
        con.execute(f"INSERT INTO returns SELECT {COLS}, v_from, NULL FROM frame")

    def retire(self, con, slices: list[tuple[str, int, str]], version: int) -> None:
        keys = pd.DataFrame(slices, columns=["fin_year", "month", "org"])  # noqa: F841
        con.execute(
            "UPDATE returns SET v_to = ? FROM keys k WHERE returns.v_to IS NULL AND returns.fin_year = k.fin_year "
            "AND returns.month = k.month AND returns.org = k.org",
            [version],
        )

    def read(self, sql: str, params: tuple = ()) -> pd.DataFrame:
        con = self.connect(read_only=True)
        try:
            # through Arrow: DuckDB's own .df() is several times slower for text columns
            return coerce_returns(con.sql(sql, params=list(params)).to_arrow_table().to_pandas())
        finally:
            con.close()


class SQLite(Engine):
    name = "sqlite-wal"

    def connect(self, read_only: bool = False):
        uri = f"file:{self.path}?mode=ro" if read_only else f"file:{self.path}"
        con = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=60)
        if not read_only:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=FULL")
        return con

    def after_create(self, con) -> None:
        con.execute("CREATE INDEX returns_slice ON returns (fin_year, month, org) WHERE v_to IS NULL")
        con.execute("CREATE INDEX returns_from ON returns (v_from)")

    def insert_frame(self, con, df: pd.DataFrame, version: int) -> None:
        marks = ", ".join("?" * (len(RETURN_COLUMNS) + 1))
        rows = df.assign(v_from=version).itertuples(index=False, name=None)
        con.executemany(f"INSERT INTO returns ({COLS}, v_from) VALUES ({marks})", rows)

    def read(self, sql: str, params: tuple = ()) -> pd.DataFrame:
        con = self.connect(read_only=True)
        try:
            cur = con.execute(sql, params)
            return coerce_returns(pd.DataFrame.from_records(cur.fetchall(), columns=list(RETURN_COLUMNS)))
        finally:
            con.close()


ENGINES: dict[str, type[Engine]] = {"duckdb": DuckDB, "sqlite-wal": SQLite}


def _reader(engine_name: str, path: str, stop, out) -> None:
    """In another process: query (version, rows, sum of FOT) in a loop until told to stop."""
    eng = ENGINES[engine_name](Path(path))
    seen, errors, worst, refused_since, longest_refused = [], [], 0.0, None, 0.0
    while not stop.is_set():
        t = time.perf_counter()
        try:
            con = eng.connect(read_only=True)
            try:
                if isinstance(eng, SQLite):
                    con.execute("BEGIN")  # one read transaction = one snapshot for both sub-queries
                seen.append(tuple(con.execute(CHECK).fetchone()))
                if isinstance(eng, SQLite):
                    con.execute("COMMIT")
            finally:
                con.close()
            if refused_since is not None:  # how long a reader that retried would have waited
                longest_refused = max(longest_refused, time.perf_counter() - refused_since)
                refused_since = None
        except Exception as exc:  # report what a reader meets, whatever it is
            errors.append(f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
            refused_since = t if refused_since is None else refused_since
        worst = max(worst, time.perf_counter() - t)
        time.sleep(0.005)
    out.put(
        {
            "reads": len(seen),
            "seen": sorted(set(seen)),
            "errors": errors,
            "worst_s": worst,
            "refused_s": longest_refused,
        }
    )


def timed(fn: Callable[[], object]) -> tuple[float, object]:
    t = time.perf_counter()
    res = fn()
    return time.perf_counter() - t, res


def run_engine(name: str, folder: Path, base: pd.DataFrame, year: pd.DataFrame, slice_rows: pd.DataFrame) -> dict:
    """Every measurement for one engine, in a fresh database file under ``folder``."""
    eng = ENGINES[name](folder / f"store.{name}")
    eng.create()
    res: dict[str, object] = {"engine": name}
    DuckDB.writer_retries = 0
    res["commit_1m_s"], _ = timed(lambda: eng.commit(base, None, 1))
    res["commit_100k_s"], _ = timed(lambda: eng.commit(year, None, 2))
    key = [(slice_rows["fin_year"].iat[0], int(slice_rows["month"].iat[0]), slice_rows["org"].iat[0])]
    res["replace_slice_s"], _ = timed(lambda: eng.commit(slice_rows, key, 3))
    res["read_current_s"], cur = timed(lambda: eng.read(CURRENT))
    res["read_current_rows"] = len(cur)
    fy, m = base["fin_year"].iat[0], 6
    res["read_month_s"], month = timed(lambda: eng.read(SLICE, (fy, m)))
    res["read_month_rows"] = len(month)
    res["read_as_of_s"], old = timed(lambda: eng.read(AS_OF, (1, 1)))
    res["read_as_of_rows"] = len(old)
    ok = old.equals(base.sort_values(["fin_year", "month", "org", "row"], ignore_index=True))
    res["as_of_equals_v1"] = bool(ok)
    assert ok, f"{name}: read as of version 1 differs from what was committed"
    # a reader in another process while this one commits a 100,800-row replacement (version 4)
    ctx = mp.get_context("spawn")
    stop, out = ctx.Event(), ctx.Queue()
    proc = ctx.Process(target=_reader, args=(name, str(eng.path), stop, out))
    proc.start()
    time.sleep(1.5)  # the reader is up and reading
    again = year.assign(fot=year["fot"] - 1.0)
    keys = sorted(set(zip(again["fin_year"], again["month"].astype(int), again["org"], strict=True)))
    try:
        res["commit_during_read_s"], _ = timed(lambda: eng.commit(again, keys, 4))
        res["writer_error"] = ""
    except Exception as exc:
        res["commit_during_read_s"] = None
        res["writer_error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"
    res["writer_retries"] = DuckDB.writer_retries
    time.sleep(0.5)
    stop.set()
    rep = out.get(timeout=60)
    proc.join(timeout=60)
    allowed = {
        (3, len(base) + len(year), round(base["fot"].sum() + year["fot"].sum(), 3)),
        (4, len(base) + len(year), round(base["fot"].sum() + again["fot"].sum(), 3)),
    }
    seen = {(v, n, round(s, 3)) for v, n, s in rep["seen"]}
    # the slice replaced in version 3 has the same rows as before, so version 3's FOT sum is unchanged
    res["reader_reads"] = rep["reads"]
    res["reader_errors"] = len(rep["errors"])
    res["reader_error_example"] = rep["errors"][0] if rep["errors"] else ""
    res["reader_worst_s"] = rep["worst_s"]
    res["reader_refused_s"] = rep["refused_s"]
    res["reader_consistent"] = seen <= allowed
    res["reader_saw_versions"] = sorted({v for v, _, _ in seen})
    res["file_mb"] = sum(p.stat().st_size for p in folder.glob(f"store.{name}*")) / 1e6
    return res


def run_store(folder: Path, base: pd.DataFrame, year: pd.DataFrame, slice_rows: pd.DataFrame) -> dict:
    """The same steps through the chosen engine's real API (qipp_helpers.store.versioned)."""
    from qipp_helpers.store.versioned import Change, Store

    store = Store(folder / "data")
    res: dict[str, object] = {"engine": "Store (duckdb)"}
    res["commit_1m_s"], _ = timed(lambda: store.commit([Change("returns", base)], {"user": "bench"}))
    res["commit_100k_s"], _ = timed(lambda: store.commit([Change("returns", year)], {"user": "bench"}))
    res["replace_slice_s"], _ = timed(lambda: store.commit([Change("returns", slice_rows)], {"user": "bench"}))
    res["read_current_s"], _ = timed(lambda: store.load("returns"))
    fy = base["fin_year"].iat[0]
    res["read_month_s"], _ = timed(lambda: store.load("returns", where={"fin_year": fy, "month": 6}))
    res["read_as_of_s"], old = timed(lambda: store.load("returns", as_of=1))
    res["as_of_equals_v1"] = bool(old.equals(base.sort_values(["fin_year", "month", "org", "row"], ignore_index=True)))
    res["export_s"], _ = timed(lambda: store.export_parquet(folder / "export"))
    res["file_mb"] = store.path.stat().st_size / 1e6
    return res


def _cell(r: dict, key: str | None) -> str:
    """One engine's result for one row of the table."""
    if key is None:
        return f"{r['reader_reads']} / {r['reader_errors']}"
    v = r[key]
    if v is None:
        return "failed"
    if isinstance(v, int) and not isinstance(v, bool):
        return str(v)
    if isinstance(v, bool):
        return "yes" if v else "NO"
    return f"{v:.2f}" if key == "file_mb" else f"{v:.3f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--systems", type=int, default=42)
    ap.add_argument("--schemes", type=int, default=200)
    ap.add_argument("--engines", default="duckdb,sqlite-wal")
    ap.add_argument("--no-store", action="store_true", help="skip timing the store's own API")
    args = ap.parse_args()
    years = fin_years(2019, args.years + 1)
    t = time.perf_counter()
    base = synthetic_returns(years[:-1], args.systems, args.schemes)
    year = synthetic_returns(years[-1:], args.systems, args.schemes, seed=SEED + 1)
    one = base[(base["fin_year"] == years[0]) & (base["month"] == 6) & (base["org"] == "S001")]
    slice_rows = one.assign(fot=one["fot"] * 0 + one["fot"])  # same figures: a re-submitted slice
    print(f"synthetic data: {len(base):,} + {len(year):,} rows in {time.perf_counter() - t:.1f}s", flush=True)
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in args.engines.split(","):
            folder = Path(tmp) / name
            folder.mkdir()
            results.append(run_engine(name, folder, base, year, slice_rows))
            print(f"{name}: done", flush=True)
        if not args.no_store:
            folder = Path(tmp) / "store"
            folder.mkdir()
            store = run_store(folder, base, year, slice_rows)
            print(f"{store['engine']}: done", flush=True)
    rows = [
        (f"commit {len(base):,} rows (one transaction)", "commit_1m_s"),
        (f"commit {len(year):,}-row ingest", "commit_100k_s"),
        ("replace one (fin_year, month, org) slice", "replace_slice_s"),
        ("read current returns -> pandas", "read_current_s"),
        ("read one month (all systems)", "read_month_s"),
        ("read as of version 1", "read_as_of_s"),
        (f"commit {len(year):,} rows with a reader running", "commit_during_read_s"),
        ("reader: worst single query", "reader_worst_s"),
        ("reader: queries / refused", None),
        ("reader: longest refused stretch", "reader_refused_s"),
        ("writer: opens refused (file locked)", "writer_retries"),
        ("reader: every read one version", "reader_consistent"),
        ("file size (MB)", "file_mb"),
    ]
    width = max(len(label) for label, _ in rows)
    print()
    print(f"{'':{width}}  " + "  ".join(f"{r['engine']:>12}" for r in results))
    for label, key in rows:
        print(f"{label:{width}}  " + "  ".join(f"{_cell(r, key):>12}" for r in results))
    if not args.no_store:
        print()
        print(f"through the store's API ({store['engine']}):")
        lines = [*rows[:6], (f"export a version to parquet ({len(base) + len(year):,} rows)", "export_s")]
        wide = max(len(label) for label, _ in lines)
        for label, key in lines:
            print(f"  {label:{wide}}  {store[key]:>10.3f} s")
        print(f"  {'file size (MB)':{wide}}  {store['file_mb']:>10.2f}")
    for r in results:
        if r["reader_error_example"]:
            print(f"{r['engine']} reader error: {r['reader_error_example']}")
        if r["writer_error"]:
            print(f"{r['engine']} writer error: {r['writer_error']}")
    meta = {"rows": len(base), "cpus": os.cpu_count(), "pandas": pd.__version__, "sqlite": sqlite3.sqlite_version}
    try:
        import duckdb

        meta["duckdb"] = duckdb.__version__
    except ImportError:
        pass
    out = {"meta": meta, "engines": results, "store": None if args.no_store else store}
    print("RESULT " + json.dumps(out, default=str))


if __name__ == "__main__":
    main()
