"""Charts for the monthly pack. Each function takes a table from :mod:`tables`, returns a Figure.

Savings are stored negative; charts plot their size (savings £000, positive to the right)
because that is how people read a bar.
"""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from .model import RAG_COLOURS

NHS_BLUE = "#005EB8"
NHS_LIGHT = "#41B6E6"
GREY = "#768692"
_K = FuncFormatter(lambda x, _: f"{x:,.0f}")


def _body(df: pd.DataFrame, label: str) -> pd.DataFrame:
    return df[df[label] != "Total"].reset_index(drop=True)


def plan_vs_fot(fot_table: pd.DataFrame, *, title: str = "Annual plan vs forecast out-turn by workstream") -> Figure:
    """Grouped horizontal bars: annual plan and FOT (savings £000) per workstream, gap labelled."""
    df = _body(fot_table, "workstream").iloc[::-1]
    y = np.arange(len(df))
    fig, ax = plt.subplots(figsize=(10, 5.2), dpi=110)
    plan, fot = -df["plan"].to_numpy(), -df["fot"].to_numpy()
    ax.barh(y + 0.2, plan, height=0.4, color=GREY, label="Annual plan")
    ax.barh(y - 0.2, fot, height=0.4, color=NHS_BLUE, label="Forecast out-turn")
    span = max(np.max(np.abs(np.r_[plan, fot, 1.0])), 1.0)
    for yi, p, f in zip(y, plan, fot, strict=True):
        gap = p - f
        if abs(gap) >= 0.5:
            ax.text(max(p, f) + span * 0.01, yi, f"{'short' if gap > 0 else 'over'} {abs(gap):,.0f}",
                    va="center", fontsize=8, color="#DA291C" if gap > 0 else "#009639")
    ax.set_yticks(y, df["workstream"])
    ax.xaxis.set_major_formatter(_K)
    ax.set_xlabel("Savings, £000")
    ax.set_xlim(min(0, np.min(np.r_[plan, fot]) * 1.1), span * 1.18)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    ax.legend(loc="lower right", frameon=False)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def fot_by_rag(rag_table: pd.DataFrame, *, title: str = "Forecast out-turn by overall PMO RAG rating") -> Figure:
    """Stacked horizontal bars of FOT (savings £000) by RAG per programme area; assured value marked."""
    df = _body(rag_table, "programme_area").iloc[::-1]
    y = np.arange(len(df))
    fig, ax = plt.subplots(figsize=(10, 5.2), dpi=110)
    pos = np.zeros(len(df))
    neg = np.zeros(len(df))
    columns = [("green", "Green", "Green"), ("amber", "Amber", "Amber"), ("red", "Red", "Red"),
               ("completed", "Blue", "Completed (Blue)"), ("closed", "Grey", "Closed (Grey)")]
    for col, rag, label in columns:
        if col not in df:
            continue
        v = -df[col].to_numpy()
        left = np.where(v >= 0, pos, neg)
        ax.barh(y, v, left=left, color=RAG_COLOURS[rag], label=label, height=0.6)
        pos = pos + np.where(v >= 0, v, 0)
        neg = neg + np.where(v < 0, v, 0)
    ax.scatter(-df["assured"].to_numpy(), y, marker="D", color="black", s=22, zorder=3, label="PMO assured value")
    ax.set_yticks(y, df["programme_area"])
    ax.xaxis.set_major_formatter(_K)
    ax.set_xlabel("Forecast savings, £000")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    ax.legend(loc="lower right", frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def org_split(split: pd.DataFrame, *, title: str = "Plan vs FOT and assured value by organisation") -> Figure:
    """Bars of annual plan, FOT and assured value (savings £000) per organisation."""
    df = split
    x = np.arange(len(df))
    fig, ax = plt.subplots(figsize=(9, 3.6), dpi=110)
    for offset, (col, colour, label) in zip((-0.27, 0, 0.27), (("annual_plan", GREY, "Annual plan"),
                                                              ("fot", NHS_BLUE, "Forecast out-turn"),
                                                              ("assured", NHS_LIGHT, "PMO assured value")),
                                            strict=True):
        vals = -df[col].to_numpy()
        bars = ax.bar(x + offset, vals, width=0.27, color=colour, label=label)
        ax.bar_label(bars, labels=[f"{v:,.0f}" for v in vals], fontsize=7, padding=2)
    ax.set_xticks(x, df["organisation"])
    ax.yaxis.set_major_formatter(_K)
    ax.set_ylabel("Savings, £000")
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    ax.legend(frameon=False, fontsize=8, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.12))
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(y=0.15)
    fig.tight_layout()
    return fig


def fot_trend(history: pd.DataFrame, *, synthetic_months: Sequence[int] = (),
              title: str = "Forecast out-turn and YTD delivery by month") -> Figure:
    """Line chart of FOT, annual plan and YTD actuals (savings £000) over the months held.

    Months in ``synthetic_months`` are shaded and labelled so nobody mistakes them for returns.
    """
    fig, ax = plt.subplots(figsize=(9, 3.4), dpi=110)
    labels = [f"M{m}" for m in history["month"]]
    shaded = [i for i, m in enumerate(history["month"]) if m in set(synthetic_months)]
    if shaded:
        ax.axvspan(min(shaded) - 0.4, max(shaded) + 0.4, color="#E8EDEE", zorder=0)
        ax.text((min(shaded) + max(shaded)) / 2, 0.02, "synthetic months (demonstration data)",
                transform=ax.get_xaxis_transform(), ha="center", fontsize=8, color="#425563")
    ax.plot(labels, -history["annual_plan"], color=GREY, ls="--", label="Annual plan")
    ax.plot(labels, -history["fot"], color=NHS_BLUE, marker="o", label="Forecast out-turn")
    ax.plot(labels, -history["actual_ytd"], color=NHS_LIGHT, marker="s", label="Actual YTD")
    for lab, v in zip(labels, -history["fot"], strict=True):
        ax.annotate(f"{v:,.0f}", (lab, v), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=7)
    ax.yaxis.set_major_formatter(_K)
    ax.set_ylabel("Savings, £000")
    ax.set_ylim(bottom=0)
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig
