"""One declaration per table, one renderer per format: the HTML/PDF Styler and the workbook's sheet.

A :class:`TableSpec` says once what a table is: its columns (frame key, header, kind), the caption
printed above it, the title and note of its workbook sheet, which column labels its total rows, and
how many columns stay frozen. :meth:`TableSpec.fill` pairs it with the report's data; the result
renders as a pandas Styler (:meth:`Filled.styler`: £000 in brackets, £m and % by kind, bold totals,
captions; :func:`qipp_helpers.report.fmt.money_table` underneath) and as a
:class:`~qipp_helpers.report.publish.Table` for the .xlsx (:meth:`Filled.table`), so a header, kind
or caption is never written twice. Where the printed paper's wording of a header differs from the
workbook's, the column says both (``printed``); a column shown in one output only says which
(``only``). Columns may sit in column groups (``group``, :func:`per_group`: Paper D's one group per CCG): the
HTML then prints a two-level header, the workbook the flat headers ("ELR Plan"). The declarations themselves
live with their report: ``report/<report>/tables.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from html import escape

import pandas as pd
from pandas.io.formats.style import Styler

from ..core.money import fmt_k, fmt_pct
from ..core.text import plain_html
from .fmt import inert_labels, money_table
from .publish import TOTAL_LABELS, Column, Table, Total

#: Kinds shown as money in the HTML (brackets for negatives): £000, £m, £.
MONEY_KINDS = ("gbp000", "gbpm", "gbp")
#: Decimal places a kind is printed to in the HTML when the column does not say (£m to one place, as Table 3).
HTML_DECIMALS = {"gbpm": 1}
OUTPUTS = ("html", "xlsx")


@dataclass(frozen=True)
class Col:
    """One column, declared once: frame ``key``, ``header``, ``kind`` (and ``total``, ``decimals``) as
    :class:`~.publish.Column`.

    ``printed`` is the header the HTML/PDF prints where the paper's wording differs from the workbook's
    ("No." for "Scheme no."), ``printed_decimals`` its places where they differ (Paper D's whole per cents);
    ``only`` ("html" or "xlsx") keeps a column to one output; ``source`` is the
    data column an HTML-only column shows (a second view of one field, e.g. Appendix 1's two ratings read
    from Risk/issue); ``printed_as`` is the words the HTML/PDF prints for a figure where the paper says it in
    words (a multiple as "13.8×" or "none delivered"): escaped and right-aligned as a figure, while the workbook
    keeps the number. ``group`` puts the column under a column group in the HTML's two-level header (Paper D's
    one group per CCG, see :func:`per_group`); the workbook keeps the flat ``header``.
    """

    key: str
    header: str
    kind: str = "text"
    total: str | None = None
    decimals: int | None = None
    printed: str | None = None
    printed_decimals: int | None = None
    only: str | None = None
    source: str | None = None
    printed_as: Callable[[object], str] | None = None
    group: str | None = None

    def __post_init__(self) -> None:
        self.column  # noqa: B018 -- validates kind and total as publish.Column does
        if self.only is not None and self.only not in OUTPUTS:
            raise ValueError(f"column {self.key!r}: only must be one of {', '.join(OUTPUTS)}, got {self.only!r}")

    @property
    def column(self) -> Column:
        """The workbook's column."""
        return Column(self.key, self.header, self.kind, self.total, self.decimals)

    @property
    def html_header(self) -> str:
        return self.printed or self.header

    @property
    def html_places(self) -> int | None:
        """Decimal places the HTML prints the column's figures to: its ``printed_decimals``, else its ``decimals``,
        else its kind's (:data:`HTML_DECIMALS`); None leaves the formatter's own."""
        return next((d for d in (self.printed_decimals, self.decimals) if d is not None), HTML_DECIMALS.get(self.kind))

    @property
    def numeric(self) -> bool:
        """Whether the column holds figures, right-aligned where the pack lays a declared table out itself (its front
        matter and appendices): money (any kind), percentages and counts."""
        return self.kind in MONEY_KINDS or self.kind in ("pct", "count")

    def shown_in(self, output: str) -> bool:
        return self.only is None or self.only == output


def money(key: str, header: str, **kw: object) -> Col:
    """A £000 column."""
    return Col(key, header, "gbp000", **kw)  # type: ignore[arg-type]


def millions(key: str, header: str, **kw: object) -> Col:
    """A £m column."""
    return Col(key, header, "gbpm", **kw)  # type: ignore[arg-type]


def text(key: str, header: str, **kw: object) -> Col:
    """A text column."""
    return Col(key, header, "text", **kw)  # type: ignore[arg-type]


def per_group(groups: Sequence[str], subs: Sequence[Col]) -> tuple[Col, ...]:
    """A column group per name in ``groups`` (organisation codes, as the report holds them), each with the ``subs``
    columns: key ``elr_plan``, workbook header "ELR Plan", HTML "Plan" (or the sub-column's ``printed``) under "ELR".
    Headers come from the groups given, so no organisation is named here."""
    return tuple(
        replace(
            s,
            key=f"{g.lower()}_{s.key}",
            header=f"{g} {s.header}",
            printed=s.html_header,
            source=None if s.source is None else f"{g.lower()}_{s.source}",
            group=g,
        )
        for g in groups
        for s in subs
    )


@dataclass(frozen=True)
class TableSpec:
    """A table's declaration: sheet ``name``, ``columns``, the HTML ``caption``, the workbook sheet's ``title``
    and ``note``, the ``label`` column whose Total/Grand Total rows are total rows (None: the totals are given
    when filled), ``freeze_columns``, and ``unbroken`` (keep it on one printed page)."""

    name: str
    columns: tuple[Col, ...]
    caption: str = ""
    title: str = ""
    note: str = ""
    label: str | None = None
    freeze_columns: int = 1
    unbroken: bool = False

    def columns_for(self, output: str) -> list[Col]:
        """The columns ``output`` ("html" or "xlsx") shows, in order."""
        return [c for c in self.columns if c.shown_in(output)]

    def headers(self, output: str) -> list[str]:
        """The headers ``output`` shows, in order."""
        cols = self.columns_for(output)
        return [c.html_header if output == "html" else c.header for c in cols]

    @property
    def grouped(self) -> bool:
        """Whether the HTML prints column groups (a two-level header)."""
        return any(c.group is not None for c in self.columns_for("html"))

    def header_pairs(self) -> list[tuple[str, str]]:
        """The HTML's two-level headers of a grouped table: (group, header) per column, "" over ungrouped ones."""
        return [(c.group or "", c.html_header) for c in self.columns_for("html")]

    def display(self, data: pd.DataFrame) -> pd.DataFrame:
        """``data`` as the plain text a layout that prints the declaration itself shows (the pack's front matter:
        headers from :attr:`Col.html_header`, figures right-aligned by :attr:`Col.numeric`): one column per HTML
        column's key, read from its ``source``; money in brackets and % by kind to the HTML's places, counts whole,
        a missing count or text blank. Not escaped: the layout escapes it."""
        return pd.DataFrame(
            {c.key: data[c.source or c.key].map(_cell_text(c)) for c in self.columns_for("html")}, index=data.index
        )

    def fill(
        self,
        data: pd.DataFrame,
        *,
        shown: pd.DataFrame | None = None,
        totals: Sequence[Total] | None = None,
        headings: Sequence[int] = (),
    ) -> Filled:
        """This table with its data: ``data`` for both outputs, or ``shown`` for the HTML where its rows differ
        (names for codes, heading rows); ``totals`` under the workbook's data rows when ``label`` is None;
        ``headings`` are HTML rows that are section headings."""
        return Filled(self, data, shown, None if totals is None else tuple(totals), tuple(headings))


@dataclass
class Filled:
    """A declared table with its data, ready for either renderer."""

    spec: TableSpec
    data: pd.DataFrame
    shown: pd.DataFrame | None = None
    totals: tuple[Total, ...] | None = None
    headings: tuple[int, ...] = field(default_factory=tuple)

    def styler(self) -> Styler:
        """The table for HTML and PDF."""
        return html(self.spec, self.data if self.shown is None else self.shown, headings=self.headings)

    def table(self) -> Table:
        """The table for the workbook."""
        return xlsx(self.spec, self.data, totals=self.totals)


def unbroken(styler: Styler) -> Styler:
    """Keep a short table on one printed page (with its caption) rather than leave rows behind."""
    return styler.set_table_styles(
        [{"selector": "", "props": [("break-inside", "avoid"), ("page-break-inside", "avoid")]}], overwrite=False
    )


def _decimals_formatter(decimals: int, kind: str) -> Callable[[object], str]:
    if kind in MONEY_KINDS:
        return lambda v: fmt_k(v, decimals=decimals)  # type: ignore[arg-type]
    if kind == "pct":
        return lambda v: fmt_pct(v, decimals=decimals)  # type: ignore[arg-type]
    return lambda v: f"{v:,.{decimals}f}"


def _missing(v: object) -> bool:
    return v is None or (pd.api.types.is_scalar(v) and bool(pd.isna(v)))


def _cell_text(c: Col) -> Callable[[object], str]:
    """How :meth:`TableSpec.display` writes a cell of ``c``: as the HTML renderer formats it, unescaped."""
    if c.printed_as is not None:
        return c.printed_as
    places = c.html_places
    if c.kind in MONEY_KINDS or c.kind == "pct":
        default = 1 if c.kind == "pct" else 0  # fmt_pct's and fmt_k's places
        return _decimals_formatter(default if places is None else places, c.kind)
    if c.kind == "count":
        return lambda v: "" if _missing(v) else f"{v:.0f}"
    return lambda v: "" if _missing(v) else str(v)


def _escaped(words: Callable[[object], str]) -> Callable[[object], str]:
    """A column's printed words for a value, escaped as every text the HTML prints."""
    return lambda v: escape(words(v))


def html(spec: TableSpec, df: pd.DataFrame, *, headings: Sequence[int] = ()) -> Styler:
    """The HTML/PDF renderer: a Styler of ``spec``'s HTML columns of ``df``: money by kind in brackets, % by kind,
    text escaped, bold total rows, the caption; £m (or a column's ``decimals``) to its places. A table with column
    groups is printed by :func:`grouped_html`."""
    if spec.grouped:
        return grouped_html(spec, df)
    cols = spec.columns_for("html")
    frame = pd.DataFrame(
        {c.key: df[c.source or c.key] for c in cols if (c.source or c.key) in df.columns}, index=df.index
    )
    figures = [c for c in cols if c.printed_as is None]
    styler = money_table(
        frame,
        money=[c.key for c in figures if c.kind in MONEY_KINDS],
        pct=[c.key for c in figures if c.kind == "pct"],
        labels={c.key: c.html_header for c in cols},
        caption=spec.caption or None,
        headings=headings,
    )
    for c in cols:
        if c.key not in frame.columns:
            continue
        if c.printed_as is not None:
            styler = styler.format(_escaped(c.printed_as), subset=[c.html_header])
            styler = styler.set_properties(subset=[c.html_header], **{"text-align": "right"})
            continue
        places = c.html_places
        if places is not None:
            styler = styler.format(_decimals_formatter(places, c.kind), subset=[c.html_header])
    return unbroken(styler) if spec.unbroken else styler


#: A grouped table's type and spacing: sixteen figures across A4 landscape, as Paper D prints its per-CCG tables.
COMPACT = [
    {"selector": "", "props": [("font-size", "7pt")]},
    {"selector": "th, td", "props": [("padding", "1px 3px")]},
    {"selector": "thead tr:first-child th", "props": [("text-align", "center")]},
]
GROUP_RULE = "border-left: 1.5px solid #999"


def grouped_html(spec: TableSpec, df: pd.DataFrame) -> Styler:
    """The HTML/PDF of a table with column groups (Paper D's Tables 1 and 2 per CCG): a two-level header, compact
    7pt type, a rule before each group, £000 in brackets, % and escaped text by kind, bold total rows."""
    cols = spec.columns_for("html")
    heads = spec.header_pairs()
    frame = pd.DataFrame(
        {h: df[c.source or c.key].to_numpy() for h, c in zip(heads, cols, strict=True)},
        columns=pd.MultiIndex.from_tuples(heads),
    )
    kinds = dict(zip(heads, (c.kind for c in cols), strict=True))
    styler = frame.style.hide(axis="index")
    styler = styler.format(fmt_k, subset=[h for h, k in kinds.items() if k in MONEY_KINDS], na_rep="–")
    styler = styler.format(lambda v: fmt_pct(v), subset=[h for h, k in kinds.items() if k == "pct"], na_rep="–")
    styler = styler.format(plain_html, subset=[h for h, k in kinds.items() if k == "text"])
    if spec.label is not None:
        total = [i for i, v in enumerate(df[spec.label]) if str(v) in TOTAL_LABELS]
        if total:
            bold = {"font-weight": "bold", "border-top": "1.5px solid #333"}
            styler = styler.set_properties(subset=pd.IndexSlice[frame.index[total], :], **bold)
    styler = styler.set_properties(subset=[h for h, k in kinds.items() if k != "text"], **{"text-align": "right"})
    starts = [
        h
        for i, (h, c) in enumerate(zip(heads, cols, strict=True))
        if c.group and (i == 0 or cols[i - 1].group != c.group)
    ]
    for h in starts:
        styler = styler.map(lambda _v: GROUP_RULE, subset=[h])
    styler = styler.set_table_styles(COMPACT, overwrite=False).set_table_attributes('class="qipp-table qipp-system"')
    if spec.caption:
        styler = styler.set_caption(spec.caption)
    styler = inert_labels(styler)
    return unbroken(styler) if spec.unbroken else styler


def xlsx(spec: TableSpec, df: pd.DataFrame, *, totals: Sequence[Total] | None = None) -> Table:
    """The workbook renderer: a :class:`~.publish.Table` of ``spec``'s workbook columns of ``df``, its trailing
    Total rows (in the ``label`` column) as totals, or the ``totals`` given."""
    columns = tuple(c.column for c in spec.columns_for("xlsx"))
    kw = {"title": spec.title, "note": spec.note, "freeze_columns": spec.freeze_columns}
    if spec.label is not None and totals is None:
        return Table.from_frame(df, columns, label=spec.label, total_labels=TOTAL_LABELS, **kw)
    return Table(df, columns, tuple(totals or ()), **kw)  # type: ignore[arg-type]
