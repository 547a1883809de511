"""The synthetic months are reproducible and marked synthetic; the published M6 is marked published."""

from __future__ import annotations

import pandas as pd
import pytest

from qipp_helpers.ingest.dashboard import read_xlsx
from qipp_helpers.synthetic.months import complete_m6, earlier_months

from ..conftest import RAW


def test_committed_workbooks_equal_a_fresh_seeded_run(returns, adjustments):
    fresh = earlier_months(complete_m6(returns, adjustments))
    for month, rows in fresh.items():
        res = read_xlsx(RAW / "2019-20" / f"M{month:02d}" / f"synthetic_m{month:02d}_pmo_dashboards.xlsx")
        committed = pd.DataFrame([r for s in res.sheets for r in s.records])
        for col in ("plan_ytd", "actual_ytd", "annual_plan", "fot", "assured"):
            assert committed[col].tolist() == pytest.approx(rows[col].tolist()), (month, col)
        assert committed["rag"].tolist() == rows["rag"].tolist()
        assert all(p.startswith("synthetic:") for p in res.provenance.values())


def test_every_stored_row_says_where_it_came_from(returns):
    assert set(returns.loc[returns["month"] == 6, "provenance"].str.split(":").str[0]) == {"published"}
    assert set(returns.loc[returns["month"] < 6, "provenance"].str.split(":").str[0]) == {"synthetic"}
    assert not returns.loc[returns["workstream"] == "Unidentified", "fot"].any()  # never forecast
