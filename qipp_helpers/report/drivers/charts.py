"""The under-delivery report's charts, each declared once in :data:`CHARTS` and drawn from the report by one call:
the movement since last month and the bridge from plan to forecast, both :func:`..chartkit.waterfall`."""

from __future__ import annotations

from collections.abc import Mapping

from matplotlib.figure import Figure

from ..chartkit import ChartSpec, chart_context, declared_waterfall
from .model import UnderDelivery

#: Each chart the report draws, by the name of the function below that draws it: its title, signs and zoom.
CHARTS: Mapping[str, ChartSpec] = {
    "movement_chart": ChartSpec("From last month's forecast to this month's", signs_of="movement", zoom=True),
    "drivers_chart": ChartSpec("From annual plan to forecast out-turn", signs_of="drivers", zoom=True),
}


def movement_chart(r: UnderDelivery) -> Figure | None:
    """Table 3's movement as a waterfall from last month's forecast to this month's (None: no last month)."""
    if r.previous is None:
        return None
    return declared_waterfall(CHARTS["movement_chart"], r.movement_waterfall(), context=chart_context(r))


def drivers_chart(r: UnderDelivery) -> Figure:
    """Table 4's drivers as a waterfall from the annual plan to the forecast out-turn."""
    return declared_waterfall(CHARTS["drivers_chart"], r.drivers_waterfall(), context=chart_context(r))
