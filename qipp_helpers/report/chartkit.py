"""Chart primitives every report's charts share: one style, the key, alt text, the synthetic months drawn hollow,
the PNG embedded in HTML and PDF, and the waterfall (Paper D's and Paper E's bridge)."""

from __future__ import annotations

import functools
import io
import struct
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ParamSpec, Protocol

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter

from ..analysis.provenance import SYNTHETIC, months_label, months_with
from ..core.periods import consecutive_runs
from .style import (
    CATEGORY,
    SERIES,
    SYNTHETIC_EDGE,
    TEXT,
    TEXT_MUTED,
    Signs,
    signs,
)


class About(Protocol):
    """What a chart is about: any report (or section, such as forecast realism) with an organisation and period."""

    @property
    def org(self) -> str: ...
    @property
    def period(self) -> str: ...


def chart_context(r: About) -> str:
    """Who and when a chart is about, for its alternative text: 'LLR, Month 6 2019/20 (September 2019)'."""
    return f"{r.org}, {r.period}"


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


THOUSANDS = FuncFormatter(lambda x, _: f"{x:,.0f}")


P = ParamSpec("P")


class Chart(Figure):
    """A Figure that carries its alternative text (``alt``) and one-line key (``key``)."""

    alt: str = ""
    key: str = ""


@dataclass(frozen=True)
class ChartSpec:
    """One chart of a report, declared once in its report's ``charts`` module: the title it prints and, for a
    waterfall, the sign convention its figures are drawn in (:func:`.style.signs`) and whether its axis zooms
    to the levels. The report-level function beside it takes the data, context and any labels from the report.
    """

    title: str
    signs_of: str = "savings"
    zoom: bool = False


def chart_function(fn: Callable[P, Figure]) -> Callable[P, Figure]:
    """Build the chart with mathtext off: labels come from returns and must stay plain text."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> Figure:
        with plt.rc_context({"text.parse_math": False}):
            return fn(*args, **kwargs)

    return wrapper


def new_figure(figsize: tuple[float, float], **kwargs: Any) -> tuple[Chart, Any]:
    fig, ax = plt.subplots(figsize=figsize, dpi=DPI, FigureClass=Chart, **kwargs)
    return fig, ax


def finish_chart(fig: Chart, *, key: str, alt: str, layout: bool = True, legend: Any = None) -> Chart:
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


def about_context(context: str) -> str:
    return f", {context}" if context else ""


def body_rows(df: pd.DataFrame, label: str) -> pd.DataFrame:
    return df[df[label] != "Total"].reset_index(drop=True)


def wrap_label(label: str, width: int = 38) -> str:
    lines = textwrap.wrap(str(label), width) or [""]
    return "\n".join(lines[:2]) + ("…" if len(lines) > 2 else "")


#: Months are named one way everywhere (:func:`qipp_helpers.analysis.provenance.months_label`).
chart_months = months_label


def hollow_words(fake: Sequence[int], month_synthetic: Sequence[int] | None) -> str:
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


def style_axes(ax: Any, title: str) -> None:
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold", color=TEXT)
    ax.spines[["top", "right"]].set_visible(False)


def mark_synthetic(ax: Any, xs: Sequence[float], months: Sequence[int]) -> None:
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


def series_points(
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


def _bar_extents(df: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Where each bar starts and ends, and its colour: a ``total`` is a level drawn from zero, a ``step`` floats
    from the running level (up or down)."""
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
    return np.array(starts), np.array(ends), colours


def _zoom_floor(floating: np.ndarray) -> float | None:
    """Where a zoomed axis starts: a little below the lowest bar end when all of them lie above zero (None: at zero)."""
    if not len(floating):
        return None
    f_lo, f_hi = float(np.min(floating)), float(np.max(floating))
    return f_lo - (f_hi - f_lo) * 0.15 if f_lo > 0 else None


def _label_bars(
    ax: Any, df: pd.DataFrame, y: np.ndarray, starts: np.ndarray, ends: np.ndarray, labels: list[str], span: float
) -> None:
    """Each bar's figure just past its end, levels in bold."""
    for yi, s0, e0, r, text in zip(y, starts, ends, df.itertuples(index=False), labels, strict=True):
        ax.text(
            max(s0, e0) + span * 0.008,
            yi,
            text,
            va="center",
            fontsize=8,
            color=TEXT,
            fontweight="bold" if r.kind == "total" else "normal",
        )


def _connect_bars(ax: Any, y: np.ndarray, ends: np.ndarray) -> None:
    """A light rule from the end of each bar to the next one."""
    for i in range(len(ends) - 1):
        ax.plot([ends[i], ends[i]], [y[i] - 0.31, y[i + 1] + 0.31], color=RULE, lw=0.7)


def _waterfall_axes(
    ax: Any, df: pd.DataFrame, y: np.ndarray, wrapped: list[str], *, lo: float, hi: float, xlabel: str, title: str
) -> None:
    """The row labels (levels in bold), the value axis with room for the figures, and zero marked when in range."""
    span = (hi - lo) or 1.0
    ax.set_yticks(y, wrapped, fontsize=8)
    for tick, r in zip(ax.get_yticklabels(), df.itertuples(index=False), strict=True):
        if r.kind == "total":
            tick.set_fontweight("bold")
    ax.set_xlim(lo - (span * 0.04 if lo < 0 else 0), hi + span * 0.12)
    if lo <= 0 <= hi:
        ax.axvline(0, color="black", lw=0.8)
    ax.xaxis.set_major_formatter(THOUSANDS)
    ax.set_xlabel(xlabel, fontsize=8.5)
    style_axes(ax, title)


def _waterfall_legend(s: Signs) -> list[Patch]:
    """Level, and what a step up or down means in this convention (saving, or the position)."""
    up, down = ("More saving", "Less saving") if s.negate else ("Improves the position", "Worsens the position")
    return [
        Patch(facecolor=SERIES["total"], label="Level"),
        Patch(facecolor=SERIES["up"], edgecolor=INK, linewidth=0.4, label=up),
        Patch(facecolor=SERIES["down"], edgecolor=INK, linewidth=0.4, label=down),
    ]


def _waterfall_alt(df: pd.DataFrame, labels: list[str], *, title: str, xlabel: str, context: str) -> str:
    """The alt text: the axis, the first and last levels, and the four largest steps."""
    rows = list(zip(df.itertuples(index=False), labels, strict=True))
    totals = [(r.label, lab) for r, lab in rows if r.kind == "total"]
    moves = sorted(
        [(str(r.label), lab, abs(float(r.value))) for r, lab in rows if r.kind == "step"],
        key=lambda m: -m[2],
    )
    alt = f"Waterfall chart: {title}{about_context(context)}; axis: {xlabel}."
    if totals:
        alt += f" From {totals[0][0]} {totals[0][1]} to {totals[-1][0]} {totals[-1][1]}."
    if moves:
        alt += " Largest steps: " + "; ".join(f"{m[0]} {m[1]}" for m in moves[:4]) + "."
    return alt


@chart_function
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
    wrapped = [wrap_label(lab, 56) for lab in df["label"]]
    rows = np.array([2.1 if "\n" in w else 1.0 for w in wrapped])  # a two-line label needs a taller row
    fig, ax = new_figure((10, min(5.4, max(2.4, 0.165 * rows.sum() + 1.1))))
    starts, ends, colours = _bar_extents(df)
    kinds = df["kind"].to_numpy()
    floating = np.r_[ends, starts[kinds == "step"]]
    lo, hi = float(np.min(np.r_[floating, 0.0])), float(np.max(np.r_[floating, 0.0]))
    floor = _zoom_floor(floating) if zoom else None
    if floor is not None:  # levels drawn from the axis' start, not from zero
        lo = floor
        starts = np.where(kinds == "total", lo, starts)
        xlabel += " (axis does not start at zero)"
    y = rows.sum() - (np.cumsum(rows) - rows / 2) - 0.5  # top to bottom, each row centred in its own height
    ax.barh(y, ends - starts, left=starts, color=colours, height=0.62, edgecolor=INK, linewidth=0.4)
    labels = [s.level(r.value) if r.kind == "total" else s.figure(r.value) for r in df.itertuples(index=False)]
    _label_bars(ax, df, y, starts, ends, labels, (hi - lo) or 1.0)
    _connect_bars(ax, y, ends)
    _waterfall_axes(ax, df, y, wrapped, lo=lo, hi=hi, xlabel=xlabel, title=title)
    alt = _waterfall_alt(df, labels, title=title, xlabel=xlabel, context=context)
    key = "\n".join(k for k in (s.key, s.step_key) if k)
    return finish_chart(fig, key=key, alt=alt, legend=_waterfall_legend(s))


def declared_waterfall(spec: ChartSpec, steps: pd.DataFrame, *, context: str) -> Figure:
    """:func:`waterfall` of ``steps`` with the title, signs and zoom its report declares in ``spec``."""
    return waterfall(steps, title=spec.title, signs_of=spec.signs_of, zoom=spec.zoom, context=context)


#: Special cause colours (not RAG): more saving purple, less saving sky blue; common cause ink.
SPC_IMPROVEMENT = PURPLE


SPC_CONCERN = SKY


SPC_COMMON = INK


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
