"""The monthly position's charts: plan against forecast, forecast by RAG, organisation split, forecast trend and
the XmR (statistical process control) chart of a scheme's months. Each chart the report draws is declared once in
:data:`CHARTS` and drawn from the report by one call (the functions at the end of this module)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from ...analysis import spc
from ...core.money import fmt_k
from ..chartkit import (
    DPI,
    INK,
    MAUVE,
    PURPLE,
    SKY,
    SPC_COMMON,
    SPC_CONCERN,
    SPC_IMPROVEMENT,
    THOUSANDS,
    Chart,
    ChartSpec,
    about_context,
    body_rows,
    chart_context,
    chart_function,
    chart_months,
    finish_chart,
    hollow_words,
    mark_synthetic,
    new_figure,
    series_points,
    style_axes,
    synthetic_words,
)
from ..style import (
    RAG_COLOURS,
    SERIES,
    SYNTHETIC_EDGE,
    TEXT,
    rag_colour,
    signs,
    text_on,
)
from .model import MonthlyPosition

#: Each chart the report draws, by the name of the function at the end of this module that draws it: its title.
CHARTS: Mapping[str, ChartSpec] = {
    "org_split_chart": ChartSpec("Plan vs FOT and assured value by organisation"),
    "plan_vs_fot_chart": ChartSpec("Annual plan vs forecast out-turn by workstream"),
    "fot_trend_chart": ChartSpec("Forecast out-turn and YTD delivery by month"),
    "fot_xmr_chart": ChartSpec("Forecast out-turn by workstream: XmR charts (savings £000)"),
    "fot_by_rag_chart": ChartSpec("Forecast out-turn by overall PMO RAG rating"),
}


@chart_function
def plan_vs_fot(
    fot_table: pd.DataFrame,
    *,
    title: str = CHARTS["plan_vs_fot_chart"].title,
    context: str = "",
) -> Figure:
    """Grouped horizontal bars: annual plan (hollow) and FOT per workstream, savings shown positive;
    each labelled with Table 2's variance (positive = short of plan, brackets = more than planned)."""
    s = signs("savings")
    df = body_rows(fot_table, "workstream").iloc[::-1].reset_index(drop=True)
    y = np.arange(len(df))
    fig, ax = new_figure((10, 0.18 * len(df) + 1.1))
    plan, fot = s.plot(df["plan"]), s.plot(df["fot"])
    ax.barh(y + 0.21, plan, height=0.42, color=SERIES["plan"], edgecolor=INK, linewidth=0.7, label="Annual plan")
    ax.barh(y - 0.21, fot, height=0.42, color=SERIES["fot"], label="Forecast out-turn")
    span = max(float(np.max(np.abs(np.r_[plan, fot, 1.0]))), 1.0)
    for yi, p, f, v in zip(y, plan, fot, df["variance"], strict=True):
        if abs(v) >= 0.5:
            words = f"short of plan {v:,.0f}" if v > 0 else f"ahead of plan {-v:,.0f}"  # no brackets on this axis
            ax.text(max(p, f, 0) + span * 0.01, yi, words, va="center", fontsize=7.5, color=TEXT)
    ax.set_yticks(y, df["workstream"], fontsize=8.5)
    ax.xaxis.set_major_formatter(THOUSANDS)
    ax.set_xlabel(s.axis, fontsize=8.5)
    ax.set_xlim(min(0, float(np.min(np.r_[plan, fot])) * 1.1), span * 1.22)
    ax.axvline(0, color="black", lw=0.8)
    style_axes(ax, title)
    short = df[df["variance"] >= 0.5].sort_values("variance", ascending=False)
    over = df[df["variance"] <= -0.5].sort_values("variance")
    total = fot_table[fot_table["workstream"] == "Total"]
    totals = f" Total plan {-total['plan'].iloc[0]:,.0f}, forecast {-total['fot'].iloc[0]:,.0f}." if len(total) else ""
    alt = (
        f"Bar chart: annual plan and forecast out-turn by workstream{about_context(context)} (savings, £000, shown "
        f"positive).{totals}"
    )
    if len(short):
        alt += f" Largest under-delivery {short['workstream'].iloc[0]} {fmt_k(short['variance'].iloc[0])}"
        alt += "".join(f"; {r.workstream} {fmt_k(r.variance)}" for r in short.iloc[1:3].itertuples()) + "."
    if len(over):
        alt += f" Most ahead of plan: {over['workstream'].iloc[0]} {fmt_k(over['variance'].iloc[0])}."
    key = s.key + "\nLabels: Table 2's variance in words: short of plan (a positive variance) or ahead of plan."
    return finish_chart(fig, key=key, alt=alt, legend=ax)


RAG_SERIES = (
    ("green", "Green", "Green"),
    ("amber", "Amber", "Amber"),
    ("red", "Red", "Red"),
    ("completed", "Blue", "Completed (Blue)"),
    ("closed", "Grey", "Closed (Grey)"),
)


@chart_function
def fot_by_rag(
    rag_table: pd.DataFrame,
    *,
    title: str = CHARTS["fot_by_rag_chart"].title,
    context: str = "",
) -> Figure:
    """Stacked horizontal bars of FOT by RAG per programme area (savings shown positive); assured value marked."""
    s = signs("savings")
    df = body_rows(rag_table, "programme_area").iloc[::-1].reset_index(drop=True)
    y = np.arange(len(df))
    fig, ax = new_figure((10, 0.16 * len(df) + 1.35))
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
    ax.xaxis.set_major_formatter(THOUSANDS)
    ax.set_xlabel(s.axis, fontsize=8.5)
    lo = min(0.0, float(np.min(np.r_[neg, assured])))
    hi = max(1.0, float(np.max(np.r_[pos, assured])))
    pad = (hi - lo) * 0.04
    ax.set_xlim(lo - (pad if lo < 0 else 0), hi + pad)  # the assured marker never sits on the edge
    ax.axvline(0, color="black", lw=0.8)
    style_axes(ax, title)
    parts = ", ".join(f"{label} {v:,.0f}" for label, v in shown if abs(v) >= 0.5)
    alt = (
        f"Stacked bar chart: forecast out-turn by overall PMO RAG rating and programme area{about_context(context)} "
        f"(savings, £000, shown positive). Totals: {parts}; PMO assured value {float(assured.sum()):,.0f}, "
        "marked by a diamond on each bar."
    )
    return finish_chart(fig, key=s.key + "\nDiamond: PMO assured value.", alt=alt, legend=ax)


@chart_function
def org_split(
    split: pd.DataFrame,
    *,
    title: str = CHARTS["org_split_chart"].title,
    context: str = "",
) -> Figure:
    """Bars of annual plan (hollow), FOT and assured value per organisation, savings shown positive, labelled."""
    s = signs("savings")
    df = split.reset_index(drop=True)
    x = np.arange(len(df))
    fig, ax = new_figure((10, 2.5 if len(df) > 1 else 2.05))  # one organisation: three bars need less height
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
    ax.yaxis.set_major_formatter(THOUSANDS)
    ax.set_ylabel(s.axis, fontsize=8)
    style_axes(ax, title)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    ax.margins(y=0.18)
    alt = (
        f"Bar chart: annual plan, forecast out-turn and PMO assured value by organisation{about_context(context)} "
        + (
            "(savings, £000, shown positive): "
            + "; ".join(
                f"{r.organisation} plan {-r.annual_plan:,.0f}, forecast {-r.fot:,.0f}, assured {-r.assured:,.0f}"
                for r in df.itertuples()
            )
            + "."
        )
    )
    return finish_chart(fig, key=s.key, alt=alt)


def _real_in(
    months: list[int], real: Mapping[str, Sequence[int]] | None, synthetic_months: Sequence[int], measure: str
) -> np.ndarray:
    """Which months' ``measure`` is real: the months ``real`` gives for it, else every month not synthetic."""
    ok = set(real[measure]) if real is not None and measure in real else set(months) - set(synthetic_months)
    return np.array([m in ok for m in months], dtype=bool)


def _plan_line(ax: Any, plan: float, month: int, x_end: float) -> None:
    """The annual plan as a dashed line that stops short of its label, so nothing is struck through."""
    ax.hlines(plan, -0.4, x_end + 0.3, color=INK, ls="--", lw=1.0, zorder=1, label=f"Annual plan (M{month})")
    ax.text(x_end + 0.38, plan, f"plan {plan:,.0f}", va="center", ha="left", fontsize=7.5, color=TEXT)


def _trend_axes(ax: Any, x: np.ndarray, months: list[int], *, top: float, ylabel: str, title: str) -> None:
    """Month ticks with room on the right for the plan's label, room above the plan line for the synthetic
    bracket, and the legend beside the chart."""
    ax.set_xticks(x, [f"M{m}" for m in months])
    ax.set_xlim(-0.5, len(months) - 0.5 + 0.9)
    ax.yaxis.set_major_formatter(THOUSANDS)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.set_ylim(0, top * 1.3)
    style_axes(ax, title)
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))


def _label_forecasts(ax: Any, xs: np.ndarray, values: np.ndarray, *, plan: float, per_point: float) -> None:
    """Each forecast's figure above its point, or below it where the plan line would strike it through
    (``per_point``: data units per typographic point, on the laid-out axes)."""
    for xi, v in zip(xs, values, strict=True):
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


def _trend_alt(
    months: list[int],
    fot: np.ndarray,
    ytd: np.ndarray,
    fot_real: np.ndarray,
    ytd_real: np.ndarray,
    *,
    plan: float,
    fake: list[int],
    context: str,
) -> str:
    """The trend's alt text: the plan, each real month's forecast and delivery, and the synthetic months."""
    fot_txt = ", ".join(f"M{months[i]} {fot[i]:,.0f}" for i in np.flatnonzero(fot_real))
    ytd_txt = ", ".join(f"M{months[i]} {ytd[i]:,.0f}" for i in np.flatnonzero(ytd_real))
    alt = (
        f"Line chart: forecast out-turn and year-to-date delivery by month{about_context(context)} (savings, £000, "
        f"shown positive). Annual plan {plan:,.0f}. Forecast out-turn: {fot_txt or 'no real month'}. Actual "
        f"year to date: {ytd_txt or 'no real month'}."
    )
    if fake:
        alt += f" {synthetic_words(fake)}"
    return alt


@chart_function
def fot_trend(
    history: pd.DataFrame,
    *,
    real: Mapping[str, Sequence[int]] | None = None,
    notes: Sequence[str] = (),
    synthetic_months: Sequence[int] = (),
    title: str = CHARTS["fot_trend_chart"].title,
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
    fot, ytd = s.plot(history["fot"]), s.plot(history["actual_ytd"])
    fot_real, ytd_real, plan_real = (
        _real_in(months, real, synthetic_months, m) for m in ("fot", "actual_ytd", "annual_plan")
    )
    fig, ax = new_figure((10, 2.35))
    plan_at = int(np.flatnonzero(plan_real)[-1]) if plan_real.any() else len(months) - 1
    plan = float(s.plot(history["annual_plan"])[plan_at])
    _plan_line(ax, plan, months[plan_at], x[-1])
    top = max(float(np.nanmax(np.r_[fot, ytd, plan, 1.0])), 1.0)
    series_points(ax, x, fot, fot_real, colour=PURPLE, marker="o", label="Forecast out-turn")
    series_points(ax, x, ytd, ytd_real, colour=SKY, marker="s", label="Actual YTD", edge=INK, line=INK)
    fake = sorted({months[i] for i in range(len(months)) if not (fot_real[i] and ytd_real[i])})
    mark_synthetic(ax, [float(months.index(m)) for m in fake], fake)
    _trend_axes(ax, x, months, top=top, ylabel=s.axis, title=title)
    fig.tight_layout(rect=(0, (0.1 + 0.155 * (1 + len(notes))) / fig.get_figheight(), 1, 1))
    per_point = top * 1.3 / (ax.get_window_extent().height * 72 / fig.dpi)  # data units per typographic point
    _label_forecasts(ax, x[fot_real], fot[fot_real], plan=plan, per_point=per_point)
    alt = _trend_alt(months, fot, ytd, fot_real, ytd_real, plan=plan, fake=fake, context=context)
    key = s.key + (f"\n{synthetic_words(fake)}" if fake else "")
    return finish_chart(fig, key="\n".join([key, *notes]), alt=alt)


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
    ax.yaxis.set_major_formatter(THOUSANDS)
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


@dataclass(frozen=True)
class _XmrLayout:
    """Where the parts of the XmR figure go, in inches: a grid of panels, the head above it (the title and, without
    limits, the line saying why) and the foot below it (the legend, then the key's lines)."""

    nrows: int
    ncols: int
    panel_size: tuple[float, float]
    ruled: bool
    key_lines: int

    @property
    def head(self) -> float:
        return 0.74 if not self.ruled else 0.55

    @property
    def foot(self) -> float:
        legend_h = 0.35
        return legend_h + 0.05 + 0.155 * self.key_lines + 0.22

    @property
    def width(self) -> float:
        return self.panel_size[0] * self.ncols

    @property
    def height(self) -> float:
        return self.panel_size[1] * self.nrows + self.head + self.foot

    @property
    def title_y(self) -> float:
        """The title's top, as a fraction of the figure's height."""
        return 1 - 0.08 / self.height

    @property
    def too_few_y(self) -> float:
        """The top of the line saying there are too few real months for limits."""
        return 1 - 0.42 / self.height

    @property
    def legend_y(self) -> float:
        """The legend's bottom: just above the key."""
        return (0.05 + 0.155 * self.key_lines + 0.05) / self.height

    def margins(self) -> dict[str, float]:
        """The panels' grid within the figure (:meth:`Figure.subplots_adjust`'s arguments)."""
        w, h = self.width, self.height
        return {
            "left": 0.75 / w,
            "right": 1 - 0.15 / w,
            "bottom": self.foot / h,
            "top": 1 - self.head / h,
            "wspace": 0.45,
            "hspace": 0.6,
        }


def _draw_panels(
    axes: np.ndarray,
    trends: Mapping[str, spc.Trend],
    months: list[int],
    *,
    ylabel: str,
    improvement: str | None,
    targets: Mapping[str, float] | None,
) -> None:
    """One XmR panel per series, along each row then down; spare panels hidden; the y label on the first column."""
    for ax, (name, tr) in zip(axes.flat, trends.items(), strict=False):
        _xmr_axes(ax, tr, name, months, improvement=improvement, target=(targets or {}).get(name))
    for ax in list(axes.flat)[len(trends) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel, fontsize=7)


def _too_few_words(real: list[int]) -> str:
    """Under the title when no series has enough real months: how many there are and how many more the rules need."""
    return (
        f"{len(real)} real month{'s' if len(real) != 1 else ''}"
        + (f" ({chart_months(real)})" if real else "")
        + f": too few for process limits and special-cause rules (they need {spc.MIN_RULE_POINTS}: "
        f"{spc.MIN_RULE_POINTS - len(real)} more), so none are drawn."
    )


def _xmr_handles(*, ruled: bool, fake: list[int], month_synthetic: Sequence[int] | None) -> list[Line2D]:
    """The legend: mean, limits and special-cause colours when they are drawn; real and hollow points."""
    handles = []
    if ruled:
        handles += [
            Line2D([], [], color="black", lw=0.9, label="Mean"),
            Line2D([], [], color=INK, lw=0.8, ls="--", label="Process limits (mean ± 2.66 × mean moving range)"),
            Line2D([], [], color=SPC_IMPROVEMENT, marker="o", lw=0, label="Special cause: more saving"),
            Line2D(
                [], [], color=SPC_CONCERN, markeredgecolor=INK, marker="o", lw=0, label="Special cause: less saving"
            ),
        ]
    handles.append(Line2D([], [], color=INK, marker="o", lw=1.2, label="Real month" if fake else "Month"))
    if fake:
        handles.append(
            Line2D(
                [],
                [],
                color=SYNTHETIC_EDGE,
                marker="o",
                markerfacecolor="white",
                lw=0.8,
                ls=":",
                label=f"{hollow_words(fake, month_synthetic)} (never used for limits or signals)",
            )
        )
    return handles


def _xmr_legend(fig: Chart, handles: list[Line2D], *, y: float) -> None:
    """The legend across the figure, three entries a row, its bottom at ``y`` (just above the key)."""
    fig.legend(
        handles=handles,
        loc="lower left",
        ncols=min(len(handles), 3),
        frameon=False,
        fontsize=7.5,
        bbox_to_anchor=(0.0, y),
    )


def _rules_key(trends: Mapping[str, spc.Trend]) -> list[str]:
    """The key's lines on the rules and icons, when limits are drawn, and on limits that are provisional."""
    if not any(tr.ruled for tr in trends.values()):
        return []
    rules = next(iter(trends.values())).chart.rules
    lines = [
        f"Rules: a point outside the limits; a shift of {rules.shift} on one side of the mean; a trend of "
        f"{rules.trend} rising or falling" + ("; two of three near a limit." if rules.two_of_three else "."),
        "Icons: H/L special cause high/low (purple improving, blue concerning), – common cause; "
        "P/F/? target met/missed/hit or miss.",
    ]
    if any(tr.provisional for tr in trends.values()):
        lines.append(f"Limits from fewer than {spc.MIN_POINTS} months are provisional.")
    return lines


def _xmr_alt(
    trends: Mapping[str, spc.Trend],
    *,
    title: str,
    context: str,
    improvement: str | None,
    real: list[int],
    fake: list[int],
    month_synthetic: Sequence[int] | None,
) -> str:
    """The alt text: each special-cause signal and each panel's latest variation, or why there are none."""
    alt = f"XmR charts, one panel per series: {title}{about_context(context)}; savings shown positive. "
    if any(tr.ruled for tr in trends.values()):
        signals = [
            f"{name} {'more' if spc.direction(c, m) > 0 else 'less'} saving at M{m}"
            for name, tr in trends.items()
            for c in tr.charts
            for m, hit in zip(c.values.index, tr.signals.reindex(c.values.index), strict=True)
            if hit
        ]
        alt += ("Special-cause variation: " + "; ".join(signals) + ".") if signals else "No special-cause variation."
        icons = [f"{name} {tr.variation(improvement)}" for name, tr in trends.items() if tr.ruled]
        alt += " Latest point: " + "; ".join(icons) + "."
    else:
        alt += (
            f"{len(real)} real month(s){' (' + chart_months(real) + ')' if real else ''}: too few for limits or "
            "special-cause rules, none drawn."
        )
    if fake:
        alt += f" Hollow grey points: {hollow_words(fake, month_synthetic)}."
    return alt


@chart_function
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
    real = sorted({int(m) for tr in trends.values() for m in tr.real.index})
    fake = sorted({int(m) for tr in trends.values() for m in tr.synthetic.index})
    ruled = any(tr.ruled for tr in trends.values())
    extra = _rules_key(trends)
    n = max(1, len(trends))
    ncols = min(ncols, n)
    lay = _XmrLayout(-(-n // ncols), ncols, panel_size, ruled=ruled, key_lines=1 + len(notes) + len(extra))
    fig, axes = plt.subplots(
        lay.nrows, lay.ncols, figsize=(lay.width, lay.height), dpi=DPI, squeeze=False, FigureClass=Chart
    )
    assert isinstance(fig, Chart)  # matplotlib's types say Figure; FigureClass makes it a Chart
    _draw_panels(axes, trends, months, ylabel=ylabel, improvement=improvement, targets=targets)
    fig.suptitle(title, x=0.01, y=lay.title_y, ha="left", va="top", fontsize=11, fontweight="bold", color=TEXT)
    if not ruled:
        fig.text(0.01, lay.too_few_y, _too_few_words(real), fontsize=9, color=TEXT, ha="left", va="top")
    _xmr_legend(fig, _xmr_handles(ruled=ruled, fake=fake, month_synthetic=month_synthetic), y=lay.legend_y)
    fig.subplots_adjust(**lay.margins())
    alt = _xmr_alt(
        trends,
        title=title,
        context=context,
        improvement=improvement,
        real=real,
        fake=fake,
        month_synthetic=month_synthetic,
    )
    return finish_chart(fig, key="\n".join([s.key, *extra, *notes]), alt=alt, layout=False)


def _rag_points(
    ax: Any, x: np.ndarray, fot: np.ndarray, real: np.ndarray, rags: Sequence[object], months: list[int]
) -> None:
    """The forecast's points: a real month's in its RAG colour (the first, if the scheme's rows differ), a synthetic
    month's hollow grey under the synthetic bracket."""
    rag_first = [str(r).split("/")[0] for r in rags]
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
        mark_synthetic(ax, list(x[~real]), [m for m, ok in zip(months, real, strict=True) if not ok])


def _label_rag_changes(ax: Any, x: np.ndarray, fot: np.ndarray, changes: Sequence[str], real: np.ndarray) -> None:
    """'RAG Amber → Red' over each real month whose rating changed."""
    for xi, v, change, ok in zip(x, fot, changes, real, strict=True):
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


@chart_function
def scheme_history(
    history: pd.DataFrame, *, title: str, synthetic_months: Sequence[int] = (), context: str = ""
) -> Figure:
    """One scheme by month: annual plan, plan YTD, actual YTD and FOT (savings shown positive).

    FOT points of real months take the scheme's RAG colour (the first, if its rows differ) and RAG
    changes are labelled; synthetic months are hollow grey points, never RAG-coloured.
    """
    s = signs("savings")
    fig, ax = new_figure((9, 3.4))
    months = [int(m) for m in history["month"]]
    x = np.arange(len(months), dtype=float)
    real = np.array([m not in set(synthetic_months) for m in months], dtype=bool)
    ax.plot(x, s.plot(history["annual_plan"]), color=INK, ls=":", label="Annual plan")
    ax.plot(x, s.plot(history["plan_ytd"]), color=INK, ls="--", lw=0.9, label="Plan YTD")
    ax.plot(x, s.plot(history["actual_ytd"]), color=SKY, lw=1.6, label="Actual YTD")
    fot = s.plot(history["fot"])
    ax.plot(x, fot, color=PURPLE, lw=1.2, label="Forecast out-turn (point = RAG)")
    _rag_points(ax, x, fot, real, list(history["rag"]), months)
    _label_rag_changes(ax, x, fot, list(history["rag_change"]), real)
    ax.set_xticks(x, [f"M{m}" for m in months])
    ax.yaxis.set_major_formatter(THOUSANDS)
    ax.set_ylabel(s.axis)
    ax.axhline(0, color="black", lw=0.6)
    style_axes(ax, title)
    ax.title.set_position((0, 1.07))
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.margins(y=0.2)
    alt = (
        f"Line chart: {title}{about_context(context)} by month (savings, £000, shown positive). Forecast out-turn: "
        + ", ".join(f"M{m} {v:,.0f}" for m, v in zip(months, fot, strict=True))
        + "."
    )
    if (~real).any():
        alt += f" {synthetic_words([m for m, ok in zip(months, real, strict=True) if not ok])}"
    return finish_chart(fig, key=s.key, alt=alt)


def org_split_chart(r: MonthlyPosition) -> Figure:
    """The executive summary's chart: annual plan, forecast out-turn and assured value by organisation."""
    return org_split(r.split, title=CHARTS["org_split_chart"].title, context=chart_context(r))


def plan_vs_fot_chart(r: MonthlyPosition) -> Figure:
    """Table 2 as a chart: annual plan against forecast out-turn by workstream, labelled with its variances."""
    return plan_vs_fot(r.fot, title=CHARTS["plan_vs_fot_chart"].title, context=chart_context(r))


def fot_trend_chart(r: MonthlyPosition) -> Figure:
    """The forecast out-turn and year-to-date delivery by month, each month's provenance marked and noted."""
    return fot_trend(
        r.history,
        real=r.real_months,
        notes=r.history_notes,
        title=CHARTS["fot_trend_chart"].title,
        context=chart_context(r),
    )


def fot_xmr_chart(r: MonthlyPosition) -> Figure:
    """Each workstream's forecast out-turn by month as an XmR chart, assured against its plan."""
    return xmr_chart(
        r.trend_panels("fot"),
        title=CHARTS["fot_xmr_chart"].title,
        notes=r.history_notes,
        context=chart_context(r),
        targets=r.trend_targets("fot"),
    )


def fot_by_rag_chart(r: MonthlyPosition) -> Figure:
    """Table 5 as a chart: forecast out-turn by overall PMO RAG rating and programme area."""
    return fot_by_rag(r.rag, title=CHARTS["fot_by_rag_chart"].title, context=chart_context(r))
