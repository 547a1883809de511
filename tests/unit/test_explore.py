"""The variance explorer: its table functions agree with the pack, and its widgets drive them."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from qipp_helpers.analysis import position as t
from qipp_helpers.analysis import spc
from qipp_helpers.core.vocab import WORKSTREAMS
from qipp_helpers.pack.catalogue import NOTEBOOKS
from qipp_helpers.report import explore
from qipp_helpers.report.explore import DRILL_DOWN, ROUNDING_NO, TRENDS, VarianceExplorer, _png, real_and_synthetic
from qipp_helpers.report.position import charts as position_charts
from qipp_helpers.report.position.model import monthly_position

pytestmark = pytest.mark.slow  # drives the widgets and draws their charts: make test, not make test-fast

FY = "2019-20"
MONEY = ["plan_ytd", "actual_ytd", "annual_plan", "fot", "assured"]


def body_rows(df: pd.DataFrame) -> pd.DataFrame:
    return df[df["scheme_name"] != t.TOTAL]


def _panel_values(panels: dict[str, spc.XmR]) -> dict[str, list[float]]:
    return {k: v.values.tolist() for k, v in panels.items()}


# --- pure table functions ------------------------------------------------------------------------


def test_workstream_monthly_adds_up_to_the_pack_history(returns):
    trends = t.workstream_monthly(returns, FY, "LLR")
    assert len(trends) == 6 * len(WORKSTREAMS)
    by_month = trends.groupby("month")[MONEY].sum().reset_index()
    pd.testing.assert_frame_equal(by_month, t.monthly_history(returns, FY, "LLR"), check_dtype=False)
    # in-month delivery: M1 is the YTD figure; the months add back up to the latest YTD
    m1 = trends[trends["month"] == 1]
    assert (m1["delivered"] == m1["actual_ytd"]).all()
    summed = trends.groupby("workstream")["delivered"].sum()
    m6 = trends[trends["month"] == 6].set_index("workstream")["actual_ytd"]
    pd.testing.assert_series_equal(summed.sort_index(), m6.sort_index(), check_names=False)
    gap = t.workstream_monthly(returns[returns["month"] != 3], FY, "LLR")
    assert gap.loc[gap["month"] == 4, "delivered"].isna().all(), "no in-month figure across a missing month"


def test_filter_schemes_agrees_with_table_2(returns):
    rows, prev = t.select(returns, FY, 6, "LLR"), t.select(returns, FY, 5, "LLR")
    table, fot = t.schemes(rows, prev), t.fot_by_workstream(rows, prev).set_index("workstream")
    for ws in WORKSTREAMS:
        got = t.filter_schemes(table, workstream=ws).iloc[-1]
        assert got["scheme_name"] == t.TOTAL
        assert got["variance"] == pytest.approx(fot.loc[ws, "variance"])
        assert got["monthly_movement"] == pytest.approx(fot.loc[ws, "monthly_movement"])
    red = body_rows(t.filter_schemes(table, rag="Red"))
    assert len(red) and all("Red" in r.split("/") for r in red["rag"])
    big = body_rows(t.filter_schemes(table, min_variance=450))
    assert len(big) and (big["variance"].abs() >= 450).all()
    assert big["variance"].is_monotonic_decreasing
    none = t.filter_schemes(table, workstream="CHC", rag="Grey", min_variance=1e9)
    assert len(none) == 1 and none.iloc[0]["scheme_name"] == t.TOTAL


def test_scheme_history_shows_rag_changes(returns):
    h = t.scheme_history(returns, FY, "ELR", "1.5", "Falls")
    assert h["month"].tolist() == [1, 2, 3, 4, 5, 6]
    assert h["rag_change"].tolist() == [""] * 5 + ["Amber → Red"]
    m6 = t.schemes(t.select(returns, FY, 6, "ELR"))
    m6 = m6[m6["scheme_no"] == "1.5"].iloc[0]
    assert h.iloc[-1][["fot", "annual_plan", "variance"]].tolist() == m6[["fot", "annual_plan", "variance"]].tolist()
    assert t.scheme_history(returns, FY, "ELR", "1.5", "Falls", upto=3)["month"].tolist() == [1, 2, 3]


def test_monthly_position_trend_panels(returns, warnings):
    r = monthly_position(returns, warnings, fin_year=FY, month=6, org="LLR")
    panels = r.trend_panels("fot")
    assert list(panels) == list(WORKSTREAMS)
    total = sum(np.array(p.values.tolist()) for p in panels.values())
    assert total.tolist() == (-r.history["fot"]).tolist(), "workstream trends add up to the pack's FOT trend"
    fig = position_charts.xmr_chart(panels, title="t", synthetic_months=r.synthetic_months)
    assert sum(ax.get_visible() for ax in fig.axes) == len(WORKSTREAMS)
    fig2 = position_charts.scheme_history(t.scheme_history(returns, FY, "ELR", "1.5", "Falls"), title="Falls")
    assert any("Amber → Red" in a.get_text() for a in fig2.axes[0].texts)


def test_explorer_is_not_in_the_circulated_pack():
    assert "explore_variances" not in NOTEBOOKS


# --- the widgets ---------------------------------------------------------------------------------


@pytest.fixture
def explorer(returns, warnings):
    return VarianceExplorer(returns, warnings, fin_year=FY, month=6, org="LLR", warm=False)


def test_explorer_starts_on_the_packs_figures(explorer, returns, warnings):
    pack = monthly_position(returns, warnings, fin_year=FY, month=6, org="LLR")
    assert (explorer.fin_year.value, explorer.month.value, explorer.org.value) == (FY, 6, "LLR")
    assert [v for _, v in explorer.month.options] == [1, 2, 3, 4, 5, 6]
    pd.testing.assert_frame_equal(explorer.summary, t.workstream_variances(pack.ytd, pack.fot))
    pd.testing.assert_frame_equal(explorer.table, t.filter_schemes(pack.schemes))
    assert explorer.table.iloc[-1]["fot"] == pytest.approx(pack.headline.fot)
    assert _panel_values(explorer.trend) == _panel_values(pack.trend_panels("fot"))
    assert not explorer.trend_image.value, "a chart is drawn when its tab is shown"
    explorer.tabs.selected_index = TRENDS
    assert bytes(explorer.trend_image.value).startswith(b"\x89PNG")
    assert "Month 6 2019/20" in explorer.status.value and "synthetic" in explorer.status.value
    assert "Total" in explorer.table_html.value
    assert len(explorer.scheme.options) == len(body_rows(explorer.table))


def test_workstream_rag_and_min_variance_filter_the_table_and_trend(explorer):
    explorer.tabs.selected_index = TRENDS
    before_png = bytes(explorer.trend_image.value)
    explorer.workstream.value = "Planned Care"
    body = body_rows(explorer.table)
    assert set(body["workstream"]) == {"Planned Care"}
    ws_row = explorer.summary.set_index("workstream").loc["Planned Care"]
    assert explorer.table.iloc[-1]["variance"] == pytest.approx(ws_row["variance"])
    assert list(explorer.trend) == ["Forecast out-turn", "In-month delivery"]
    expected = (-t.workstream_series(explorer.report.trends, "fot", "Planned Care")).tolist()
    assert explorer.trend["Forecast out-turn"].values.tolist() == expected
    assert bytes(explorer.trend_image.value) != before_png and explorer.measure.layout.display == "none"
    assert all("(Planned Care," in label for label, _ in explorer.scheme.options)

    explorer.rag.value = "Red"
    assert len(body_rows(explorer.table)) and all("Red" in r.split("/") for r in body_rows(explorer.table)["rag"])
    explorer.min_variance.value = 450.0
    body = body_rows(explorer.table)
    assert len(body) and (body["variance"].abs() >= 450).all() and len(body) < 3
    explorer.min_variance.value = 1e6
    assert body_rows(explorer.table).empty and explorer.scheme.value is None
    assert "No scheme passes" in explorer.table_html.value and explorer.history.empty

    explorer.workstream.value = "All"
    assert len(explorer.trend) == len(WORKSTREAMS) and explorer.measure.layout.display != "none"
    explorer.measure.value = "In-month delivery"
    assert _panel_values(explorer.trend) == _panel_values(explorer.report.trend_panels("delivered"))


def test_scheme_drill_down(explorer):
    explorer.tabs.selected_index = DRILL_DOWN
    explorer.org.value = "ELR"
    explorer.workstream.value = "Integrated Teams"
    schemes = [v for _, v in explorer.scheme.options]
    assert ("1.5", "Falls") in schemes and explorer.scheme.value == schemes[0]
    explorer.scheme.value = next(s for s in schemes if s != ("1.5", "Falls"))
    before = bytes(explorer.history_image.value)
    explorer.scheme.value = ("1.5", "Falls")
    h = explorer.history
    assert h["month"].tolist() == [1, 2, 3, 4, 5, 6] and h.iloc[-1]["rag_change"] == "Amber → Red"
    assert bytes(explorer.history_image.value) != before and "Amber → Red" in explorer.history_html.value
    explorer.month.value = 3  # the drill-down follows the month: history stops there
    assert explorer.report.month == 3 and explorer.scheme.value == ("1.5", "Falls")
    assert explorer.history["month"].tolist() == [1, 2, 3]


def _headers(html: str) -> list[str]:
    return re.findall(r'<th [^>]*class="col_heading[^"]*"[^>]*>(.*?)</th>', html)


def test_the_explorers_tables_take_their_headers_from_their_declarations(explorer):
    explorer.tabs.selected_index = DRILL_DOWN
    explorer.org.value = "ELR"
    explorer.workstream.value = "Integrated Teams"
    explorer.scheme.value = ("1.5", "Falls")
    assert _headers(explorer.summary_html.value) == explore.SUMMARY.headers("html")
    assert _headers(explorer.table_html.value) == explore.SCHEMES.headers("html")
    assert _headers(explorer.history_html.value) == explore.HISTORY.headers("html")
    assert "Variance (FOT − plan)" in explore.SCHEMES.headers("html")


def test_organisation_month_and_year_controls(returns, warnings):
    older = returns[returns["month"].isin([5, 6])].assign(fin_year="2018-19", month=lambda d: d["month"] + 6)
    e = VarianceExplorer(pd.concat([returns, older], ignore_index=True), warnings, warm=False)
    assert (e.fin_year.value, e.month.value) == (FY, 6), "starts on the latest period held"
    llr_fot = e.table.iloc[-1]["fot"]
    e.org.value = "WL"
    assert e.report.org == "WL" and set(e.report.rows["org"]) == {"WL"}
    assert e.table.iloc[-1]["fot"] != llr_fot
    e.month.value = 1
    assert e.report.month == 1 and e.report.previous is not None, "M1 moves against last year's M12"
    e.fin_year.value = "2018-19"
    assert [v for _, v in e.month.options] == [11, 12] and e.month.value == 12
    assert e.report.fin_year == "2018-19" and next(iter(e.trend.values())).values.index.tolist() == [11, 12]
    e.fin_year.value = FY
    assert e.month.value == 6


def test_explorer_without_data_says_so(returns):
    e = VarianceExplorer(returns.iloc[0:0])
    assert e.report is None and e.table.empty and "ingest" in e.status.value
    assert e.widget is not None


def test_real_and_synthetic_months_are_named_one_way_everywhere(explorer):
    assert real_and_synthetic([6], [1, 2, 3, 4, 5, 6]) == "real: M6; M1–M5: synthetic demonstration data, not returns"
    assert real_and_synthetic([], [1, 2]) == "real: none; M1, M2: synthetic demonstration data, not returns"
    r = explorer.report
    # the status line, the trends note and the chart key name the same months for the same measure
    assert "Returns: real: M6; M1–M5: synthetic demonstration data, not returns." in explorer.status.value
    fot = real_and_synthetic(r.real_months["fot"], [1, 2, 3, 4, 5, 6])
    assert fot == "real: M5, M6; M1–M4: synthetic demonstration data, not returns"
    assert f"Forecast out-turn by workstream: {fot}." in explorer.status.value
    assert f"Forecast out-turn: {fot}." in explorer.trend_note.value
    fake = sorted({m for p in explorer.trend.values() for m in p.synthetic.index})
    assert fake == [1, 2, 3, 4], "the chart's synthetic points are the months the note calls synthetic"


def test_too_few_real_months_say_how_many_more_and_show_the_run_chart(explorer):
    explorer.tabs.selected_index = TRENDS
    more = spc.MIN_RULE_POINTS - 2
    assert f"need {spc.MIN_RULE_POINTS} real months: {more} more are needed" in explorer.trend_note.value
    assert "run chart only" in explorer.trend_note.value
    assert not any(p.ruled for p in explorer.trend.values())
    explorer.measure.value = "In-month delivery"
    assert f"{spc.MIN_RULE_POINTS} more are needed" in explorer.trend_note.value, "no real in-month figure yet"


def test_rounding_lines_stay_in_the_totals_but_are_not_schemes(returns, warnings, adjustments):
    e = VarianceExplorer(returns, warnings, fin_year=FY, month=6, org="LLR", adjustments=adjustments, warm=False)
    pack = monthly_position(returns, warnings, fin_year=FY, month=6, org="LLR", adjustments=adjustments)
    rounding = e.table[e.table["scheme_no"] == ROUNDING_NO]
    assert len(rounding) and set(rounding["scheme_name"]) == {"Rounding to printed Grand Total"}
    body = body_rows(e.table)
    assert body.tail(len(rounding))["scheme_no"].eq(ROUNDING_NO).all(), "listed last, above the Total"
    assert e.table.iloc[-1]["fot"] == pytest.approx(pack.headline.fot), "still in the Total"
    assert all(name != "Rounding to printed Grand Total" for _, (_, name) in e.scheme.options)
    assert len(e.scheme.options) == len(body) - len(rounding)
    assert "not schemes" in e.table_html.value


def test_headers_have_room_and_charts_whole_number_ticks(explorer):
    assert "padding: 3px 10px" in explorer.summary_html.value and "white-space: normal" in explorer.summary_html.value
    fig = position_charts.scheme_history(t.scheme_history(explorer.returns, FY, "ELR", "1.5", "Falls"), title="Falls")
    _png(fig)
    labels = [x.get_text() for x in fig.axes[0].get_yticklabels()]
    assert len(labels) == len(set(labels)), labels


def test_each_view_is_computed_once_and_the_warm_up_prepares_the_next(explorer, monkeypatch):
    from dataclasses import replace

    explorer.tabs.selected_index = TRENDS
    explorer._prepare(replace(explorer.state(), org="ELR"), explorer.scheme.value)
    explorer.org.value = "WL"
    calls = []
    monkeypatch.setattr(explore, "monthly_position", lambda *a, **k: calls.append(k) or None)
    monkeypatch.setattr(explore.position_charts, "xmr_chart", lambda *a, **k: calls.append(k) or None)
    explorer.org.value = "ELR"  # prepared: nothing is recomputed or redrawn
    explorer.org.value = "WL"  # shown before: the same
    explorer.org.value = "LLR"
    assert calls == [] and explorer.report.org == "LLR"
    assert bytes(explorer.trend_image.value).startswith(b"\x89PNG")


def test_the_warm_up_thread_works_through_the_latest_wishes_only():
    from qipp_helpers.report.explore_cache import Warmer

    done = []
    warmer = Warmer()
    warmer.want([lambda: done.append(1), lambda: 1 / 0, lambda: done.append(2)])
    assert warmer.wait(10) and done == [1, 2] and len(warmer.errors) == 1


def test_explorer_includes_the_adjustments_and_switches_to_the_returns_as_received(returns, warnings, adjustments):
    e = VarianceExplorer(returns, warnings, fin_year=FY, month=6, org="LLR", adjustments=adjustments, warm=False)
    assert e.report.headline.annual_plan == pytest.approx(-65963)  # as the pack: WL's CHC line included
    total = e.summary.set_index("workstream").loc["Total"]
    assert total["annual_plan"] == pytest.approx(-65963) and total["monthly_movement"] == pytest.approx(516)
    e.org.value = "WL"
    e.scheme.value = ("4.1", "Continuing Healthcare")
    chc_adjusted = e.history.set_index("month").at[6, "annual_plan"]  # the drill-down includes it too
    e.as_received.value = True
    assert e.report.headline.annual_plan == pytest.approx(-22378 + 663, abs=1)
    e.scheme.value = ("4.1", "Continuing Healthcare")
    assert e.history.set_index("month").at[6, "annual_plan"] == pytest.approx(chc_adjusted + 664)
