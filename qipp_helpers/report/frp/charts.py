"""The FRP bridge's charts, each declared once in :data:`CHARTS` and drawn from the report by one call: the bridge
(a :func:`..chartkit.waterfall`) and the report's own chart, the impact on each organisation."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..chartkit import (
    INK,
    THOUSANDS,
    ChartSpec,
    about_context,
    chart_context,
    chart_function,
    declared_waterfall,
    finish_chart,
    new_figure,
    style_axes,
    wrap_label,
)
from ..style import (
    SERIES,
    TEXT,
    signs,
)
from .model import FrpBridge

#: Each chart the report draws, by the name of the function at the end of this module that draws it: its title
#: and, for the bridge, its signs (a deficit drawn negative).
CHARTS: Mapping[str, ChartSpec] = {
    "bridge_chart": ChartSpec("From the position before FRP to the organisation impact", signs_of="frp"),
    "org_impact_chart": ChartSpec("Organisation impact of all items"),
}


@chart_function
def org_impact(split: pd.DataFrame, *, title: str = CHARTS["org_impact_chart"].title, context: str = "") -> Figure:
    """Bars of each organisation's impact (surplus up, deficit down, £000), labelled as the table prints them."""
    s = signs("frp")
    fig, ax = new_figure((10, 3.0))
    vals = s.plot(split["value"])
    bars = ax.bar(
        np.arange(len(split)),
        vals,
        color=[SERIES["up"] if v >= 0 else SERIES["down"] for v in vals],
        edgecolor=INK,
        linewidth=0.4,
        width=0.6,
    )
    ax.bar_label(bars, labels=[s.figure(v) for v in vals], fontsize=8, padding=2, color=TEXT)
    ax.set_xticks(np.arange(len(split)), [wrap_label(str(v), 22) for v in split["step"]], fontsize=8)
    ax.axhline(0, color="black", lw=0.8)
    ax.yaxis.set_major_formatter(THOUSANDS)
    ax.set_ylabel(s.axis, fontsize=8)
    style_axes(ax, title)
    ax.margins(y=0.2)
    ax.legend(
        handles=[
            Patch(facecolor=SERIES["up"], edgecolor=INK, linewidth=0.4, label="Surplus"),
            Patch(facecolor=SERIES["down"], edgecolor=INK, linewidth=0.4, label="Deficit"),
        ],
        frameon=False,
        fontsize=8,
        loc="upper left",
        bbox_to_anchor=(1.0, 1.0),
    )
    alt = (
        f"Bar chart: {title}{about_context(context)} (£000, deficit negative): "
        + "; ".join(f"{step} {s.figure(v)}" for step, v in zip(split["step"], vals, strict=True))
        + "."
    )
    return finish_chart(fig, key=s.key, alt=alt)


def bridge_chart(r: FrpBridge) -> Figure:
    """Table 6's bridge as a waterfall, from the position before FRP to the organisation impact."""
    return declared_waterfall(CHARTS["bridge_chart"], r.waterfall(), context=chart_context(r))


def org_impact_chart(r: FrpBridge) -> Figure:
    """The organisation impact of all items: the bridge's organisation rows, one bar each."""
    split = r.bridge[r.bridge["section"] == "organisation"]
    return org_impact(split, title=CHARTS["org_impact_chart"].title, context=chart_context(r))
