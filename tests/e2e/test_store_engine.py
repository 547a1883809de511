"""The versioned store (qipp_helpers.store.versioned): round trips, versions, migration, crashes,
concurrency, read-only and full disks, symlinks.

Crash tests run the commit in a subprocess that stops itself at a named point (QIPP_FAULT) with
``os._exit`` - no clean-up, like a kill - and then check the store is the previous version and
takes the next commit. Disk-full tests use a small tmpfs where this machine lets us mount one
(root), else a file-size limit (RLIMIT_FSIZE) on the writing process.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from qipp_helpers.core import faults
from qipp_helpers.store.versioned import (
    STORE_FILE,
    TABLES,
    Change,
    Store,
    StoreBusy,
    StoreConflict,
    StoreCorrupt,
    StoreError,
    StoreReadOnly,
    TableSpec,
    UnknownVersion,
    open_store,
    register_table,
)

from .. import legacy_store

ROOT = Path(__file__).resolve().parents[2]
FAULT_POINTS = ["store.begin", "store.after_retire", "store.after_rows", "store.before_commit"]


def legacy_tables(data_dir: Path) -> dict[str, pd.DataFrame]:
    """Every table as today's parquet readers return it, by versioned-store table name."""
    return {
        "returns": legacy_store.load_returns(data_dir),
        "warnings": legacy_store.load_warnings(data_dir),
        **{f"frp_{k}": v for k, v in legacy_store.load_frp(data_dir).items()},
        **{f"rightcare_{k}": v for k, v in legacy_store.load_rightcare(data_dir).items()},
    }


def assert_tables(store: Store, expected: dict[str, pd.DataFrame], as_of=None) -> None:
    for name, df in expected.items():
        pd.testing.assert_frame_equal(store.load(name, as_of=as_of), df, check_dtype=True, obj=name)


@pytest.fixture(scope="module")
def legacy_demo_dir(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo data as the OLD parquet store held it (written with the old writer), to migrate and compare."""
    from qipp_helpers.store import db

    folder = tmp_path_factory.mktemp("legacy")
    returns, warnings = db.load_returns(demo_data_dir), db.load_warnings(demo_data_dir)
    keys = {tuple(k) for k in returns[["fin_year", "month", "org"]].drop_duplicates().itertuples(index=False)}
    keys |= {tuple(k) for k in warnings[["fin_year", "month", "org"]].drop_duplicates().itertuples(index=False)}
    legacy_store.replace_slices(folder, returns, warnings, keys, {"kind": "returns", "user": "seed"})
    frp = db.load_frp(demo_data_dir)
    frp_keys = {
        tuple(k) for k in frp["lines"][["fin_year", "month", "system"]].drop_duplicates().itertuples(index=False)
    }
    legacy_store.replace_frp(folder, frp, frp_keys, {"kind": "frp", "user": "seed"})
    rc = db.load_rightcare(demo_data_dir)
    rc_keys = {
        k: {tuple(x) for x in v[["fin_year", "ccg"]].drop_duplicates().itertuples(index=False)} for k, v in rc.items()
    }
    legacy_store.replace_rightcare(folder, rc, rc_keys, {"kind": "rightcare", "user": "seed"})
    return folder


@pytest.fixture(scope="module")
def demo(legacy_demo_dir: Path) -> dict[str, pd.DataFrame]:
    return legacy_tables(legacy_demo_dir)


@pytest.fixture
def seeded(tmp_path: Path, demo: dict[str, pd.DataFrame]) -> Store:
    """A store with every demo table committed as version 1."""
    store = Store(tmp_path / "data")
    store.commit([Change(t, df) for t, df in demo.items()], {"user": "seed", "kind": "test"})
    return store


def run_py(code: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    """Run Python code in a fresh process of this interpreter (the project on its path)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        **kw,
    )


def can_mount() -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    probe = Path(f"/tmp/qipp-mount-probe-{uuid.uuid4().hex}")
    probe.mkdir()
    try:
        ok = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(probe)], capture_output=True)
        if ok.returncode:
            return False
        subprocess.run(["umount", str(probe)], check=True)
        return True
    finally:
        probe.rmdir()


@contextlib.contextmanager
def tmpfs(path: Path, size: str):
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


# ------------------------------------------------------------------------------ round trips


def test_every_table_round_trips_with_stored_dtypes_and_order(seeded: Store, demo: dict[str, pd.DataFrame]):
    assert set(demo) == {n for n, s in TABLES.items() if s.legacy_file}  # every table the parquet store had
    assert seeded.current_version() == 1
    assert_tables(seeded, demo)
    _, many = seeded.load_many()
    for name, df in demo.items():
        pd.testing.assert_frame_equal(many[name], df)


def test_awkward_values_round_trip(tmp_path: Path, demo: dict[str, pd.DataFrame]):
    """NaN money, empty/unicode/formula/maths text, newlines, large ints survive exactly."""
    w = demo["warnings"].head(2).copy()
    w.loc[w.index[0], ["printed", "computed", "difference"]] = np.nan
    w.loc[w.index[0], "message"] = "=cmd|' /C calc'!A0 $\\frac{$ [js](javascript:alert(1)) ‘quotes’ £ \n tab\t"
    w.loc[w.index[1], "message"] = ""
    r = demo["returns"].head(3).copy()
    r["source_row"] = [0, 2**53, -(2**40)]
    r["scheme_name"] = ["Ünïcødé ✓", "", "a" * 100_000]
    r["fot"] = [-0.0, 1e-300, -123456789.125]
    store = Store(tmp_path / "data")
    store.commit([Change("warnings", w), Change("returns", r)], {})
    pd.testing.assert_frame_equal(store.load("warnings"), w.reset_index(drop=True))
    got = store.load("returns")
    pd.testing.assert_frame_equal(got, r.sort_values(["fin_year", "month", "org", "row"], ignore_index=True))


def test_slice_replacement_matches_the_parquet_store(tmp_path: Path, demo: dict[str, pd.DataFrame]):
    """The same replacements through legacy_store.replace_* and Store.commit give identical tables (rows, order)."""
    old_dir, store = tmp_path / "old", Store(tmp_path / "new")
    r, w = demo["returns"], demo["warnings"]
    m5 = r[r["month"] == 5]
    slices5 = {("2019-20", 5, o) for o in m5["org"].unique()}
    legacy_store.replace_slices(old_dir, m5, w.iloc[:0], slices5, {"n": 1})
    store.commit([Change("returns", m5, slices5), Change("warnings", w.iloc[:0], slices5)], {"n": 1})
    m6 = r[r["month"] == 6]
    slices6 = {("2019-20", 6, o) for o in [*m6["org"].unique(), "LLR"]}
    legacy_store.replace_slices(old_dir, m6, w, slices6, {"n": 2})
    store.commit([Change("returns", m6, slices6), Change("warnings", w, slices6)], {"n": 2})
    # WL M5 again with one scheme fewer and a changed FOT; ELR M6 emptied
    wl5 = m5[m5["org"] == "WL"].iloc[1:].assign(fot=lambda d: d["fot"] - 7)
    both = {("2019-20", 5, "WL"), ("2019-20", 6, "ELR")}
    legacy_store.replace_slices(old_dir, wl5, w.iloc[:0], both, {"n": 3})
    store.commit([Change("returns", wl5, both), Change("warnings", None, both)], {"n": 3})
    frp = {k.removeprefix("frp_"): v for k, v in demo.items() if k.startswith("frp_")}
    key = {("2019-20", 6, "LLR")}
    legacy_store.replace_frp(old_dir, frp, key, {"n": 4})
    store.commit([Change(f"frp_{k}", v, key) for k, v in frp.items()], {"n": 4})
    half = {k: v.iloc[: len(v) // 2] for k, v in frp.items()}
    legacy_store.replace_frp(old_dir, half, key, {"n": 5})
    store.commit([Change(f"frp_{k}", v, key) for k, v in half.items()], {"n": 5})
    rc = {k.removeprefix("rightcare_"): v for k, v in demo.items() if k.startswith("rightcare_")}
    rc_slices = {k: {("2019-20", c) for c in v["ccg"]} for k, v in rc.items()}
    legacy_store.replace_rightcare(old_dir, rc, rc_slices, {"n": 6})
    store.commit([Change(f"rightcare_{k}", v, rc_slices[k]) for k, v in rc.items()], {"n": 6})
    peers = rc["peers"][rc["peers"]["ccg"] == "ELR"].iloc[:3]
    legacy_store.replace_rightcare(old_dir, {"peers": peers}, {"peers": {("2019-20", "ELR")}}, {"n": 7})
    store.commit([Change("rightcare_peers", peers, {("2019-20", "ELR")})], {"n": 7})
    assert_tables(store, legacy_tables(old_dir))
    assert store.log() == legacy_store.read_log(old_dir)
    assert [v.number for v in store.versions()] == list(range(1, 8))


# ---------------------------------------------------------------------------------- versions


def test_every_commit_is_a_version_readable_as_of_number_and_time(seeded: Store, demo: dict[str, pd.DataFrame]):
    r = demo["returns"]
    elr6 = r[(r["month"] == 6) & (r["org"] == "ELR")]
    entry = {
        "user": "alice",
        "kind": "ingest",
        "files": [{"name": "m6.xlsx", "sha256": "ab" * 32, "bytes": 1234}],
        "fin_year": "2019-20",
        "month": 6,
    }
    time.sleep(0.01)
    v2 = seeded.commit([Change("returns", elr6.assign(fot=elr6["fot"] - 1))], entry)
    v3 = seeded.commit([Change("returns", None, {("2019-20", 6, "ELR")})], {"user": "bob"})
    assert (v2.number, v3.number, seeded.current_version()) == (2, 3, 3)
    assert v2.user == "alice" and v2.kind == "ingest" and v2.files[0].name == "m6.xlsx" and v2.files[0].bytes == 1234
    assert v2.changes["returns"].added == len(elr6) == v2.changes["returns"].removed
    assert v2.changes["returns"].slices == (("2019-20", 6, "ELR"),)
    assert v3.rows["returns"] == len(r) - len(elr6)
    assert v3.summary().startswith(f"returns +0 -{len(elr6)} (1 slice)")
    history = seeded.versions()
    assert [v.number for v in history] == [1, 2, 3]
    assert history[1] == v2 and history[1].entry == entry
    assert len({v.digest for v in history}) == 3
    # as of a number, a time, a date
    assert_tables(seeded, demo, as_of=1)
    assert seeded.load("returns", as_of=2)["fot"].sum() == pytest.approx(r["fot"].sum() - len(elr6))
    assert len(seeded.load("returns")) == len(r) - len(elr6)
    assert seeded.version(v2.time).number == 2
    assert seeded.version(v2.time - timedelta(microseconds=1)).number == 1
    assert seeded.version(v2.time.replace(tzinfo=None)).number == 2  # naive = UTC
    assert seeded.version(date.today() + timedelta(days=1)).number == 3
    assert seeded.load("returns", as_of=datetime(2000, 1, 1, tzinfo=UTC)).empty  # before version 1: version 0
    with pytest.raises(UnknownVersion, match="no version 4: the store has versions 1 to 3"):
        seeded.load("returns", as_of=4)
    assert seeded.log(as_of=2) == [{"kind": "test", "user": "seed"}, entry]
    # a slice read
    got = seeded.load("returns", as_of=1, where={"org": "ELR", "month": [5, 6]})
    want = r[(r["org"] == "ELR") & r["month"].isin([5, 6])].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want)


def test_commit_based_on_an_older_version_is_refused(seeded: Store, demo: dict[str, pd.DataFrame]):
    seeded.commit([Change("returns", None, {("2019-20", 6, "ELR")})], {"user": "first"}, based_on=1)
    with pytest.raises(StoreConflict, match="moved on to version 2 while this change was prepared from version 1"):
        seeded.commit([Change("returns", None, {("2019-20", 6, "WL")})], {"user": "second"}, based_on=1)
    assert seeded.current_version() == 2
    r = demo["returns"]
    assert len(seeded.load("returns")) == len(r) - ((r["month"] == 6) & (r["org"] == "ELR")).sum()
    assert seeded.commit([Change("returns", None, {("2019-20", 6, "WL")})], {}, based_on=2).number == 3


def test_empty_store_reads_empty_tables_without_creating_anything(tmp_path: Path):
    store = Store(tmp_path / "data")
    assert store.current_version() == 0 and store.versions() == [] and store.log() == []
    assert store.version() is None
    df = store.load("returns")
    assert df.empty and list(df.columns) == list(TABLES["returns"].columns)
    pd.testing.assert_frame_equal(df, legacy_store.load_returns(tmp_path / "nothing"))
    assert not (tmp_path / "data").exists()


def test_bad_commits_change_nothing(seeded: Store, demo: dict[str, pd.DataFrame]):
    before = seeded.current_version()
    with pytest.raises(StoreError, match="no stored table 'nope'"):
        seeded.commit([Change("nope", demo["returns"])], {})
    with pytest.raises(StoreError, match="lack the key column"):
        seeded.commit([Change("returns", demo["returns"].drop(columns=["org"]))], {})
    with pytest.raises(StoreError, match="given twice"):
        seeded.commit([Change("returns", None), Change("returns", None)], {})
    with pytest.raises(StoreError, match="cannot be stored as JSON"):
        seeded.commit([Change("returns", None)], {"when": object()})
    with pytest.raises(StoreError, match="cannot take the stored column types"):
        seeded.commit([Change("returns", demo["returns"].assign(month="June"))], {})
    assert seeded.current_version() == before
    assert_tables(seeded, demo)


def test_new_tables_and_columns_are_registered_not_coded(seeded: Store):
    saved = dict(TABLES)
    cols = ("fin_year", "month", "org", "scheme_no", "amount", "approved", "note")

    def coerce(df: pd.DataFrame) -> pd.DataFrame:
        out = df.reindex(columns=list(cols)).copy()
        out["month"] = out["month"].astype("int64")
        out["amount"] = out["amount"].astype(float)
        out["approved"] = out["approved"].fillna(False).astype(bool)
        for c in ("fin_year", "org", "scheme_no", "note"):
            out[c] = out[c].fillna("").astype(str)
        return out

    try:
        register_table(TableSpec("approvals", cols, ("fin_year", "month", "org"), coerce))
        with pytest.raises(ValueError, match="already registered"):
            register_table(TableSpec("approvals", cols, ("fin_year", "month", "org"), coerce))
        with pytest.raises(ValueError, match="key and order_by"):
            register_table(TableSpec("bad", cols, ("nope",), coerce))
        assert seeded.load("approvals").empty  # registered, not yet in the file
        adj = coerce(pd.DataFrame({"fin_year": ["2019-20"], "month": [6], "org": ["WL"], "scheme_no": ["1.1"],
                                   "amount": [-12.5], "approved": [True], "note": ["agreed at QAG"]}))  # fmt: skip
        v = seeded.commit([Change("approvals", adj)], {"kind": "approval"})
        pd.testing.assert_frame_equal(seeded.load("approvals"), adj)
        assert seeded.load("approvals", as_of=v.number - 1).empty
        # a column added later: old rows read back with its empty value
        cols2 = (*cols, "approved_by")

        def coerce2(df: pd.DataFrame) -> pd.DataFrame:
            out = coerce(df).assign(approved_by=df.get("approved_by", pd.Series("", index=df.index)))
            out["approved_by"] = out["approved_by"].fillna("").astype(str)
            return out

        register_table(TableSpec("approvals", cols2, ("fin_year", "month", "org"), coerce2), replace=True)
        seeded.commit([Change("approvals", None, {("2019-20", 7, "WL")})], {})
        assert seeded.load("approvals")["approved_by"].tolist() == [""]
    finally:
        TABLES.clear()
        TABLES.update(saved)


# --------------------------------------------------------------------------------- migration


def test_first_open_imports_the_parquet_store(tmp_path: Path, legacy_demo_dir: Path, demo: dict[str, pd.DataFrame]):
    data = tmp_path / "data"
    shutil.copytree(legacy_demo_dir / "processed", data / "processed")
    stale = data / "processed" / f".returns.{uuid.uuid4().hex}.tmp.parquet"
    stale.write_bytes(b"half-written")
    log = legacy_store.read_log(data)
    store = open_store(data)
    assert_tables(store, demo)
    history = store.versions()
    assert [v.entry for v in history[:-1]] == log
    assert not any(v.has_data for v in history[:-1])
    mig = history[-1]
    assert mig.kind == "migration" and mig.has_data and mig.number == len(log) + 1
    assert {f.name for f in mig.files} == {
        *(s.legacy_file for s in TABLES.values() if s.legacy_file),
        "ingest_log.jsonl",
    }
    assert mig.rows["returns"] == len(demo["returns"])
    with pytest.raises(UnknownVersion, match="recorded before the store kept versions"):
        store.load("returns", as_of=1)
    left = sorted(p.name for p in (data / "processed").iterdir())
    assert left == [".lock", "pre-versioned", STORE_FILE]  # stale temp gone, old files moved aside
    assert not stale.exists()
    assert (data / "processed" / "pre-versioned" / "returns.parquet").is_file()
    # a second open imports nothing again; the old readers now see an empty folder, the export is theirs
    assert open_store(data).current_version() == mig.number
    store.export_parquet(tmp_path / "export" / "processed")
    pd.testing.assert_frame_equal(legacy_store.load_returns(tmp_path / "export"), demo["returns"])


def test_import_keeps_unreadable_log_lines(tmp_path: Path, legacy_demo_dir: Path, demo: dict[str, pd.DataFrame]):
    data = tmp_path / "data"
    shutil.copytree(legacy_demo_dir / "processed", data / "processed")
    with open(data / "processed" / "ingest_log.jsonl", "a", encoding="utf-8") as fh:
        fh.write('{"time": "2019-10-17T10:00:00+00:00", "user": "cut off mid-wr')
    store = open_store(data)
    mig = store.versions()[-1]
    assert mig.entry["unreadable_log_lines"][0]["text"].startswith('{"time": "2019-10-17')
    assert_tables(store, demo)


@pytest.mark.parametrize("point", ["store.migrate.before_commit", "store.migrate.after_commit"])
def test_killed_import_is_finished_by_the_next_open(tmp_path: Path, legacy_demo_dir: Path, demo, point: str):
    data = tmp_path / "data"
    shutil.copytree(legacy_demo_dir / "processed", data / "processed")
    res = run_py(
        f"from qipp_helpers.store.versioned import open_store; open_store({str(data)!r})", {"QIPP_FAULT": point}
    )
    assert res.returncode == faults.FAULT_EXIT_CODE, res.stderr
    assert (data / "processed" / "returns.parquet").is_file()  # nothing moved before the commit was done
    store = open_store(data)
    assert_tables(store, demo)
    assert store.current_version() == len(legacy_store.read_log(legacy_demo_dir)) + 1  # imported once
    assert not (data / "processed" / "returns.parquet").exists()


def test_unreadable_old_file_is_one_clear_error_and_nothing_imported(tmp_path: Path, legacy_demo_dir: Path, demo):
    data = tmp_path / "data"
    shutil.copytree(legacy_demo_dir / "processed", data / "processed")
    frp = data / "processed" / "frp_lines.parquet"
    good = frp.read_bytes()
    frp.write_bytes(good[: len(good) // 2])  # cut short, as by a full disk under the old store
    with pytest.raises(StoreError, match=r"frp_lines.parquet cannot be read \(.*\); nothing was imported$"):
        open_store(data)
    con = duckdb.connect(str(data / "processed" / STORE_FILE), read_only=True)
    assert con.execute("SELECT count(*) FROM versions").fetchall() == [(0,)]
    con.close()
    assert (data / "processed" / "returns.parquet").is_file()
    frp.write_bytes(good)
    assert_tables(open_store(data), demo)


def test_import_refuses_old_files_beside_a_versioned_store(seeded: Store, legacy_demo_dir: Path):
    shutil.copy(legacy_demo_dir / "processed" / "returns.parquet", seeded.folder / "returns.parquet")
    with pytest.raises(StoreError, match="holds both a versioned store and old parquet store files"):
        seeded.load("returns")


# ------------------------------------------------------------------------------------ crashes

COMMIT_M6 = """
import sys
import pandas as pd
from qipp_helpers.store.versioned import Change, Store
store = Store(sys.argv[1])
r = store.load("returns")
m6 = r[r["month"] == 6]
w = store.load("warnings")
store.commit(
    [Change("returns", m6.assign(fot=m6["fot"] - 1)), Change("warnings", w.iloc[:0], {("2019-20", 6, "WL")})],
    {"user": "crash-test", "files": [{"name": "m6.xlsx", "sha256": "0" * 64, "bytes": 1}]},
)
"""


@pytest.mark.parametrize("point", FAULT_POINTS)
def test_process_killed_mid_commit_leaves_previous_version(seeded: Store, demo, point: str):
    script = seeded.data_dir.parent / "commit_m6.py"
    script.write_text(COMMIT_M6, encoding="utf-8")
    res = subprocess.run(
        [sys.executable, str(script), str(seeded.data_dir)],
        env={**os.environ, "PYTHONPATH": str(ROOT), "QIPP_FAULT": point},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == faults.FAULT_EXIT_CODE, res.stderr
    assert seeded.current_version() == 1
    assert_tables(seeded, demo)
    assert [v.number for v in seeded.versions()] == [1]
    # the next command needs no clean-up
    v = seeded.commit([Change("returns", None, {("2019-20", 6, "ELR")})], {"user": "next"})
    assert v.number == 2 and seeded.current_version() == 2
    assert_tables(seeded, demo, as_of=1)


def test_process_killed_after_commit_keeps_the_new_version(seeded: Store, demo):
    script = seeded.data_dir.parent / "commit_m6.py"
    script.write_text(COMMIT_M6, encoding="utf-8")
    res = subprocess.run(
        [sys.executable, str(script), str(seeded.data_dir)],
        env={**os.environ, "PYTHONPATH": str(ROOT), "QIPP_FAULT": "store.after_commit"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert res.returncode == faults.FAULT_EXIT_CODE, res.stderr
    assert seeded.current_version() == 2
    m6 = demo["returns"]["month"] == 6
    assert seeded.load("returns")["fot"].sum() == pytest.approx(demo["returns"]["fot"].sum() - m6.sum())
    assert_tables(seeded, demo, as_of=1)


def test_raised_fault_rolls_back_in_process(seeded: Store, demo, monkeypatch: pytest.MonkeyPatch):
    def boom(point: str) -> None:
        if point == "store.after_rows":
            raise faults.FaultInjected(point)

    monkeypatch.setattr(faults, "hook", boom)
    with pytest.raises(faults.FaultInjected):
        seeded.commit([Change("returns", demo["returns"].assign(fot=0.0))], {})
    monkeypatch.setattr(faults, "hook", None)
    assert seeded.current_version() == 1
    assert_tables(seeded, demo)
    assert seeded.commit([Change("returns", demo["returns"])], {}).number == 2


def test_sigkill_at_random_moments_never_corrupts(seeded: Store, demo):
    """A writer committing in a loop, SIGKILLed at random moments: every version left is whole."""
    script = seeded.data_dir.parent / "loop.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            from qipp_helpers.store.versioned import Change, Store
            store = Store(sys.argv[1])
            r = store.load("returns", as_of=1)
            while True:
                n = store.current_version()
                store.commit([Change("returns", r.assign(fot=r["fot"] - n))], {"user": f"loop {n}"})
            """
        ),
        encoding="utf-8",
    )
    rng = np.random.default_rng(15)
    total, rows = demo["returns"]["fot"].sum(), len(demo["returns"])
    for delay in rng.uniform(0.8, 2.5, 4):
        proc = subprocess.Popen([sys.executable, str(script), str(seeded.data_dir)],
                                env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE)  # fmt: skip
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        for v in seeded.versions():
            df = seeded.load("returns", as_of=v.number)
            # version n+1 was committed by "loop n" with FOT lowered by n on every row
            shift = 0 if v.number == 1 else int(v.entry["user"].split()[1])
            assert len(df) == rows and df["fot"].sum() == pytest.approx(total - shift * rows)
    assert seeded.current_version() > 1
    assert seeded.commit([Change("returns", demo["returns"])], {}).number == seeded.current_version()


# -------------------------------------------------------------------------------- concurrency


def test_reader_during_commits_sees_whole_versions_only(seeded: Store, demo):
    """A writer process commits version after version; every read here is exactly one of them."""
    r = demo["returns"]
    script = seeded.data_dir.parent / "writer.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            from qipp_helpers.store.versioned import Change, Store
            store = Store(sys.argv[1])
            r = store.load("returns", as_of=1)
            w = store.load("warnings", as_of=1)
            for n in range(2, 14):
                # returns FOT lowered by n everywhere, and n copies of the first warning: one version
                store.commit(
                    [Change("returns", r.assign(fot=r["fot"] - n)),
                     Change("warnings", w.iloc[[0] * n], {tuple(w.iloc[0][["fin_year", "month", "org"]])})],
                    {"user": "writer"},
                )
            """
        ),
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [sys.executable, str(script), str(seeded.data_dir)], env={**os.environ, "PYTHONPATH": str(ROOT)}
    )
    seen, waited = set(), []
    reader = Store(seeded.data_dir, on_wait=waited.append)
    try:
        while proc.poll() is None:
            number, tables = reader.load_many(["returns", "warnings"])
            seen.add(number)
            n = 0 if number == 1 else number
            assert tables["returns"]["fot"].sum() == pytest.approx(r["fot"].sum() - n * len(r))
            first = demo["warnings"].iloc[0]
            same = (tables["warnings"][["fin_year", "month", "org"]] == first[["fin_year", "month", "org"]]).all(axis=1)
            others = (demo["warnings"][["fin_year", "month", "org"]] == first[["fin_year", "month", "org"]]).all(axis=1)
            assert same.sum() == (others.sum() if number == 1 else n)
    finally:
        proc.wait(timeout=120)
    assert proc.returncode == 0
    assert reader.current_version() == 13
    assert len(seen) >= 2  # read while the writer was at work, not only before or after


def test_writer_waits_then_gives_a_clear_busy_error(seeded: Store):
    proc = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]); print('open', flush=True);"
         " time.sleep(30)", str(seeded.path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout.readline().strip() == "open"
        told: list[str] = []
        store = Store(seeded.data_dir, wait=0.5, on_wait=told.append)
        with pytest.raises(StoreBusy, match=r"has been in use by PID \d+ for 0.5 s; try again"):
            store.commit([Change("returns", None, {("2019-20", 6, "ELR")})], {})
        assert len(told) == 1 and "waiting for PID" in told[0]
        with pytest.raises(StoreBusy, match="reading returns from the store: the store"):
            store.load("returns")
    finally:
        proc.kill()
        proc.wait()
    assert seeded.commit([Change("returns", None, {("2019-20", 6, "ELR")})], {}).number == 2


# ------------------------------------------------------------------- read-only, full, links


def test_read_only_store_gives_one_clear_error(tmp_path: Path, demo):
    if os.geteuid() != 0:
        store = Store(tmp_path / "data")
        store.commit([Change("returns", demo["returns"])], {})
        store.path.chmod(0o444)
    elif can_mount():
        mnt = tmp_path / "mnt"
        stack = contextlib.ExitStack()
        stack.enter_context(tmpfs(mnt, "64m"))
        store = Store(mnt / "data")
        store.commit([Change("returns", demo["returns"])], {})
        subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
    else:
        pytest.skip("root without mount: no way to make a file read-only here")
    try:
        with pytest.raises(StoreReadOnly) as exc:
            store.commit([Change("returns", None, {("2019-20", 6, "ELR")})], {})
        message = str(exc.value)
        assert "\n" not in message and ("the store is unchanged" in message or "nothing was changed" in message)
        pd.testing.assert_frame_equal(store.load("returns"), demo["returns"])  # reading still works
        assert store.current_version() == 1
    finally:
        if os.geteuid() == 0:
            stack.close()


FILL = """
import resource, signal, sys
import duckdb
import numpy as np
import pandas as pd
from qipp_helpers.store.versioned import Change, Store, StoreFull
if len(sys.argv) > 2:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (int(sys.argv[2]), int(sys.argv[2])))
store = Store(sys.argv[1])
r = store.load("returns")
rng = np.random.default_rng(1)
big = pd.concat([r.assign(fin_year=f"{2000 + i}-{(i + 1) % 100:02d}") for i in range(40)], ignore_index=True)
big["milestones"] = [rng.bytes(300).hex() for _ in range(len(big))]  # incompressible text
try:
    store.commit([Change("returns", big)], {"user": "filler"})
except StoreFull as exc:
    print("StoreFull:", exc)
    sys.exit(3)
print("committed")
"""


def test_full_disk_gives_one_clear_error_and_no_partial_state(tmp_path: Path, demo):
    script = tmp_path / "fill.py"
    script.write_text(FILL, encoding="utf-8")
    stack = contextlib.ExitStack()
    if can_mount():
        data = stack.enter_context(tmpfs(tmp_path / "mnt", "8m")) / "data"
        args: list[str] = []
    else:  # a file-size limit on the writing process instead of a small disk
        data, args = tmp_path / "data", ["6000000"]
    with stack:
        store = Store(data)
        store.commit([Change(t, df) for t, df in demo.items()], {"user": "seed"})
        res = subprocess.run(
            [sys.executable, str(script), str(data), *args],
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert res.returncode == 3, res.stdout + res.stderr
        line = res.stdout.strip()
        assert line.startswith("StoreFull: committing to the store: no space left for ") and "\n" not in line
        assert "the store is unchanged" in line
        assert store.current_version() == 1
        assert_tables(store, demo)
        # the next (small) commit works with no clean-up
        assert store.commit([Change("returns", None, {("2019-20", 6, "ELR")})], {}).number == 2
        assert_tables(store, demo, as_of=1)


@pytest.mark.parametrize("what", ["processed", STORE_FILE, f"{STORE_FILE}.wal", "ingest_log.jsonl", ".lock"])
def test_symlinks_in_the_store_are_refused(tmp_path: Path, demo, what: str):
    data = tmp_path / "data"
    (data / "processed").mkdir(parents=True)
    victim = tmp_path / "victim"
    if what == "processed":
        victim.mkdir()
        (data / "processed").rmdir()
        (data / "processed").symlink_to(victim)
    else:
        victim.write_text("precious\n")
        (data / "processed" / what).symlink_to(victim)
    store = Store(data)
    with pytest.raises(StoreError, match="is a symbolic link: refusing"):
        store.commit([Change("returns", demo["returns"])], {})
    with pytest.raises(StoreError, match="is a symbolic link: refusing"):
        store.load("returns")
    if what == "processed":
        assert list(victim.iterdir()) == []
    else:
        assert victim.read_text() == "precious\n"


def test_killed_while_creating_the_file_leaves_no_store(tmp_path: Path, demo):
    data = tmp_path / "data"
    res = run_py(
        f"""
        from qipp_helpers.store.versioned import Store
        Store({str(data)!r}).commit([], {{}})
        """,
        {"QIPP_FAULT": "store.create"},
    )
    assert res.returncode == faults.FAULT_EXIT_CODE, res.stderr
    folder = data / "processed"
    left = [p.name for p in folder.iterdir()]
    assert STORE_FILE not in left and all(n.startswith(f".{STORE_FILE}.") for n in left) and left
    store = Store(data)
    assert store.current_version() == 0
    assert store.commit([Change("returns", demo["returns"])], {}).number == 1
    assert [p.name for p in folder.iterdir()] == [STORE_FILE]  # the half-made file was cleared


def test_a_file_that_is_not_a_store_gives_one_clear_error(tmp_path: Path):
    folder = tmp_path / "data" / "processed"
    folder.mkdir(parents=True)
    (folder / STORE_FILE).write_bytes(b"not a database" * 1000)
    store = Store(tmp_path / "data")
    with pytest.raises(StoreCorrupt, match="is not a readable store"):
        store.load("returns")
    with pytest.raises(StoreCorrupt, match="is not a readable store"):
        store.commit([], {})


def test_data_dir_that_is_a_file_is_refused(tmp_path: Path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="is not a folder"):
        Store(tmp_path / "file").commit([], {})


def test_stale_temp_files_are_removed_and_never_exported(seeded: Store, tmp_path: Path):
    stale = seeded.folder / f".returns.{uuid.uuid4().hex}.tmp.parquet"
    stale.write_bytes(b"PAR1 half")
    seeded.commit([Change("returns", None, {("2019-20", 6, "ELR")})], {})
    assert not stale.exists()
    out = tmp_path / "export"
    seeded.export_parquet(out, as_of=1)
    about = json.loads((out / "version.json").read_text())
    assert about["version"] == 1 and about["digest"] == seeded.versions()[0].digest
    assert set(about["files"]) == {*(s.file for s in TABLES.values()), "ingest_log.jsonl"}
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no build folder left


def test_export_of_one_version_is_what_old_readers_read(seeded: Store, demo, tmp_path: Path):
    seeded.commit([Change("returns", None, {("2019-20", 6, "ELR")})], {"user": "x"})
    out = tmp_path / "hand-off" / "processed"
    v = seeded.export_parquet(out, as_of=1)
    assert v.number == 1
    assert legacy_tables(out.parent).keys() == demo.keys()
    for name, df in legacy_tables(out.parent).items():
        pd.testing.assert_frame_equal(df, demo[name], obj=name)
    assert legacy_store.read_log(out.parent) == [{"kind": "test", "user": "seed"}]
    seeded.export_parquet(out)  # an existing export folder: files replaced, now version 2
    assert json.loads((out / "version.json").read_text())["version"] == 2
    assert len(legacy_store.load_returns(out.parent)) == len(seeded.load("returns"))
