"""Paper D's executive summary by programme area and planning stage, from the M6 scheme rows (with the
adjustments derived from the dashboards) and the committed programme-area and planning-stage maps."""

from __future__ import annotations

import pandas as pd
import pytest

from qipp_helpers.analysis import adjustments as a
from qipp_helpers.analysis import position as t
from qipp_helpers.analysis.programme import AREAS, TOTAL, UNMAPPED, UNSTAGED, executive_summary, programme_lines
from qipp_helpers.core.vocab import MONEY_COLUMNS
from qipp_helpers.reference import (
    normalise_scheme_no,
    paper_d_executive_summary,
    paper_d_risk_ratings,
    planning_stage_map,
    programme_area_map,
    workstream_map,
)

from ..conftest import M6_WORKBOOK
from ..dashboard_frames import dashboard_frames

MONEY = ["qipp_target", "pipeline", "design", "developed", "ytd_plan", "ytd_achieved", "fot"]
PCT = ["pct_developed", "pct_ytd_achieved", "pct_target_achieved"]


@pytest.fixture(scope="module")
def m6_rows(returns):
    m6 = t.select(returns, "2019-20", 6, "LLR")
    combined, printed = dashboard_frames(M6_WORKBOOK, "2019-20", 6)
    return a.apply_adjustments(m6, a.derive_adjustments(m6, printed, combined))


@pytest.fixture(scope="module")
def summary(m6_rows):
    return executive_summary(m6_rows, programme_area_map(), planning_stage_map(), paper_d_risk_ratings())


@pytest.fixture(scope="module")
def published():
    return paper_d_executive_summary().set_index("programme_area")


def test_totals_as_published(summary):
    total = summary.set_index("programme_area").loc[TOTAL]
    # Paper D: target 65,963; pipeline 11,942; design 5,918; developed 48,103 (73%); YTD plan 31,514;
    # achieved 22,943 (73%); FOT 47,688 (72%). Savings are negative here, positive in the paper.
    got = {c: round(-total[c]) for c in MONEY}
    assert got == {
        "qipp_target": 65963,
        "pipeline": 11942,
        "design": 5918,
        "developed": 48103,
        "ytd_plan": 31514,
        "ytd_achieved": 22943,
        "fot": 47688,
    }
    assert [round(100 * total[c]) for c in PCT] == [73, 73, 72]
    assert total[UNSTAGED] == 0


def test_every_area_every_cell(summary, published):
    got = summary.set_index("programme_area")
    assert list(got.index) == [*AREAS, TOTAL]
    for area in published.index:
        for col in MONEY:  # £3k, as every other table: rows are printed rounded to £1k
            assert -got.at[area, col] == pytest.approx(published.at[area, col], abs=3.0), (area, col)
        for col in PCT:
            printed = published.at[area, col]
            if pd.notna(printed):  # Acute's % of target is not in the paper's text
                assert 100 * got.at[area, col] == pytest.approx(printed, abs=0.6), (area, col)


def test_risk_ratings_passed_through(summary):
    got = dict(zip(summary["programme_area"], summary["risk_rating"], strict=True))
    assert got["Unidentified"] == "High Risk" and got["Prescribing"] == "Low Risk"
    assert got["Acute Services"] == "Medium Risk" and got[TOTAL] == ""


def test_maps_cover_every_scheme_and_shares_add_up():
    areas, stages = programme_area_map(), planning_stage_map()
    assert set(map(normalise_scheme_no, workstream_map())) <= set(areas["scheme_no"])
    assert set(areas["programme_area"]) <= set(AREAS)
    assert set(stages["stage"]) <= {"pipeline", "design", "developed"}
    assert (areas.groupby(["scheme_no", "org"])["share"].sum() - 1).abs().max() < 1e-3
    assert (stages.groupby(["scheme_no", "org", "programme_area"])["share"].sum() - 1).abs().max() < 1e-3
    assert set(areas["basis"]) == {"paper", "workstream rule", "fitted to published area totals"}
    assert set(stages["basis"]) <= {
        "paper",
        "rule: unidentified QIPP is pipeline",
        "rule: completed (Blue) schemes are developed",
        "default: developed",
        "fitted to published stage split",
    }
    # the paper's own areas are never fitted
    fitted = areas[areas["basis"] == "fitted to published area totals"]
    assert set(fitted["programme_area"]) <= {"Acute Services", "Community Health services", "Mental Health Services"}


def test_lines_keep_every_pound(m6_rows):
    lines = programme_lines(m6_rows, programme_area_map(), planning_stage_map())
    for col in MONEY_COLUMNS:
        assert lines[col].sum() == pytest.approx(m6_rows[col].sum(), abs=1e-6), col


def test_unknown_scheme_is_shown_not_guessed(m6_rows):
    extra = m6_rows.iloc[[0]].assign(scheme_no="9.9", scheme_name="New scheme", workstream="", rag="Amber")
    extra["annual_plan"] = -100.0
    got = executive_summary(pd.concat([m6_rows, extra]), programme_area_map(), planning_stage_map())
    got = got.set_index("programme_area")
    assert got.at[UNMAPPED, "qipp_target"] == -100.0
    assert got.at[UNMAPPED, UNSTAGED] == -100.0
    assert got.at[TOTAL, "qipp_target"] == pytest.approx(-65963 - 100)
