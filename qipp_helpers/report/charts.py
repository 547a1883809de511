"""Charts for the monthly pack. Each function takes a table from :mod:`tables`, returns a Figure.

Savings are stored negative; charts plot their size (savings £000, positive to the right)
because that is how people read a bar.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..analysis import spc
from .style import RAG_COLOURS

# Text on a chart comes from returns: a "$" is a dollar sign, never the start of mathtext.
plt.rcParams["text.parse_math"] = False

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
            ax.text(
                max(p, f) + span * 0.01,
                yi,
                f"{'short' if gap > 0 else 'over'} {abs(gap):,.0f}",
                va="center",
                fontsize=8,
                color="#DA291C" if gap > 0 else "#009639",
            )
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
    columns = [
        ("green", "Green", "Green"),
        ("amber", "Amber", "Amber"),
        ("red", "Red", "Red"),
        ("completed", "Blue", "Completed (Blue)"),
        ("closed", "Grey", "Closed (Grey)"),
    ]
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
    for offset, (col, colour, label) in zip(
        (-0.27, 0, 0.27),
        (
            ("annual_plan", GREY, "Annual plan"),
            ("fot", NHS_BLUE, "Forecast out-turn"),
            ("assured", NHS_LIGHT, "PMO assured value"),
        ),
        strict=True,
    ):
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


def fot_trend(
    history: pd.DataFrame,
    *,
    synthetic_months: Sequence[int] = (),
    title: str = "Forecast out-turn and YTD delivery by month",
) -> Figure:
    """Line chart of FOT, annual plan and YTD actuals (savings £000) over the months held.

    Months in ``synthetic_months`` are shaded and labelled so nobody mistakes them for returns.
    """
    fig, ax = plt.subplots(figsize=(9, 3.4), dpi=110)
    labels = [f"M{m}" for m in history["month"]]
    shaded = [i for i, m in enumerate(history["month"]) if m in set(synthetic_months)]
    if shaded:
        ax.axvspan(min(shaded) - 0.4, max(shaded) + 0.4, color="#E8EDEE", zorder=0)
        ax.text(
            (min(shaded) + max(shaded)) / 2,
            0.02,
            "synthetic months (demonstration data)",
            transform=ax.get_xaxis_transform(),
            ha="center",
            fontsize=8,
            color="#425563",
        )
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


def _wrap(label: str, width: int = 38) -> str:
    import textwrap

    lines = textwrap.wrap(str(label), width) or [""]
    return "\n".join(lines[:2]) + ("…" if len(lines) > 2 else "")


def waterfall(
    steps: pd.DataFrame,
    *,
    title: str,
    xlabel: str = "£000",
    zoom: bool = False,
    up_colour: str = "#009639",
    down_colour: str = "#DA291C",
) -> Figure:
    """Horizontal waterfall, read top to bottom: ``total`` rows are levels, ``step`` rows float
    from the running level (right = up), each labelled with its size.

    ``zoom`` starts the axis near the lowest level instead of zero, so steps of £0.1m stay
    visible beside totals of £50m; the axis label then says it does not start at zero.
    """
    df = steps.reset_index(drop=True)
    n = len(df)
    fig, ax = plt.subplots(figsize=(12, min(6.4, max(3.0, 0.27 * n + 1.0))), dpi=110)
    level = 0.0
    starts, ends, colours = [], [], []
    for r in df.itertuples(index=False):
        if r.kind == "total":
            starts.append(0.0)
            colours.append(NHS_BLUE)
            level = r.value
        else:
            starts.append(level)
            colours.append(up_colour if r.value >= 0 else down_colour)
            level += r.value
        ends.append(level)
    starts_a, ends_a = np.array(starts), np.array(ends)
    floating = np.r_[ends_a, starts_a[df["kind"].to_numpy() == "step"]]
    lo, hi = float(np.min(np.r_[floating, 0.0])), float(np.max(np.r_[floating, 0.0]))
    if zoom and len(floating):
        f_lo, f_hi = float(np.min(floating)), float(np.max(floating))
        if f_lo > 0:  # all levels positive: start the axis just below the lowest
            lo = f_lo - (f_hi - f_lo) * 0.15
            starts_a = np.where(df["kind"].to_numpy() == "total", lo, starts_a)
            xlabel += " (axis does not start at zero)"
    y = np.arange(n)[::-1]
    ax.barh(y, ends_a - starts_a, left=starts_a, color=colours, height=0.62)
    span = (hi - lo) or 1.0
    for yi, s0, e0, r in zip(y, starts_a, ends_a, df.itertuples(index=False), strict=True):
        text = f"{r.value:,.0f}" if r.kind == "total" else f"{r.value:+,.0f}"
        ax.text(
            max(s0, e0) + span * 0.008,
            yi,
            text,
            va="center",
            fontsize=8,
            fontweight="bold" if r.kind == "total" else "normal",
        )
    for i in range(n - 1):  # connectors between consecutive bars
        ax.plot([ends_a[i], ends_a[i]], [y[i] - 0.31, y[i + 1] + 0.31], color="#AEB7BD", lw=0.7)
    ax.set_yticks(y, [_wrap(lab) for lab in df["label"]], fontsize=8)
    for tick, r in zip(ax.get_yticklabels(), df.itertuples(index=False), strict=True):
        if r.kind == "total":
            tick.set_fontweight("bold")
    ax.set_xlim(lo - (span * 0.04 if lo < 0 else 0), hi + span * 0.12)
    if lo <= 0 <= hi:
        ax.axvline(0, color="black", lw=0.8)
    ax.xaxis.set_major_formatter(_K)
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def org_impact(split: pd.DataFrame, *, title: str = "Organisation impact of all items") -> Figure:
    """Bars of each organisation's impact (surplus up, deficit down, £000), labelled."""
    fig, ax = plt.subplots(figsize=(9, 3.4), dpi=110)
    vals = split["value"].to_numpy()
    bars = ax.bar(np.arange(len(split)), vals, color=[NHS_BLUE if v >= 0 else "#DA291C" for v in vals], width=0.6)
    ax.bar_label(bars, labels=[f"({abs(v):,.0f})" if v < 0 else f"{v:,.0f}" for v in vals], fontsize=8, padding=2)
    ax.set_xticks(np.arange(len(split)), [_wrap(s, 20) for s in split["step"]], fontsize=8)
    ax.axhline(0, color="black", lw=0.8)
    ax.yaxis.set_major_formatter(_K)
    ax.set_ylabel("£000 (deficit negative)")
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(y=0.18)
    fig.tight_layout()
    return fig


#: Making Data Count colours: special cause improving (blue), concerning (orange), common cause (grey).
SPC_IMPROVEMENT = "#41B6E6"
SPC_CONCERN = "#ED8B00"
SPC_COMMON = "#A5ADB3"


def _xmr_axes(ax: plt.Axes, chart: spc.XmR, title: str, synthetic_months: Sequence[int]) -> None:
    """Draw one XmR chart (x = months) on ``ax``: line, mean, limits, special-cause points coloured."""
    months = [int(m) for m in chart.values.index]
    x = np.arange(len(months))
    shaded = [i for i, m in enumerate(months) if m in set(synthetic_months)]
    if shaded:
        ax.axvspan(min(shaded) - 0.4, max(shaded) + 0.4, color="#E8EDEE", zorder=0)
    v = chart.values.to_numpy()
    ax.plot(x, v, color=GREY, lw=1.2, zorder=2)
    if len(v) > 1:
        ax.axhline(chart.mean, color="black", lw=0.9, zorder=1)
        for limit in (chart.upper, chart.lower):
            ax.axhline(limit, color=GREY, lw=0.9, ls="--", zorder=1)
    special = chart.special_cause.to_numpy()
    up = chart.side.to_numpy() > 0
    colours = np.where(~special, SPC_COMMON, np.where(up, SPC_IMPROVEMENT, SPC_CONCERN))
    ax.scatter(x, v, c=list(colours), s=22, zorder=3, edgecolors="white", linewidths=0.5)
    ax.set_xticks(x, [f"M{m}" for m in months], fontsize=7)
    ax.tick_params(axis="y", labelsize=7)
    ax.yaxis.set_major_formatter(_K)
    ax.set_title(title, loc="left", fontsize=8.5, fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(x=0.08, y=0.15)
    spread = np.r_[v, chart.upper, chart.lower]
    spread = spread[np.isfinite(spread)]
    if len(v) and np.ptp(spread) < 1:
        centre = round(float(np.mean(v)))  # a flat series: keep distinct tick labels
        ax.set_ylim(centre - 1.5, centre + 1.5)
        ax.set_yticks([centre - 1, centre, centre + 1])


def xmr_chart(
    panels: Mapping[str, spc.XmR],
    *,
    title: str,
    synthetic_months: Sequence[int] = (),
    ncols: int = 4,
    ylabel: str = "Savings, £000",
    panel_size: tuple[float, float] = (2.6, 1.9),
) -> Figure:
    """Small multiples of XmR charts, one panel per series (Making Data Count style).

    Each panel: the monthly values, the mean (solid), process limits at mean ± 2.66 × mean moving
    range (dashed), special-cause points blue (more saving) or orange (less); synthetic months shaded.
    """
    n = max(1, len(panels))
    ncols = min(ncols, n)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(panel_size[0] * ncols, panel_size[1] * nrows + 1.0), dpi=110, squeeze=False
    )
    for ax, (name, chart) in zip(axes.flat, panels.items(), strict=False):
        _xmr_axes(ax, chart, name, synthetic_months)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel(ylabel, fontsize=7)
    handles = [
        plt.Line2D([], [], color="black", lw=0.9, label="Mean"),
        plt.Line2D([], [], color=GREY, lw=0.9, ls="--", label="Process limits (mean ± 2.66 × mean moving range)"),
        plt.Line2D([], [], color=SPC_COMMON, marker="o", lw=0, label="Common cause"),
        plt.Line2D([], [], color=SPC_IMPROVEMENT, marker="o", lw=0, label="Special cause: more saving"),
        plt.Line2D([], [], color=SPC_CONCERN, marker="o", lw=0, label="Special cause: less saving"),
    ]
    if synthetic_months:
        handles.append(plt.Rectangle((0, 0), 1, 1, color="#E8EDEE", label="Synthetic months (demonstration data)"))
    height = panel_size[1] * nrows + 1.0
    fig.suptitle(title, x=0.01, ha="left", fontsize=11, fontweight="bold")
    fig.legend(
        handles=handles, loc="lower center", ncols=3, frameon=False, fontsize=7.5, bbox_to_anchor=(0.5, 0.12 / height)
    )
    if any(c.provisional for c in panels.values()):
        fig.text(
            0.01,
            0.04 / height,
            f"Limits from fewer than {spc.MIN_POINTS} months are provisional.",
            fontsize=7,
            color="#425563",
            style="italic",
        )
    width = panel_size[0] * ncols
    # fixed margins in inches (tight_layout on many panels is slow, and the explorer redraws often)
    fig.subplots_adjust(
        left=0.75 / width, right=1 - 0.15 / width, bottom=1.0 / height, top=1 - 0.55 / height, wspace=0.35, hspace=0.55
    )
    return fig


def scheme_history(history: pd.DataFrame, *, title: str, synthetic_months: Sequence[int] = ()) -> Figure:
    """One scheme by month: annual plan, plan YTD, actual YTD and FOT (savings £000).

    FOT points take the scheme's RAG colour (the first, if its rows differ); RAG changes are labelled.
    """
    fig, ax = plt.subplots(figsize=(9, 3.4), dpi=110)
    months = [int(m) for m in history["month"]]
    x = np.arange(len(months))
    shaded = [i for i, m in enumerate(months) if m in set(synthetic_months)]
    if shaded:
        ax.axvspan(min(shaded) - 0.4, max(shaded) + 0.4, color="#E8EDEE", zorder=0)
        ax.text(
            (min(shaded) + max(shaded)) / 2,
            0.02,
            "synthetic months (demonstration data)",
            transform=ax.get_xaxis_transform(),
            ha="center",
            fontsize=8,
            color="#425563",
        )
    ax.plot(x, -history["annual_plan"], color=GREY, ls=":", label="Annual plan")
    ax.plot(x, -history["plan_ytd"], color=GREY, ls="--", marker=".", label="Plan YTD")
    ax.plot(x, -history["actual_ytd"], color=NHS_LIGHT, marker="s", ms=4, label="Actual YTD")
    ax.plot(x, -history["fot"], color=NHS_BLUE, lw=1.2, label="Forecast out-turn (point = RAG)")
    rag_first = [str(r).split("/")[0] for r in history["rag"]]
    ax.scatter(
        x,
        -history["fot"],
        c=[RAG_COLOURS.get(r, GREY) for r in rag_first],
        s=40,
        zorder=3,
        edgecolors="black",
        linewidths=0.4,
    )
    for xi, fot, change in zip(x, -history["fot"], history["rag_change"], strict=True):
        if change:
            ax.annotate(
                f"RAG {change}",
                (xi, fot),
                textcoords="offset points",
                xytext=(0, 9),
                ha="center",
                fontsize=7.5,
                fontweight="bold",
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85},
            )
    ax.set_xticks(x, [f"M{m}" for m in months])
    ax.yaxis.set_major_formatter(_K)
    ax.set_ylabel("Savings, £000")
    ax.axhline(0, color="black", lw=0.6)
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    ax.legend(frameon=False, fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    ax.spines[["top", "right"]].set_visible(False)
    ax.margins(y=0.2)
    fig.tight_layout()
    return fig


# --- RightCare opportunity ------------------------------------------------------------------------

POD_COLOURS = {"elective": NHS_BLUE, "non_elective": "#DA291C", "prescribing": "#009639"}
POD_NAMES = {"elective": "Elective", "non_elective": "Non-elective", "prescribing": "Prescribing"}


def _relative_luminance(rgba: tuple[float, ...]) -> float:
    """WCAG relative luminance of a colour: picks dark or white text for a filled cell."""
    rgb = np.asarray(rgba[:3], dtype=float)
    rgb = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(rgb @ np.array([0.2126, 0.7152, 0.0722]))


def opportunity_heatmap(table: pd.DataFrame, *, title: str) -> Figure:
    """Heatmap of opportunity (£m) by programme area × point of delivery, every cell labelled.

    Programme areas run down in the table's order, points of delivery across the top; a white
    grid separates the cells and each is labelled in dark or white text, whichever reads on it.
    """
    body = _body(table, "programme_area").set_index("programme_area")[list(POD_NAMES)]
    values = body.to_numpy(dtype=float)
    rows, cols = values.shape
    fig, ax = plt.subplots(figsize=(7.2, 3.4), dpi=110)
    top = float(np.nanmax(values)) if values.size else 0.0
    mesh = ax.pcolormesh(values, cmap="Blues", vmin=0, vmax=max(top, 0.1), edgecolors="white", linewidth=0.6)
    for (r, c), v in np.ndenumerate(values):
        ink = "#262626" if _relative_luminance(mesh.cmap(mesh.norm(v))) > 0.408 else "white"
        ax.text(c + 0.5, r + 0.5, f"{v:.1f}", ha="center", va="center", fontsize=10, color=ink)
    ax.set_xlim(0, cols)
    ax.set_ylim(rows, 0)  # first programme area at the top, as the table reads
    ax.set_xticks(np.arange(cols) + 0.5, list(POD_NAMES.values()))
    ax.set_yticks(np.arange(rows) + 0.5, body.index.tolist(), parse_math=False)  # names are data: plain text
    ax.xaxis.tick_top()
    ax.tick_params(axis="both", labelsize=10, length=0)
    ax.spines[:].set_visible(False)
    bar = fig.colorbar(mesh, ax=ax, label="Opportunity, £m")
    bar.outline.set_visible(False)
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold", pad=26)
    fig.tight_layout()
    return fig


def opportunity_ranked(table: pd.DataFrame, *, title: str) -> Figure:
    """Programme areas ranked by total opportunity (£m), bars stacked by point of delivery, totals labelled."""
    body = _body(table, "programme_area").sort_values("total", kind="stable")
    y = np.arange(len(body))
    fig, ax = plt.subplots(figsize=(10, 4.2), dpi=110)
    left = np.zeros(len(body))
    for pod, label in POD_NAMES.items():
        v = body[pod].to_numpy()
        ax.barh(y, v, left=left, color=POD_COLOURS[pod], height=0.62, label=label)
        left = left + v
    span = max(float(left.max()), 0.1)
    for yi, total in zip(y, left, strict=True):
        ax.text(total + span * 0.01, yi, f"£{total:,.1f}m", va="center", fontsize=9)
    ax.set_yticks(y, body["programme_area"], fontsize=9)
    ax.set_xlim(0, span * 1.12)
    ax.set_xlabel("Opportunity, £m")
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    ax.legend(loc="lower right", frameon=False, fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def peer_positions(positions: pd.DataFrame, top: pd.DataFrame, *, labels: Sequence[str], title: str) -> Figure:
    """Each largest opportunity on one row: peers' spend as dots (best 5 filled), the best-5 and peer
    mean marked, the CCG's own spend as a red diamond; all as % of the peer mean so rows compare."""
    n = len(top)
    fig, ax = plt.subplots(figsize=(10, max(2.4, 0.55 * n + 1.3)), dpi=110)
    y = np.arange(n)[::-1]
    for yi, (i, r) in zip(y, top.reset_index(drop=True).iterrows(), strict=True):
        cell = positions[positions["cell"] == i]
        peers, own = cell[cell["who"] == "peer"], cell[cell["who"] == "own"].iloc[0]
        mean = r["peer_mean"]
        best = peers[peers["in_best5"]]
        rest = peers[~peers["in_best5"]]
        ax.scatter(
            rest["pct_of_peer_mean"] * 100,
            np.full(len(rest), yi),
            s=28,
            facecolors="white",
            edgecolors=GREY,
            zorder=3,
            label="Peer" if yi == y[0] else None,
        )
        ax.scatter(
            best["pct_of_peer_mean"] * 100,
            np.full(len(best), yi),
            s=28,
            color=NHS_LIGHT,
            zorder=3,
            label="Peer in the best 5" if yi == y[0] else None,
        )
        ax.plot(
            [r["best5"] / mean * 100] * 2,
            [yi - 0.3, yi + 0.3],
            color=NHS_BLUE,
            lw=2,
            label="Best-5 average" if yi == y[0] else None,
        )
        ax.scatter(
            [own["pct_of_peer_mean"] * 100],
            [yi],
            marker="D",
            s=60,
            color="#DA291C",
            zorder=4,
            label="This CCG" if yi == y[0] else None,
        )
        ax.text(
            1.01,
            yi,
            f"£{r['opportunity'] / 1000:,.1f}m",
            transform=ax.get_yaxis_transform(),
            va="center",
            fontsize=9,
            color="#DA291C",
        )
    ax.text(1.01, n - 0.45, "Opportunity", transform=ax.get_yaxis_transform(), fontsize=8, va="bottom")
    ax.axvline(100, color="black", lw=0.8, ls="--")
    ax.text(100, 1.0, " peer mean", transform=ax.get_xaxis_transform(), fontsize=8, va="bottom")
    ax.set_yticks(y, list(labels), fontsize=9)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("Spend per 1,000 weighted population, % of the peer mean")
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold", pad=16)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2 if n > 3 else -0.35), ncols=4, frameon=False, fontsize=8)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def coverage_chart(coverage: pd.DataFrame, *, title: str) -> Figure:
    """Per point of delivery: RightCare opportunity beside the matching QIPP programme's plan (£m), labelled."""
    body = coverage[coverage["point_of_delivery"] != "Total"].iloc[::-1].reset_index(drop=True)
    y = np.arange(len(body))
    fig, ax = plt.subplots(figsize=(10, 3.6), dpi=110)
    opp = ax.barh(y + 0.2, body["opportunity"], height=0.38, color=GREY, label="RightCare opportunity")
    plan = ax.barh(y - 0.2, body["qipp_plan"], height=0.38, color=NHS_BLUE, label="QIPP plan (savings)")
    ax.bar_label(opp, labels=[f"£{v:,.1f}m" for v in body["opportunity"]], fontsize=9, padding=3)
    ax.bar_label(
        plan,
        labels=[
            f"£{v:,.1f}m" + (f" ({p:.0%})" if pd.notna(p) else "")
            for v, p in zip(body["qipp_plan"], body["pct_covered"], strict=True)
        ],
        fontsize=9,
        padding=3,
    )
    ax.set_yticks(
        y, [f"{r.point_of_delivery}\nvs {r.qipp_programme}" for r in body.itertuples(index=False)], fontsize=9
    )
    span = float(np.nanmax(np.r_[body["opportunity"], body["qipp_plan"], 0.1]))
    ax.set_xlim(0, span * 1.25)
    ax.set_xlabel("£m")
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, frameon=False, fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig
