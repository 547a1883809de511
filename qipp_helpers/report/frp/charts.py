"""The FRP bridge's own chart: the impact on each organisation (the bridge itself is :func:`..chartkit.waterfall`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from ..chartkit import INK, THOUSANDS, about_context, chart_function, finish_chart, new_figure, style_axes, wrap_label
from ..style import (
    SERIES,
    TEXT,
    signs,
)


@chart_function
def org_impact(split: pd.DataFrame, *, title: str = "Organisation impact of all items", context: str = "") -> Figure:
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
