"""The explorer's "What changed" tab: the pack's changes since last month for the chosen month and organisation."""

from __future__ import annotations

import shutil

import pytest

from qipp_helpers.ingest.layouts import ingest_files
from qipp_helpers.report.explore import VarianceExplorer
from qipp_helpers.store.db import load_adjustments, load_commentary, load_returns, load_warnings
from qipp_helpers.synthetic.returns import PLANTS

from ..conftest import RAW

pytestmark = pytest.mark.slow  # ingests M7 and drives the explorer's widgets: make test, not make test-fast


def test_what_changed_follows_month_and_organisation(demo_data_dir, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_data_dir / "processed", data / "processed")
    ingest_files(sorted((RAW / "2019-20" / "M07").glob("*.xlsx")), "2019-20", 7, data)
    e = VarianceExplorer(
        load_returns(data),
        load_warnings(data),
        adjustments=load_adjustments(data),
        commentary=load_commentary(data),
    )
    assert "What changed" in e.tabs.titles and e.month.value == 7
    planted = {(p.org, p.scheme_no, p.change) for p in PLANTS if p.month == 7}
    assert set(zip(e.changes["org"], e.changes["scheme_no"], e.changes["change"], strict=True)) == planted
    assert "Changes since last month" in e.changes_html.value
    e.org.value = "LC"
    assert set(e.changes["org"]) == {"LC"} and len(e.changes) == sum(o == "LC" for o, _, _ in planted)
    e.month.value = 6
    assert e.changes.empty and "synthetic demonstration data" in e.changes_html.value
