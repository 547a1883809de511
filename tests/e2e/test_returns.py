"""SRO returns round trip: template -> filled -> ingested (merged) -> pack with movement; history; safety."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from qipp_helpers.cli import app
from qipp_helpers.core.money import fmt_k
from qipp_helpers.ingest.sro_return import COLUMNS, RETURN_SHEET, SPARE_ROWS
from qipp_helpers.store.db import load_adjustments, load_returns, read_log
from qipp_helpers.store.db import versions as versions_of

from ..conftest import ROOT
from ..data.bad.corpus import cell, fill

col = {k: i for i, k in enumerate(COLUMNS, start=1)}


def text_cell(wb, row: int, key: str, value: str) -> None:
    """Type formula-looking text as text (as Excel does after a leading apostrophe)."""
    c = wb[RETURN_SHEET].cell(row, col[key], value)
    c.data_type = "s"


def invoke(*args: str):
    return CliRunner().invoke(app, list(args))


def make_template(data: Path, out: Path, org: str, *extra: str, name: str = "") -> Path:
    path = out / f"{name or org}.xlsx"
    result = invoke(
        "template",
        "--fin-year",
        "2019-20",
        "--month",
        "7",
        "--org",
        org,
        "--data-dir",
        str(data),
        "--out",
        str(path),
        *extra,
    )
    assert result.exit_code == 0, result.output
    return path


@pytest.fixture(scope="module")
def round_trip(demo_data_dir, tmp_path_factory):
    """M1-M6 held; M7 templates for ELR, WL (two SROs' partial copies) and LC filled and ingested."""
    data = tmp_path_factory.mktemp("rt") / "data"
    shutil.copytree(demo_data_dir / "processed", data / "processed")
    out = data.parent / "returns"
    out.mkdir()
    elr = fill(
        make_template(data, out, "ELR"),
        fot_delta=2,
        edit=lambda wb: (
            cell("Return", 4, "new_annual_plan", -700)(wb),
            cell("Return", 4, "plan_change_reason", "Contract variation signed")(wb),
            text_cell(wb, 5, "commentary", '=HYPERLINK("http://x","click")'),
        ),
    )
    wl_a = fill(make_template(data, out, "WL", name="WL_sro_a"), fot_delta=2, only={"1.1", "1.2"})
    wl_b = fill(make_template(data, out, "WL", "--scheme", "1.1", name="WL_sro_b"), fot_delta=5)  # later wins
    wl_rest = fill(
        make_template(data, out, "WL", name="WL_rest"),
        fot_delta=2,
        only=None,
        edit=lambda wb: [
            setattr(wb[RETURN_SHEET].cell(r, c), "value", None)
            for r in range(4, 50)
            for c in (col["actual_ytd"], col["fot"], col["milestones"])
            if str(wb[RETURN_SHEET].cell(r, 1).value) in {"1.1", "1.2", "4.1"}
        ],
    )
    lc = make_template(data, out, "LC")

    def new_scheme(wb):
        ws, pmo = wb[RETURN_SHEET], wb["PMO"]
        r = ws.max_row - SPARE_ROWS + 1
        for key, value in {
            "scheme_no": "5.9",
            "scheme_name": "<b>Falls</b> prevention",
            "workstream": "Community Health",
            "annual_plan": -120,
            "plan_ytd": -10,
            "actual_ytd": -4,
            "fot": -90,
            "programme_area": "Community Health services",  # a new scheme says where it sits
            "planning_stage": "Pipeline",
        }.items():
            ws.cell(r, col[key], value)
        pmo.cell(r, 4, -60)
        pmo.cell(r, 5, "Red")

    fill(lc, fot_delta=2, edit=new_scheme)
    before = load_returns(data)
    result = invoke(
        "ingest",
        str(elr),
        str(wl_a),
        str(wl_rest),
        str(wl_b),
        str(lc),
        "--fin-year",
        "2019-20",
        "--month",
        "7",
        "--data-dir",
        str(data),
        "--user",
        "pmo.analyst",
    )
    assert result.exit_code == 0, result.output
    return data, before, result.output


def test_template_is_protected_with_validation_and_hidden_reference(demo_data_dir, tmp_path):
    path = make_template(demo_data_dir, tmp_path, "ELR")
    wb = load_workbook(path)
    assert wb.sheetnames == ["Instructions", "Return", "PMO", "Last month", "qipp_template"]
    assert wb["Last month"].sheet_state == "hidden" and wb["qipp_template"].sheet_state == "veryHidden"
    ws = wb[RETURN_SHEET]
    assert ws.protection.sheet and wb["PMO"].protection.sheet
    assert [c.value for c in ws[3]] == list(COLUMNS.values())
    assert ws.cell(4, col["actual_ytd"]).protection.locked is False
    assert ws.cell(4, col["annual_plan"]).protection.locked is True
    assert ws.cell(4, col["last_fot"]).value is not None  # last month's figures shown
    ranges = {str(r) for dv in ws.data_validations.dataValidation for r in dv.sqref.ranges}
    for key in (
        "plan_ytd",
        "actual_ytd",
        "fot",
        "milestones",
        "financial_benefits",
        "risk_issue",
        "new_annual_plan",
        "plan_change_reason",
        "commentary",
    ):
        letter = ws.cell(4, col[key]).column_letter
        assert any(r.startswith(f"{letter}4:") for r in ranges), key
    meta = {r[0]: r[1] for r in wb["qipp_template"].iter_rows(values_only=True)}
    assert (meta["fin_year"], meta["month"], meta["org"], meta["base_month"]) == ("2019-20", 7, "ELR", 6)


def test_round_trip_merges_and_reports(round_trip):
    data, before, output = round_trip
    after = load_returns(data)
    m6, m7 = before[before["month"] == 6], after[after["month"] == 7]
    assert set(m7["org"]) == {"ELR", "WL", "LC"}
    assert len(m7) == len(m6) + 1  # every line held, plus LC's new scheme
    assert after[after["month"] <= 6].reset_index(drop=True).equals(before.reset_index(drop=True))  # history kept
    assert "annual plan changed: ELR 1.1 line 1: annual plan" in output and "Contract variation signed" in output
    assert "return missing against last month's schemes: WL 4.1" in output
    assert "scheme new this month: LC 5.9 <b>Falls</b> prevention" in output
    assert "return replaced by a later file: WL 1.1 line 1: WL_sro_b.xlsx replaces WL_sro_a.xlsx" in output
    wl = m7[m7["org"] == "WL"].set_index(["scheme_no"])
    assert wl.loc["4.1", "provenance"].iloc[0] == "SRO return: carried forward from M6: no return received"
    entry = read_log(data)[-1]
    assert entry["user"] == "pmo.analyst" and entry["kind"] == "template" and entry["rows"] == len(m7)
    assert len(entry["files"]) == 5 and all(len(f["sha256"]) == 64 for f in entry["files"])
    assert entry["plan_changes"] and entry["missing"] and entry["new"]


def test_round_trip_pack_shows_movement_against_m6(round_trip, tmp_path):
    data, before, _ = round_trip
    after = load_returns(data)
    movement = after.loc[after["month"] == 7, "fot"].sum() - before.loc[before["month"] == 6, "fot"].sum()
    m6 = before[before["month"] == 6]
    wl = m6[m6["org"] == "WL"]
    n_wl_41 = int((wl["scheme_no"] == "4.1").sum())
    n_wl_11 = int((wl["scheme_no"] == "1.1").sum())
    expected = 2 * (len(m6) - n_wl_41) + 3 * n_wl_11 - 90  # +2 per line, +5 for WL 1.1, new scheme FOT -90
    assert movement == pytest.approx(expected)
    # the pack compares this month with last month as last month's pack showed it: M6 with its
    # control-total adjustments (WL's CHC line located from the LLR dashboard; M7 has no printed totals)
    adj = load_adjustments(data)
    shown = movement - adj.loc[(adj["month"] == 6) & (adj["measure"] == "fot"), "amount"].sum()
    result = invoke(
        "run",
        "--fin-year",
        "2019-20",
        "--month",
        "7",
        "--org",
        "LLR",
        "--notebook",
        "monthly_position",
        "--formats",
        "html",
        "--data-dir",
        str(data),
        "--out",
        str(tmp_path),
        "--notebooks-dir",
        str(ROOT / "notebooks"),
        "--jobs",
        "1",
    )
    assert result.exit_code == 0, result.output
    html = (tmp_path / "2019-20" / "M07" / "LLR" / "monthly_position.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "Month 7 2019/20" in text
    assert re.search(r"FOT movement since last month \(\+ = adverse\) " + re.escape(fmt_k(shown)), text), text[:3000]
    assert "&lt;b&gt;Falls&lt;/b&gt; prevention" in html and "<b>Falls" not in html  # input text escaped
    assert not re.search(r"""<(script|link)[^>]+(src|href)=["']?(https?:)?//""", html)  # nothing fetched


def test_template_needs_a_month_held(tmp_path):
    result = invoke(
        "template", "--fin-year", "2019-20", "--month", "7", "--org", "ELR", "--data-dir", str(tmp_path / "empty")
    )
    assert result.exit_code == 1 and "no month before 2019-20 M7 is held for ELR" in result.output
    bad = invoke("template", "--fin-year", "2019-20", "--month", "7", "--org", "../ELR", "--data-dir", str(tmp_path))
    assert bad.exit_code == 2 and "is not a code" in bad.output


def test_two_ingests_at_once_lose_nothing(demo_data_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_data_dir / "processed", data / "processed")
    files = [fill(make_template(data, tmp_path, org), fot_delta=1) for org in ("ELR", "WL")]
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "qipp_helpers.cli",
                "ingest",
                str(f),
                "--fin-year",
                "2019-20",
                "--month",
                "7",
                "--data-dir",
                str(data),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for f in files
    ]
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    m7 = load_returns(data).query("month == 7")
    assert set(m7["org"]) == {"ELR", "WL"}
    assert len(m7) == 50 + 44
    log = [e for e in read_log(data) if e.get("month") == 7]  # RightCare entries are per year
    assert sorted(e["orgs"][0] for e in log) == ["ELR", "WL"]
    versions = [v.number for v in versions_of(data)]
    assert versions == list(range(1, len(versions) + 1))  # one version each, none lost
