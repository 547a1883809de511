"""The variance explorer: ipywidgets over the monthly position report, for analysts in JupyterLab.

Never part of the circulated pack (widgets render as nothing in HTML/PDF). Every figure comes from
:func:`~.position.model.monthly_position` and the pure functions of :mod:`~qipp_helpers.analysis.position` and
:mod:`~qipp_helpers.analysis.spc`, the same ones the pack uses, so the explorer never disagrees with it.
Tables are ``HTML`` widgets and charts ``Image`` widgets (PNG), replaced in place when a control changes;
no cell is re-run.

It keeps up with an analyst: every view is computed once per set of control values and kept
(:mod:`explore_cache`), a chart is drawn only when its tab is shown, and while the analyst reads a
background warm-up prepares what is likely to be asked next (the other organisations of the month,
the other months, workstreams and tabs). ``benchmarks/explorer.py`` times each change.

Tests drive it as a person would: set a control's ``.value``, then read :attr:`VarianceExplorer.table`,
``.summary``, ``.history`` and ``.trend`` (the chart data) back.
"""

from __future__ import annotations

import functools
import html
import io
from collections.abc import Callable
from dataclasses import dataclass, replace

import ipywidgets as w
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, MaxNLocator

from ..analysis import position as t
from ..analysis import provenance as pv
from ..analysis import spc
from ..analysis.adjustments import ROUNDING, apply_adjustments
from ..core.orgs import organisations
from ..core.periods import MONTH_NAMES
from ..core.vocab import RAGS, WORKSTREAMS
from ..store.db import empty_warnings
from . import changes as since
from . import realism as realism_page
from .explore_cache import MPL_LOCK, Memo, Warmer, hold_matplotlib_while_cells_run
from .fmt import rag_cell_styles
from .position import charts as position_charts
from .position.model import MonthlyPosition, monthly_position, trend_panels
from .style import RAG_COLOURS
from .tables import TableSpec, money, text

ALL = "All"
#: The trend measures: label -> column of :func:`tables.workstream_monthly`.
MEASURES = {"Forecast out-turn": "fot", "In-month delivery": "delivered"}
#: The tabs, in order.
TABS = ("Variances", "Scheme drill-down", "Trends (SPC)", "What changed", "Forecast realism")
DRILL_DOWN, TRENDS = 1, 2
#: The "No." of a control-total rounding line in the scheme table: it is in the totals, but not a scheme to drill into.
ROUNDING_NO = "adj."
_WIDE = {"description_width": "initial"}
#: Room between columns and headers that wrap at word boundaries, in JupyterLab as in the pack.
_TABLE_STYLES = [
    {"selector": "", "props": "border-collapse: collapse; margin: 4px 0 10px 0; font-size: 12px;"},
    {"selector": "caption", "props": "caption-side: top; text-align: left; font-weight: bold; padding: 4px 0;"},
    {
        "selector": "th",
        "props": "padding: 3px 10px; vertical-align: bottom; text-align: right; white-space: normal; "
        "max-width: 9em; border-bottom: 1.5px solid #425563; font-weight: bold;",
    },
    {"selector": "th:first-child", "props": "text-align: left;"},
    {"selector": "td", "props": "padding: 2px 10px; white-space: nowrap; border-bottom: 1px solid #e8edee;"},
]


def _png(fig: Figure) -> bytes:
    """The figure as PNG bytes, whole-number £000 ticks only; closed so ``%matplotlib inline`` never shows it."""
    for ax in fig.axes:
        if not isinstance(ax.yaxis.get_major_locator(), FixedLocator):  # a flat series keeps its set ticks
            ax.yaxis.set_major_locator(MaxNLocator(nbins="auto", integer=True))
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def _draw(make: Callable[[], Figure]) -> bytes:
    """PNG bytes of the chart ``make`` draws, holding matplotlib's lock (pyplot is not thread-safe)."""
    with MPL_LOCK:
        return _png(make())


def _note(text: str) -> str:
    return f"<p style='margin:4px 0;color:#425563'><i>{html.escape(text)}</i></p>"


def _styled(styler) -> str:
    return styler.set_table_styles(_TABLE_STYLES, overwrite=False).to_html()


#: The money columns the explorer's tables share, as they head them (£000).
_MONEY = {
    c.key: c
    for c in (
        money("plan_ytd", "YTD plan"),
        money("actual_ytd", "YTD actual"),
        money("annual_plan", "Annual plan"),
        money("fot", "FOT"),
        money("variance", "Variance (FOT − plan)"),
        money("monthly_movement", "Movement since last month"),
    )
}
_RAG = text("rag", "RAG")
#: The explorer's three tables, each declared once (HTML only): by workstream, the schemes, one scheme by month.
SUMMARY = TableSpec(
    "explorer_by_workstream",
    (
        text("workstream", "Workstream"),
        _MONEY["plan_ytd"],
        _MONEY["actual_ytd"],
        money("ytd_variance", "YTD variance"),
        *(_MONEY[k] for k in ("annual_plan", "fot", "variance", "monthly_movement")),
    ),
    caption="By workstream: Tables 1 and 2 of the pack (£000; variance and movement: + = adverse)",
)
SCHEMES = TableSpec(
    "explorer_schemes",
    (text("scheme_no", "No."), text("scheme_name", "Scheme"), text("workstream", "Workstream"), _RAG, *_MONEY.values()),
)
HISTORY = TableSpec(
    "explorer_history",
    (
        text("month", "Month"),
        _RAG,
        *(_MONEY[k] for k in ("plan_ytd", "actual_ytd", "annual_plan", "fot")),
        money("assured", "Assured"),
        money("variance", "Variance"),
        text("rag_change", "RAG change"),
    ),
)


def _summary_html(summary: pd.DataFrame) -> str:
    """Tables 1 and 2 by workstream, as HTML ("" when there is no report)."""
    if summary.empty:
        return ""
    return _styled(SUMMARY.fill(summary).styler())


def _schemes_html(table: pd.DataFrame) -> str:
    """The filtered schemes with their Total, RAG cells coloured; a note when no scheme passes."""
    body = table[table["scheme_name"] != t.TOTAL]
    if body.empty:
        return _note("No scheme passes these filters.")
    rounding = int(body["scheme_no"].eq(ROUNDING_NO).sum())
    caption = f"Schemes: {len(body) - rounding} shown, largest shortfall first (£000; + = adverse)"
    if rounding:
        caption += "; the rounding lines above the Total are in the totals but are not schemes"
    styler = replace(SCHEMES, caption=caption).fill(table).styler()
    return _styled(rag_cell_styles(styler, [_RAG.html_header], RAG_COLOURS))


def _history_html(history: pd.DataFrame, *, caption: str) -> str:
    """One scheme month by month (M1, M2, ...), RAG cells coloured."""
    shown = history.assign(month=[f"M{m}" for m in history["month"]])
    styler = replace(HISTORY, caption=caption).fill(shown).styler()
    return _styled(rag_cell_styles(styler, [_RAG.html_header], RAG_COLOURS))


# --- one synthetic/real label, used by the status line, the trends tab and the drill-down ----------------------

#: Months are named as the charts' keys name them ('M1–M5'), so every view reads the same.
months_label = pv.months_label


def real_and_synthetic(real: list[int], held: list[int]) -> str:
    """'real: M6; M1–M5: synthetic demonstration data, not returns' for the months ``held`` (the synthetic
    ones in their one provenance label, :func:`qipp_helpers.analysis.provenance.months_with`)."""
    fake = [m for m in held if m not in set(real)]
    text = f"real: {months_label(real) or 'none'}"
    return text + (f"; {pv.months_with(fake, pv.SYNTHETIC)}" if fake else "")


def _status_html(report: MonthlyPosition) -> str:
    """The period and headline sentence, then which months are real and which synthetic, measure by measure."""
    text = f"<b>{html.escape(report.period)}</b> · {html.escape(report.narrative())}"
    held = sorted(int(m) for m in report.trends["month"].unique()) if len(report.trends) else []
    if report.synthetic_months:
        lines = [f"Returns: {real_and_synthetic(_real_rows(report), held)}."]
        lines += [f"{k} by workstream: {real_and_synthetic(_real(report, m), held)}." for k, m in MEASURES.items()]
        lines += [f"{n}." for n in report.history_notes]
        lines.append("Synthetic months are hollow grey points in the charts, never used for limits or signals.")
        text += "".join(_note(line) for line in lines)
    return text


def _real_rows(report: MonthlyPosition) -> list[int]:
    return sorted(int(m) for m in report.history_provenance if int(m) not in set(report.synthetic_months))


def _real(report: MonthlyPosition, measure: str) -> list[int]:
    return sorted(report.real_months.get(measure, _real_rows(report)))


def _trend_note(report: MonthlyPosition, measure: str) -> str:
    """What the trends tab can show: the real months of ``measure``, and how many more limits need."""
    held = sorted(int(m) for m in report.trends["month"].unique()) if len(report.trends) else []
    real = _real(report, measure)
    label = next(k for k, v in MEASURES.items() if v == measure)
    text = f"{label}: {real_and_synthetic(real, held)}."
    more = spc.MIN_RULE_POINTS - len(real)
    if more > 0:
        text += (
            f" Process limits and special-cause rules need {spc.MIN_RULE_POINTS} real months: "
            f"{more} more {'is' if more == 1 else 'are'} needed, so this is the run chart only."
        )
    return _note(text)


@dataclass(frozen=True)
class _State:
    """The control values the views depend on (the memo's keys)."""

    fin_year: str | None
    month: int | None
    org: str
    as_received: bool
    workstream: str
    rag: str
    min_variance: float
    measure: str

    @property
    def period(self) -> tuple:
        return (self.fin_year, self.month, self.org, self.as_received)

    @property
    def filters(self) -> tuple:
        return (*self.period, self.workstream, self.rag, self.min_variance)

    @property
    def ws(self) -> str | None:
        return None if self.workstream == ALL else self.workstream


@dataclass
class _Table:
    table: pd.DataFrame
    html: str
    options: list[tuple[str, tuple[str, str]]]


@dataclass
class _Trend:
    panels: dict[str, spc.Trend]
    title: str
    ncols: int
    note: str


def _rounding_last(table: pd.DataFrame, rounding: set[tuple[str, str]]) -> pd.DataFrame:
    """The rounding lines moved from among the schemes to just above the Total, numbered ``adj.``."""
    if not rounding or table.empty:
        return table
    keys = list(zip(table["scheme_no"], table["scheme_name"], strict=True))
    is_rounding = pd.Series([k in rounding for k in keys], index=table.index)
    is_total = table["scheme_name"] == t.TOTAL
    out = pd.concat([table[~is_rounding & ~is_total], table[is_rounding], table[is_total]], ignore_index=True)
    out.loc[out.index[-1 - int(is_rounding.sum()) : -1], "scheme_no"] = ROUNDING_NO
    return out


def _rounding_keys(report: MonthlyPosition) -> set[tuple[str, str]]:
    """(scheme no., name) of the lines that are only control-total rounding adjustments."""
    rows = report.rows
    if "is_adjustment" not in rows:
        return set()
    rounding = rows["is_adjustment"].astype(bool) & rows["provenance"].str.startswith(f"adjustment ({ROUNDING})")
    keys = set(zip(rows.loc[rounding, "scheme_no"], rows.loc[rounding, "scheme_name"], strict=True))
    other = set(zip(rows.loc[~rounding, "scheme_no"], rows.loc[~rounding, "scheme_name"], strict=True))
    return keys - other


def _options(table: pd.DataFrame) -> list[tuple[str, tuple[str, str]]]:
    """The schemes to drill into: every line of the table but the Total and the rounding lines."""
    body = table[(table["scheme_name"] != t.TOTAL) & (table["scheme_no"] != ROUNDING_NO)] if len(table) else table
    return [
        (f"{r.scheme_no} {r.scheme_name} ({r.workstream}, {r.rag})", (r.scheme_no, r.scheme_name))
        for r in body.itertuples(index=False)
    ]


class VarianceExplorer:
    """Controls (year, month, organisation, workstream, RAG, minimum variance, scheme) and their views.

    ``summary``: Tables 1 and 2 by workstream; ``table``: the schemes that pass the filters (with a
    Total); ``history``: the chosen scheme month by month; ``trend``: panel title -> :class:`spc.Trend`
    of the chart on the Trends tab. ``widget`` is what the notebook displays. With ``adjustments``
    (:func:`store.load_adjustments`) the figures include the control-total adjustments, as the pack's
    do; the ``as_received`` checkbox switches to the returns exactly as received. ``warm=False``
    turns the background warm-up off (every view is then computed when first asked for).
    """

    def __init__(
        self,
        returns: pd.DataFrame,
        warnings: pd.DataFrame | None = None,
        *,
        fin_year: str | None = None,
        month: int | None = None,
        org: str = "LLR",
        adjustments: pd.DataFrame | None = None,
        commentary: pd.DataFrame | None = None,
        as_received: bool = False,
        warm: bool = True,
    ) -> None:
        self.returns = returns
        self.warnings = warnings if warnings is not None else empty_warnings()
        self.adjustments = adjustments
        self.commentary = commentary
        self.as_received = w.Checkbox(
            value=bool(as_received),
            description="As received (without the control-total adjustments)",
            style=_WIDE,
            layout=w.Layout(width="auto"),
        )
        self.report: MonthlyPosition | None = None
        self.summary = pd.DataFrame()
        self.table = pd.DataFrame()
        self.history = pd.DataFrame()
        self.trend: dict[str, spc.Trend] = {}
        self.changes = pd.DataFrame()
        self.realism = pd.DataFrame()
        self.icons: dict[str, tuple[str, str]] = {}
        self.memo = Memo()
        self.warmer = Warmer() if warm else None
        hold_matplotlib_while_cells_run()
        self._syncing = False
        self._make_period_controls(fin_year, org)
        self._make_filter_controls()
        self._make_views()
        self._sync_months(month)
        self.widget = self._layout()
        self._observe_controls()
        self.refresh()

    def _repr_mimebundle_(self, **kwargs: object) -> dict | None:
        return self.widget._repr_mimebundle_(**kwargs)

    # --- building the widget ---------------------------------------------------------------------

    def _make_period_controls(self, fin_year: str | None, org: str) -> None:
        """Financial year (the latest held unless asked), organisation, month (filled by :meth:`_sync_months`)."""
        years = sorted(self.returns["fin_year"].unique()) if len(self.returns) else []
        start = fin_year if fin_year in years else (years[-1] if years else None)
        self.fin_year = w.Dropdown(options=years, value=start, description="Financial year", style=_WIDE)
        codes = [*organisations().groups, *organisations().ccgs]
        self.org = w.Dropdown(
            options=codes, value=org if org in codes else codes[0], description="Organisation", style=_WIDE
        )
        self.month = w.Dropdown(description="Month", style=_WIDE)

    def _make_filter_controls(self) -> None:
        """Workstream, RAG and minimum |variance| filters; the scheme to drill into; the trend measure."""
        self.workstream = w.Dropdown(options=[ALL, *WORKSTREAMS], value=ALL, description="Workstream", style=_WIDE)
        self.rag = w.Dropdown(options=[ALL, *RAGS], value=ALL, description="RAG", style=_WIDE)
        self.min_variance = w.BoundedFloatText(
            value=0.0,
            min=0.0,
            max=1e7,
            step=50.0,
            description="Min |variance| £000",
            style=_WIDE,
            layout=w.Layout(width="220px"),
        )
        self.scheme = w.Dropdown(description="Scheme", style=_WIDE, layout=w.Layout(width="560px"))
        self.measure = w.ToggleButtons(
            options=list(MEASURES), value="Forecast out-turn", description="All workstreams:", style=_WIDE
        )

    def _make_views(self) -> None:
        """The status line, the three tables (HTML), the two charts (PNG images) and the trends note."""
        self.status = w.HTML()
        self.summary_html = w.HTML()
        self.table_html = w.HTML()
        self.history_html = w.HTML()
        self.trend_note = w.HTML()
        self.changes_html = w.HTML()
        self.realism_html = w.HTML()
        self.icons_html = w.HTML()
        self.history_image = w.Image(format="png", layout=w.Layout(max_width="100%", align_self="flex-start"))
        self.trend_image = w.Image(format="png", layout=w.Layout(max_width="100%", align_self="flex-start"))

    def _layout(self) -> w.VBox:
        """Controls, the status line, then five tabs: variances, drill-down, trends, what changed, realism."""
        self.tabs = w.Tab(
            children=[
                w.VBox([self.summary_html, self.table_html]),
                w.VBox([self.scheme, self.history_image, self.history_html]),
                w.VBox([self.measure, self.trend_note, self.trend_image, self.icons_html]),
                self.changes_html,
                w.VBox([self.realism_html]),
            ]
        )
        self.tabs.titles = TABS
        return w.VBox(
            [
                w.HBox([self.fin_year, self.month, self.org]),
                w.HBox([self.workstream, self.rag, self.min_variance]),
                self.as_received,
                self.status,
                self.tabs,
            ]
        )

    def _observe_controls(self) -> None:
        """Each control redraws only the views that depend on it; a chart is drawn when its tab is shown."""
        self.fin_year.observe(self._on_period, "value")
        self.org.observe(self._on_period, "value")
        self.month.observe(self._on_month, "value")
        self.as_received.observe(self._on_month, "value")
        for control in (self.workstream, self.rag, self.min_variance):
            control.observe(self._on_filter, "value")
        self.scheme.observe(self._on_scheme, "value")
        self.measure.observe(self._on_measure, "value")
        self.tabs.observe(self._on_tab, "selected_index")

    # --- control plumbing ------------------------------------------------------------------------

    def _held(self, fin_year: str | None, org: str) -> list[int]:
        """The months of ``fin_year`` held for every member of ``org``."""
        periods = self.memo.get(("periods", org), lambda: t.available_periods(self.returns, org))
        return [m for fy, m in periods if fy == fin_year]

    def _sync_months(self, wanted: int | None = None) -> None:
        """Month options = months held for the year and organisation; keep the month if still held."""
        held = self._held(self.fin_year.value, self.org.value)
        keep = wanted if wanted in held else (self.month.value if self.month.value in held else None)
        self._syncing = True
        try:
            self.month.options = [(f"M{m} ({MONTH_NAMES[m - 1][:3]})", m) for m in held]
            self.month.value = keep if keep is not None else (held[-1] if held else None)
        finally:
            self._syncing = False

    def _on_period(self, _: object) -> None:
        if not self._syncing:
            self._sync_months()
            self.refresh()

    def _on_month(self, _: object) -> None:
        if not self._syncing:
            self.refresh()

    def _on_filter(self, change: dict) -> None:
        if self._syncing:
            return
        self._update_table()
        if change["owner"] is self.workstream:
            self._update_trend()
        self._warm()

    def _on_scheme(self, _: object) -> None:
        if not self._syncing:
            self._update_history()
            self._warm()

    def _on_measure(self, _: object) -> None:
        self._update_trend()
        self._warm()

    def _on_tab(self, _: object) -> None:
        self._draw_charts()
        self._warm()

    @property
    def _workstream(self) -> str | None:
        return None if self.workstream.value == ALL else self.workstream.value

    def state(self) -> _State:
        """The control values now."""
        return _State(
            self.fin_year.value,
            None if self.month.value is None else int(self.month.value),
            self.org.value,
            bool(self.as_received.value),
            self.workstream.value,
            self.rag.value,
            float(self.min_variance.value),
            self.measure.value,
        )

    # --- what the views show, computed once per state (also by the warm-up thread) ----------------

    def _report_for(self, s: _State) -> MonthlyPosition | str:
        """The monthly position of the state's period, or why there is none."""

        def make() -> MonthlyPosition | str:
            if s.fin_year is None or s.month is None:
                return (
                    f"No complete month of returns is held for {s.org} in {s.fin_year or 'any year'}: "
                    "run `qipp ingest-raw` first."
                )
            try:
                return monthly_position(
                    self.returns,
                    self.warnings,
                    fin_year=s.fin_year,
                    month=s.month,
                    org=s.org,
                    adjustments=self.adjustments,
                    commentary=self.commentary,
                    as_received=s.as_received,
                )
            except LookupError as exc:
                return str(exc)

        return self.memo.get(("report", *s.period), make)

    def _variances_for(self, s: _State) -> tuple[str, pd.DataFrame, str]:
        """(status line, Tables 1 and 2 by workstream, their HTML) of the state's period."""

        def make() -> tuple[str, pd.DataFrame, str]:
            r = self._report_for(s)
            if isinstance(r, str):
                return _note(r), pd.DataFrame(), ""
            summary = t.workstream_variances(r.ytd, r.fot)
            return _status_html(r), summary, _summary_html(summary)

        return self.memo.get(("variances", *s.period), make)

    def _table_for(self, s: _State) -> _Table:
        """The schemes passing the filters (rounding lines last, above the Total), their HTML and the options."""

        def make() -> _Table:
            r = self._report_for(s)
            if isinstance(r, str):
                return _Table(pd.DataFrame(), "", [])
            rag = None if s.rag == ALL else s.rag
            table = t.filter_schemes(r.schemes, workstream=s.ws, rag=rag, min_variance=s.min_variance)
            table = _rounding_last(table, _rounding_keys(r))
            return _Table(table, _schemes_html(table), _options(table))

        return self.memo.get(("table", *s.filters), make)

    def _rows_for(self, as_received: bool) -> pd.DataFrame:
        adjusted = self.adjustments is not None and len(self.adjustments) and not as_received
        if not adjusted:
            return self.returns
        return self.memo.get(("rows", True), lambda: apply_adjustments(self.returns, self.adjustments))

    def _history_for(self, s: _State, scheme: tuple[str, str]) -> tuple[pd.DataFrame, str]:
        """(the scheme month by month up to the state's month, its HTML)."""

        def make() -> tuple[pd.DataFrame, str]:
            fin_year = s.fin_year
            assert fin_year is not None  # a scheme is chosen only in a held month
            by_month = self.memo.get(
                ("by_month", fin_year, s.org, s.as_received),
                lambda: t.schemes_by_month(self._rows_for(s.as_received), fin_year, s.org),
            )
            history = t.history_from_tables({m: v for m, v in by_month.items() if m <= s.month}, *scheme)
            no, name = scheme
            return history, _history_html(history, caption=f"{no} {name}: {s.org} by month (£000)")

        return self.memo.get(("history", *s.period, scheme), make)

    def _position_for(self, s: _State) -> MonthlyPosition:
        """The state's monthly position: asked for only when it has one (else the tabs say why there is none)."""
        r = self._report_for(s)
        assert not isinstance(r, str), r
        return r

    def _history_png(self, s: _State, scheme: tuple[str, str]) -> bytes:
        def make() -> bytes:
            r = self._position_for(s)
            history = self._history_for(s, scheme)[0]
            no, name = scheme
            title = f"{no} {name} ({s.org})"
            return _draw(
                lambda: position_charts.scheme_history(history, title=title, synthetic_months=r.synthetic_months)
            )

        return self.memo.get(("history_png", *s.period, scheme), make)

    def _trend_for(self, s: _State) -> _Trend:
        """The XmR (or, with too few real months, run) charts of the Trends tab."""

        def make() -> _Trend:
            r = self._position_for(s)
            if s.ws is None:
                measure = MEASURES[s.measure]
                panels = r.trend_panels(measure)
                what, ncols = f"{s.measure} by workstream, {r.org}", 4
                note = _trend_note(r, measure)
            else:
                panels = {
                    label: trend_panels(r.trends, col, (s.ws,), real=r.real_months.get(col))[s.ws]
                    for label, col in MEASURES.items()
                }
                what, ncols = f"{s.ws}, {r.org}", 2
                note = "".join(_trend_note(r, col) for col in MEASURES.values())
            kind = "XmR charts" if any(p.ruled for p in panels.values()) else "run charts"
            return _Trend(panels, f"{what}: {kind} (savings £000)", ncols, note)

        key = ("trend", *s.period, s.workstream, s.measure if s.ws is None else "")
        return self.memo.get(key, make)

    def _trend_png(self, s: _State) -> bytes:
        def make() -> bytes:
            tr = self._trend_for(s)
            size = (2.6, 1.9) if tr.ncols == 4 else (5, 2.6)
            targets = self._targets_for(s)
            report = self._report_for(s)
            assert not isinstance(report, str)
            fake = report.synthetic_months
            return _draw(
                lambda: position_charts.xmr_chart(
                    tr.panels, title=tr.title, ncols=tr.ncols, panel_size=size, targets=targets, month_synthetic=fake
                )
            )

        return self.memo.get(("trend_png", *s.period, s.workstream, s.measure if s.ws is None else ""), make)

    # --- the views -------------------------------------------------------------------------------

    def refresh(self) -> None:
        """Show the chosen year, month and organisation: status line, tables, then the shown chart."""
        s = self.state()
        report = self._report_for(s)
        self.report = None if isinstance(report, str) else report
        self.status.value, self.summary, self.summary_html.value = self._variances_for(s)
        self._update_table(warm=False)
        self._update_trend(warm=False)
        self._update_changes()
        self._warm()

    def _update_table(self, *, warm: bool = False) -> None:
        """The schemes that pass the workstream, RAG and minimum-variance filters; scheme options follow."""
        tab = self._table_for(self.state())
        self.table, self.table_html.value = tab.table, tab.html
        current = self.scheme.value
        values = [v for _, v in tab.options]
        self._syncing = True
        try:
            self.scheme.options = tab.options
            self.scheme.value = current if current in values else (values[0] if values else None)
        finally:
            self._syncing = False
        self._update_history()
        self._update_realism()

    def _update_history(self) -> None:
        """The chosen scheme month by month (plan YTD, actual YTD, FOT, RAG changes): table, and chart if shown."""
        if self.report is None or self.scheme.value is None:
            self.history = pd.DataFrame()
            self.history_html.value = _note("Choose a scheme (the filters above decide which are listed).")
            self.history_image.value = b""
            return
        self.history, self.history_html.value = self._history_for(self.state(), self.scheme.value)
        self._draw_charts()

    def _update_trend(self, *, warm: bool = False) -> None:
        """XmR charts: the chosen workstream's delivery and FOT, or every workstream's chosen measure."""
        # the measure toggle applies to the all-workstreams view only: hidden while one workstream is shown
        self.measure.layout.display = "none" if self._workstream is not None else ""
        if self.report is None:
            self.trend, self.trend_note.value = {}, ""
            self.trend_image.value = b""
            self.icons, self.icons_html.value = {}, ""
            return
        tr = self._trend_for(self.state())
        self.trend, self.trend_note.value = tr.panels, tr.note
        self._draw_charts()
        self._update_icons()

    def _targets_for(self, s: _State) -> dict[str, float]:
        """The target of each trend panel: a workstream's annual plan for its forecast out-turn."""
        r = self._report_for(s)
        if isinstance(r, str):
            return {}
        plans = r.trend_targets("fot")
        if s.ws is None:
            return plans if MEASURES[s.measure] == "fot" else {}
        return {label: plans[s.ws] for label, col in MEASURES.items() if col == "fot" and s.ws in plans}

    def _update_icons(self) -> None:
        """Each panel's variation and assurance icons in words (none until the real months are enough)."""
        targets = self._targets_for(self.state())
        self.icons = {
            name: (tr.variation("increase"), tr.assurance(targets.get(name), "increase"))
            for name, tr in self.trend.items()
        }
        ruled = {n: v for n, v in self.icons.items() if v[0]}
        if not self.trend:
            self.icons_html.value = ""
        elif not ruled:
            need = {n: tr.needed for n, tr in self.trend.items()}
            more = (
                f"{next(iter(need.values()))} more"
                if len(set(need.values())) == 1
                else "; ".join(f"{n}: {k} more" for n, k in need.items())
            )
            self.icons_html.value = _note(
                f"No variation or assurance icons: the rules need {spc.MIN_RULE_POINTS} real months ({more})."
            )
        else:
            items = "".join(
                f"<li>{html.escape(n)}: {html.escape(v)}{html.escape(f'; target {a}') if a else ''}</li>"
                for n, (v, a) in ruled.items()
            )
            self.icons_html.value = f"<p>Latest point (Making Data Count icons):</p><ul>{items}</ul>"

    def _update_realism(self) -> None:
        """Forecast realism of the schemes that pass the filters (the report's default thresholds)."""
        self.realism, self.realism_html.value = self._realism_for(self.state())

    def _realism_for(self, s: _State) -> tuple[pd.DataFrame, str]:
        def make() -> tuple[pd.DataFrame, str]:
            r = self._report_for(s)
            table = self._table_for(s).table
            if isinstance(r, str) or table.empty:
                return pd.DataFrame(), ""
            body = table[table["scheme_name"] != t.TOTAL]
            if body.empty:
                return pd.DataFrame(), _note("No scheme passes these filters.")
            keys = set(zip(body["scheme_no"], body["scheme_name"], strict=True))
            # a rounding line is shown numbered "adj.": its own rows count too, as in the report's totals
            shown = set(body.loc[body["scheme_no"] == ROUNDING_NO, "scheme_name"])
            keys |= {k for k in _rounding_keys(r) if k[1] in shown}
            rows = r.rows[[k in keys for k in zip(r.rows["scheme_no"], r.rows["scheme_name"], strict=True)]]
            fr = realism_page.realism_of(rows, fin_year=r.fin_year, month=r.month, org=r.org)
            html_ = _note(realism_page.filtered_sentence(fr)) + realism_page.schemes_table(fr).to_html()
            return fr.levels["scheme"], html_

        return self.memo.get(("realism", *s.filters), make)

    def _update_changes(self) -> None:
        """What changed since last month for the chosen month and organisation: the pack's section, as is."""
        self.changes, self.changes_html.value = self._changes_for(self.state())

    def _changes_for(self, s: _State) -> tuple[pd.DataFrame, str]:
        def make() -> tuple[pd.DataFrame, str]:
            r = self._report_for(s)
            c = None if isinstance(r, str) else r.changes
            if c is None:
                return pd.DataFrame(), ""
            parts = [f"<p>{text}</p>" for text in since.block(c).split("\n\n")]
            for shown in (since.table(c), since.matrix(c)):
                if hasattr(shown, "to_html"):
                    parts.append(shown.to_html())
            return (c.table if c.compared else pd.DataFrame()), "".join(parts)

        return self.memo.get(("changes", *s.period), make)

    def _draw_charts(self) -> None:
        """Draw the chart of the tab shown (from the memo when it was drawn before); the other waits."""
        if self.report is None:
            return
        s = self.state()
        if self.tabs.selected_index == DRILL_DOWN and self.scheme.value is not None:
            self.history_image.value = self._history_png(s, self.scheme.value)
        elif self.tabs.selected_index == TRENDS:
            self.trend_image.value = self._trend_png(s)

    # --- the warm-up -----------------------------------------------------------------------------

    def _warm(self) -> None:
        """Ask the warm-up thread for what an analyst is likely to ask next, most likely first: this state's
        other chart, then the other organisations, months, workstreams, RAGs, measure and the as-received switch."""
        if self.warmer is None or self.report is None:
            return
        s, scheme, tab = self.state(), self.scheme.value, self.tabs.selected_index
        todo: list[Callable[[], object]] = [lambda: self._trend_png(s)]
        if scheme is not None:
            todo.append(lambda: self._history_png(s, scheme))
        near = sorted((m for m in self._held(s.fin_year, s.org) if m != s.month), key=lambda m: abs(m - (s.month or 0)))
        states = [replace(s, org=o) for o in self.org.options if o != s.org]
        states += [replace(s, month=m) for m in near]
        states += [replace(s, workstream=x) for x in self.workstream.options if x != s.workstream]
        states += [replace(s, rag=x) for x in self.rag.options if x != s.rag]
        states += [replace(s, measure=x) for x in MEASURES if x != s.measure and s.ws is None]
        states.append(replace(s, as_received=not s.as_received))
        todo += [functools.partial(self._prepare, x, scheme, tab) for x in states]
        todo += [functools.partial(self._prepare, x, scheme, tab, text=True) for x in [s, *states]]
        self.warmer.want(todo)

    def _prepare(
        self, s: _State, scheme: tuple[str, str] | None, tab: int | None = TRENDS, *, text: bool = False
    ) -> None:
        """Compute what the explorer would show in state ``s`` with tab ``tab`` shown (the scheme kept if
        listed, as it would be); the charts of the other tabs are left until they are shown. ``text``: the
        what-changed and realism tabs instead (prepared after every state's tables and chart)."""
        held = self._held(s.fin_year, s.org)
        if s.month not in held:
            s = replace(s, month=held[-1] if held else None)
        if isinstance(self._report_for(s), str):
            return
        if text:
            self._changes_for(s)
            self._realism_for(s)
            return
        self._variances_for(s)
        self._trend_for(s)
        options = [v for _, v in self._table_for(s).options]
        chosen = scheme if scheme in options else (options[0] if options else None)
        if chosen is not None:
            self._history_for(s, chosen)
        if tab == TRENDS:
            self._trend_png(s)
        elif tab == DRILL_DOWN and chosen is not None:
            self._history_png(s, chosen)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the warm-up has nothing left to do (True), or ``timeout`` seconds pass (False)."""
        return True if self.warmer is None else self.warmer.wait(timeout)
