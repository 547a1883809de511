"""Charts and their colours: one sign convention, a key and alt text on every chart, RAG colours for RAG
only, and every text colour readable (WCAG AA 4.5:1) on what it is drawn on."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.colors as mcolors
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PathCollection, QuadMesh
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from qipp_helpers.core.money import fmt_k
from qipp_helpers.report import chartkit
from qipp_helpers.report.drivers import charts as drivers_charts
from qipp_helpers.report.drivers.model import under_delivery
from qipp_helpers.report.frp import charts as frp_charts
from qipp_helpers.report.frp.model import frp_bridge
from qipp_helpers.report.position import charts as position_charts
from qipp_helpers.report.position.model import monthly_position
from qipp_helpers.report.rightcare import charts as rightcare_charts
from qipp_helpers.report.rightcare.model import rightcare_opportunity
from qipp_helpers.report.style import (
    CATEGORY,
    RAG_ALIASES,
    RAG_COLOURS,
    SIGN_CONVENTION,
    colour_distance,
    contrast,
    rag_cell_css,
    signs,
)

pytestmark = pytest.mark.slow  # draws every chart: make test, not make test-fast

FY = "2019-20"
#: Far enough from every RAG colour that nobody reads it as a rating (CIE76; 2.3 is just noticeable).
MIN_DISTANCE = 25.0


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def reports(returns, warnings, frp_tables, rightcare_tables, adjustments):
    return {
        "mp": monthly_position(returns, warnings, fin_year=FY, month=6, org="LLR"),
        "ud": under_delivery(returns, warnings, fin_year=FY, month=6, org="LLR", adjustments=adjustments),
        "frp": frp_bridge(frp_tables, fin_year=FY, month=6, org="LLR"),
        "rc": rightcare_opportunity(rightcare_tables, returns, fin_year=FY, month=6, org="LLR"),
    }


def _non_rag(r) -> dict[str, Figure]:
    """Every chart of the pack that shows no RAG rating, as the notebooks draw it: by its report-level function."""
    mp, ud, frp, rc = r["mp"], r["ud"], r["frp"], r["rc"]
    figs = {
        "org_split": position_charts.org_split_chart(mp),
        "plan_vs_fot": position_charts.plan_vs_fot_chart(mp),
        "fot_trend": position_charts.fot_trend_chart(mp),
        "xmr": position_charts.fot_xmr_chart(mp),
        "drivers": drivers_charts.drivers_chart(ud),
        "movement": drivers_charts.movement_chart(ud),
        "frp": frp_charts.bridge_chart(frp),
        "org_impact": frp_charts.org_impact_chart(frp),
        "heatmap": rightcare_charts.rightcare_heatmap_chart(rc),
        "ranked": rightcare_charts.rightcare_ranked_chart(rc),
        "peers": rightcare_charts.rightcare_positions_chart(rc),
        "coverage": rightcare_charts.rightcare_coverage_chart(rc),
    }
    assert all(fig is not None for fig in figs.values())  # LLR at M6 has a last month and a matched QIPP plan
    return figs


@pytest.fixture(scope="module")
def non_rag(reports):
    figs = _non_rag(reports)
    for fig in figs.values():
        fig.canvas.draw()  # lay out, so every text has its final colour and place
    return figs


def _hex(colour) -> str | None:
    """An opaque colour as #RRGGBB; None for a transparent one ('none', alpha 0)."""
    if colour is None or (isinstance(colour, str) and colour == "none"):
        return None
    rgba = mcolors.to_rgba(colour)
    return None if rgba[3] == 0 else mcolors.to_hex(rgba[:3]).upper()


def _fills(fig: Figure) -> set[str]:
    """Colours that fill an area: bars and patches (not the figure/axes backgrounds), markers, meshes."""
    found: set[str] = set()
    for ax in fig.axes:
        for p in ax.patches:
            found.add(_hex(p.get_facecolor()))
        for c in ax.collections:
            if isinstance(c, PathCollection | QuadMesh):
                found.update(_hex(f) for f in c.get_facecolors())
        for line in ax.lines:
            found.add(_hex(line.get_markerfacecolor()) if line.get_marker() not in (None, "None", "") else None)
    for legend in [*fig.legends, *(ax.get_legend() for ax in fig.axes)]:
        if legend is not None:
            for h in legend.legend_handles:
                if isinstance(h, Rectangle):
                    found.add(_hex(h.get_facecolor()))
    return {c for c in found if c and c not in ("#FFFFFF",)}


def _lines_and_text(fig: Figure) -> set[str]:
    found = {_hex(t.get_color()) for t in fig.findobj(Text) if t.get_text().strip()}
    found |= {_hex(line.get_color()) for line in fig.findobj(Line2D)}
    return {c for c in found if c}


# --- colours ----------------------------------------------------------------------------------------


def test_category_palette_is_far_from_every_rag_colour():
    for name, colour in CATEGORY.items():
        for rag, fill in RAG_COLOURS.items():
            assert colour_distance(colour, fill) >= MIN_DISTANCE, f"{name} {colour} reads like RAG {rag}"


def test_every_rag_cell_style_meets_aa_contrast():
    for word in [*RAG_COLOURS, *RAG_ALIASES]:
        css = dict(part.split(": ") for part in rag_cell_css(word).split("; "))
        ratio = contrast(css["background-color"], css["color"])
        assert ratio >= 4.5, f"{word}: {css['color']} on {css['background-color']} is {ratio:.2f}:1"
    assert rag_cell_css("Orange") == rag_cell_css("Amber")  # FRP's Orange is a RAG word: amber
    assert rag_cell_css("Pending") == ""


def test_no_chart_that_is_not_about_rag_uses_a_rag_colour(non_rag):
    for name, fig in non_rag.items():
        for colour in _fills(fig):
            worst = min(RAG_COLOURS, key=lambda r: colour_distance(colour, RAG_COLOURS[r]))
            assert colour_distance(colour, RAG_COLOURS[worst]) >= MIN_DISTANCE, (
                f"{name}: fill {colour} reads like RAG {worst}"
            )
        rag_hex = {c.upper() for c in RAG_COLOURS.values()}
        assert not (_lines_and_text(fig) & rag_hex), f"{name} draws a line or text in a RAG colour"


def test_rag_chart_uses_rag_colours_for_ratings_only(reports):
    fig = position_charts.fot_by_rag(reports["mp"].rag)
    ax = fig.axes[0]
    by_label = {c.get_label(): _hex(c.patches[0].get_facecolor()) for c in ax.containers}
    expected = {label: RAG_COLOURS[rag] for _, rag, label in position_charts.RAG_SERIES}
    assert by_label == {k: v for k, v in expected.items() if k in by_label}
    assert {"Green", "Amber", "Red", "Completed (Blue)"} <= set(by_label)


def test_every_text_on_a_chart_meets_aa_contrast(reports, non_rag):
    figs = {**non_rag, "fot_by_rag": position_charts.fot_by_rag(reports["mp"].rag)}
    for name, fig in figs.items():
        mesh = next((c for ax in fig.axes for c in ax.collections if isinstance(c, QuadMesh)), None)
        cells = {}
        if mesh is not None:  # heatmap: a cell's label is drawn on the cell's colour
            values = mesh.get_array().reshape(-1)
            cols = mesh.get_coordinates().shape[1] - 1
            for k, v in enumerate(values):
                cells[(k % cols + 0.5, k // cols + 0.5)] = mcolors.to_hex(mesh.cmap(mesh.norm(v)))
        for text in fig.findobj(Text):
            if not text.get_text().strip() or not text.get_visible():
                continue
            ground = cells.get(tuple(np.round(text.get_position(), 2)), "#FFFFFF")
            ink = mcolors.to_hex(text.get_color())
            assert contrast(ink, ground) >= 4.5, f"{name}: {text.get_text()!r} {ink} on {ground}"


# --- one sign convention, a key and alt text on every chart ---------------------------------------


def test_every_chart_has_a_key_and_alt_text_from_its_data(non_rag):
    for name, fig in non_rag.items():
        assert isinstance(fig, chartkit.Chart), name
        assert fig.key and any(fig.key.split("\n")[0] == t.get_text() for t in fig.texts), name
        assert (fig.alt and fig.alt[0].isupper() and "chart" in fig.alt.lower()) or "Heatmap" in fig.alt, name
    assert "Largest under-delivery Unidentified 10,989" in non_rag["plan_vs_fot"].alt
    # one sign convention: the same statement opens every chart's key (issue 25)
    for name, fig in non_rag.items():
        assert fig.key.split("\n")[0] == SIGN_CONVENTION, name


def test_each_chart_prints_the_title_its_report_declares(reports, non_rag):
    """The notebooks' charts take their titles from one declaration per report (``CHARTS``); the RightCare
    report of LLR is illustrative, so each of its titles says so first."""
    figs = [*non_rag.values(), position_charts.fot_by_rag_chart(reports["mp"])]
    printed = {ax.get_title(loc="left") for fig in figs for ax in fig.axes}
    printed |= {fig.get_suptitle() for fig in figs}
    declared = [s.title for m in (position_charts, drivers_charts, frp_charts) for s in m.CHARTS.values()]
    declared += [
        rightcare_charts.rightcare_chart_title(reports["rc"], s.title) for s in rightcare_charts.CHARTS.values()
    ]
    assert [t for t in declared if t not in printed] == []
    assert len(declared) == 13


def test_waterfall_labels_are_the_tables_figures(reports, non_rag):
    """A quantity never changes sign between a table and the chart beside it."""
    ud = reports["ud"]
    for fig, table in ((non_rag["drivers"], ud.drivers), (non_rag["movement"], ud.movement)):
        labels = [t.get_text() for t in fig.axes[0].texts]
        body = table[(table["section"] != "total") & (table["LLR"].abs() >= 0.5)]
        assert labels[1:-1] == [fmt_k(v) for v in body["LLR"]]
    drivers = dict(zip(ud.drivers["item"], [t.get_text() for t in non_rag["drivers"].axes[0].texts[1:]], strict=False))
    assert drivers["Unidentified QIPP"] == "10,989" and drivers["CHC"] == "(2,001)"  # as Table 4: (2,000)
    moves = [t.get_text() for t in non_rag["movement"].axes[0].texts]
    assert moves[1] == fmt_k(ud.movement.set_index("item").loc["Continuing Healthcare", "LLR"]) == "(1,499)"  # (1,500)
    assert "Table 4's figures" in non_rag["drivers"].key and "Table 3's figures" in non_rag["movement"].key
    frp = reports["frp"].waterfall()
    assert [t.get_text() for t in non_rag["frp"].axes[0].texts] == [fmt_k(v) for v in frp["value"]]


def test_plan_vs_fot_labels_are_table_2_variances(reports, non_rag):
    fot = reports["mp"].fot
    body = fot[(fot["workstream"] != "Total") & (fot["variance"].abs() >= 0.5)].iloc[::-1]
    # in words, never a bracketed figure on a positive axis (issue 25: "variance (2,002)")
    assert [t.get_text() for t in non_rag["plan_vs_fot"].axes[0].texts] == [
        f"short of plan {v:,.0f}" if v > 0 else f"ahead of plan {-v:,.0f}" for v in body["variance"]
    ]
    labels = [t.get_text() for t in non_rag["plan_vs_fot"].axes[0].texts]
    assert labels[-1].startswith("ahead of plan") and not any("(" in t for t in labels)  # CHC, first from the top


def test_sign_helper():
    s = signs("savings")
    assert s.plot([-1234.0]).tolist() == [1234.0] and s.figure(1234.0) == "(1,234)" and s.level(1234.0) == "1,234"
    f = signs("frp")
    assert f.plot([-5.0]).tolist() == [-5.0] and f.figure(-5.0) == "(5)" and f.level(-5.0) == "(5)"
    with pytest.raises(ValueError, match="no sign convention"):
        signs("profit")


def test_chart_text_is_never_mathtext(reports):
    steps = reports["ud"].drivers_waterfall().assign(label=lambda d: d["label"].where(d.index != 1, "$x^2$ scheme"))
    fig = chartkit.waterfall(steps, title="t", signs_of="drivers")
    assert all(not t.get_parse_math() for t in fig.findobj(Text))


# --- display: PNG with its alt text -------------------------------------------------------------------


def test_chart_displays_as_png_with_alt_and_size(non_rag):
    data, meta = chartkit.png_with_alt(non_rag["org_split"])
    assert data.startswith(b"\x89PNG")
    assert meta["alt"] == non_rag["org_split"].alt and meta["width"] > 600 and meta["height"] > 150


def test_chart_png_is_savefigs_tight_png_drawn_once(non_rag):
    """The PNG a chart displays as is the one ``savefig(bbox_inches="tight")`` writes (same size; pixels within
    antialiasing of a sub-pixel shift), as RGB, whether or not the chart draws outside its figure."""
    import io

    import numpy as np
    from PIL import Image

    for name, fig in non_rag.items():
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=chartkit.PNG_DPI, bbox_inches="tight", facecolor="white")
        tight = np.asarray(Image.open(buf).convert("RGB")).astype(int)
        data, _ = chartkit.png_with_alt(fig)
        mine = Image.open(io.BytesIO(data))
        assert mine.mode == "RGB", name
        mine = np.asarray(mine).astype(int)
        assert mine.shape == tight.shape, name
        differ = np.abs(mine - tight).max(axis=2) > 64
        assert differ.mean() < 0.005, (name, differ.mean())


def test_ipython_display_carries_the_alt_text(non_rag):
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.core.pylabtools import select_figure_formats

    shell = InteractiveShell.instance()
    assert chartkit.register_display(shell)
    select_figure_formats(shell, {"png"})  # what %matplotlib inline registers, for plain Figures only
    data, meta = shell.display_formatter.format(non_rag["plan_vs_fot"])
    assert data["image/png"][:4] == b"\x89PNG"
    assert meta["image/png"]["alt"].startswith("Bar chart: annual plan and forecast out-turn by workstream")


# --- nothing clipped or struck through ----------------------------------------------------------------


@pytest.mark.parametrize("org", ["ELR", "WL", "LC", "LLR"])
def test_trend_labels_are_not_struck_through_by_the_plan_line(returns, warnings, org):
    r = monthly_position(returns, warnings, fin_year=FY, month=6, org=org)
    fig = position_charts.fot_trend(r.history, real=r.real_months, notes=r.history_notes)
    fig.canvas.draw()
    ax = fig.axes[0]
    plan = next(c for c in ax.collections if c.get_linestyle()[0][1] is not None)  # the dashed plan line
    y = ax.transData.transform((0, plan.get_segments()[0][0][1]))[1]
    values = [t for t in ax.texts if t.get_text()[:1].isdigit()]
    assert len(values) == 2
    for t in values:
        box = t.get_window_extent()
        assert not (box.y0 - 1 <= y <= box.y1 + 1), f"{org}: {t.get_text()} struck through by the plan line"


@pytest.mark.parametrize("org", ["ELR", "WL", "LC", "LLR"])
def test_assured_markers_are_inside_the_axes(returns, warnings, org):
    fig = position_charts.fot_by_rag(monthly_position(returns, warnings, fin_year=FY, month=6, org=org).rag)
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    (markers,) = [c for c in ax.collections if isinstance(c, PathCollection)]
    xs = markers.get_offsets()[:, 0]
    margin = (hi - lo) * 0.01
    assert (xs >= lo + margin).all() and (xs <= hi - margin).all()
