"""Text from returns is inert: it is shown, never run or interpreted.

A scheme name, a commentary or an About-sheet value is data. In a spreadsheet it must not become
a formula; in HTML or PDF it must not become markup or a link; in a chart it must not become
mathtext. These helpers make a piece of input text safe for each destination.
"""

from __future__ import annotations

import html

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def safe_cell(value: object) -> object:
    """Neutralise text a spreadsheet would run as a formula or command (``=``, ``+``, ``-``, ``@``...).

    The text is kept, prefixed with an apostrophe; numbers and other values pass through.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def plain_html(value: object) -> str:
    """Input text as HTML text: escaped, and with nothing a Markdown renderer would read as markup.

    Besides ``<>&"'``, the characters Markdown and autolinkers act on (``[ ] ( ) * _ ` | $ \\ # ~``
    and ``:`` of ``javascript:`` / ``https:``) are written as character references, so the text
    survives any later Markdown pass as the same plain text; newlines fold to spaces.
    """
    text = html.escape(str(value), quote=True)
    for ch, ref in _MARKDOWN_REFS.items():
        text = text.replace(ch, ref)
    return " ".join(text.split())


_MARKDOWN_REFS = {
    "\\": "&#92;",
    "[": "&#91;",
    "]": "&#93;",
    "(": "&#40;",
    ")": "&#41;",
    "*": "&#42;",
    "_": "&#95;",
    "`": "&#96;",
    "|": "&#124;",
    "$": "&#36;",
    "#": "&#35;",
    "~": "&#126;",
    ":": "&#58;",
    "!": "&#33;",
}


def plain_chart(value: object) -> str:
    """Input text for a matplotlib label: ``$`` escaped so it is a dollar sign, never mathtext."""
    return str(value).replace("\\", "\\\\").replace("$", r"\$")
