"""The RightCare opportunity's charts: heatmap, ranked opportunities, peer positions, coverage. Each chart the report
draws is declared once in :data:`CHARTS` and drawn from the report by one call (the functions at the end of this
module), titled as illustrative when the report is (:func:`rightcare_chart_title`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.colors import LinearSegmentedColormap
from matplotlib.figure import Figure

from ...core.orgs import org_name
from ...core.vocab import POD_LABELS
from ..chartkit import (
    INK,
    MAUVE,
    PURPLE,
    ChartSpec,
    about_context,
    body_rows,
    chart_context,
    chart_function,
    finish_chart,
    new_figure,
    style_axes,
)
from ..style import (
    HEATMAP,
    POD_COLOURS,
    TEXT,
    signs,
    text_on,
)
from .model import RightCareOpportunity
from .tables import ILLUSTRATIVE

#: Each chart the report draws, by the name of the function at the end of this module that draws it: its title
#: (an illustrative report's says so first).
CHARTS: Mapping[str, ChartSpec] = {
    "rightcare_heatmap_chart": ChartSpec("Where the opportunity is: programme area × point of delivery, £m"),
    "rightcare_ranked_chart": ChartSpec("Programme areas ranked by opportunity, £m"),
    "rightcare_positions_chart": ChartSpec("The largest opportunities: the CCG's spend against its peers"),
    "rightcare_coverage_chart": ChartSpec("Opportunity and the QIPP plan of the matching programme, £m"),
}

POD_NAMES = {"elective": "Elective", "non_elective": "Non-elective", "prescribing": "Prescribing"}


def _hex(rgba: Sequence[float]) -> str:
    return "#{:02X}{:02X}{:02X}".format(*(round(float(c) * 255) for c in rgba[:3]))


@chart_function
def opportunity_heatmap(table: pd.DataFrame, *, title: str, context: str = "") -> Figure:
    """Heatmap of opportunity (£m) by programme area × point of delivery, every cell labelled.

    Programme areas run down in the table's order, points of delivery across the top; a white
    grid separates the cells and each is labelled in black or white, whichever reads on it (AA).
    """
    s = signs("opportunity")
    body = body_rows(table, "programme_area").set_index("programme_area")[list(POD_NAMES)]
    values = body.to_numpy(dtype=float)
    rows, cols = values.shape
    fig, ax = new_figure((7.6, 0.27 * rows + 1.5))
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
        f"Heatmap: {title}{about_context(context)}; {rows} programme areas by elective, non-elective and prescribing. "
        "Largest cells: " + "; ".join(f"{a} {p} £{v:.1f}m" for a, p, v in flat[:3]) + "."
    )
    return finish_chart(fig, key=s.key, alt=alt)


@chart_function
def opportunity_ranked(table: pd.DataFrame, *, title: str, context: str = "") -> Figure:
    """Programme areas ranked by total opportunity (£m), bars stacked by point of delivery, totals labelled."""
    s = signs("opportunity")
    body = body_rows(table, "programme_area").sort_values("total", kind="stable")
    y = np.arange(len(body))
    fig, ax = new_figure((10, 0.27 * len(body) + 1.3))
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
    style_axes(ax, title)
    ax.legend(loc="lower right", frameon=False, fontsize=8.5)
    ranked = body.iloc[::-1]
    alt = (
        f"Stacked bar chart: {title}{about_context(context)}, by elective, non-elective and prescribing. "
        + "; ".join(f"{r.programme_area} £{r.total:,.1f}m" for r in ranked.head(4).itertuples())
        + "."
    )
    return finish_chart(fig, key=s.key, alt=alt)


def _peer_dots(ax: Any, yi: float, peers: pd.DataFrame, *, first: bool) -> None:
    """The peers' spend on one row: hollow dots, the best 5 filled (the first row names them in the legend)."""
    best = peers[peers["in_best5"]]
    rest = peers[~peers["in_best5"]]
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


def _peer_row(ax: Any, yi: float, cell: pd.DataFrame, r: pd.Series, *, first: bool) -> float:
    """One opportunity's row: the peers, the best-5 average, the CCG's own spend as a diamond and the opportunity
    (£m) right of the chart. Returns the CCG's spend as % of the peer mean."""
    peers, own = cell[cell["who"] == "peer"], cell[cell["who"] == "own"].iloc[0]
    _peer_dots(ax, yi, peers, first=first)
    ax.plot(
        [r["best5"] / r["peer_mean"] * 100] * 2,
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
    ax.text(
        1.01,
        yi,
        f"£{r['opportunity'] / 1000:,.1f}m",
        transform=ax.get_yaxis_transform(),
        va="center",
        fontsize=8.5,
        color=TEXT,
    )
    return float(own["pct_of_peer_mean"]) * 100


def _peer_axes(ax: Any, y: np.ndarray, labels: Sequence[str], *, title: str) -> None:
    """The opportunity column's heading, the peer mean marked at 100%, and each row named."""
    n = len(y)
    ax.text(1.01, n - 0.45, "Opportunity", transform=ax.get_yaxis_transform(), fontsize=8, va="bottom", color=TEXT)
    ax.axvline(100, color="black", lw=0.8, ls="--")
    ax.text(100, 1.0, " peer mean", transform=ax.get_xaxis_transform(), fontsize=8, va="bottom", color=TEXT)
    ax.set_yticks(y, list(labels), fontsize=8.5)
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlabel("Spend per 1,000 weighted population, % of the peer mean", fontsize=8.5)
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold", pad=16, color=TEXT)
    ax.spines[["top", "right"]].set_visible(False)


@chart_function
def peer_positions(
    positions: pd.DataFrame, top: pd.DataFrame, *, labels: Sequence[str], title: str, context: str = ""
) -> Figure:
    """Each largest opportunity on one row: peers' spend as dots (best 5 filled), the best-5 average and
    the peer mean marked, the CCG's own spend as a diamond; all as % of the peer mean so rows compare."""
    n = len(top)
    fig, ax = new_figure((10, max(2.4, 0.42 * n + 1.5)))
    y = np.arange(n)[::-1]
    own_pct = [
        _peer_row(ax, yi, positions[positions["cell"] == i], r, first=yi == y[0])
        for yi, (i, r) in zip(y, top.reset_index(drop=True).iterrows(), strict=True)
    ]
    _peer_axes(ax, y, labels, title=title)
    alt = (
        f"Dot chart: {title}{about_context(context)}; each row one of the {n} largest opportunities, spend as % of "
        "the peer mean. "
        + "; ".join(
            f"{lab}: this CCG at {pct:.0f}% of the peer mean, opportunity £{r.opportunity / 1000:,.1f}m"
            for lab, pct, r in zip(labels, own_pct, top.itertuples(), strict=True)
        )
        + "."
    )
    key = signs("opportunity").key + "\nSpend as % of the peer mean (100 = the peer mean); opportunity in £m."
    return finish_chart(fig, key=key, alt=alt, legend=ax)


@chart_function
def coverage_chart(coverage: pd.DataFrame, *, title: str, context: str = "") -> Figure:
    """Per point of delivery: RightCare opportunity beside the matching QIPP programme's plan (£m), labelled."""
    s = signs("opportunity")
    body = coverage[coverage["point_of_delivery"] != "Total"].iloc[::-1].reset_index(drop=True)
    y = np.arange(len(body))
    fig, ax = new_figure((10, 0.55 * len(body) + 1.3))
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
    style_axes(ax, title)
    ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8.5)
    alt = (
        f"Bar chart: {title}{about_context(context)}. "
        + "; ".join(
            f"{r.point_of_delivery}: opportunity £{r.opportunity:,.1f}m, {r.qipp_programme} plan £{r.qipp_plan:,.1f}m"
            for r in body.iloc[::-1].itertuples(index=False)
        )
        + "."
    )
    return finish_chart(fig, key=s.key + "\nPercentages: plan as % of the opportunity.", alt=alt)


def rightcare_chart_title(r: RightCareOpportunity, title: str) -> str:
    """A RightCare chart's title; on an illustrative report it says so first, so no chart of it stands alone
    as a finding."""
    return f"{ILLUSTRATIVE.upper()}: {title}" if r.illustrative else title


def illustrative_names(r: RightCareOpportunity) -> dict[str, str]:
    """Invented names for the CCGs of an illustrative report ('Illustrative CCG A'...): its charts never put a
    real CCG's name on synthetic figures ({} when the report is not illustrative)."""
    if not r.illustrative:
        return {}
    return {c: f"Illustrative CCG {chr(ord('A') + i)}" for i, c in enumerate(r.ccgs)}


def rightcare_position_labels(r: RightCareOpportunity) -> list[str]:
    """Chart row labels for the largest opportunities: 'Southern Derbyshire: Musculoskeletal elective'."""
    invented = illustrative_names(r)

    def short(c: str) -> str:
        return invented.get(c) or org_name(c).removeprefix("NHS ").removesuffix(" CCG")

    return [f"{short(t.ccg)}: {t.programme_area} {POD_LABELS[t.pod].lower()}" for t in r.top.itertuples()]


def _title(r: RightCareOpportunity, chart: str) -> str:
    """The declared title of ``chart`` as ``r`` prints it."""
    return rightcare_chart_title(r, CHARTS[chart].title)


def rightcare_heatmap_chart(r: RightCareOpportunity) -> Figure:
    """Table 3's opportunity as a heatmap: programme area × point of delivery (£m)."""
    return opportunity_heatmap(r.table, title=_title(r, "rightcare_heatmap_chart"), context=chart_context(r))


def rightcare_ranked_chart(r: RightCareOpportunity) -> Figure:
    """Programme areas ranked by their opportunity (£m), stacked by point of delivery."""
    return opportunity_ranked(r.table, title=_title(r, "rightcare_ranked_chart"), context=chart_context(r))


def rightcare_positions_chart(r: RightCareOpportunity) -> Figure:
    """The largest opportunities, each CCG's spend against its peers' (as % of the peer mean)."""
    return peer_positions(
        r.positions,
        r.top,
        labels=rightcare_position_labels(r),
        title=_title(r, "rightcare_positions_chart"),
        context=chart_context(r),
    )


def rightcare_coverage_chart(r: RightCareOpportunity) -> Figure | None:
    """The opportunity beside the QIPP plan of the matching programme (£m); None when no plan is matched."""
    if r.coverage is None:
        return None
    return coverage_chart(r.coverage, title=_title(r, "rightcare_coverage_chart"), context=chart_context(r))
