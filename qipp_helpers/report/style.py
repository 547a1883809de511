"""Colours and the sign convention every table and chart follows.

RAG colours mean a RAG rating and nothing else (NHS identity colours). Other categories use
:data:`CATEGORY`, a palette chosen to be far from every RAG colour (CIE Lab distance of 25 or
more, checked by the tests) and told apart by lightness as well as hue, so it reads in greyscale
and to colour-blind readers. Text on a coloured cell uses :func:`text_on`, which picks black or
white for WCAG AA contrast (4.5:1).

The sign convention is chosen once, here (:func:`signs`): tables print figures as the papers do;
charts draw savings as positive magnitudes on an axis that says so, and every label on a chart
that stands for a table figure prints that figure exactly as the table does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..core.money import fmt_k

#: Overall PMO RAG colours (NHS identity palette). Blue = completed, Grey = closed.
RAG_COLOURS: dict[str, str] = {
    "Green": "#009639",
    "Amber": "#FFB81C",
    "Red": "#DA291C",
    "Blue": "#005EB8",
    "Grey": "#768692",
}
#: RAG words as some returns print them, mapped to the rating they mean (FRP: "Orange" is amber).
RAG_ALIASES: dict[str, str] = {"Orange": "Amber"}
NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
NHS_LIGHT_BLUE = "#41B6E6"
GREY = "#768692"
TEXT = "#212B32"
#: Secondary text on white (contrast 7.5:1): captions, keys, axis notes.
TEXT_MUTED = "#425563"

#: Colours for anything that is not a RAG rating: series, points of delivery, directions of change.
CATEGORY: dict[str, str] = {
    "ink": "#212B32",  # levels and totals; the outline of a hollow (plan) bar
    "purple": "#5B2A86",  # the main series (forecast); more saving, surplus, favourable
    "mauve": "#9970AB",  # a second series (assured value)
    "sky": "#88CCEE",  # less saving, deficit, adverse (pale blue-cyan: never read as Amber)
}
#: What a chart draws in each category colour.
SERIES = {
    "plan": "white",  # hollow bar, ink outline: the plan is the benchmark, not a result
    "fot": CATEGORY["purple"],
    "assured": CATEGORY["mauve"],
    "actual": CATEGORY["sky"],
    "total": CATEGORY["ink"],
    "up": CATEGORY["purple"],
    "down": CATEGORY["sky"],
}
#: Points of delivery in RightCare charts.
POD_COLOURS = {"elective": CATEGORY["purple"], "non_elective": CATEGORY["sky"], "prescribing": CATEGORY["mauve"]}
#: A synthetic (demonstration) point: hollow, grey edge; never a signal colour.
SYNTHETIC_EDGE = "#6F7B85"
#: Sequential colours for heatmaps, white to purple through mauve (every shade between stays far from RAG).
HEATMAP = ("#FFFFFF", CATEGORY["mauve"], CATEGORY["purple"])


def rag_colour(value: object) -> str | None:
    """The fill colour of a RAG word (Green, Amber, Red, Blue, Grey, or an alias such as Orange), else None."""
    word = str(value).strip()
    return RAG_COLOURS.get(RAG_ALIASES.get(word, word))


def _luminance(hex_colour: str) -> float:
    r, g, b = (int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4))

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(background: str) -> str:
    """Black or white text, whichever contrasts more with ``background``."""
    return "#000000" if contrast(background, "#000000") >= contrast(background, "#FFFFFF") else "#FFFFFF"


def rag_cell_css(value: object) -> str:
    """CSS for a table cell holding a RAG word: its fill and readable (AA) text; empty for other text."""
    fill = rag_colour(value)
    if fill is None:
        return ""
    return f"background-color: {fill}; color: {text_on(fill)}; text-align: center"


def lab(hex_colour: str) -> tuple[float, float, float]:
    """CIE L*a*b* (D65) of an sRGB colour, for telling colours apart (:func:`colour_distance`)."""
    c = np.array([int(hex_colour.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)])
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = m @ c / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return (float(116 * f[1] - 16), float(500 * (f[0] - f[1])), float(200 * (f[1] - f[2])))


def colour_distance(a: str, b: str) -> float:
    """CIE76 distance of two colours (about 2.3 is just noticeable; 25 and more reads as another colour)."""
    return float(np.linalg.norm(np.subtract(lab(a), lab(b))))


# --- the sign convention ------------------------------------------------------------------------


@dataclass(frozen=True)
class Signs:
    """How one kind of chart turns stored figures into what it draws and how it labels them.

    ``plot`` maps stored figures (savings negative, as in the store and the tables) to what is drawn;
    ``figure`` prints a drawn value as the table beside the chart prints it; ``axis`` names the
    drawn quantity; ``key`` is the one-line key printed under the chart.
    """

    name: str
    axis: str
    key: str
    negate: bool  # stored savings are negative: a chart of savings draws -stored
    step_key: str = ""  # for waterfalls: how the labels of the steps read

    def plot(self, stored: float | Sequence[float] | np.ndarray) -> np.ndarray:
        """Stored figures as drawn (savings as positive magnitudes when ``negate``)."""
        values = np.asarray(stored, dtype=float)
        return -values if self.negate else values

    def level(self, drawn: float) -> str:
        """A drawn level (a bar's height) as labelled: a saving as its magnitude; otherwise as the table prints it."""
        return f"{drawn:,.0f}" if self.negate else fmt_k(drawn)

    def figure(self, drawn: float) -> str:
        """The table's printed figure for a drawn value (brackets for the table's negatives)."""
        return fmt_k(-drawn if self.negate else drawn)


#: The pack's ONE sign convention, in these words under every chart, in the glossary and in every workbook's notes.
SIGN_CONVENTION = (
    "Signs: QIPP savings in brackets in tables and positive on charts; an FRP deficit in brackets; RightCare £m "
    "positive; variance, under-delivery and movement positive = adverse."
)
#: The one definition of under-delivery (and of a variance), wherever a report names it.
UNDER_DELIVERY = "forecast out-turn − annual plan, savings negative, so positive = short of plan"
_SAVINGS_KEY = SIGN_CONVENTION
SIGNS: dict[str, Signs] = {
    "savings": Signs("savings", "Savings, £000", _SAVINGS_KEY, negate=True),
    "opportunity": Signs("opportunity", "£m", SIGN_CONVENTION, negate=False),
    "drivers": Signs(
        "drivers",
        "Savings, £000",
        _SAVINGS_KEY,
        negate=True,
        step_key="Step labels are Table 4's figures: under-delivery (forecast out-turn − plan) positive; offsets "
        "(more saving than planned) in brackets.",
    ),
    "movement": Signs(
        "movement",
        "Forecast savings, £000",
        _SAVINGS_KEY,
        negate=True,
        step_key="Step labels are Table 3's figures: adverse (less saving than last month) positive; "
        "favourable in brackets.",
    ),
    "frp": Signs(
        "frp",
        "£000 (deficit negative)",
        SIGN_CONVENTION,
        negate=False,
    ),
}


def signs(name: str) -> Signs:
    """The sign convention of one kind of chart: ``savings`` (plan, forecast, delivery, assured),
    ``drivers`` (Table 4 waterfall), ``movement`` (Table 3 waterfall), ``frp`` (Paper E), ``opportunity``."""
    try:
        return SIGNS[name]
    except KeyError:
        raise ValueError(f"no sign convention {name!r}: one of {', '.join(SIGNS)}") from None
