"""Colours and the sign convention every table and chart follows.

RAG colours mean a RAG rating and nothing else (NHS identity colours). Other categories use
:data:`CATEGORY`, a palette that cannot be mistaken for a RAG rating. Text on a coloured cell
uses :func:`text_on`, which picks black or white for WCAG AA contrast (4.5:1).
"""

from __future__ import annotations

#: Overall PMO RAG colours (NHS identity palette). Blue = completed, Grey = closed.
RAG_COLOURS: dict[str, str] = {
    "Green": "#009639",
    "Amber": "#FFB81C",
    "Red": "#DA291C",
    "Blue": "#005EB8",
    "Grey": "#768692",
}
NHS_BLUE = "#005EB8"
NHS_DARK_BLUE = "#003087"
NHS_LIGHT_BLUE = "#41B6E6"
GREY = "#768692"
TEXT = "#212B32"


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
