"""Forecast realism on the published M6 rows: what the rest of 2019/20 must deliver (issue 24).

The figures follow from Paper D's own Tables 1 and 2 (published, tests/oracle): LLR delivered
(22,943) in six months against an FOT of (47,688), so the last six must deliver (24,745); Urgent
Care delivered (141) against (2,072), 13.7-13.8 times its run rate (13.8x from the scheme rows,
which print (140) and (2,071)); Same Day Emergency Care has (92) against (1,523).
"""

from __future__ import annotations

import pandas as pd
import pytest

from qipp_helpers.pack.xlsx import write_tables_xlsx
from qipp_helpers.report import realism as page
from qipp_helpers.report.position.model import monthly_position

from ..books import workbook_of
from ..oracle.paper_d_published import TABLE1_YTD, TABLE2_FOT
from ..workbook_checks import check_workbook


@pytest.fixture(scope="module")
def llr(returns, warnings, adjustments, commentary):
    report = monthly_position(
        returns, warnings, fin_year="2019-20", month=6, org="LLR", adjustments=adjustments, commentary=commentary
    )
    return report, page.forecast_realism(report)


@pytest.fixture(scope="module")
def sheet(llr, tmp_path_factory) -> pd.DataFrame:
    """The ``Forecast realism`` sheet of the LLR workbook, written and read back as an analyst opens it."""
    report, fr = llr
    book = page.with_sheet(workbook_of(report), fr)
    path = tmp_path_factory.mktemp("xlsx") / "monthly_position.xlsx"
    write_tables_xlsx(path, book.tables, notes=book.notes, headline=book.headline)
    return check_workbook(path)[page.SHEET]


def _line(sheet: pd.DataFrame, level: str, label: str) -> pd.Series:
    hit = sheet[(sheet["Level"] == level) & (sheet["Line"] == label)]
    assert len(hit) == 1, (level, label, len(hit))
    return hit.iloc[0]


def test_urgent_care_needs_about_13_8_times_its_run_rate(sheet):
    uc = _line(sheet, "Workstream", "Urgent Care")
    published = (TABLE2_FOT["Urgent Care"]["LLR"][1] - TABLE1_YTD["Urgent Care"]["LLR"][1]) / TABLE1_YTD["Urgent Care"][
        "LLR"
    ][1]
    assert uc["Multiple of run rate (straight line)"] == pytest.approx(13.8, abs=0.05)
    assert uc["Multiple of run rate (straight line)"] == pytest.approx(published, rel=0.01)  # 13.70 from the tables
    assert uc["Flagged"] == "Yes" and "run rate" in uc["Why flagged"]
    assert uc["Plan profile"] == "back-loaded"  # 24% of its plan by M6: the profile multiple is shown beside it


def test_same_day_emergency_care_is_among_the_flagged_schemes(sheet):
    sdec = _line(sheet, "Scheme", "Same Day Emergency Care")
    assert sdec["Actuals YTD"] == pytest.approx(-92.0) and sdec["Revised FOT"] == pytest.approx(-1523.0)
    assert sdec["Flagged"] == "Yes"
    assert sdec["Multiple of run rate (straight line)"] == pytest.approx((1523 - 92) / 92, rel=1e-6)
    flagged = sheet[(sheet["Level"] == "Scheme") & (sheet["Flagged"] == "Yes")]["Line"].tolist()
    assert "Same Day Emergency Care" in flagged and "Long Term Conditions" in flagged


def test_the_organisation_line_needs_24745_against_22943_delivered(sheet):
    whole = _line(sheet, "Organisation", "LLR")
    delivered, fot = TABLE1_YTD["Total"]["LLR"][1], TABLE2_FOT["Total"]["LLR"][1]
    assert whole["Actuals YTD"] == pytest.approx(delivered) == -22943.0
    assert whole["Still needed (FOT less actuals YTD)"] == pytest.approx(fot - delivered) == -24745.0
    assert whole["Multiple of run rate (straight line)"] == pytest.approx(24745 / 22943)
    assert whole["Flagged"] != "Yes"  # 1.08x and FOT 6% above assured: within both thresholds
    ccgs = sheet[sheet["Level"] == "Organisation"]
    assert ccgs["Line"].tolist() == ["ELR", "WL", "LC", "LLR"]
    assert ccgs["Actuals YTD"].iloc[:3].sum() == pytest.approx(-22943.0)


def test_every_level_adds_up_to_the_organisation(llr):
    _, fr = llr
    for level in ("programme_area", "workstream", "scheme"):
        t = fr.levels[level]
        body, total = t[t["label"] != "Total"], t[t["label"] == "Total"].iloc[0]
        for c in ("actual_ytd", "fot", "assured"):
            assert body[c].sum() == pytest.approx(total[c], abs=1e-6), (level, c)
            assert total[c] == pytest.approx(fr.whole[c], abs=1e-6)


def test_the_summary_line_and_the_method_sentences(llr):
    _, fr = llr
    line = page.summary_sentence(fr)
    assert (
        "the remaining 6 months must deliver £24.745m, against £22.943m delivered in the 6 months so far: 1.1×" in line
    )
    assert "Urgent Care 13.8×" in line and "Integrated Teams none delivered" in line
    notes = page.method_notes(fr)
    assert len(notes) == 7 and all(n.endswith(".") for n in notes)
    assert "Same Day Emergency Care (7.8×)" not in page.profile_note(fr)  # 7.8x on its profile: still above 2x


@pytest.mark.slow  # builds the pack's front matter: make test, not make test-fast
def test_the_pack_summary_page_carries_the_realism_line(returns, warnings, frp_tables, adjustments):
    from qipp_helpers.report.summary import pack_summary

    s = pack_summary(returns, warnings, fin_year="2019-20", month=6, frp_tables=frp_tables, adjustments=adjustments)
    line = s.moved[-1]
    assert line.startswith("Forecast realism, LLR: to deliver its forecast out-turn of £47.688m, the remaining 6")
    assert "Urgent Care 13.8×" in line
