"""Forecast realism on hand-made rows: each measure, each flag and each edge (issue 24)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from qipp_helpers.analysis import realism as rl
from qipp_helpers.report import realism as page


def _rows(*lines: tuple) -> pd.DataFrame:
    cols = ["org", "scheme_no", "scheme_name", "workstream", "plan_ytd", "actual_ytd", "annual_plan", "fot", "assured"]
    return pd.DataFrame(list(lines), columns=cols).assign(rag="Amber")


ROWS = _rows(
    # straight-line plan (50% by M6), on its run rate: 1.0x
    ("ELR", "1.1", "Steady", "Urgent Care", -50.0, -60.0, -100.0, -120.0, -120.0),
    # back-loaded plan (10% by M6): 4.5x on a straight line, 0.5x against its own profile
    ("ELR", "2.1", "Late", "Planned Care", -10.0, -20.0, -100.0, -110.0, -105.0),
    # nothing delivered, a saving forecast; and FOT 50% above assured
    ("WL", "3.1", "Nothing yet", "Planned Care", -25.0, 0.0, -50.0, -30.0, -20.0),
    # FOT already delivered: nothing more needed
    ("WL", "4.1", "Done", "CHC", -40.0, -80.0, -80.0, -80.0, -80.0),
)


def _line(t: pd.DataFrame, label: str) -> pd.Series:
    return t[t["label"] == label].iloc[0]


def test_each_measure_on_a_straight_line_plan():
    t = rl.realism(ROWS, 6, level="scheme")
    s = _line(t, "Steady")
    assert s["run_rate"] == pytest.approx(-10.0) and s["remaining"] == pytest.approx(-60.0)
    assert s["needed_rate"] == pytest.approx(-10.0) and s["multiple"] == pytest.approx(1.0)
    assert s["profile"] == "straight-line" and s["profile_multiple"] == pytest.approx(1.0)
    assert s["over_assured"] == pytest.approx(0.0) and not s["flagged"]


def test_a_back_loaded_plan_is_named_and_judged_on_its_profile_when_asked():
    straight = _line(rl.realism(ROWS, 6, level="scheme"), "Late")
    assert straight["multiple"] == pytest.approx(4.5) and straight["profile"] == "back-loaded"
    assert straight["profile_multiple"] == pytest.approx(90 / (20 * 0.9 / 0.1))  # 0.5x
    assert straight["flagged"] and straight["reasons"] == "multiple"
    profiled = _line(rl.realism(ROWS, 6, level="scheme", basis="profile"), "Late")
    assert not profiled["flagged"]


def test_nothing_delivered_nothing_needed_and_over_assured():
    t = rl.realism(ROWS, 6, level="scheme")
    none = _line(t, "Nothing yet")
    assert math.isinf(none["multiple"]) and none["over_assured"] == pytest.approx(0.5)
    assert none["reasons"] == "nothing delivered; over assured"
    done = _line(t, "Done")
    assert done["multiple"] == 0.0 and not done["flagged"]
    assert rl.flagged(t)["label"].tolist() == ["Late", "Nothing yet"]


def test_thresholds_move_the_flags():
    t = rl.realism(ROWS, 6, level="scheme", multiple_threshold=5.0, assured_threshold=0.6)
    assert rl.flagged(t)["label"].tolist() == ["Nothing yet"]
    assert _line(t, "Nothing yet")["reasons"] == "nothing delivered"


def test_levels_sum_their_rows_and_close_with_a_total():
    t = rl.realism(ROWS, 6, level="workstream")
    assert t["label"].tolist()[-1] == "Total"
    pc = _line(t, "Planned Care")
    assert pc["actual_ytd"] == -20.0 and pc["fot"] == -140.0 and pc["multiple"] == pytest.approx(6.0)
    total = _line(t, "Total")
    assert total["remaining"] == pytest.approx(-180.0) and total["multiple"] == pytest.approx(180 / 160)
    orgs = rl.realism(ROWS, 6, level="organisation")
    assert orgs["label"].tolist()[:2] in (["ELR", "WL"], ["WL", "ELR"])


def test_month_12_has_no_months_left_and_bad_arguments_are_refused():
    t = rl.realism(ROWS, 12, level="scheme")
    assert t["multiple"].isna().all() and not t["reasons"].str.contains("multiple").any()
    with pytest.raises(ValueError, match="level must be one of"):
        rl.realism(ROWS, 6, level="ccg")
    with pytest.raises(ValueError, match="basis must be one of"):
        rl.realism(ROWS, 6, basis="curved")
    with pytest.raises(ValueError, match="month must be 1 to 12"):
        rl.realism(ROWS, 13)


def test_adjustment_lines_are_shown_but_never_flagged():
    rows = pd.concat([ROWS, _rows(("ELR", "", "Rounding to printed Grand Total", "", 0.0, 1.0, 0.0, -1.0, -1.0))])
    fr = page.realism_of(rows[rows["org"] == "ELR"], fin_year="2019-20", month=6, org="ELR")
    line = _line(fr.levels["scheme"], "Rounding to printed Grand Total")
    assert not line["flagged"] and line["reasons"] == ""
    assert fr.levels["organisation"]["label"].tolist() == ["ELR"]  # a CCG: its own line, no Total


def test_display_of_multiples():
    assert page.fmt_multiple(13.7928) == "13.8×"
    assert page.fmt_multiple(float("inf")) == "none delivered"
    assert page.fmt_multiple(float("nan")) == "–"


def test_the_summary_says_when_the_figures_are_synthetic():
    real = page.realism_of(ROWS.assign(provenance="published: test"), fin_year="2019-20", month=6, org="LLR")
    fake = page.realism_of(ROWS.assign(provenance="synthetic: seeded"), fin_year="2019-20", month=6, org="LLR")
    assert not real.synthetic and "synthetic" not in page.summary_sentence(real)
    assert fake.synthetic and page.summary_sentence(fake).endswith(" M6: synthetic demonstration data, not returns.")


def test_programme_areas_come_from_the_returns_when_every_line_carries_one():
    own = page.realism_of(ROWS.assign(programme_area="Acute Services"), fin_year="2019-20", month=6, org="LLR")
    assert own.levels["programme_area"]["label"].tolist() == ["Acute Services", "Total"]
    some = ROWS.assign(programme_area=["Acute Services", "", "", ""])  # not every line: Paper D's map instead
    mapped = page.realism_of(some, fin_year="2019-20", month=6, org="LLR").levels["programme_area"]
    assert "Acute Services" in set(mapped["label"]) and mapped["fot"].iloc[-1] == pytest.approx(ROWS["fot"].sum())
