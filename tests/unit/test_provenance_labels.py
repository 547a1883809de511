"""One provenance label per month per organisation (issue 23): every chart legend, key and on-chart label, every
footnote, the summary and the explorer name a month's provenance in the words of
:func:`qipp_helpers.analysis.provenance.month_label`, for months that mix published (M6) and synthetic data (M1-M5,
the demonstration M7)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from matplotlib.text import Text

from qipp_helpers.analysis import position as t
from qipp_helpers.analysis import provenance as pv
from qipp_helpers.ingest.layouts import ingest_files, received_register
from qipp_helpers.report import blocks
from qipp_helpers.report import changes as since
from qipp_helpers.report.drivers import charts as drivers_charts
from qipp_helpers.report.drivers.model import under_delivery
from qipp_helpers.report.explore import real_and_synthetic
from qipp_helpers.report.position import charts as position_charts
from qipp_helpers.report.position.model import monthly_position
from qipp_helpers.report.summary import data_notes, pack_summary
from qipp_helpers.store.db import load_adjustments, load_returns, load_warnings

from ..conftest import RAW

FY = "2019-20"
LABELS = "|".join(re.escape(v) for v in pv.LABELS.values())
#: A set of months (as :func:`months_label` names them), an optional year, then one label.
NAMED = re.compile(rf"((?:M\d+(?:–M\d+)?)(?:, M\d+(?:–M\d+)?)*)(?: \d{{4}}/\d{{2}})?: ({LABELS})")
#: It draws every position and drivers chart for two organisations and two months: rendering, so `make test` only.
pytestmark = pytest.mark.slow

OTHER_WORDING = re.compile(r"synthetic|published|demonstration|not returns|real returns", re.I)


@pytest.fixture(scope="module")
def data(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """M1-M6 (M1-M5 synthetic, M6 published) and the demonstration M7 (synthetic SRO returns)."""
    out = tmp_path_factory.mktemp("prov") / "data"
    shutil.copytree(demo_data_dir / "processed", out / "processed")
    folder = RAW / FY / "M07"
    note = (folder / "PROVENANCE.txt").read_text(encoding="utf-8").splitlines()[0]
    files = sorted(folder.glob("*.xlsx"))
    ingest_files(files, FY, 7, out, provenance=note, received=received_register(folder))
    return out


def chart_months(text: str) -> list[int]:
    out: list[int] = []
    for part in text.split(", "):
        a, _, b = part.partition("–")
        out += list(range(int(a[1:]), int((b or a)[1:]) + 1))
    return out


def _check(text: str, returns: pd.DataFrame, org: str, where: str) -> int:
    """Every month named with a provenance is named with its one label, and no other wording is left."""
    found = 0
    for m in NAMED.finditer(text):
        for month in chart_months(m.group(1)):
            assert pv.month_label(returns, FY, month, org) == m.group(2), (where, org, month, text)
        found += 1
    left = NAMED.sub("", text)
    assert not OTHER_WORDING.search(left), (where, org, text)
    return found


def _without_sources(text: str) -> str:
    """A note without its parenthesised sources (the stored provenance's own words: file names, papers)."""
    out, depth = [], 0
    for ch in text:
        depth += ch == "("
        if not depth:
            out.append(ch)
        depth -= ch == ")" and depth > 0
    return "".join(out)


def _chart_texts(fig) -> list[str]:
    fig.canvas.draw()
    texts = [t.get_text() for t in fig.findobj(Text)]
    return [t for t in [*texts, getattr(fig, "key", ""), getattr(fig, "alt", "")] if t]


@pytest.mark.parametrize("month", [6, 7])
@pytest.mark.parametrize("org", ["LLR", "ELR"])
def test_every_chart_and_footnote_names_a_months_provenance_with_its_one_label(data: Path, org: str, month: int):
    returns, warnings, adjustments = load_returns(data), load_warnings(data), load_adjustments(data)
    assert pv.month_label(returns, FY, 6, org) == "published"
    assert {pv.month_label(returns, FY, m, org) for m in (1, 2, 3, 4, 5, 7)} == {pv.LABELS[pv.SYNTHETIC]}
    mp = monthly_position(returns, warnings, fin_year=FY, month=month, org=org, adjustments=adjustments)
    ud = under_delivery(returns, warnings, fin_year=FY, month=month, org=org, adjustments=adjustments)
    figs = {  # as the notebooks draw them (the report-level functions), and the explorer's in-month XmR
        "org_split": position_charts.org_split_chart(mp),
        "plan_vs_fot": position_charts.plan_vs_fot_chart(mp),
        "fot_trend": position_charts.fot_trend_chart(mp),
        "xmr_fot": position_charts.fot_xmr_chart(mp),
        "xmr_delivered": position_charts.xmr_chart(
            mp.trend_panels("delivered"), title="Delivered", month_synthetic=mp.synthetic_months
        ),
        "fot_by_rag": position_charts.fot_by_rag_chart(mp),
        "drivers": drivers_charts.drivers_chart(ud),
        "movement": drivers_charts.movement_chart(ud),
    }
    # the explorer's drill-down: one scheme's history, with the report's synthetic months
    scheme = tuple(mp.schemes[["scheme_no", "scheme_name"]].iloc[0])
    by_month = t.schemes_by_month(returns, FY, org)
    history = t.history_from_tables({m: v for m, v in by_month.items() if m <= month}, *scheme)
    figs["scheme_history"] = position_charts.scheme_history(
        history, title=scheme[0], synthetic_months=mp.synthetic_months
    )
    named = 0
    for name, fig in figs.items():
        for text in _chart_texts(fig):
            named += _check(text, returns, org, name)
    plt.close("all")
    assert named >= 4  # the trend charts' bracket, key and legend say which months are synthetic

    # footnotes, the page banner, the summary's basis, changes since last month and the explorer
    notes = [*mp.history_notes, *blocks.banner_lines(mp)[2:3], *blocks.banner_lines(ud)[2:3]]
    notes += [
        _without_sources(p)
        for n in data_notes(returns, warnings, fin_year=FY, month=month)
        for p in n.paragraphs
        if p.startswith("Scheme returns")
    ]
    summary = pack_summary(returns, warnings, fin_year=FY, month=month, adjustments=adjustments)
    notes += [h["basis"] for h in summary.headlines if h["org"] == org]
    notes += [m.split("The movement compares ")[-1] for m in summary.moved if "The movement compares" in m]
    notes += [since.sentence(mp.changes)] if mp.changes is not None else []
    held = list(range(1, month + 1))
    notes += [real_and_synthetic(mp.real_months["actual_ytd"], held)]
    for text in notes:
        _check(text.replace(" (see section 6)", ""), returns, org, "note")
    assert any(NAMED.search(t) for t in notes)
