"""The fast ingest gives exactly what the row-by-row reader and one commit per month gave.

The fast reader (well-formed sheets read column by column, plain CSV lines parsed by Arrow) must give the
same records, Grand Totals and problems as the row-by-row reader, and so the same stored rows; a batch of
month folders committed in one transaction must leave the store (tables, log, digests) exactly as one
ingest per folder did. Timings live in benchmarks/scale.py, not here.
"""

from __future__ import annotations

import contextlib
import csv
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from qipp_helpers.core.errors import IngestError
from qipp_helpers.core.orgs import using_organisations
from qipp_helpers.ingest import dashboard
from qipp_helpers.ingest.dashboard import REQUIRED, read_returns_file, read_returns_files
from qipp_helpers.ingest.layouts import Batch, ingest_batches, ingest_files
from qipp_helpers.store import db
from qipp_helpers.store.schema import RETURNS_SCHEMA, coerce_returns, returns_pass, validate
from qipp_helpers.store.versioned import TABLES, Change, Store
from qipp_helpers.synthetic.national import demo_data

from ..conftest import M6_WORKBOOK, RAW

HEADER = list(REQUIRED.values())
DESCRIPTORS = ("Milestones on track", "Mitigating actions have been implemented", " On track / slipping ")


@pytest.fixture(autouse=True)
def _organisations_kept() -> Iterator[None]:
    """Ingesting the synthetic folders switches to their organisations: the built-in ones again afterwards."""
    with using_organisations(None):
        yield


@contextlib.contextmanager
def row_by_row() -> Iterator[None]:
    dashboard.FAST_READER = False
    try:
        yield
    finally:
        dashboard.FAST_READER = True


def read_both(paths: list[Path], org: str | None = None) -> tuple[list, list]:
    fast = read_returns_files(paths, org=org)
    with row_by_row():
        slow = read_returns_files(paths, org=org)
    return fast, slow


def summary(results: list) -> str:
    """Everything a read gives, as text (so a money cell read as NaN compares equal to NaN)."""
    return repr(
        [
            (
                r.path.name,
                r.problems,
                r.left_out,
                r.provenance,
                [(s.org, s.sheet, s.records, s.printed_total, s.printed_total_row, s.problems) for s in r.sheets],
            )
            for r in results
        ]
    )


def dashboard_workbook(path: Path, n: int = 200) -> Path:
    """A 200-row dashboard workbook: two CCG sheets with title rows, typed cells and a Grand Total."""
    wb = Workbook()
    first = True
    for org, rows in (("ELR", n // 2), ("WL", n - n // 2)):
        ws = wb.active if first else wb.create_sheet()
        first = False
        ws.title = org
        ws.append([f"{org} CCG QIPP Dashboard"])
        ws.append(HEADER)
        totals = [0.0] * 5
        for i in range(rows):
            money = [-(i % 17) * 3.0, i % 5, -(i * 7 % 101), -(i * 5 % 89) + 0.5, -(i % 13)]
            totals = [t + m for t, m in zip(totals, money, strict=True)]
            no = f"{i // 9 + 1}.{i % 9 + 1}"  # typed as numbers in a third of the rows, as Excel keeps them
            rag = ("Green", "amber", "Red", "Completed")[i % 4]
            ws.append([no if i % 3 else float(no), f"Scheme {org} {i:03d}", *DESCRIPTORS, rag, *money])
        ws.append(["Grand Total", None, None, None, None, None, *totals])
    wb.save(path)
    return path


def test_a_200_row_workbook_reads_the_same_fast_and_row_by_row(tmp_path):
    path = dashboard_workbook(tmp_path / "dashboards.xlsx")
    fast, slow = read_both([path])
    assert sum(len(s.records) for s in fast[0].sheets) == 200
    assert isinstance(fast[0].sheets[0].columns()["scheme_no"], pa.Array)  # the fast reader read it
    assert summary(fast) == summary(slow)
    assert not fast[0].sheets[0].problems and fast[0].sheets[0].printed_total is not None


def test_the_paper_workbooks_read_the_same_fast_and_row_by_row():
    paths = sorted((RAW / "2019-20").glob("M0*/*pmo_dashboards.xlsx"))
    assert M6_WORKBOOK in paths
    fast, slow = read_both(paths)
    assert summary(fast) == summary(slow)


# --- CSV files: well-formed ones and ones with every kind of defect, read both ways ------------------------

CELLS = {
    "scheme_no": st.sampled_from(["1.1", "1.2", "2.1", "1.2 a", "", " ", "Scheme no.", "Total", "3.1", "0", "<u></u>"]),
    "scheme_name": st.sampled_from(["SDEC", " Care ", "", "0", "Scheme Name", "Grand Total", "Name <u>x</u>"]),
    "text": st.sampled_from(["", "On track", " padded ", "0", "a / b", "Risk\tItem"]),
    "rag": st.sampled_from(["Green", "Amber", "Red", "Blue", "Grey", "green", "Completed", "closed", "Purple", ""]),
    "money": st.sampled_from(
        ["0", "-12", "12.5", "-0", "", "-", "(1,234)", "£12", "1e5", "ten", "#REF!", " 7 ", "1" * 20, "00012"]
    ),
}


@st.composite
def csv_dashboards(draw) -> tuple[list[list[str]], str]:
    width_extra = draw(st.sampled_from([0, 0, 1]))
    order = list(range(len(HEADER)))
    if draw(st.booleans()):
        order = draw(st.permutations(order))
    header = [HEADER[j] for j in order] + ["Notes"] * width_extra
    rows: list[list[str]] = [["Synthetic dashboard (not real)"], header] if draw(st.booleans()) else [header]
    keys = ["scheme_no", "scheme_name", "text", "text", "text", "rag", *["money"] * 5]
    plain = draw(st.booleans())  # most national returns: every row well formed
    for i in range(draw(st.integers(1, 25))):
        if plain:
            cells = [
                f"{i + 1}.1",
                f"Scheme {i}",
                "On track",
                "On track",
                "On track",
                "Green",
                str(-i),
                "0",
                "-3",
                "4",
                "0",
            ]
        else:
            cells = [draw(CELLS[k]) for k in keys]
        rows.append([cells[j] for j in order] + [""] * width_extra)
    if draw(st.booleans()):
        total = ["Grand Total", "", "", "", "", "", *(draw(CELLS["money"]) if not plain else "0" for _ in range(5))]
        rows.append([total[j] for j in order] + [""] * width_extra)
    rows += [[""] * len(header)] * draw(st.integers(0, 2))
    return rows, draw(st.sampled_from(["\n", "\r\n"]))


def write_csv(path: Path, rows: list[list[str]], newline: str) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator=newline, quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return path


@pytest.mark.slow  # 60 generated CSV dashboards read both ways: make test, not make test-fast
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(files=st.lists(csv_dashboards(), min_size=1, max_size=3))
def test_csv_files_read_the_same_fast_and_row_by_row(tmp_path_factory, files):
    folder = tmp_path_factory.mktemp("csv")
    paths = [write_csv(folder / f"{org}.csv", *f) for org, f in zip(("ELR", "WL", "LC"), files, strict=False)]
    fast, slow = read_both(paths)
    assert summary(fast) == summary(slow)
    alone = [read_returns_file(p) for p in paths]  # one file at a time: the same again
    assert summary(alone) == summary(slow)


@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_plain_csv_files_take_the_fast_reader(tmp_path, newline):
    rows = [["Title"], HEADER] + [[f"{i}.1", f"S{i}", *DESCRIPTORS, "Red", "1", "2", "3", "4", "5"] for i in range(9)]
    rows.append(["Grand Total", "", "", "", "", "", "9", "18", "27", "36", "45"])
    path = write_csv(tmp_path / "LC.csv", rows, newline)
    sheet = read_returns_files([path])[0].sheets[0]
    assert isinstance(sheet.columns()["scheme_name"], pa.Array)  # read by Arrow, column by column
    assert [r["milestones"] for r in sheet.records] == ["Milestones on track"] * 9
    assert [r["risk_issue"] for r in sheet.records] == ["On track / slipping"] * 9  # trimmed, as cell_text does
    assert sheet.printed_total == dict(
        zip(("plan_ytd", "actual_ytd", "annual_plan", "fot", "assured"), (9.0, 18.0, 27.0, 36.0, 45.0), strict=True)
    )
    assert (sheet.printed_total_row, [r["source_row"] for r in sheet.records][-1]) == (12, 11)
    fast = summary(read_returns_files([path]))
    with row_by_row():
        assert summary(read_returns_files([path])) == fast


def test_quoted_and_blank_lines_fall_back_to_the_row_by_row_reader(tmp_path):
    rows = [HEADER, ["1.1", "SDEC, same day", *DESCRIPTORS, "Red", "1", "2", "3", "4", "5"], [""] * 11]
    rows += [
        ["1.2", "Care", *DESCRIPTORS, "Green", "(1,234)", "", "-", "£5", "0"],
        ["Grand Total", *[""] * 5, *"12345"],
    ]
    path = write_csv(tmp_path / "ELR.csv", rows, "\r\n")
    fast, slow = read_both([path])
    assert summary(fast) == summary(slow)
    assert [r["fot"] for r in fast[0].sheets[0].records] == [4.0, 5.0]


# --- stored rows: fast and slow ingest, one batch and one ingest per folder ----------------------------------


def store_dump(data: Path) -> dict:
    live = db.store(data)
    tables = {name: live.load(name) for name in TABLES}
    log = [{k: v for k, v in e.items() if k != "time"} for e in live.log()]
    versions = [(v.number, v.digest, v.rows, {t: c.__dict__ for t, c in v.changes.items()}) for v in live.versions()]
    return {"tables": tables, "log": log, "versions": versions}


def assert_same_store(a: Path, b: Path) -> None:
    x, y = store_dump(a), store_dump(b)
    for name in TABLES:
        pd.testing.assert_frame_equal(x["tables"][name], y["tables"][name], obj=name)
    assert json.dumps(x["log"], sort_keys=True) == json.dumps(y["log"], sort_keys=True)
    assert x["versions"] == y["versions"]


def ingest_folders(raw: Path, data: Path, *, batch: bool) -> None:
    folders = sorted(raw.glob("*/M[0-9][0-9]"))
    batches = []
    for f in folders:
        files = sorted(p for p in f.iterdir() if p.suffix in (".csv", ".xlsx"))
        note = f / "PROVENANCE.txt"
        provenance = note.read_text().strip() if note.is_file() else None
        batches.append(Batch(tuple(files), f.parent.name, int(f.name[1:]), provenance=provenance))
    if batch:
        ingest_batches(batches, data)
    else:
        for b in batches:
            ingest_files(list(b.paths), b.fin_year, b.month, data, provenance=b.provenance)


@pytest.fixture(scope="module")
def national(tmp_path_factory) -> Path:
    """Synthetic national-style CSV returns: 6 organisations x 30 schemes x 12 months x 2 years."""
    folder = tmp_path_factory.mktemp("national")
    demo_data(folder, orgs=6, schemes=30, months=12, years=2)
    return folder


@pytest.mark.slow
def test_csv_months_store_the_same_rows_fast_and_row_by_row(national, tmp_path):
    fast, slow = tmp_path / "fast", tmp_path / "slow"
    for d in (fast, slow):
        d.mkdir()
        (d / "organisations.csv").write_bytes((national / "organisations.csv").read_bytes())
    ingest_folders(national / "raw", fast, batch=False)
    with row_by_row():
        ingest_folders(national / "raw", slow, batch=False)
    assert len(db.load_returns(fast)) == 6 * 30 * 24
    assert_same_store(fast, slow)


@pytest.mark.slow
@pytest.mark.parametrize("source", ["national", "paper"])
def test_a_batch_of_folders_stores_what_one_ingest_per_folder_stores(source, national, tmp_path):
    """Later months of a batch see the earlier ones (notes, adjustments against the LLR sheet, carried data)."""
    raw = national / "raw" if source == "national" else RAW
    one, each = tmp_path / "one", tmp_path / "each"
    for d in (one, each):
        d.mkdir()
        if source == "national":
            (d / "organisations.csv").write_bytes((national / "organisations.csv").read_bytes())
    ingest_folders(raw, one, batch=True)
    ingest_folders(raw, each, batch=False)
    assert_same_store(one, each)
    if source == "paper":
        assert len(db.load_adjustments(one)) and len(db.read_log(one)) == len(list(RAW.glob("*/M[0-9][0-9]")))


@pytest.mark.slow
def test_a_batch_with_a_bad_folder_writes_nothing(national, tmp_path):
    raw = tmp_path / "raw"
    for f in sorted((national / "raw").glob("2019-20/M0[1-3]")):
        (raw / "2019-20" / f.name).mkdir(parents=True)
        for p in f.iterdir():
            (raw / "2019-20" / f.name / p.name).write_bytes(p.read_bytes())
    bad = raw / "2019-20" / "M03" / "S002.csv"
    bad.write_text(bad.read_text().replace("Green", "Purple", 1))
    data = tmp_path / "data"
    data.mkdir()
    (data / "organisations.csv").write_bytes((national / "organisations.csv").read_bytes())
    with pytest.raises(IngestError) as caught:
        ingest_folders(raw, data, batch=True)
    assert "S002.csv" in str(caught.value) and "RAG rating 'Purple'" in str(caught.value)
    assert caught.value.batch == 2  # type: ignore[attr-defined]
    assert db.versions(data) == []


@pytest.mark.slow  # two stores built commit by commit: make test, not make test-fast
def test_commit_many_makes_the_versions_commit_makes(tmp_path):
    m6 = read_returns_files([M6_WORKBOOK])
    frames = [
        coerce_returns(
            pd.DataFrame([{**r, "fin_year": "2019-20", "month": m, "provenance": "test", "source_file": "x", "row": i}
                          for s in m6[0].sheets if s.org != "LLR" for i, r in enumerate(s.records)])
        ).assign(workstream="Planned Care")
        for m in (5, 6)
    ]  # fmt: skip
    commits = [
        ([Change("returns", frames[0])], {"kind": "a"}),
        ([Change("returns", frames[1]), Change("warnings", None, {("2019-20", 5, "WL")})], {"kind": "b"}),
        ([Change("returns", frames[0].assign(fot=1.0)), Change("returns", None)][:1], {"kind": "c"}),
        ([Change("returns", None, {("2019-20", 6, "ELR")})], {"kind": "d"}),
    ]
    one, each = Store(tmp_path / "one"), Store(tmp_path / "each")
    together = one.commit_many(commits)
    alone = [each.commit(changes, entry) for changes, entry in commits]
    assert [(v.number, v.digest, v.rows, v.changes) for v in together] == [
        (v.number, v.digest, v.rows, v.changes) for v in alone
    ]
    for name in ("returns", "warnings"):
        for version in range(1, 5):
            pd.testing.assert_frame_equal(one.load(name, as_of=version), each.load(name, as_of=version))


@pytest.mark.slow  # 40 tables through pandera: make test, not make test-fast
@settings(max_examples=40, deadline=None)
@given(
    column=st.sampled_from(["fin_year", "month", "org", "row", "scheme_no", "workstream", "rag", "fot", "provenance"]),
    value=st.sampled_from(["", "2019-2", "٢٠١٩-٢٠", "XYZ", "Green", -1, 13, 0, float("nan"), 2e9, "Planned Care"]),
)
def test_a_table_the_quick_check_passes_passes_pandera(column, value):
    frame = coerce_returns(
        pd.DataFrame(
            [{"fin_year": "2019-20", "month": 6, "org": "ELR", "row": 0, "scheme_no": "1.1", "scheme_name": "SDEC",
              "workstream": "Planned Care", "rag": "Red", "plan_ytd": 1.0, "actual_ytd": 0.0, "annual_plan": 2.0,
              "fot": 2.0, "assured": 0.0, "provenance": "test", "source_file": "f", "source_sheet": "ELR",
              "source_row": 3}]
        )
    )  # fmt: skip
    assert returns_pass(frame) and validate(frame, RETURNS_SCHEMA) == []
    try:
        frame[column] = pd.Series([value], dtype=frame[column].dtype)
    except (TypeError, ValueError):
        return
    if returns_pass(frame):  # the quick check never lets through what pandera would refuse
        assert validate(frame, RETURNS_SCHEMA) == []
