"""Charts for the monthly pack. Each function takes a table from the report objects, returns a Figure.

Every chart follows one sign convention (:func:`style.signs`): savings are stored negative and
drawn as positive magnitudes on an axis that says so; a label that stands for a table figure
prints it as the table does. Each chart prints a one-line key under itself saying so, uses RAG
colours only for RAG ratings (:mod:`style`), and carries alternative text built from the data it
draws (:attr:`Chart.alt`), which the notebook's display hands to the HTML and PDF as the image's
description. Names in charts come from returns: they are drawn as plain text, never mathtext.
"""

from __future__ import annotations

import functools
import io
import struct
import textwrap
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ParamSpec

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from ..analysis import spc
from ..analysis.provenance import SYNTHETIC, months_label, months_with
from ..core.money import fmt_k
from ..core.periods import consecutive_runs
from .style import (
    CATEGORY,
    HEATMAP,
    POD_COLOURS,
    RAG_COLOURS,
    SERIES,
    SYNTHETIC_EDGE,
    TEXT,
    TEXT_MUTED,
    rag_colour,
    signs,
    text_on,
)

# Text on a chart comes from returns: a "$" is a dollar sign, never the start of mathtext.
plt.rcParams["text.parse_math"] = False

INK = CATEGORY["ink"]
PURPLE = CATEGORY["purple"]
MAUVE = CATEGORY["mauve"]
SKY = CATEGORY["sky"]
RULE = "#AEB7BD"  # connectors and light rules (lines, never text)
PNG_DPI = 150  # the image embedded in HTML and PDF; displayed at the figure's size in inches
# the figures' own resolution, for laying them out: the PNG's, so the text measured for the layout is measured once
# (matplotlib caches text extents per resolution) and drawing the PNG reuses it, ~6% of a monthly report's run
DPI = PNG_DPI
KEY_SIZE = 7.5
_K = FuncFormatter(lambda x, _: f"{x:,.0f}")

P = ParamSpec("P")


class Chart(Figure):
    """A Figure that carries its alternative text (``alt``) and one-line key (``key``)."""

    alt: str = ""
    key: str = ""


def _chart(fn: Callable[P, Figure]) -> Callable[P, Figure]:
    """Build the chart with mathtext off: labels come from returns and must stay plain text."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with plt.rc_context({"text.parse_math": False}):
            return fn(*args, **kwargs)

    return wrapper


def _figure(figsize: tuple[float, float], **kwargs: Any) -> tuple[Chart, Any]:
    fig, ax = plt.subplots(figsize=figsize, dpi=DPI, FigureClass=Chart, **kwargs)
    return fig, ax


def _finish(fig: Chart, *, key: str, alt: str, layout: bool = True, legend: Any = None) -> Chart:
    """Print ``key`` under the chart (one or more lines), attach ``alt``, lay out the rest above the key.

    ``legend`` (an axes whose handles to show, or a list of handles) is drawn in one row between the
    chart and the key, where it can cover nothing.
    """
    lines = [ln for ln in key.split("\n") if ln]
    height = fig.get_figheight()
    band = (0.05 + 0.155 * len(lines)) / height
    if legend is not None:
        handles = legend.get_legend_handles_labels()[0] if hasattr(legend, "get_legend_handles_labels") else legend
        fig.legend(
            handles=handles,
            loc="lower center",
            bbox_to_anchor=(0.5, band),
            ncols=len(handles),
            frameon=False,
            fontsize=8,
        )
        band += 0.3 / height
    for i, line in enumerate(lines):
        fig.text(
            0.008,
            (0.04 + 0.155 * (len(lines) - 1 - i)) / height,
            line,
            fontsize=KEY_SIZE,
            color=TEXT_MUTED,
            ha="left",
            va="bottom",
        )
    if layout:
        fig.tight_layout(rect=(0, band, 1, 1))
    fig.key = "\n".join(lines)
    fig.alt = " ".join(alt.split())
    return fig


def _about(context: str) -> str:
    return f", {context}" if context else ""


def _body(df: pd.DataFrame, label: str) -> pd.DataFrame:
    return df[df[label] != "Total"].reset_index(drop=True)


def _wrap(label: str, width: int = 38) -> str:
    lines = textwrap.wrap(str(label), width) or [""]
    return "\n".join(lines[:2]) + ("…" if len(lines) > 2 else "")


#: Months are named one way everywhere (:func:`qipp_helpers.analysis.provenance.months_label`).
_months = months_label


def _hollow_words(fake: Sequence[int], month_synthetic: Sequence[int] | None) -> str:
    """The hollow points of an XmR chart: their synthetic months in the one label, then any other month's
    (a figure worked out from the synthetic month before)."""
    mine = [m for m in fake if month_synthetic is None or m in set(month_synthetic)]
    rest = [m for m in fake if m not in set(mine)]
    parts = [months_with(mine, SYNTHETIC)] if mine else []
    parts += [f"{months_label(rest)}: worked out from the month before"] if rest else []
    return "; ".join(parts)


def synthetic_words(months: Sequence[int]) -> str:
    """What a chart says of its synthetic months, in the one provenance label: 'Hollow grey points: M1–M5:
    synthetic demonstration data, not returns.' ('' for none)."""
    return f"Hollow grey points: {months_with(months, SYNTHETIC)}." if len(months) else ""


def _style_axes(ax: Any, title: str) -> None:
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold", color=TEXT)
    ax.spines[["top", "right"]].set_visible(False)


# --- monthly position ---------------------------------------------------------------------------


@_chart
def plan_vs_fot(
    fot_table: pd.DataFrame,
    *,
    title: str = "Annual plan vs forecast out-turn by workstream",
    context: str = "",
) -> Figure:
    """Grouped horizontal bars: annual plan (hollow) and FOT per workstream, savings shown positive;
    each labelled with Table 2's variance (positive = short of plan, brackets = more than planned)."""
    s = signs("savings")
    df = _body(fot_table, "workstream").iloc[::-1].reset_index(drop=True)
    y = np.arange(len(df))
    fig, ax = _figure((10, 0.18 * len(df) + 1.1))
    plan, fot = s.plot(df["plan"]), s.plot(df["fot"])
    ax.barh(y + 0.21, plan, height=0.42, color=SERIES["plan"], edgecolor=INK, linewidth=0.7, label="Annual plan")
    ax.barh(y - 0.21, fot, height=0.42, color=SERIES["fot"], label="Forecast out-turn")
    span = max(float(np.max(np.abs(np.r_[plan, fot, 1.0]))), 1.0)
    for yi, p, f, v in zip(y, plan, fot, df["variance"], strict=True):
        if abs(v) >= 0.5:
            words = f"short of plan {v:,.0f}" if v > 0 else f"ahead of plan {-v:,.0f}"  # no brackets on this axis
            ax.text(max(p, f, 0) + span * 0.01, yi, words, va="center", fontsize=7.5, color=TEXT)
    ax.set_yticks(y, df["workstream"], fontsize=8.5)
    ax.xaxis.set_major_formatter(_K)
    ax.set_xlabel(s.axis, fontsize=8.5)
    ax.set_xlim(min(0, float(np.min(np.r_[plan, fot])) * 1.1), span * 1.22)
    ax.axvline(0, color="black", lw=0.8)
    _style_axes(ax, title)
    short = df[df["variance"] >= 0.5].sort_values("variance", ascending=False)
    over = df[df["variance"] <= -0.5].sort_values("variance")
    total = fot_table[fot_table["workstream"] == "Total"]
    totals = f" Total plan {-total['plan'].iloc[0]:,.0f}, forecast {-total['fot'].iloc[0]:,.0f}." if len(total) else ""
    alt = (
        f"Bar chart: annual plan and forecast out-turn by workstream{_about(context)} (savings, £000, shown "
        f"positive).{totals}"
    )
    if len(short):
        alt += f" Largest under-delivery {short['workstream'].iloc[0]} {fmt_k(short['variance'].iloc[0])}"
        alt += "".join(f"; {r.workstream} {fmt_k(r.variance)}" for r in short.iloc[1:3].itertuples()) + "."
    if len(over):
        alt += f" Most ahead of plan: {over['workstream'].iloc[0]} {fmt_k(over['variance'].iloc[0])}."
    key = s.key + "\nLabels: Table 2's variance in words: short of plan (a positive variance) or ahead of plan."
    return _finish(fig, key=key, alt=alt, legend=ax)


RAG_SERIES = (
    ("green", "Green", "Green"),
    ("amber", "Amber", "Amber"),
    ("red", "Red", "Red"),
    ("completed", "Blue", "Completed (Blue)"),
    ("closed", "Grey", "Closed (Grey)"),
)


@_chart
def fot_by_rag(
    rag_table: pd.DataFrame,
    *,
    title: str = "Forecast out-turn by overall PMO RAG rating",
    context: str = "",
) -> Figure:
    """Stacked horizontal bars of FOT by RAG per programme area (savings shown positive); assured value marked."""
    s = signs("savings")
    df = _body(rag_table, "programme_area").iloc[::-1].reset_index(drop=True)
    y = np.arange(len(df))
    fig, ax = _figure((10, 0.16 * len(df) + 1.35))
    pos = np.zeros(len(df))
    neg = np.zeros(len(df))
    shown = []
    for col, rag, label in RAG_SERIES:
        if col not in df:
            continue
        v = s.plot(df[col])
        left = np.where(v >= 0, pos, neg)
        ax.barh(y, v, left=left, color=RAG_COLOURS[rag], label=label, height=0.68)
        pos = pos + np.where(v >= 0, v, 0)
        neg = neg + np.where(v < 0, v, 0)
        shown.append((label, float(v.sum())))
    assured = s.plot(df["assured"])
    ax.scatter(assured, y, marker="D", color="black", s=22, zorder=3, label="PMO assured value")
    ax.set_yticks(y, df["programme_area"], fontsize=8.5)
    ax.xaxis.set_major_formatter(_K)
    ax.set_xlabel(s.axis, fontsize=8.5)
    lo = min(0.0, float(np.min(np.r_[neg, assured])))
    hi = max(1.0, float(np.max(np.r_[pos, assured])))
    pad = (hi - lo) * 0.04
    ax.set_xlim(lo - (pad if lo < 0 else 0), hi + pad)  # the assured marker never sits on the edge
    ax.axvline(0, color="black", lw=0.8)
    _style_axes(ax, title)
    parts = ", ".join(f"{label} {v:,.0f}" for label, v in shown if abs(v) >= 0.5)
    alt = (
        f"Stacked bar chart: forecast out-turn by overall PMO RAG rating and programme area{_about(context)} "
        f"(savings, £000, shown positive). Totals: {parts}; PMO assured value {float(assured.sum()):,.0f}, "
        "marked by a diamond on each bar."
    )
    return _finish(fig, key=s.key + "\nDiamond: PMO assured value.", alt=alt, legend=ax)


@_chart
def org_split(
    split: pd.DataFrame,
    *,
    title: str = "Plan vs FOT and assured value by organisation",
    context: str = "",
) -> Figure:
    """Bars of annual plan (hollow), FOT and assured value per organisation, savings shown positive, labelled."""
    s = signs("savings")
    df = split.reset_index(drop=True)
    x = np.arange(len(df))
    fig, ax = _figure((10, 2.5 if len(df) > 1 else 2.05))  # one organisation: three bars need less height
    series: tuple[tuple[str, str, dict[str, Any]], ...] = (
        ("annual_plan", "Annual plan", {"color": SERIES["plan"], "edgecolor": INK, "linewidth": 0.8}),
        ("fot", "Forecast out-turn", {"color": SERIES["fot"]}),
        ("assured", "PMO assured value", {"color": SERIES["assured"], "edgecolor": INK, "linewidth": 0.4}),
    )
    for offset, (col, label, look) in zip((-0.27, 0, 0.27), series, strict=True):
        vals = s.plot(df[col])
        bars = ax.bar(x + offset, vals, width=0.27, label=label, **look)
        ax.bar_label(bars, labels=[f"{v:,.0f}" for v in vals], fontsize=7, padding=2, color=TEXT)
    ax.set_xticks(x, df["organisation"])
    ax.yaxis.set_major_formatter(_K)
    ax.set_ylabel(s.axis, fontsize=8)
    _style_axes(ax, title)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.margins(y=0.18)
    alt = f"Bar chart: annual plan, forecast out-turn and PMO assured value by organisation{_about(context)} " + (
        "(savings, £000, shown positive): "
        + "; ".join(
            f"{r.organisation} plan {-r.annual_plan:,.0f}, forecast {-r.fot:,.0f}, assured {-r.assured:,.0f}"
            for r in df.itertuples()
        )
        + "."
    )
    return _finish(fig, key=s.key, alt=alt)


def _synthetic_label(ax: Any, xs: Sequence[float], months: Sequence[int]) -> None:
    """Say on the chart itself which points are synthetic: a bracket over each run of them, the longest
    labelled with the months and their one provenance label."""
    if not len(xs):
        return
    at = dict(zip((int(m) for m in months), xs, strict=True))
    runs = [(at[a], at[b]) for a, b in consecutive_runs(at)]
    tr = ax.get_xaxis_transform()
    for lo, hi in runs:
        ax.plot(
            [lo - 0.3, lo - 0.3, hi + 0.3, hi + 0.3],
            [0.88, 0.91, 0.91, 0.88],
            transform=tr,
            color=SYNTHETIC_EDGE,
            lw=0.8,
        )
    lo, hi = max(runs, key=lambda r: r[1] - r[0])
    ax.text(
        (lo + hi) / 2,
        0.925,
        months_with(months, SYNTHETIC),
        transform=tr,
        ha="center",
        va="bottom",
        fontsize=7.5,
        color=TEXT_MUTED,
        style="italic",
    )


def _series_points(
    ax: Any,
    x: np.ndarray,
    values: np.ndarray,
    real: np.ndarray,
    *,
    colour: str,
    marker: str,
    label: str,
    edge: str | None = None,
    line: str | None = None,
) -> None:
    """Real points solid and joined (``line`` colour, default the points'); synthetic ones hollow grey on a
    dotted grey line."""
    if (~real).any():
        ax.plot(x, values, color=SYNTHETIC_EDGE, lw=0.9, ls=":", zorder=2)
        ax.scatter(
            x[~real], values[~real], marker=marker, s=30, facecolors="white", edgecolors=SYNTHETIC_EDGE, zorder=3
        )
    if real.any():
        ax.plot(
            x[real],
            values[real],
            color=line or colour,
            lw=1.6,
            zorder=3,
            label=label,
            marker=marker,
            markerfacecolor=colour,
            markeredgecolor=edge or colour,
            markersize=6,
        )
        ax.scatter(x[real], values[real], marker=marker, s=34, color=colour, edgecolors=edge or colour, zorder=4)


@_chart
def fot_trend(
    history: pd.DataFrame,
    *,
    real: Mapping[str, Sequence[int]] | None = None,
    notes: Sequence[str] = (),
    synthetic_months: Sequence[int] = (),
    title: str = "Forecast out-turn and YTD delivery by month",
    context: str = "",
) -> Figure:
    """Forecast out-turn and actual YTD by month (savings shown positive), the annual plan as a line.

    ``real`` maps a measure (``fot``, ``actual_ytd``, ``annual_plan``) to the months whose figures are
    real; other months are drawn hollow and grey and labelled synthetic on the chart. Without
    ``real``, every month not in ``synthetic_months`` is real. ``notes`` (how a real figure was
    derived) are printed under the key.
    """
    s = signs("savings")
    months = [int(m) for m in history["month"]]
    x = np.arange(len(months), dtype=float)

    def real_of(measure: str) -> np.ndarray:
        ok = set(real[measure]) if real is not None and measure in real else set(months) - set(synthetic_months)
        return np.array([m in ok for m in months], dtype=bool)

    fot, ytd = s.plot(history["fot"]), s.plot(history["actual_ytd"])
    fot_real, ytd_real, plan_real = real_of("fot"), real_of("actual_ytd"), real_of("annual_plan")
    fig, ax = _figure((10, 2.35))
    plan_at = int(np.flatnonzero(plan_real)[-1]) if plan_real.any() else len(months) - 1
    plan = float(s.plot(history["annual_plan"])[plan_at])
    # the plan line stops short of its label, so nothing is struck through
    ax.hlines(plan, -0.4, x[-1] + 0.3, color=INK, ls="--", lw=1.0, zorder=1, label=f"Annual plan (M{months[plan_at]})")
    top = max(float(np.nanmax(np.r_[fot, ytd, plan, 1.0])), 1.0)
    ax.text(x[-1] + 0.38, plan, f"plan {plan:,.0f}", va="center", ha="left", fontsize=7.5, color=TEXT)
    _series_points(ax, x, fot, fot_real, colour=PURPLE, marker="o", label="Forecast out-turn")
    _series_points(ax, x, ytd, ytd_real, colour=SKY, marker="s", label="Actual YTD", edge=INK, line=INK)
    fake = sorted({months[i] for i in range(len(months)) if not (fot_real[i] and ytd_real[i])})
    _synthetic_label(ax, [float(months.index(m)) for m in fake], fake)
    ax.set_xticks(x, [f"M{m}" for m in months])
    ax.set_xlim(-0.5, len(months) - 0.5 + 0.9)
    ax.yaxis.set_major_formatter(_K)
    ax.set_ylabel(s.axis, fontsize=8)
    ax.set_ylim(0, top * 1.3)  # room above the plan line for the synthetic bracket
    _style_axes(ax, title)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    # each value label goes above its point, or below where the plan line would strike it through
    fig.tight_layout(rect=(0, (0.1 + 0.155 * (1 + len(notes))) / fig.get_figheight(), 1, 1))
    per_point = top * 1.3 / (ax.get_window_extent().height * 72 / fig.dpi)  # data units per typographic point
    for xi, v in zip(x[fot_real], fot[fot_real], strict=True):
        above = (v + 3 * per_point, v + 17 * per_point)  # 6pt offset, 7.5pt text, a little air
        below = plan > v and above[0] <= plan <= above[1]
        ax.annotate(
            f"{v:,.0f}",
            (xi, v),
            textcoords="offset points",
            xytext=(0, -7 if below else 6),
            ha="center",
            va="top" if below else "bottom",
            fontsize=7.5,
            color=TEXT,
        )
    fot_txt = ", ".join(f"M{months[i]} {fot[i]:,.0f}" for i in np.flatnonzero(fot_real))
    ytd_txt = ", ".join(f"M{months[i]} {ytd[i]:,.0f}" for i in np.flatnonzero(ytd_real))
    alt = (
        f"Line chart: forecast out-turn and year-to-date delivery by month{_about(context)} (savings, £000, "
        f"shown positive). Annual plan {plan:,.0f}. Forecast out-turn: {fot_txt or 'no real month'}. Actual "
        f"year to date: {ytd_txt or 'no real month'}."
    )
    if fake:
        alt += f" {synthetic_words(fake)}"
    key = s.key + (f"\n{synthetic_words(fake)}" if fake else "")
    return _finish(fig, key="\n".join([key, *notes]), alt=alt)


@_chart
def waterfall(
    steps: pd.DataFrame,
    *,
    title: str,
    signs_of: str = "savings",
    xlabel: str | None = None,
    zoom: bool = False,
    context: str = "",
) -> Figure:
    """Horizontal waterfall, read top to bottom: ``total`` rows are levels, ``step`` rows float
    from the running level (right = up).

    ``steps`` are in the drawn convention of ``signs_of`` (:func:`style.signs`: ``savings``,
    ``drivers`` and ``movement`` draw savings positive; ``frp`` draws a deficit negative). Each step
    is labelled with the figure its table prints (Table 4's under-delivery, Table 3's movement,
    Table 6's value), so a label never changes sign between the table and the chart; levels are
    labelled as drawn. ``zoom`` starts the axis near the lowest level instead of zero, so steps of
    £0.1m stay visible beside totals of £50m; the axis label then says it does not start at zero.
    """
    s = signs(signs_of)
    xlabel = xlabel or s.axis
    df = steps.reset_index(drop=True)
    n = len(df)
    wrapped = [_wrap(lab, 56) for lab in df["label"]]
    rows = np.array([2.1 if "\n" in w else 1.0 for w in wrapped])  # a two-line label needs a taller row
    fig, ax = _figure((10, min(5.4, max(2.4, 0.165 * rows.sum() + 1.1))))
    level = 0.0
    starts, ends, colours = [], [], []
    for r in df.itertuples(index=False):
        if r.kind == "total":
            starts.append(0.0)
            colours.append(SERIES["total"])
            level = r.value
        else:
            starts.append(level)
            colours.append(SERIES["up"] if r.value >= 0 else SERIES["down"])
            level += r.value
        ends.append(level)
    starts_a, ends_a = np.array(starts), np.array(ends)
    kinds = df["kind"].to_numpy()
    floating = np.r_[ends_a, starts_a[kinds == "step"]]
    lo, hi = float(np.min(np.r_[floating, 0.0])), float(np.max(np.r_[floating, 0.0]))
    if zoom and len(floating):
        f_lo, f_hi = float(np.min(floating)), float(np.max(floating))
        if f_lo > 0:  # all levels positive: start the axis just below the lowest
            lo = f_lo - (f_hi - f_lo) * 0.15
            starts_a = np.where(kinds == "total", lo, starts_a)
            xlabel += " (axis does not start at zero)"
    y = rows.sum() - (np.cumsum(rows) - rows / 2) - 0.5  # top to bottom, each row centred in its own height
    ax.barh(y, ends_a - starts_a, left=starts_a, color=colours, height=0.62, edgecolor=INK, linewidth=0.4)
    span = (hi - lo) or 1.0
    labels = []
    for yi, s0, e0, r in zip(y, starts_a, ends_a, df.itertuples(index=False), strict=True):
        text = s.level(r.value) if r.kind == "total" else s.figure(r.value)
        labels.append(text)
        ax.text(
            max(s0, e0) + span * 0.008,
            yi,
            text,
            va="center",
            fontsize=8,
            color=TEXT,
            fontweight="bold" if r.kind == "total" else "normal",
        )
    for i in range(n - 1):  # connectors between consecutive bars
        ax.plot([ends_a[i], ends_a[i]], [y[i] - 0.31, y[i + 1] + 0.31], color=RULE, lw=0.7)
    ax.set_yticks(y, wrapped, fontsize=8)
    for tick, r in zip(ax.get_yticklabels(), df.itertuples(index=False), strict=True):
        if r.kind == "total":
            tick.set_fontweight("bold")
    ax.set_xlim(lo - (span * 0.04 if lo < 0 else 0), hi + span * 0.12)
    if lo <= 0 <= hi:
        ax.axvline(0, color="black", lw=0.8)
    ax.xaxis.set_major_formatter(_K)
    ax.set_xlabel(xlabel, fontsize=8.5)
    _style_axes(ax, title)
    up, down = ("More saving", "Less saving") if s.negate else ("Improves the position", "Worsens the position")
    handles = [
        Patch(facecolor=SERIES["total"], label="Level"),
        Patch(facecolor=SERIES["up"], edgecolor=INK, linewidth=0.4, label=up),
        Patch(facecolor=SERIES["down"], edgecolor=INK, linewidth=0.4, label=down),
    ]
    totals = [(r.label, lab) for r, lab in zip(df.itertuples(index=False), labels, strict=True) if r.kind == "total"]
    moves = sorted(
        [
            (str(r.label), lab, abs(float(r.value)))
            for r, lab in zip(df.itertuples(index=False), labels, strict=True)
            if r.kind == "step"
        ],
        key=lambda m: -m[2],
    )
    alt = f"Waterfall chart: {title}{_about(context)}; axis: {xlabel}."
    if totals:
        alt += f" From {totals[0][0]} {totals[0][1]} to {totals[-1][0]} {totals[-1][1]}."
    if moves:
        alt += " Largest steps: " + "; ".join(f"{m[0]} {m[1]}" for m in moves[:4]) + "."
    return _finish(fig, key="\n".join(k for k in (s.key, s.step_key) if k), alt=alt, legend=handles)


@_chart
def org_impact(split: pd.DataFrame, *, title: str = "Organisation impact of all items", context: str = "") -> Figure:
    """Bars of each organisation's impact (surplus up, deficit down, £000), labelled as the table prints them."""
    s = signs("frp")
    fig, ax = _figure((10, 3.0))
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
    ax.set_xticks(np.arange(len(split)), [_wrap(str(v), 22) for v in split["step"]], fontsize=8)
    ax.axhline(0, color="black", lw=0.8)
    ax.yaxis.set_major_formatter(_K)
    ax.set_ylabel(s.axis, fontsize=8)
    _style_axes(ax, title)
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
        f"Bar chart: {title}{_about(context)} (£000, deficit negative): "
        + "; ".join(f"{step} {s.figure(v)}" for step, v in zip(split["step"], vals, strict=True))
        + "."
    )
    return _finish(fig, key=s.key, alt=alt)


# --- SPC ------------------------------------------------------------------------------------------

#: Special cause colours (not RAG): more saving purple, less saving sky blue; common cause ink.
SPC_IMPROVEMENT = PURPLE
SPC_CONCERN = SKY
SPC_COMMON = INK


def _as_trend(panel: spc.Trend | spc.XmR, synthetic_months: Sequence[int]) -> spc.Trend:
    if isinstance(panel, spc.Trend):
        return panel
    return spc.trend(panel.values, synthetic=[m for m in panel.values.index if m in set(synthetic_months)])


def _xmr_axes(
    ax: Any,
    tr: spc.Trend,
    title: str,
    months: list[int],
    *,
    improvement: str | None = "increase",
    target: float | None = None,
) -> None:
    """Draw one XmR panel (x = months): real points joined, synthetic ones hollow grey; mean, limits (each
    rebased phase its own), special-cause colours and the variation / assurance icons only when the real
    points are enough for the rules."""
    pos = {m: i for i, m in enumerate(months)}
    chart = tr.chart
    if len(tr.synthetic):
        every = tr.values
        ax.plot([pos[m] for m in every.index], every.to_numpy(), color=SYNTHETIC_EDGE, lw=0.8, ls=":", zorder=1)
        ax.scatter(
            [pos[m] for m in tr.synthetic.index],
            tr.synthetic.to_numpy(),
            s=20,
            facecolors="white",
            edgecolors=SYNTHETIC_EDGE,
            linewidths=0.8,
            zorder=3,
        )
    real = tr.real
    xs = [pos[m] for m in real.index]
    v = real.to_numpy()
    ax.plot(xs, v, color=INK, lw=1.2, zorder=2)
    colours = np.full(len(v), SPC_COMMON, dtype=object)
    if tr.ruled:
        for phase in tr.charts:
            _phase_lines(ax, phase, [pos[m] for m in phase.values.index], whole=not tr.earlier)
        signals = tr.signals.to_numpy()
        ups = [spc.direction(c, m) > 0 for c in tr.charts for m in c.values.index]
        good = [u == (improvement != "decrease") for u in ups]
        colours = np.where(~signals, SPC_COMMON, np.where(good, SPC_IMPROVEMENT, SPC_CONCERN))
        _icons(ax, tr, improvement, target)
    ax.scatter(xs, v, c=list(colours), s=22, zorder=4, edgecolors=INK, linewidths=0.5)
    ax.set_xticks(range(len(months)), [f"M{m}" for m in months], fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.yaxis.set_major_formatter(_K)
    ax.set_title(title, loc="left", fontsize=7.5 if len(title) > 16 else 8.5, fontweight="bold", color=TEXT)
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(x=0.08, y=0.15)
    every = tr.values.to_numpy()
    spread = np.r_[every, (chart.upper, chart.lower) if tr.ruled else ()]
    spread = spread[np.isfinite(spread)]
    if len(spread) and np.ptp(spread) < 1:
        centre = round(float(np.mean(spread)))  # a flat series: keep distinct tick labels
        ax.set_ylim(centre - 1.5, centre + 1.5)
        ax.set_yticks([centre - 1, centre, centre + 1])


def _phase_lines(ax: Any, phase: spc.XmR, xs: list[int], *, whole: bool) -> None:
    """A phase's mean and process limits: across the panel when there is one phase, else over its own months."""
    for y, style in ((phase.mean, {"color": "black", "lw": 0.9}), (phase.upper, LIMIT), (phase.lower, LIMIT)):
        if whole:
            ax.axhline(y, zorder=1, **style)
        elif xs:
            ax.hlines(y, xs[0] - 0.4, xs[-1] + 0.4, zorder=1, **style)


LIMIT = {"color": INK, "lw": 0.8, "ls": "--"}
#: Making Data Count's icons, drawn as lettered discs: variation (H/L higher or lower, – common cause) and
#: assurance (P passing, F failing, ? hit or miss).
ICON_COLOURS = {"common": "#A5A5A5", "improving": SPC_IMPROVEMENT, "concerning": SPC_CONCERN, "neither": MAUVE}
ASSURANCE_LETTERS = {"pass": "P", "fail": "F", "hit or miss": "?"}


def _icons(ax: Any, tr: spc.Trend, improvement: str | None, target: float | None) -> None:
    """The variation icon and, with a target, the assurance icon, at the panel's top right."""
    var = tr.variation(improvement)
    kind, _, where = var.partition(" ")
    letter = {"high": "H", "low": "L"}.get(where, "–")
    marks = [(letter, ICON_COLOURS.get(kind, ICON_COLOURS["common"]))]
    sure = tr.assurance(target, improvement)
    if sure:
        marks.append((ASSURANCE_LETTERS[sure], {"pass": SPC_IMPROVEMENT, "fail": SPC_CONCERN}.get(sure, MAUVE)))
    for i, (text, fill) in enumerate(marks):
        ax.text(
            1.0 - 0.13 * i,
            1.04,
            text,
            transform=ax.transAxes,
            ha="right",
            va="bottom",
            fontsize=6.5,
            fontweight="bold",
            color=text_on(fill),
            bbox={"boxstyle": "circle,pad=0.25", "facecolor": fill, "edgecolor": INK, "linewidth": 0.5},
        )


@_chart
def xmr_chart(
    panels: Mapping[str, spc.Trend | spc.XmR],
    *,
    title: str,
    synthetic_months: Sequence[int] = (),
    ncols: int = 6,
    ylabel: str = "Savings, £000",
    panel_size: tuple[float, float] = (1.67, 1.0),
    context: str = "",
    notes: Sequence[str] = (),
    improvement: str | None = "increase",
    targets: Mapping[str, float] | None = None,
    month_synthetic: Sequence[int] | None = None,
) -> Figure:
    """Small multiples of XmR charts, one panel per series (Making Data Count style).

    ``month_synthetic``: the months whose own figures are synthetic (the report's); a hollow point of any
    other month (an in-month delivery worked out from a synthetic month before) is said to be so, not
    labelled synthetic. None: every hollow point's month is synthetic.

    ``improvement``: which way is better on the charted values (savings shown positive: ``increase``);
    ``targets``: panel name -> target, for the assurance icon.

    Panels are :class:`spc.Trend` (real and synthetic points apart; an :class:`spc.XmR` is taken as
    real except the months in ``synthetic_months``). Limits (mean ± 2.66 × mean moving range) and
    special-cause colours come from real points only, and only when there are at least
    :data:`spc.MIN_RULE_POINTS` of them; otherwise the chart says so in place of limits.
    """
    s = signs("savings")
    trends = {name: _as_trend(p, synthetic_months) for name, p in panels.items()}
    months = sorted({int(m) for tr in trends.values() for m in tr.values.index})
    n = max(1, len(trends))
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    real = sorted({int(m) for tr in trends.values() for m in tr.real.index})
    fake = sorted({int(m) for tr in trends.values() for m in tr.synthetic.index})
    ruled = any(tr.ruled for tr in trends.values())
    head = 0.74 if not ruled else 0.55
    legend_h = 0.35
    key_lines = 1 + len(notes) + (1 if ruled and any(tr.provisional for tr in trends.values()) else 0) + 2 * ruled
    foot = legend_h + 0.05 + 0.155 * key_lines + 0.22
    height = panel_size[1] * nrows + head + foot
    width = panel_size[0] * ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), dpi=DPI, squeeze=False, FigureClass=Chart)
    assert isinstance(fig, Chart)  # matplotlib's types say Figure; FigureClass makes it a Chart
    for ax, (name, tr) in zip(axes.flat, trends.items(), strict=False):
        _xmr_axes(ax, tr, name, months, improvement=improvement, target=(targets or {}).get(name))
    for ax in list(axes.flat)[len(trends) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel, fontsize=7)
    fig.suptitle(title, x=0.01, y=1 - 0.08 / height, ha="left", va="top", fontsize=11, fontweight="bold", color=TEXT)
    if not ruled:
        fig.text(
            0.01,
            1 - 0.42 / height,
            f"{len(real)} real month{'s' if len(real) != 1 else ''}"
            + (f" ({_months(real)})" if real else "")
            + f": too few for process limits and special-cause rules (they need {spc.MIN_RULE_POINTS}: "
            f"{spc.MIN_RULE_POINTS - len(real)} more), so none are drawn.",
            fontsize=9,
            color=TEXT,
            ha="left",
            va="top",
        )
    handles = []
    if ruled:
        handles += [
            plt.Line2D([], [], color="black", lw=0.9, label="Mean"),
            plt.Line2D([], [], color=INK, lw=0.8, ls="--", label="Process limits (mean ± 2.66 × mean moving range)"),
            plt.Line2D([], [], color=SPC_IMPROVEMENT, marker="o", lw=0, label="Special cause: more saving"),
            plt.Line2D(
                [], [], color=SPC_CONCERN, markeredgecolor=INK, marker="o", lw=0, label="Special cause: less saving"
            ),
        ]
    handles.append(plt.Line2D([], [], color=INK, marker="o", lw=1.2, label="Real month" if fake else "Month"))
    if fake:
        handles.append(
            plt.Line2D(
                [],
                [],
                color=SYNTHETIC_EDGE,
                marker="o",
                markerfacecolor="white",
                lw=0.8,
                ls=":",
                label=f"{_hollow_words(fake, month_synthetic)} (never used for limits or signals)",
            )
        )
    fig.legend(
        handles=handles,
        loc="lower left",
        ncols=min(len(handles), 3),
        frameon=False,
        fontsize=7.5,
        bbox_to_anchor=(0.0, (0.05 + 0.155 * key_lines + 0.05) / height),
    )
    extra = []
    if ruled:
        rules = next(iter(trends.values())).chart.rules
        extra += [
            f"Rules: a point outside the limits; a shift of {rules.shift} on one side of the mean; a trend of "
            f"{rules.trend} rising or falling" + ("; two of three near a limit." if rules.two_of_three else "."),
            "Icons: H/L special cause high/low (purple improving, blue concerning), – common cause; "
            "P/F/? target met/missed/hit or miss.",
        ]
    if ruled and any(tr.provisional for tr in trends.values()):
        extra.append(f"Limits from fewer than {spc.MIN_POINTS} months are provisional.")
    fig.subplots_adjust(
        left=0.75 / width, right=1 - 0.15 / width, bottom=foot / height, top=1 - head / height, wspace=0.45, hspace=0.6
    )
    signals = [
        f"{name} {'more' if spc.direction(c, m) > 0 else 'less'} saving at M{m}"
        for name, tr in trends.items()
        for c in tr.charts
        for m, hit in zip(c.values.index, tr.signals.reindex(c.values.index), strict=True)
        if hit
    ]
    alt = f"XmR charts, one panel per series: {title}{_about(context)}; savings shown positive. "
    if ruled:
        alt += ("Special-cause variation: " + "; ".join(signals) + ".") if signals else "No special-cause variation."
        icons = [f"{name} {tr.variation(improvement)}" for name, tr in trends.items() if tr.ruled]
        alt += " Latest point: " + "; ".join(icons) + "."
    else:
        alt += (
            f"{len(real)} real month(s){' (' + _months(real) + ')' if real else ''}: too few for limits or "
            "special-cause rules, none drawn."
        )
    if fake:
        alt += f" Hollow grey points: {_hollow_words(fake, month_synthetic)}."
    return _finish(fig, key="\n".join([s.key, *extra, *notes]), alt=alt, layout=False)


@_chart
def scheme_history(
    history: pd.DataFrame, *, title: str, synthetic_months: Sequence[int] = (), context: str = ""
) -> Figure:
    """One scheme by month: annual plan, plan YTD, actual YTD and FOT (savings shown positive).

    FOT points of real months take the scheme's RAG colour (the first, if its rows differ) and RAG
    changes are labelled; synthetic months are hollow grey points, never RAG-coloured.
    """
    s = signs("savings")
    fig, ax = _figure((9, 3.4))
    months = [int(m) for m in history["month"]]
    x = np.arange(len(months), dtype=float)
    real = np.array([m not in set(synthetic_months) for m in months], dtype=bool)
    ax.plot(x, s.plot(history["annual_plan"]), color=INK, ls=":", label="Annual plan")
    ax.plot(x, s.plot(history["plan_ytd"]), color=INK, ls="--", lw=0.9, label="Plan YTD")
    ax.plot(x, s.plot(history["actual_ytd"]), color=SKY, lw=1.6, label="Actual YTD")
    fot = s.plot(history["fot"])
    ax.plot(x, fot, color=PURPLE, lw=1.2, label="Forecast out-turn (point = RAG)")
    rag_first = [str(r).split("/")[0] for r in history["rag"]]
    if real.any():
        ax.scatter(
            x[real],
            fot[real],
            c=[rag_colour(r) or RAG_COLOURS["Grey"] for r, ok in zip(rag_first, real, strict=True) if ok],
            s=40,
            zorder=3,
            edgecolors="black",
            linewidths=0.4,
        )
    if (~real).any():
        ax.scatter(x[~real], fot[~real], s=34, zorder=3, facecolors="white", edgecolors=SYNTHETIC_EDGE)
        _synthetic_label(ax, list(x[~real]), [m for m, ok in zip(months, real, strict=True) if not ok])
    for xi, v, change, ok in zip(x, fot, history["rag_change"], real, strict=True):
        if change and ok:
            ax.annotate(
                f"RAG {change}",
                (xi, v),
                textcoords="offset points",
                xytext=(0, 9),
                ha="center",
                fontsize=7.5,
                fontweight="bold",
                color=TEXT,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
            )
    ax.set_xticks(x, [f"M{m}" for m in months])
    ax.yaxis.set_major_formatter(_K)
    ax.set_ylabel(s.axis)
    ax.axhline(0, color="black", lw=0.6)
    _style_axes(ax, title)
    ax.title.set_position((0, 1.07))
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.margins(y=0.2)
    alt = (
        f"Line chart: {title}{_about(context)} by month (savings, £000, shown positive). Forecast out-turn: "
        + ", ".join(f"M{m} {v:,.0f}" for m, v in zip(months, fot, strict=True))
        + "."
    )
    if (~real).any():
        alt += f" {synthetic_words([m for m, ok in zip(months, real, strict=True) if not ok])}"
    return _finish(fig, key=s.key, alt=alt)


# --- RightCare opportunity ------------------------------------------------------------------------

POD_NAMES = {"elective": "Elective", "non_elective": "Non-elective", "prescribing": "Prescribing"}


def _hex(rgba: Sequence[float]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*(round(float(c) * 255) for c in rgba[:3]))


@_chart
def opportunity_heatmap(table: pd.DataFrame, *, title: str, context: str = "") -> Figure:
    """Heatmap of opportunity (£m) by programme area × point of delivery, every cell labelled.

    Programme areas run down in the table's order, points of delivery across the top; a white
    grid separates the cells and each is labelled in black or white, whichever reads on it (AA).
    """
    s = signs("opportunity")
    body = _body(table, "programme_area").set_index("programme_area")[list(POD_NAMES)]
    values = body.to_numpy(dtype=float)
    rows, cols = values.shape
    fig, ax = _figure((7.6, 0.27 * rows + 1.5))
    top = float(np.nanmax(values)) if values.size else 0.0
    cmap = LinearSegmentedColormap.from_list("qipp_heatmap", list(HEATMAP))
    mesh = ax.pcolormesh(values, cmap=cmap, vmin=0, vmax=max(top, 0.1), edgecolors="white", linewidth=0.6)
    for (r, c), v in np.ndenumerate(values):
        ink = text_on(_hex(mesh.cmap(mesh.norm(v))))
        ax.text(c + 0.5, r + 0.5, f"{v:.1f}", ha="center", va="center", fontsize=9, color=ink)
    ax.set_xlim(0, cols)
    ax.set_ylim(rows, 0)  # first programme area at the top, as the table reads
    ax.set_xticks(np.arange(cols) + 0.5, list(POD_NAMES.values()))
    ax.set_yticks(np.arange(rows) + 0.5, body.index.tolist())
    ax.xaxis.tick_top()
    ax.tick_params(axis="both", labelsize=9, length=0)
    ax.spines[:].set_visible(False)
    bar = fig.colorbar(mesh, ax=ax, label="Opportunity, £m")
    bar.outline.set_visible(False)
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold", pad=24, color=TEXT)
    flat = [(body.index[r], list(POD_NAMES.values())[c], v) for (r, c), v in np.ndenumerate(values)]
    flat.sort(key=lambda t: -t[2])
    alt = (
        f"Heatmap: {title}{_about(context)}; {rows} programme areas by elective, non-elective and prescribing. "
        "Largest cells: " + "; ".join(f"{a} {p} £{v:.1f}m" for a, p, v in flat[:3]) + "."
    )
    return _finish(fig, key=s.key, alt=alt)


@_chart
def opportunity_ranked(table: pd.DataFrame, *, title: str, context: str = "") -> Figure:
    """Programme areas ranked by total opportunity (£m), bars stacked by point of delivery, totals labelled."""
    s = signs("opportunity")
    body = _body(table, "programme_area").sort_values("total", kind="stable")
    y = np.arange(len(body))
    fig, ax = _figure((10, 0.27 * len(body) + 1.3))
    left = np.zeros(len(body))
    for pod, label in POD_NAMES.items():
        v = body[pod].to_numpy()
        ax.barh(y, v, left=left, color=POD_COLOURS[pod], height=0.62, label=label, edgecolor=INK, linewidth=0.3)
        left = left + v
    span = max(float(left.max()), 0.1)
    for yi, total in zip(y, left, strict=True):
        ax.text(total + span * 0.01, yi, f"£{total:,.1f}m", va="center", fontsize=8.5, color=TEXT)
    ax.set_yticks(y, body["programme_area"], fontsize=9)
    ax.set_xlim(0, span * 1.12)
    ax.set_xlabel("Opportunity, £m", fontsize=8.5)
    _style_axes(ax, title)
    ax.legend(loc="lower right", frameon=False, fontsize=8.5)
    ranked = body.iloc[::-1]
    alt = (
        f"Stacked bar chart: {title}{_about(context)}, by elective, non-elective and prescribing. "
        + "; ".join(f"{r.programme_area} £{r.total:,.1f}m" for r in ranked.head(4).itertuples())
        + "."
    )
    return _finish(fig, key=s.key, alt=alt)


@_chart
def peer_positions(
    positions: pd.DataFrame, top: pd.DataFrame, *, labels: Sequence[str], title: str, context: str = ""
) -> Figure:
    """Each largest opportunity on one row: peers' spend as dots (best 5 filled), the best-5 average and
    the peer mean marked, the CCG's own spend as a diamond; all as % of the peer mean so rows compare."""
    n = len(top)
    fig, ax = _figure((10, max(2.4, 0.42 * n + 1.5)))
    y = np.arange(n)[::-1]
    own_pct = []
    for yi, (i, r) in zip(y, top.reset_index(drop=True).iterrows(), strict=True):
        cell = positions[positions["cell"] == i]
        peers, own = cell[cell["who"] == "peer"], cell[cell["who"] == "own"].iloc[0]
        mean = r["peer_mean"]
        best = peers[peers["in_best5"]]
        rest = peers[~peers["in_best5"]]
        first = yi == y[0]
        ax.scatter(
            rest["pct_of_peer_mean"] * 100,
            np.full(len(rest), yi),
            s=26,
            facecolors="white",
            edgecolors=INK,
            linewidths=0.7,
            zorder=3,
            label="Peer" if first else None,
        )
        ax.scatter(
            best["pct_of_peer_mean"] * 100,
            np.full(len(best), yi),
            s=26,
            color=MAUVE,
            edgecolors=INK,
            linewidths=0.5,
            zorder=3,
            label="Peer in the best 5" if first else None,
        )
        ax.plot(
            [r["best5"] / mean * 100] * 2,
            [yi - 0.3, yi + 0.3],
            color=PURPLE,
            lw=2,
            label="Best-5 average" if first else None,
        )
        ax.scatter(
            [own["pct_of_peer_mean"] * 100],
            [yi],
            marker="D",
            s=58,
            color=PURPLE,
            edgecolors=INK,
            zorder=4,
            label="This CCG" if first else None,
        )
        own_pct.append(float(own["pct_of_peer_mean"]) * 100)
        ax.text(
            1.01,
            yi,
            f"£{r['opportunity'] / 1000:,.1f}m",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=8.5,
            color=TEXT,
        )
    ax.text(1.01, n - 0.45, "Opportunity", transform=ax.get_yaxis_transform(), fontsize=8, va="bottom", color=TEXT)
    ax.axvline(100, color="black", lw=0.8, ls="--")
    ax.text(100, 1.0, " peer mean", transform=ax.get_xaxis_transform(), fontsize=8, va="bottom", color=TEXT)
    ax.set_yticks(y, list(labels), fontsize=8.5)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("Spend per 1,000 weighted population, % of the peer mean", fontsize=8.5)
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold", pad=16, color=TEXT)
    ax.spines[["top", "right"]].set_visible(False)
    alt = (
        f"Dot chart: {title}{_about(context)}; each row one of the {n} largest opportunities, spend as % of "
        "the peer mean. "
        + "; ".join(
            f"{lab}: this CCG at {pct:.0f}% of the peer mean, opportunity £{r.opportunity / 1000:,.1f}m"
            for lab, pct, r in zip(labels, own_pct, top.itertuples(), strict=True)
        )
        + "."
    )
    key = signs("opportunity").key + "\nSpend as % of the peer mean (100 = the peer mean); opportunity in £m."
    return _finish(fig, key=key, alt=alt, legend=ax)


@_chart
def coverage_chart(coverage: pd.DataFrame, *, title: str, context: str = "") -> Figure:
    """Per point of delivery: RightCare opportunity beside the matching QIPP programme's plan (£m), labelled."""
    s = signs("opportunity")
    body = coverage[coverage["point_of_delivery"] != "Total"].iloc[::-1].reset_index(drop=True)
    y = np.arange(len(body))
    fig, ax = _figure((10, 0.55 * len(body) + 1.3))
    opp = ax.barh(
        y + 0.2, body["opportunity"], height=0.38, color=MAUVE, edgecolor=INK, lw=0.4, label="RightCare opportunity"
    )
    plan = ax.barh(y - 0.2, body["qipp_plan"], height=0.38, color=PURPLE, label="QIPP plan (savings)")
    ax.bar_label(opp, labels=[f"£{v:,.1f}m" for v in body["opportunity"]], fontsize=8.5, padding=3, color=TEXT)
    ax.bar_label(
        plan,
        labels=[
            f"£{v:,.1f}m" + (f" ({p:.0%})" if pd.notna(p) else "")
            for v, p in zip(body["qipp_plan"], body["pct_covered"], strict=True)
        ],
        fontsize=8.5,
        padding=3,
        color=TEXT,
    )
    ax.set_yticks(
        y, [f"{r.point_of_delivery}\nvs {r.qipp_programme}" for r in body.itertuples(index=False)], fontsize=8.5
    )
    span = float(np.nanmax(np.r_[body["opportunity"], body["qipp_plan"], 0.1]))
    ax.set_xlim(0, span * 1.25)
    ax.set_xlabel("£m", fontsize=8.5)
    _style_axes(ax, title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8.5)
    alt = (
        f"Bar chart: {title}{_about(context)}. "
        + "; ".join(
            f"{r.point_of_delivery}: opportunity £{r.opportunity:,.1f}m, {r.qipp_programme} plan £{r.qipp_plan:,.1f}m"
            for r in body.iloc[::-1].itertuples(index=False)
        )
        + "."
    )
    return _finish(fig, key=s.key + "\nPercentages: plan as % of the opportunity.", alt=alt)


# --- display: the PNG and its description ---------------------------------------------------------


def _savefig_png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=PNG_DPI, bbox_inches="tight", facecolor="white")
    return buf.getvalue()


def _png_drawn_once(fig: Figure) -> bytes:
    """The figure as ``savefig(format="png", dpi=PNG_DPI, bbox_inches="tight", facecolor="white")`` gives it, with
    one draw fewer: "tight" lays the whole figure out (a draw without pixels) to measure it, then draws it again,
    shifted, into a canvas of the measured size. Here the figure is drawn once at PNG_DPI, measured from that
    draw and cropped to the measured box plus savefig's white padding, anchored at its lower left as savefig
    anchors it (the content lands within a pixel of where savefig puts it). Only a figure that draws outside
    itself is drawn a second time, into the measured box, as savefig would. The PNG is RGB: the background is
    opaque white, so an alpha channel says nothing, and without one the PDF needs no mask for it.
    A figure on another canvas (a closed one, another backend's) is drawn on an Agg canvas, as savefig does.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = fig.canvas
    if isinstance(canvas, FigureCanvasAgg):
        return _png_on(fig, canvas)
    try:
        return _png_on(fig, FigureCanvasAgg(fig))
    finally:
        fig.set_canvas(canvas)


def _png_on(fig: Figure, canvas: Any) -> bytes:
    from PIL import Image

    dpi, face = fig.dpi, fig.patch.get_facecolor()
    try:
        fig.dpi = PNG_DPI
        fig.patch.set_facecolor("white")
        canvas.draw()
        renderer = canvas.get_renderer()
        drawn = fig.get_tightbbox(renderer)
        pixels = np.asarray(renderer.buffer_rgba())
    finally:
        fig.dpi = dpi
        fig.patch.set_facecolor(face)
    box = drawn.padded(plt.rcParams["savefig.pad_inches"])  # savefig's padding is white, also beyond the figure
    width, height = int(box.width * PNG_DPI), int(box.height * PNG_DPI)
    fw, fh = fig.get_size_inches()
    if drawn.x0 < 0 or drawn.y0 < 0 or drawn.x1 > fw or drawn.y1 > fh:  # what lies outside was not drawn
        raw = io.BytesIO()
        fig.savefig(raw, format="rgba", dpi=PNG_DPI, bbox_inches=box, facecolor="white")
        if len(raw.getvalue()) != width * height * 4:  # not the size savefig gives "tight": let it write the PNG
            return _savefig_png(fig)
        image = np.frombuffer(raw.getvalue(), dtype=np.uint8).reshape(height, width, 4)[:, :, :3]
    else:
        left, bottom = round(box.x0 * PNG_DPI), round(pixels.shape[0] - box.y0 * PNG_DPI)
        top = bottom - height
        image = np.full((height, width, 3), 255, dtype=np.uint8)
        y0, y1 = max(top, 0), min(bottom, pixels.shape[0])
        x0, x1 = max(left, 0), min(left + width, pixels.shape[1])
        image[y0 - top : y1 - top, x0 - left : x1 - left] = pixels[y0:y1, x0:x1, :3]
    buf = io.BytesIO()
    # zlib level 3: a third faster than the default 6 and within 5% of its size (the PDF re-compresses it anyway)
    Image.fromarray(image).save(buf, "png", dpi=(PNG_DPI, PNG_DPI), compress_level=3)
    return buf.getvalue()


def png_with_alt(fig: Chart) -> tuple[bytes, dict[str, Any]]:
    """The chart as PNG and its display metadata: ``alt`` text and the size to show it at (the
    figure's own size in inches, so its type prints at the size it was set in)."""
    data = _png_drawn_once(fig)
    width, height = struct.unpack(">II", data[16:24])
    meta: dict[str, Any] = {"width": round(width * 96 / PNG_DPI), "height": round(height * 96 / PNG_DPI)}
    if fig.alt:
        meta["alt"] = fig.alt
    return data, meta


def register_display(shell: Any = None) -> bool:
    """Show a :class:`Chart` in IPython as PNG with its alt text and size (True if a shell was found).

    Registered for :class:`Chart` only, so ``%matplotlib inline`` (which registers plain Figures)
    neither replaces it nor is replaced by it.
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython is a dependency
            return False
        shell = get_ipython()
    if shell is None:
        return False
    shell.display_formatter.formatters["image/png"].for_type(Chart, png_with_alt)
    return True


register_display()
