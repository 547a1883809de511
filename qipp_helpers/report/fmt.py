"""Formatting for people: money tables as the papers print them, narrative sentences."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import pandas as pd
from pandas.io.formats.style import Styler

from ..core.money import fmt_k, fmt_pct
from .style import rag_colour, text_on

TOTAL_LABELS = ("Total", "Grand Total")


def money_table(
    df: pd.DataFrame,
    *,
    money: Sequence[str] = (),
    pct: Sequence[str] = (),
    labels: Mapping[str, str] | None = None,
    caption: str | None = None,
    headings: Sequence[int] = (),
) -> Styler:
    """A pandas Styler: £000 with brackets for negatives, %, bold Total row, no index.

    ``labels`` renames columns for display only (the data keeps snake_case names);
    ``headings`` are row positions that are section headings ("Offset by:"): no figures, italic.
    """
    shown = df.rename(columns=dict(labels or {}))
    rename = dict(labels or {})
    money_cols = [rename.get(c, c) for c in money if c in df.columns]
    pct_cols = [rename.get(c, c) for c in pct if c in df.columns]
    first = shown.columns[0]
    styler = shown.style.hide(axis="index")
    styler = styler.format(fmt_k, subset=money_cols, na_rep="–")
    styler = styler.format(lambda v: fmt_pct(v), subset=pct_cols, na_rep="–")
    styler = styler.format(
        lambda v: "" if v is None or (isinstance(v, float) and pd.isna(v)) else html.escape(str(v)),
        subset=[c for c in shown.columns if c not in money_cols + pct_cols],
    )

    def bold_total(row: pd.Series) -> list[str]:
        is_total = str(row[first]) in TOTAL_LABELS or any(str(v) in TOTAL_LABELS for v in row.iloc[:3])
        return ["font-weight: bold; border-top: 1.5px solid #333" if is_total else "" for _ in row]

    styler = styler.apply(bold_total, axis=1)
    if headings:
        rows = [shown.index[i] for i in headings]
        styler = styler.format(lambda v: "", subset=pd.IndexSlice[rows, money_cols + pct_cols])
        styler = styler.set_properties(subset=pd.IndexSlice[rows, :], **{"font-style": "italic", "font-weight": "bold"})
    styler = styler.set_properties(subset=money_cols + pct_cols, **{"text-align": "right"})
    styler = styler.set_table_attributes('class="qipp-table"')
    if caption:
        styler = styler.set_caption(caption)
    return inert_labels(styler)


def inert_labels(styler: Styler) -> Styler:
    """The table's caption and column headings as escaped text (a Styler writes both into its HTML as given):
    an organisation name, an FRP's "as at" or a RightCare data year in them can never become markup."""
    caption = styler.caption
    if isinstance(caption, str):
        styler = styler.set_caption(html.escape(caption, quote=False))
    return styler.format_index(escape="html", axis=1)


def rag_cell_styles(styler: Styler, columns: Sequence[str], colours: Mapping[str, str] | None = None) -> Styler:
    """Colour cells whose text is a RAG word (Green/Amber/Red/Blue/Grey; FRP's Orange is amber).

    The text colour is black or white, whichever meets WCAG AA contrast on the fill. ``colours``
    overrides the fill of a word (default: :data:`style.RAG_COLOURS` and its aliases).
    """
    present = [c for c in columns if c in styler.data.columns]

    def paint(v: object) -> str:
        fill = (colours or {}).get(str(v)) or rag_colour(v)
        return f"background-color: {fill}; color: {text_on(fill)}; text-align: center" if fill else ""

    return styler.map(paint, subset=present)
