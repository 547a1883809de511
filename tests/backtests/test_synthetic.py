"""The synthetic M5 honours Paper D Table 2: M5 FOT is the published M6 FOT less the printed monthly movement."""

from __future__ import annotations

import pytest

from qipp_helpers.analysis import position as t
from qipp_helpers.synthetic.months import complete_m6, table2_movement


def test_m5_fot_is_m6_minus_table2_movement_exactly(returns, adjustments):
    """Against M6 with the WL CHC row the LLR dashboard locates (the paper's M6 includes it)."""
    movement = table2_movement()
    complete = complete_m6(returns, adjustments)
    for org in ("ELR", "WL", "LC"):
        m6 = t.fot_by_workstream(t.select(complete, "2019-20", 6, org)).set_index("workstream")["fot"]
        m5 = t.fot_by_workstream(t.select(returns, "2019-20", 5, org)).set_index("workstream")["fot"]
        for ws, move in movement[org].items():
            assert m5[ws] == pytest.approx(m6[ws] - move, abs=1e-9), (org, ws)
