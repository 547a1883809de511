"""Nothing from an input ever executes, nothing lies about its data (issue 26): each adversarial family.

- hostile fields: markup, script, handlers, ``javascript:`` links, meta refresh, forms, formulas and control
  characters in every text field of every input layout (dashboard, FRP and RightCare About sheets, commentary
  provenance, the data folder's organisations.csv) and the CLI's text options reach no HTML, PDF, xlsx or
  terminal as anything but text; every HTML carries the Content-Security-Policy;
- the publish gate refuses what escaping would have missed;
- parameter overrides, snapshot tampering, future and corrupt stores, demo-data on real data, usage errors.
"""

from __future__ import annotations

import csv
import dataclasses
import re
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from qipp_helpers.cli import app
from qipp_helpers.ingest.layouts import ingest_files
from qipp_helpers.pack.gate import CSP_META, html_problems, pdf_problems
from qipp_helpers.synthetic.cli import app as synthetic_app

from ..conftest import FRP_WORKBOOK, M6_WORKBOOK, RAW, ROOT, run_args
from ..data.bad.corpus import CSV_HEADER, add_member, csv_file, dashboard, row, xlsx_bytes

#: Everything a field could carry to make a page run, submit, redirect, link out or compute (no control
#: characters: a workbook cannot hold them; the CLI options and CSV registries below carry those).
HOSTILE = (
    '<script>alert(1)</script> <img src=x onerror=alert(2)> <a href="javascript:alert(3)">go</a> '
    '[md](javascript:alert(4)) <meta http-equiv="refresh" content="0;url=https://evil.example"> '
    '<form action="https://evil.example"><input name=q></form> $\\frac{1}{2}$'
)
#: An escape sequence that retitles the terminal, a bell and a screen clear.
CONTROL = "\x1b]0;pwned\x07\x1b[2J"
FORMULA = '=HYPERLINK("https://evil.example","x")'
MARKING = "OFFICIAL <script>alert(7)</script>"
#: For the fields short enough to head a page (an FRP's "as at", a RightCare data year): script and a handler.
SHORT = "<script>a(8)</script><img src=x onerror=b>"


def _set_about(path: Path, key: str, value: str) -> None:
    wb = load_workbook(path)
    ws = wb["About"]
    for line in ws.iter_rows(min_row=2):
        if str(line[0].value).strip().lower() == key.lower():
            line[1].value = value
    wb.save(path)


def _hostile_names(path: Path) -> None:
    """The first scheme names of every CCG sheet of a dashboard, and its About sheet's text, made hostile."""
    wb = load_workbook(path)
    for ws in wb.worksheets:
        if ws.title == "About":
            for row in ws.iter_rows(min_row=2, min_col=2, max_col=2):
                row[0].value = f"{row[0].value} {HOSTILE}"
            continue
        changed = 0
        for row in ws.iter_rows():
            for cell in row:
                text = cell.value if isinstance(cell.value, str) and cell.column == 2 and cell.row > 3 else ""
                if changed < 3 and len(text) > 4 and "total" not in text.lower():
                    cell.value = f"{text} {HOSTILE if changed != 1 else FORMULA}"
                    changed += 1
    wb.save(path)


def _hostile_cells(path: Path, sheet: str, columns: dict[str, str], *, rows: range) -> None:
    """Each non-empty text cell of ``columns`` (letter -> hostile text) in ``rows`` with the text appended."""
    wb = load_workbook(path)
    ws = wb[sheet]
    for r in rows:
        for letter, text in columns.items():
            cell = ws[f"{letter}{r}"]
            if isinstance(cell.value, str) and cell.value.strip():
                cell.value = f"{cell.value} {text}"
    wb.save(path)


@pytest.fixture(scope="module")
def hostile_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """M5 and M6 2019/20, the FRP, commentary and RightCare, with hostile text in every text field."""
    data = tmp_path_factory.mktemp("hostile")
    for part in ("M05", "M06", "rightcare"):
        shutil.copytree(RAW / "2019-20" / part, data / "raw" / "2019-20" / part)
    m6 = data / "raw" / "2019-20" / "M06"
    _hostile_names(m6 / "paper_d_m6_pmo_dashboards.xlsx")
    _set_about(m6 / "paper_e_system_frp.xlsx", "As at", f"2019-10-04 {SHORT}")
    _set_about(m6 / "paper_e_system_frp.xlsx", "Provenance", f"published: {HOSTILE}")
    _set_about(data / "raw" / "2019-20" / "rightcare" / "synthetic_rightcare_llr.xlsx", "Data year", SHORT)
    _set_about(m6 / "paper_d_m6_commentary.xlsx", "provenance", f"published: {HOSTILE}")
    _hostile_cells(m6 / "paper_d_m6_commentary.xlsx", "Commentary", {"F": SHORT, "G": HOSTILE}, rows=range(2, 30))
    _hostile_cells(m6 / "paper_e_system_frp.xlsx", "FRP Schemes", {"A": SHORT, "B": SHORT}, rows=range(4, 8))
    _hostile_cells(m6 / "paper_e_system_frp.xlsx", "FRP Position", {"B": SHORT}, rows=range(6, 8))
    rc = data / "raw" / "2019-20" / "rightcare" / "synthetic_rightcare_llr.xlsx"
    _hostile_cells(rc, "RightCare Indicators", {"B": SHORT}, rows=range(3, 600))
    with (ROOT / "qipp_helpers" / "reference" / "organisations.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for r in rows:
        if r["code"] in ("LLR", "ELR"):
            r["name"] = f"{r['code']} <script>alert(5)</script><img src=x onerror=alert(6)> [x](javascript:y)"
            r["note"] = f"{SHORT} [x](javascript:z) <meta http-equiv=refresh content=0>"
    with (data / "organisations.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    res = CliRunner().invoke(app, ["ingest-raw", "--data-dir", str(data)])
    assert res.exit_code == 0, res.output
    return data


@pytest.fixture(scope="module")
def rendered(hostile_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    out = tmp_path_factory.mktemp("out")
    # the illustrative RightCare report too: its hostile CCG names must reach no output either
    args = ["run", "--fin-year", "2019-20", "--month", "6", "--org", "LLR", "--jobs", "1", "--include-illustrative"]
    args += ["--data-dir", str(hostile_data), "--out", str(out), "--notebooks-dir", str(ROOT / "notebooks")]
    res = CliRunner().invoke(app, [*args, "--marking", MARKING])
    assert res.exit_code == 0, res.output
    return out / "2019-20" / "M06", res.output


def test_hostile_fields_reach_no_html_as_markup_and_every_page_has_the_policy(rendered):
    folder, _ = rendered
    pages = sorted(folder.rglob("*.html"))
    assert len(pages) >= 5  # four reports and the front page
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert html_problems(html) == [], page.name
        assert CSP_META in html.split("</head>", 1)[0], page.name
        assert "\x1b" not in html and "\x07" not in html, page.name
        # only links inside the page, and a report's link back to its month's front page (screen only)
        assert not re.search(r"<a [^>]*href=\"(?!#|\.\./index\.html\")", html), page.name


def test_hostile_fields_reach_no_pdf_as_a_link_or_action(rendered):
    folder, _ = rendered
    pdfs = sorted(folder.rglob("*.pdf"))
    assert len(pdfs) >= 5  # four reports and the pack
    for pdf in pdfs:
        assert pdf_problems(pdf.read_bytes()) == [], pdf.name


def test_hostile_fields_reach_no_workbook_as_a_formula(rendered):
    folder, _ = rendered
    books = sorted(folder.rglob("*.xlsx"))
    assert books
    for book in books:
        wb = load_workbook(book)
        for ws in wb.worksheets:
            for cells in ws.iter_rows():
                for cell in cells:
                    if cell.data_type == "f":
                        assert "evil" not in str(cell.value) and "HYPERLINK" not in str(cell.value).upper()
                    if isinstance(cell.value, str):
                        assert "\x1b" not in cell.value


def test_the_terminal_gets_no_control_characters(tmp_path: Path):
    data = tmp_path / "d"
    ingest_files([M6_WORKBOOK], "2019-20", 6, data, org="ELR", user=f"pmo{CONTROL}")  # an old log entry
    res = CliRunner().invoke(app, ["history", "--data-dir", str(data)])
    assert res.exit_code == 0 and "pmo]0;pwned" in res.output
    assert "\x1b" not in res.output and "\x07" not in res.output


@pytest.mark.parametrize(
    ("option", "value"),
    [("--user", f"pmo{CONTROL}"), ("--provenance", f"published{CONTROL}"), ("--provenance", "x" * 301)],
)
def test_cli_text_options_with_control_characters_or_too_long_are_usage_errors(tmp_path: Path, option, value):
    args = ["ingest", str(M6_WORKBOOK), "--fin-year", "2019-20", "--month", "6", "--data-dir", str(tmp_path)]
    res = CliRunner().invoke(app, [*args, option, value])
    assert res.exit_code == 2 and res.output.count("\n") == 1 and option in res.output, res.output
    assert "\x1b" not in res.output and not (tmp_path / "processed").exists()


def test_run_refuses_a_marking_too_long_for_the_page(tmp_path: Path):
    res = CliRunner().invoke(app, run_args(tmp_path, tmp_path / "out", "--marking", "OFFICIAL " * 10))
    assert res.exit_code == 2 and "--marking" in res.output and res.output.count("\n") == 1, res.output


def test_a_registry_name_with_control_characters_or_too_long_is_refused(tmp_path: Path):
    text = (ROOT / "qipp_helpers" / "reference" / "organisations.csv").read_text(encoding="utf-8")
    for bad, says in [(f"ELR,East{CONTROL}", "control character"), ("ELR," + "E" * 101, "more than the 100")]:
        data = tmp_path / says.replace(" ", "_")
        data.mkdir()
        (data / "organisations.csv").write_text(text.replace("ELR,East Leicestershire & Rutland CCG", bad))
        res = CliRunner().invoke(app, run_args(data, tmp_path / "out"))
        assert res.exit_code == 1 and says in res.output and "row 7, column 'name'" in res.output, res.output


# --- reports are what the manifest says -------------------------------------------------------------------


@pytest.fixture(scope="module")
def elr_m6(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """ELR's M6 returns, ingested once (version 1)."""
    data = tmp_path_factory.mktemp("elr")
    ingest_files([M6_WORKBOOK], "2019-20", 6, data, org="ELR")
    return data


@pytest.mark.parametrize("param", ["org=WL", "month=5", "fin_year=2018-19", "data_dir=/elsewhere"])
def test_a_parameter_the_runner_sets_cannot_be_overridden(elr_m6: Path, tmp_path: Path, param: str):
    res = CliRunner().invoke(app, run_args(elr_m6, tmp_path / "out", "--param", param))
    assert res.exit_code == 2 and res.output.count("\n") == 1, res.output
    assert f"--param {param.split('=')[0]}: set by the run itself" in res.output
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.html"))


def test_an_edited_snapshot_is_made_again_from_the_store_before_a_report_reads_it(elr_m6: Path, tmp_path: Path):
    import pandas as pd

    from qipp_helpers.store import db

    snap, version = db.snapshot(elr_m6)
    table = snap / "processed" / "returns.parquet"
    true_plan = pd.read_parquet(table)["annual_plan"].sum()
    edited = pd.read_parquet(table).assign(annual_plan=lambda d: d["annual_plan"] * 10)
    edited.to_parquet(table, index=False)
    assert db.snapshot_problems(snap, version, elr_m6)  # the edit is seen ...
    out = tmp_path / "out"
    res = CliRunner().invoke(app, run_args(elr_m6, out, formats="xlsx"))
    assert res.exit_code == 0, res.output
    assert pd.read_parquet(table)["annual_plan"].sum() == pytest.approx(true_plan)  # ... and undone before the run
    assert db.snapshot_problems(snap, version, elr_m6) == []
    manifest = (out / "2019-20" / "M06" / "manifest.json").read_text(encoding="utf-8")
    assert '"version": 1' in manifest


def test_outputs_name_no_folder_of_the_machine_and_a_failed_report_leaves_no_output(elr_m6: Path, tmp_path: Path):
    import json

    out = tmp_path / "out"
    res = CliRunner().invoke(app, run_args(elr_m6, out, formats="html,xlsx"))
    assert res.exit_code == 0, res.output
    folder = out / "2019-20" / "M06"
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    given = manifest["reports"][0]["parameters"]["data_dir"]
    assert not Path(given).is_absolute() and given.endswith("processed/snapshots/v000001")
    executed = (folder / "ELR" / "monthly_position.ipynb").read_text(encoding="utf-8")
    assert f'"{elr_m6.resolve()}' not in executed and f'\\"{elr_m6.resolve()}' not in executed  # never absolute
    # the same report failing now: its earlier HTML and workbook are not left looking current
    broken = tmp_path / "nbs"
    shutil.copytree(ROOT / "notebooks", broken)
    nb = json.loads((broken / "monthly_position.ipynb").read_text(encoding="utf-8"))
    nb["cells"].append(
        {
            "id": "broken",
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": "raise RuntimeError('disk full, say')",
        }
    )
    (broken / "monthly_position.ipynb").write_text(json.dumps(nb), encoding="utf-8")
    args = [a if a != str(ROOT / "notebooks") else str(broken) for a in run_args(elr_m6, out, formats="html,xlsx")]
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 1 and "disk full, say" in res.output, res.output
    assert not (folder / "ELR" / "monthly_position.html").exists()
    assert not (folder / "ELR" / "monthly_position.xlsx").exists()
    assert (folder / "ELR" / "monthly_position.ipynb").exists()  # kept, to see what failed


def _store_copy(elr_m6: Path, tmp_path: Path) -> Path:
    data = tmp_path / "d"
    shutil.copytree(elr_m6 / "processed", data / "processed", ignore=shutil.ignore_patterns("snapshots"))
    return data


def _flip(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[300:364] = bytes(b ^ 0xFF for b in data[300:364])
    path.write_bytes(data)


def _sqlite(path: Path) -> None:
    import sqlite3

    path.unlink()
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE t (a)")
    con.commit()
    con.close()


def _future(path: Path) -> None:
    import duckdb

    con = duckdb.connect(str(path))
    con.execute("UPDATE meta SET value = '2' WHERE key = 'layout'")
    con.close()


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (_flip, "is not a readable store (Corrupt database file"),
        (_sqlite, "is not a readable store (not a DuckDB file: it holds a SQLite database)"),
        (_future, "has store layout '2', but this qipp-workbooks knows layout 1; upgrade"),
    ],
)
@pytest.mark.parametrize("command", ["history", "run", "ingest"])
def test_a_corrupt_foreign_or_future_store_is_refused_at_once_in_one_line(
    elr_m6: Path, tmp_path: Path, damage, says: str, command: str
):
    data = _store_copy(elr_m6, tmp_path)
    damage(data / "processed" / "store.duckdb")
    before = (data / "processed" / "store.duckdb").read_bytes()
    args = {
        "history": ["history", "--data-dir", str(data)],
        "run": run_args(data, tmp_path / "out"),
        "ingest": ["ingest", str(M6_WORKBOOK), "--org", "WL", "--fin-year", "2019-20", "--month", "6", "--data-dir"],
    }[command]
    res = CliRunner().invoke(
        app, args + ([str(data)] if command == "ingest" else [])
    )  # at once: not the 120 s wait for a store "in use"
    assert res.exit_code == 3 and res.output.count("\n") == 1 and says in res.output, res.output
    assert "in use" not in res.output
    assert (data / "processed" / "store.duckdb").read_bytes() == before  # nothing written into it


def test_a_killed_snapshot_export_is_cleaned_on_the_next_run(elr_m6: Path, tmp_path: Path):
    import os

    from qipp_helpers.store import db

    data = _store_copy(elr_m6, tmp_path)
    left = data / "processed" / "snapshots" / ".v000099.building"  # a run --as-of killed mid-export
    (left / "processed").mkdir(parents=True)
    os.utime(left, (1, 1))  # killed long ago
    db.snapshot(data)
    assert not left.exists()


# --- commands that cannot destroy ---------------------------------------------------------------------------


def test_demo_data_refuses_a_folder_that_holds_data(elr_m6: Path, tmp_path: Path):
    data = tmp_path / "real"
    (data / "raw" / "2019-20" / "M01").mkdir(parents=True)
    registry = "code,name,members\nELR,East Leicestershire & Rutland CCG,\n"
    (data / "organisations.csv").write_text(registry, encoding="utf-8")
    res = CliRunner().invoke(synthetic_app, ["--data-dir", str(data), "--orgs", "1", "--schemes", "2"])
    assert res.exit_code == 2 and "already holds organisations.csv, raw" in res.output, res.output
    assert (data / "organisations.csv").read_text(encoding="utf-8") == registry
    assert not list((data / "raw").rglob("*.csv"))
    fresh = tmp_path / "new"
    res = CliRunner().invoke(synthetic_app, ["--data-dir", str(fresh), "--orgs", "1", "--schemes", "2"])
    assert res.exit_code == 0 and (fresh / "organisations.csv").is_file(), res.output


def test_template_never_overwrites_a_raw_return(elr_m6: Path, tmp_path: Path):
    data = _store_copy(elr_m6, tmp_path)
    raw = data / "raw" / "2019-20" / "M06" / "ELR_return.xlsx"
    raw.parent.mkdir(parents=True)
    raw.write_bytes(b"the SRO's return")
    args = ["template", "--fin-year", "2019-20", "--month", "7", "--org", "ELR", "--data-dir", str(data)]
    res = CliRunner().invoke(app, [*args, "--out", str(raw)])
    assert res.exit_code == 2 and "never overwritten" in res.output, res.output
    assert raw.read_bytes() == b"the SRO's return"


# --- usage errors are one line, exit 2 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["run", "--fin-year", "2019-20", "--month", "6", "--jobs", "abc"], "Invalid value for '--jobs'"),
        (["run", "--fin-year", "2019-20", "--month", "abc"], "month must look like 6"),
        (["run", "--fin-year", "2019-20", "--month", "6", "--bogus"], "No such option: --bogus"),
        (["bogus"], "No such command 'bogus'"),
        (["--bogus"], "No such option: --bogus"),
        (["ingest", "--fin-year", "2019-20"], "Missing argument"),
        (["ingest", str(M6_WORKBOOK), "--fin-year", "2019-20", "--month", "13"], "month must be 1-12"),
        (["ingest", str(M6_WORKBOOK), "--fin-year", "19-20", "--month", "6"], "financial year must look like"),
        (["history", "--last", "x"], "Invalid value for '--last'"),
        (
            ["adjust", "--fin-year", "2019-20", "--month", "6", "--org", "WL", "--amount", "fot=x", "--reason", "r"],
            "the amount must be a number",
        ),
        (["template", "--fin-year", "2019-20", "--month", "7"], "Missing option '--org'"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(tmp_path: Path, args: list[str], says: str):
    res = CliRunner().invoke(
        app, [*args, *(["--data-dir", str(tmp_path)] if args[0] not in ("bogus", "--bogus") else [])]
    )
    assert res.exit_code == 2, res.output
    assert res.output.count("\n") == 1 and says in res.output and "internal error" not in res.output, res.output


# --- inputs refused the way people would want ----------------------------------------------------------------


def _hide_column(ws) -> None:
    ws.column_dimensions["H"].hidden = True


def _tiny_row(ws) -> None:
    ws.row_dimensions[3].height = 0.1


def _invisible(ws) -> None:
    ws["H3"].number_format = ";;;"


def _external_link(folder: Path) -> list[Path]:
    return [add_member(folder / "linked.xlsx", xlsx_bytes(), "xl/externalLinks/externalLink1.xml", b"<externalLink/>")]


REFUSED = {
    "ambiguous_money": (
        lambda f: [csv_file(f / "ELR.csv", [CSV_HEADER, '1.1,SDEC,,,,Red,"1.234,5",0,0,0,0'])],
        "ambiguous money value '1.234,5'",
        ("ELR.csv", "row 2"),
    ),
    "stray_quote_swallows_rows": (
        lambda f: [
            csv_file(f / "ELR.csv", [CSV_HEADER, '1.1,"SDEC,,,,Red,-10,0,-100,-90,-50', "1.2,CSR,,,,Green,0,0,-5,-5,0"])
        ],
        'a quote (") opened here is closed lines later',
        ("ELR.csv", "row 2", "column 'B'"),
    ),
    "stray_quote_joins_fields": (
        lambda f: [
            csv_file(f / "ELR.csv", [CSV_HEADER, '1.1,"SDEC,Red",,,-10,0,-100,-90,-50', "1.2,CSR,,,,Green,0,0,-5,-5,0"])
        ],
        'a quote (") joins fields here',
        ("ELR.csv", "row 2", "column 'B'"),
    ),
    "hidden_column": (
        lambda f: [dashboard(f / "in.xlsx", edit=_hide_column)],
        "hidden column",
        ("in.xlsx", "sheet 'ELR'"),
    ),
    "row_too_small_to_see": (
        lambda f: [dashboard(f / "in.xlsx", edit=_tiny_row)],
        "hidden row 3",
        ("in.xlsx", "row 3"),
    ),
    "invisible_format": (
        lambda f: [dashboard(f / "in.xlsx", edit=_invisible)],
        "formatted to show nothing (;;;)",
        ("in.xlsx", "row 3"),
    ),
    "external_link": (_external_link, "links to another workbook", ("linked.xlsx",)),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_inputs_are_refused_with_a_located_line(elr_m6: Path, tmp_path: Path, name: str):
    make, says, where = REFUSED[name]
    data = _store_copy(elr_m6, tmp_path)
    before = (data / "processed" / "store.duckdb").read_bytes()
    files = make(tmp_path)
    res = CliRunner().invoke(
        app, ["ingest", *map(str, files), "--fin-year", "2019-20", "--month", "6", "--data-dir", str(data)]
    )
    assert res.exit_code == 1, res.output
    line = next((x for x in res.output.splitlines() if says in x), "")
    assert line and all(part in line for part in where), res.output
    assert (data / "processed" / "store.duckdb").read_bytes() == before


def test_size_limits_are_enforced_before_parsing_and_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from qipp_helpers.ingest import guard

    monkeypatch.setattr(guard, "MAX_SHARED_STRINGS_BYTES", 2048)
    monkeypatch.setattr(guard, "MAX_ROWS", 10)
    text = b"<sst><si><t>" + b"x" * 5000 + b"</t></si></sst>"  # a text Excel keeps in its shared strings
    long_text = add_member(tmp_path / "long.xlsx", xlsx_bytes(), "xl/sharedStrings.xml", text)
    many_rows = dashboard(tmp_path / "rows.xlsx", [row(f"1.{i}", f"S{i}", "Red", 0, 0, 0, 0, 0) for i in range(20)])
    many_lines = csv_file(tmp_path / "ELR.csv", [CSV_HEADER] + ["1.1,SDEC,,,,Red,0,0,0,0,0"] * 20)
    for path, says in [
        (long_text, "over the 0 MB limit (guard.MAX_SHARED_STRINGS_BYTES); refused unparsed"),
        (many_rows, "has 22 rows, over the 10-row limit (guard.MAX_ROWS); refused unparsed"),
        (many_lines, "21 lines, over the 10-line limit (guard.MAX_ROWS)"),
    ]:
        res = CliRunner().invoke(
            app, ["ingest", str(path), "--fin-year", "2019-20", "--month", "6", "--data-dir", str(tmp_path / "d")]
        )
        assert res.exit_code == 1 and says in res.output and path.name in res.output, res.output


def test_a_huge_cell_is_never_echoed_in_full(tmp_path: Path):
    path = csv_file(tmp_path / "ELR.csv", [CSV_HEADER, "1.1,SDEC,,,,Red," + "9x" * 50_000 + ",0,0,0,0"])
    res = CliRunner().invoke(
        app, ["ingest", str(path), "--fin-year", "2019-20", "--month", "6", "--data-dir", str(tmp_path / "d")]
    )
    assert res.exit_code == 1 and len(res.output) < 2000 and "ELR.csv" in res.output, res.output[:500]


def test_a_manual_adjustment_out_of_range_is_a_usage_error(elr_m6: Path, tmp_path: Path):
    data = _store_copy(elr_m6, tmp_path)
    args = ["adjust", "--fin-year", "2019-20", "--month", "6", "--org", "ELR", "--amount", "fot=1e15"]
    res = CliRunner().invoke(app, [*args, "--reason", "typo", "--data-dir", str(data)])
    assert res.exit_code == 2 and "beyond ±1,000,000 £000" in res.output and res.output.count("\n") == 1, res.output


def test_a_reader_that_trips_still_names_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from qipp_helpers.ingest import layouts

    def trips(*_args, **_kwargs):
        return [][0]  # "list index out of range", as a reader once said with no file

    layout = layouts._BY_NAME["dashboard"]
    monkeypatch.setitem(layouts._BY_NAME, "dashboard", dataclasses.replace(layout, prepare=trips))
    path = dashboard(tmp_path / "in.xlsx")
    res = CliRunner().invoke(
        app, ["ingest", str(path), "--fin-year", "2019-20", "--month", "6", "--data-dir", str(tmp_path / "d")]
    )
    assert res.exit_code == 1 and "in.xlsx: could not be read as a" in res.output, res.output
    assert "list index out of range" in res.output and "internal error" not in res.output


def test_an_xml_entity_workbook_is_one_located_line(tmp_path: Path):
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes())) as zin, zipfile.ZipFile(buf, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/workbook.xml":
                data = b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>' + data.replace(b'"ELR"', b'"&b;"')
            zout.writestr(info, data)
    path = tmp_path / "entities.xlsx"
    path.write_bytes(buf.getvalue())
    res = CliRunner().invoke(
        app, ["ingest", str(path), "--fin-year", "2019-20", "--month", "6", "--data-dir", str(tmp_path / "d")]
    )
    assert res.exit_code == 1 and res.output.count("\n") == 2, res.output  # the head line and one problem
    assert "entities.xlsx: not a readable .xlsx workbook (EntitiesForbidden" in res.output
    from qipp_helpers.core.errors import Problem

    said = str(Problem("in.xlsx", "XML error:\n  line 1\n  entity 'a' forbidden\n" + "x" * 100_000, "ELR", 3))
    assert "\n" not in said and len(said) < 500 and said.startswith("in.xlsx, sheet 'ELR', row 3: XML error: line 1")


def _long_frp_scheme(path: Path) -> None:
    wb = load_workbook(path)
    wb["FRP Schemes"]["B5"] = "Review accounting flexibilities " * 20
    wb.save(path)


@pytest.mark.parametrize(
    ("source", "edit", "says", "where"),
    [
        (
            FRP_WORKBOOK,
            lambda p: _set_about(p, "As at", "4 October 2019 " * 8),
            "'as at' value is 119 characters; the limit is 60",
            "sheet 'About'",
        ),
        (FRP_WORKBOOK, _long_frp_scheme, "is 639 characters long; the limit is 200", "column 'Scheme'"),
        (
            RAW / "2019-20" / "rightcare" / "synthetic_rightcare_llr.xlsx",
            lambda p: _set_about(p, "Data year", "2017/18 " * 10),
            "'data year' value is 79 characters; the limit is 60",
            "sheet 'About'",
        ),
    ],
)
def test_text_that_heads_a_page_or_a_table_line_has_a_length_limit(tmp_path: Path, source, edit, says, where):
    path = tmp_path / source.name
    shutil.copy(source, path)
    edit(path)
    res = CliRunner().invoke(
        app, ["ingest", str(path), "--fin-year", "2019-20", "--month", "6", "--data-dir", str(tmp_path / "d")]
    )
    line = next((x for x in res.output.splitlines() if says in x), "")
    assert res.exit_code == 1 and where in line and source.name in line, res.output
