"""A pack a committee can take (issue 25): the driver threshold scales with a CCG's plan, illustrative reports
stay out of the circulated pack, one sign convention and one voice, and the small things that cost trust."""

from __future__ import annotations

import pytest

from qipp_helpers.analysis import drivers as d
from qipp_helpers.report import show
from qipp_helpers.report.objects import under_delivery

FY = "2019-20"


def _drivers(returns, warnings, adjustments, commentary, org, **kw):
    return under_delivery(
        returns, warnings, fin_year=FY, month=6, org=org, adjustments=adjustments, commentary=commentary, **kw
    )


def test_scaled_threshold_is_the_systems_times_the_plan_share():
    assert d.scaled_threshold(-16943, -65963, 300) == 75  # LC: 77.1 to the nearest £5k
    assert d.scaled_threshold(-26642, -65963, 300) == 120  # ELR
    assert d.scaled_threshold(-22378, -65963, 300) == 100  # WL
    assert d.scaled_threshold(-65963, -65963, 300) == 300
    assert d.scaled_threshold(-10, -65963, 300) == 5  # never below one step
    assert d.system_of("LC") == "LLR" and d.system_of("LLR") is None


@pytest.mark.parametrize(("org", "threshold", "other_at_most"), [("LC", 75, 150), ("ELR", 120, 700), ("WL", 100, 320)])
def test_at_ccg_level_other_holds_the_small_lines_only(
    returns, warnings, adjustments, commentary, org, threshold, other_at_most
):
    """Paper D's £300k at LLR level left 2,242 of LC's 2,277 gap in Other; scaled to LC's plan it leaves 114."""
    flat = _drivers(returns, warnings, adjustments, commentary, org)
    scaled = _drivers(returns, warnings, adjustments, commentary, org, scale_threshold=True)
    other = scaled.drivers.set_index("item").loc["Other", org]
    total = scaled.drivers.set_index("item").loc["Total", org]
    assert scaled.threshold == threshold
    assert abs(other) <= other_at_most and abs(other) < 0.1 * total
    if org == "LC":
        assert flat.drivers.set_index("item").loc["Other", "LC"] == pytest.approx(2242)
        assert other == pytest.approx(114)
    assert scaled.threshold_basis.startswith(f"Drivers are named over £{threshold}k: the £300k threshold at LLR")
    assert "Drivers are named over" in show.adjustment_footnote(scaled, "table4")
    assert f"£{threshold}k:" in show.drivers_table(scaled).to_html()


def test_the_system_keeps_paper_ds_threshold(returns, warnings, adjustments, commentary):
    llr = _drivers(returns, warnings, adjustments, commentary, "LLR", scale_threshold=True)
    assert llr.threshold == 300 and llr.threshold_basis == ""
    assert llr.drivers.set_index("item").loc["Other", "LLR"] == pytest.approx(1157, abs=5)  # Paper D prints 1,161


# --- illustrative reports are not in the circulated pack by default -------------------------------------


def _plan(demo_data_dir, tmp_path, returns, frp_tables, rightcare_tables, **kw):
    from qipp_helpers.pack.catalogue import CATALOGUE, Held, notebooks_dir
    from qipp_helpers.pack.plan import plan

    from ..conftest import ROOT

    held = Held(returns=returns, frp=frp_tables["lines"], rightcare=rightcare_tables["peers"])
    nbs = {n: notebooks_dir(ROOT / "notebooks") / f"{n}.ipynb" for n in CATALOGUE}
    return plan(
        fin_year=FY, months=[6], orgs=None, notebooks=nbs, data_dir=demo_data_dir, out=tmp_path, held=held, **kw
    )


def test_the_default_pack_has_no_wholly_synthetic_report(
    demo_data_dir, tmp_path, returns, frp_tables, rightcare_tables
):
    from qipp_helpers.pack.catalogue import ILLUSTRATIVE_REASON

    default = _plan(demo_data_dir, tmp_path, returns, frp_tables, rightcare_tables)
    rendered = {(r.notebook, r.org) for r in default.reports}
    assert ("rightcare_opportunity", "LLR") not in rendered
    assert ("rightcare_opportunity", "DDCCG") in rendered  # Derbyshire's Table 3 is published beside it
    skipped = {(s["notebook"], s["org"]): s for s in default.skipped}
    assert skipped["rightcare_opportunity", "LLR"]["reason"] == ILLUSTRATIVE_REASON
    assert skipped["rightcare_opportunity", "LLR"]["illustrative"] is True
    with_them = _plan(demo_data_dir, tmp_path, returns, frp_tables, rightcare_tables, include_illustrative=True)
    assert ("rightcare_opportunity", "LLR") in {(r.notebook, r.org) for r in with_them.reports}


def test_run_has_an_include_illustrative_option():
    from typer.testing import CliRunner

    from qipp_helpers.cli import app

    result = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert "--include-illustrative" in result.output
