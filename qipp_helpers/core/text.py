"""Text from returns is inert: it is shown, never run or interpreted.

A scheme name, a commentary or an About-sheet value is data. In a spreadsheet it must not become
a formula; in HTML or PDF it must not become markup or a link; in a chart it must not become
mathtext. These helpers make a piece of input text safe for each destination.
"""

from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def safe_cell(value: object) -> object:
    """Neutralise text a spreadsheet would run as a formula or command (``=``, ``+``, ``-``, ``@``...).

    The text is kept, prefixed with an apostrophe; numbers and other values pass through.
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def restore_cell(value: str) -> str:
    """The text :func:`safe_cell` neutralised, as it was (for reading back a workbook the product wrote)."""
    if value.startswith("'") and value[1:].startswith(_FORMULA_START):
        return value[1:]
    return value


def neutralise(workbook: object) -> object:
    """Every text cell of every sheet (hidden ones too) of an openpyxl workbook passed through :func:`safe_cell`.

    Run just before saving a workbook the product writes, so no text from a return becomes a formula.
    """
    for ws in workbook.worksheets:  # type: ignore[attr-defined]
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.data_type != "f":
                    cell.value = safe_cell(cell.value)
                elif cell.data_type == "f":  # openpyxl reads any '=...' string as a formula: make it text
                    cell.value = safe_cell(cell.value)
                    cell.data_type = "s"
    return workbook


def keep_text(workbook: object) -> object:
    """Every cell openpyxl would write as a formula written as quote-prefixed text instead, its text unchanged.

    This is how Excel itself stores a typed ``'=text``; the seeded generators use it to write inputs as a user's
    Excel would.
    """
    for ws in workbook.worksheets:  # type: ignore[attr-defined]
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
                    cell.quotePrefix = True
    return workbook


def plain_html(value: object) -> str:
    """Input text as HTML text: escaped, and with nothing a Markdown renderer would read as markup.

    Besides ``<>&"'``, the characters Markdown and autolinkers act on (``[ ] ( ) * _ ` | $ \\ # ~ !``
    and ``:`` of ``javascript:`` / ``https:``) are written as character references, so the text
    survives any later Markdown pass as the same plain text; newlines fold to spaces.
    """
    text = "".join(_REFS.get(ch, ch) for ch in CONTROL.sub(" ", str(value)))
    text = text.replace("www.", "www&#46;")  # nor a bare web address an autolinker would link
    return " ".join(text.split())


_REFS = {
    "&": "&amp;",
    "<": "&lt;",
    ">": "&gt;",
    '"': "&quot;",
    "'": "&#39;",
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


#: C0 and C1 control characters (and DEL): an escape sequence from an input must not reach a terminal or a page.
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
#: The same, but keeping a carriage return (a progress bar redraws its line with one).
_TERMINAL_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: The colour codes the product itself writes (click's styles): the only escape sequences a terminal is sent.
_OWN_STYLE = re.compile(r"\x1b\[[0-9;]{0,12}m")


def plain_terminal(text: str) -> str:
    """``text`` for a terminal: every control character (escape sequences, bells, backspaces...) removed except
    newlines, tabs, carriage returns and the colour codes the product itself writes (:data:`_OWN_STYLE`)."""
    parts = _OWN_STYLE.split(text)
    styles = _OWN_STYLE.findall(text)
    out = [_TERMINAL_CONTROL.sub("", parts[0])]
    for style, part in zip(styles, parts[1:], strict=True):
        out += [style, _TERMINAL_CONTROL.sub("", part)]
    return "".join(out)


def has_control(text: str) -> bool:
    """True if ``text`` holds a control character other than a newline or tab."""
    return CONTROL.search(text) is not None
