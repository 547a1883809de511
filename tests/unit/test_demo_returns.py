"""The demonstration M7-M9: SRO returns made with `qipp template` and filled as an SRO would (data/raw, by
scripts/make_demo_returns.py). Each month's changes section lists exactly the planted changes; the executive
summary's cells are the sums of the returns' own programme area and planning stage; every line says synthetic."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from qipp_helpers.analysis import programme as prog
from qipp_helpers.ingest.layouts import ingest_files, received_register
from qipp_helpers.report import changes as since
from qipp_helpers.report.tracker import month_tracker, tracker_note
from qipp_helpers.store.db import load_commentary, load_returns, versions
from qipp_helpers.synthetic.returns import LATE, MONTHS, PLANTS, PROVENANCE, RECEIVED

from ..books import workbook_of
from ..conftest import RAW

pytestmark = pytest.mark.slow  # ingests the demo M7-M9 into a store copy: make test, not make test-fast


@pytest.fixture(scope="module")
def demo(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo store (M1-M6) with the committed M7-M9 returns ingested, as `qipp ingest-raw` does."""
    data = tmp_path_factory.mktemp("demo") / "data"
    shutil.copytree(demo_data_dir / "processed", data / "processed")
    for month in MONTHS:
        folder = RAW / "2019-20" / f"M{month:02d}"
        note = (folder / "PROVENANCE.txt").read_text(encoding="utf-8").splitlines()[0]
        received = received_register(folder)
        ingest_files(sorted(folder.glob("*.xlsx")), "2019-20", month, data, provenance=note, received=received)
    return data


@pytest.mark.parametrize("month", MONTHS)
def test_changes_list_every_planted_change_and_nothing_else(demo: Path, month: int):
    c = since.since_last_month(load_returns(demo), load_commentary(demo), fin_year="2019-20", month=month, org="LLR")
    got = sorted(zip(c.table["org"], c.table["scheme_no"], c.table["change"], strict=True))
    assert got == sorted((p.org, p.scheme_no, p.change) for p in PLANTS if p.month == month)
    assert c.synthetic and since.sentence(c).startswith(f"M{month}: synthetic demonstration data, not returns. Since ")
    for p in (p for p in PLANTS if p.month == month and p.text):
        row = c.table[(c.table["org"] == p.org) & (c.table["scheme_no"] == p.scheme_no)].iloc[0]
        assert row["reason"] == p.text  # the return's own words beside the change
    for org in ("ELR", "WL", "LC"):  # each CCG's report lists its own
        mine = since.since_last_month(load_returns(demo), None, fin_year="2019-20", month=month, org=org)
        assert set(mine.table["scheme_no"] + mine.table["change"]) == {
            p.scheme_no + p.change for p in PLANTS if p.month == month and p.org == org
        }


def test_executive_summary_is_the_sum_of_the_returns_own_fields(demo: Path):
    r = load_returns(demo)
    rows = r[(r["month"] == 7)].reset_index(drop=True)
    assert prog.returned_fields(rows)
    summary = prog.executive_summary(rows, pd.DataFrame(), pd.DataFrame()).set_index("programme_area")
    sums = rows.pivot_table(
        index="programme_area", columns="planning_stage", values="annual_plan", aggfunc="sum", fill_value=0.0
    )
    for area in prog.AREAS:
        for stage in ("Pipeline", "Design", "Developed"):
            want = sums.loc[area, stage] if area in sums.index and stage in sums.columns else 0.0
            assert summary.loc[area, stage.lower()] == pytest.approx(want), (area, stage)
    by_area = rows.groupby("programme_area")[["annual_plan", "plan_ytd", "actual_ytd", "fot"]].sum()
    body = summary.drop(index="Total")
    assert body["qipp_target"].sum() == pytest.approx(rows["annual_plan"].sum())
    for col, src in (("qipp_target", "annual_plan"), ("ytd_plan", "plan_ytd"), ("ytd_achieved", "actual_ytd")):
        assert body.loc[by_area.index, col].to_numpy() == pytest.approx(by_area[src].to_numpy())
    assert body["unstaged"].abs().sum() == 0


def test_demo_months_say_they_are_synthetic_and_the_resubmission_wins(demo: Path):
    r = load_returns(demo)
    later = r[r["month"] >= 7]
    returned = later[~later["provenance"].str.contains("carried forward from M")]
    assert (returned["provenance"] == PROVENANCE).all()
    assert later["provenance"].str.startswith("synthetic: ").all()  # one kind per month and organisation
    m9 = r[(r["month"] == 9) & (r["org"] == "ELR")]
    assert (m9["source_file"] == "ELR_return_resubmitted.xlsx").all()


def test_llr_workbook_sheets_list_the_changes_and_sum_the_fields(demo: Path):
    """The LLR monthly position's workbook: the 'Changes since last month' sheet lists the planted changes and
    the executive_summary sheet's stage cells are the sums of the returns' own fields (M7, as received)."""
    from qipp_helpers.report.position.model import monthly_position
    from qipp_helpers.store.db import load_adjustments, load_warnings

    r = load_returns(demo)
    report = monthly_position(
        r,
        load_warnings(demo),
        fin_year="2019-20",
        month=7,
        org="LLR",
        adjustments=load_adjustments(demo),
        commentary=load_commentary(demo),
    )
    book = workbook_of(report)
    sheet = book[since.SHEET].data
    assert sorted(zip(sheet["org"], sheet["scheme_no"], sheet["change"], strict=True)) == sorted(
        (p.org, p.scheme_no, p.change) for p in PLANTS if p.month == 7
    )
    summary = book["executive_summary"].data.set_index("programme_area")
    rows = r[r["month"] == 7]
    for (area, stage), plan in rows.groupby(["programme_area", "planning_stage"])["annual_plan"].sum().items():
        assert summary.loc[area, stage.lower()] == pytest.approx(plan), (area, stage)


@pytest.mark.parametrize("month", MONTHS)
def test_the_late_organisation_is_late_and_the_others_on_time(demo: Path, month: int):
    """WL's M8 return came in five days after its due day (working day 5: Friday 6 December 2019); every other
    return (ELR's M9 re-submission on the due day itself) is on time."""
    tracked = month_tracker(load_returns(demo), versions(demo), fin_year="2019-20", month=month)
    files = tracked.table.set_index("file")
    if (month, "WL") == LATE:
        assert tracked.due == date(2019, 12, 6) and tracked.late == [("WL", 5)]
        assert (files.loc["WL_return.xlsx", "timeliness"], files.loc["WL_return.xlsx", "days_late"]) == (
            "late by 5 days",
            5,
        )
        assert "Late: WL (5 days late)." in tracker_note(tracked).paragraphs[0]
    else:
        assert tracked.late == []
    on_time = files.drop(index="WL_return.xlsx") if month == LATE[0] else files
    assert (on_time["timeliness"] == "on time").all() and len(files) == (4 if month == 9 else 3)
    assert set(files["when"]) == set(RECEIVED[month].values())  # the register's times, not the ingest's
