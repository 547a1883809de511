"""The variance explorer: ipywidgets over the monthly position report, for analysts in JupyterLab.

Never part of the circulated pack (widgets render as nothing in HTML/PDF). Every figure comes
from :func:`reports.monthly_position` and the pure functions of :mod:`tables` and :mod:`spc`, the
same ones the pack uses, so the explorer never disagrees with it. Tables are ``HTML`` widgets and
charts ``Image`` widgets (PNG), replaced in place when a control changes; no cell is re-run.

Tests drive it as a person would: set a control's ``.value``, then read :attr:`VarianceExplorer.table`,
``.summary``, ``.history`` and ``.trend`` (the chart data) back.
"""

from __future__ import annotations

import html
import io

import ipywidgets as w
import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from ..analysis import position as t
from ..analysis import spc
from ..analysis.adjustments import apply_adjustments
from ..core.orgs import organisations
from ..core.periods import MONTH_NAMES
from ..core.vocab import RAGS, WORKSTREAMS
from ..store.db import empty_warnings
from . import changes as since
from . import charts
from . import realism as realism_page
from .fmt import money_table, rag_cell_styles
from .objects import MonthlyPosition, monthly_position, trend_panels
from .style import RAG_COLOURS

ALL = "All"
#: The trend measures: label -> column of :func:`tables.workstream_monthly`.
MEASURES = {"Forecast out-turn": "fot", "In-month delivery": "delivered"}
_WIDE = {"description_width": "initial"}


def _png(fig: Figure) -> bytes:
    """The figure as PNG bytes; the figure is closed so ``%matplotlib inline`` never shows it again."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()


def _note(text: str) -> str:
    return f"<p style='margin:4px 0;color:#425563'><i>{html.escape(text)}</i></p>"


#: Column labels of the three tables: by workstream, schemes, one scheme by month.
SUMMARY_LABELS = {
    "workstream": "Workstream",
    "plan_ytd": "YTD plan",
    "actual_ytd": "YTD actual",
    "ytd_variance": "YTD variance",
    "annual_plan": "Annual plan",
    "fot": "FOT",
    "variance": "Variance (FOT − plan)",
    "monthly_movement": "Movement since last month",
}
SCHEME_LABELS = {
    "scheme_no": "No.",
    "scheme_name": "Scheme",
    "workstream": "Workstream",
    "rag": "RAG",
    "plan_ytd": "YTD plan",
    "actual_ytd": "YTD actual",
    "annual_plan": "Annual plan",
    "fot": "FOT",
    "variance": "Variance (FOT − plan)",
    "monthly_movement": "Movement since last month",
}
HISTORY_LABELS = {
    "month": "Month",
    "rag": "RAG",
    "plan_ytd": "YTD plan",
    "actual_ytd": "YTD actual",
    "annual_plan": "Annual plan",
    "fot": "FOT",
    "assured": "Assured",
    "variance": "Variance",
    "rag_change": "RAG change",
}


def _summary_html(summary: pd.DataFrame) -> str:
    """Tables 1 and 2 by workstream, as HTML ("" when there is no report)."""
    if summary.empty:
        return ""
    styler = money_table(
        summary,
        money=[c for c in SUMMARY_LABELS if c != "workstream"],
        labels=SUMMARY_LABELS,
        caption="By workstream: Tables 1 and 2 of the pack (£000; variance and movement: + = adverse)",
    )
    return styler.to_html()


def _schemes_html(table: pd.DataFrame) -> str:
    """The filtered schemes with their Total, RAG cells coloured; a note when no scheme passes."""
    body = table[table["scheme_name"] != t.TOTAL]
    if body.empty:
        return _note("No scheme passes these filters.")
    cols = list(SCHEME_LABELS)
    styler = money_table(
        table[cols],
        money=cols[4:],
        labels=SCHEME_LABELS,
        caption=f"Schemes: {len(body)} shown, largest shortfall first (£000; + = adverse)",
    )
    return rag_cell_styles(styler, ["RAG"], RAG_COLOURS).to_html()


def _history_html(history: pd.DataFrame, *, caption: str) -> str:
    """One scheme month by month (M1, M2, ...), RAG cells coloured."""
    shown = history.assign(month=[f"M{m}" for m in history["month"]])
    styler = money_table(
        shown,
        money=["plan_ytd", "actual_ytd", "annual_plan", "fot", "assured", "variance"],
        labels=HISTORY_LABELS,
        caption=caption,
    )
    return rag_cell_styles(styler, ["RAG"], RAG_COLOURS).to_html()


def _status_html(report: MonthlyPosition) -> str:
    """The period and headline sentence, and which months are synthetic."""
    text = f"<b>{html.escape(report.period)}</b> · {html.escape(report.narrative())}"
    months = report.synthetic_months
    if months:
        text += _note(
            f"{_month_list(months)} {'is' if len(months) == 1 else 'are'} synthetic demonstration data, "
            "not real returns: hollow grey points in the charts, never used for limits or signals."
        )
    return text


def _month_list(months: list[int]) -> str:
    """[6] -> 'Month M6'; [1, 2, 3, 5] -> 'Months M1–M3 and M5'."""
    runs: list[list[int]] = []
    for m in sorted(months):
        if runs and m == runs[-1][-1] + 1:
            runs[-1].append(m)
        else:
            runs.append([m])
    parts = [f"M{r[0]}" if len(r) == 1 else f"M{r[0]}–M{r[-1]}" for r in runs]
    text = parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]
    return ("Month " if len(months) == 1 else "Months ") + text


class VarianceExplorer:
    """Controls (year, month, organisation, workstream, RAG, minimum variance, scheme) and their views.

    ``summary``: Tables 1 and 2 by workstream; ``table``: the schemes that pass the filters (with a
    Total); ``history``: the chosen scheme month by month; ``trend``: panel title -> :class:`spc.Trend`
    of the chart on the Trends tab. ``widget`` is what the notebook displays. With ``adjustments``
    (:func:`store.load_adjustments`) the figures include the control-total adjustments, as the pack's
    do; the ``as_received`` checkbox switches to the returns exactly as received.
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
        """The status line, the three tables (HTML) and the two charts (PNG images)."""
        self.status = w.HTML()
        self.summary_html = w.HTML()
        self.table_html = w.HTML()
        self.history_html = w.HTML()
        self.history_image = w.Image(format="png", layout=w.Layout(max_width="100%", align_self="flex-start"))
        self.trend_image = w.Image(format="png", layout=w.Layout(max_width="100%", align_self="flex-start"))
        self.changes_html = w.HTML()
        self.realism_html = w.HTML()
        self.icons_html = w.HTML()

    def _layout(self) -> w.VBox:
        """Controls, the status line, then five tabs: variances, drill-down, trends, what changed, realism."""
        self.tabs = w.Tab(
            children=[
                w.VBox([self.summary_html, self.table_html]),
                w.VBox([self.scheme, self.history_image, self.history_html]),
                w.VBox([self.measure, self.trend_image, self.icons_html]),
                self.changes_html,
                w.VBox([self.realism_html]),
            ]
        )
        self.tabs.titles = ("Variances", "Scheme drill-down", "Trends (SPC)", "What changed", "Forecast realism")
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
        """Each control redraws only the views that depend on it."""
        self.fin_year.observe(self._on_period, "value")
        self.org.observe(self._on_period, "value")
        self.month.observe(self._on_month, "value")
        self.as_received.observe(self._on_month, "value")
        for control in (self.workstream, self.rag, self.min_variance):
            control.observe(self._on_filter, "value")
        self.scheme.observe(self._on_scheme, "value")
        self.measure.observe(lambda _: self._update_trend(), "value")

    # --- control plumbing ------------------------------------------------------------------------

    def _sync_months(self, wanted: int | None = None) -> None:
        """Month options = months held for the year and organisation; keep the month if still held."""
        held = [m for fy, m in t.available_periods(self.returns, self.org.value) if fy == self.fin_year.value]
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

    def _on_scheme(self, _: object) -> None:
        if not self._syncing:
            self._update_history()

    # --- views -----------------------------------------------------------------------------------

    @property
    def _workstream(self) -> str | None:
        return None if self.workstream.value == ALL else self.workstream.value

    def refresh(self) -> None:
        """Recompute the report for the chosen year, month and organisation, then every view."""
        self.report = self._load_report()
        if self.report is not None:
            self.status.value = _status_html(self.report)
            self.summary = t.workstream_variances(self.report.ytd, self.report.fot)
        else:
            self.summary = pd.DataFrame()
        self.summary_html.value = _summary_html(self.summary)
        self._update_table()
        self._update_trend()
        self._update_changes()

    def _load_report(self) -> MonthlyPosition | None:
        """The monthly position of the chosen period, or None with the reason on the status line."""
        if self.fin_year.value is None or self.month.value is None:
            self.status.value = _note(
                f"No complete month of returns is held for {self.org.value} "
                f"in {self.fin_year.value or 'any year'}: run `qipp ingest-raw` first."
            )
            return None
        try:
            return monthly_position(
                self.returns,
                self.warnings,
                fin_year=self.fin_year.value,
                month=int(self.month.value),
                org=self.org.value,
                adjustments=self.adjustments,
                commentary=self.commentary,
                as_received=self.as_received.value,
            )
        except LookupError as exc:
            self.status.value = _note(str(exc))
            return None

    def _update_table(self) -> None:
        """The schemes that pass the workstream, RAG and minimum-variance filters; scheme options follow."""
        if self.report is None:
            self.table = pd.DataFrame()
            self.table_html.value = ""
        else:
            self.table = t.filter_schemes(
                self.report.schemes,
                workstream=self._workstream,
                rag=None if self.rag.value == ALL else self.rag.value,
                min_variance=self.min_variance.value,
            )
            self.table_html.value = _schemes_html(self.table)
        self._sync_schemes()
        self._update_history()
        self._update_realism()

    def _sync_schemes(self) -> None:
        body = self.table[self.table["scheme_name"] != t.TOTAL] if len(self.table) else self.table
        options = [
            (f"{r.scheme_no} {r.scheme_name} ({r.workstream}, {r.rag})", (r.scheme_no, r.scheme_name))
            for r in body.itertuples(index=False)
        ]
        current = self.scheme.value
        self._syncing = True
        try:
            self.scheme.options = options
            values = [v for _, v in options]
            self.scheme.value = current if current in values else (values[0] if values else None)
        finally:
            self._syncing = False

    def _update_history(self) -> None:
        """The chosen scheme month by month (plan YTD, actual YTD, FOT, RAG changes), table and chart."""
        if self.report is None or self.scheme.value is None:
            self.history = pd.DataFrame()
            self.history_html.value = _note("Choose a scheme (the filters above decide which are listed).")
            self.history_image.value = b""
            return
        r = self.report
        no, name = self.scheme.value
        adjusted = self.adjustments is not None and len(self.adjustments) and not self.as_received.value
        rows = apply_adjustments(self.returns, self.adjustments) if adjusted else self.returns
        self.history = t.scheme_history(rows, r.fin_year, r.org, no, name, upto=r.month)
        self.history_html.value = _history_html(self.history, caption=f"{no} {name}: {r.org} by month (£000)")
        self.history_image.value = _png(
            charts.scheme_history(self.history, title=f"{no} {name} ({r.org})", synthetic_months=r.synthetic_months)
        )

    def _update_trend(self) -> None:
        """XmR charts: the chosen workstream's delivery and FOT, or every workstream's chosen measure."""
        if self.report is None:
            self.trend = {}
            self.trend_image.value = b""
            return
        r = self.report
        ws = self._workstream
        if ws is None:
            measure = MEASURES[self.measure.value]
            self.trend = r.trend_panels(measure)
            title = f"{self.measure.value} by workstream, {r.org}: XmR charts (savings £000)"
            ncols = 4
        else:
            self.trend = {
                label: trend_panels(r.trends, col, (ws,), real=r.real_months.get(col))[ws]
                for label, col in MEASURES.items()
            }
            title = f"{ws}, {r.org}: XmR charts (savings £000)"
            ncols = 2
        # the measure toggle applies to the all-workstreams view only: hidden while one workstream is shown
        self.measure.layout.display = "none" if ws is not None else ""
        self.trend_image.value = _png(
            charts.xmr_chart(
                self.trend,
                title=title,
                ncols=ncols,
                panel_size=(2.6, 1.9) if ncols == 4 else (5, 2.6),
                targets=self._targets(),
            )
        )
        self._update_icons()

    def _targets(self) -> dict[str, float]:
        """The target of each trend panel: a workstream's annual plan for its forecast out-turn."""
        r = self.report
        if r is None:
            return {}
        plans = r.trend_targets("fot")
        if self._workstream is None:
            return plans if MEASURES[self.measure.value] == "fot" else {}
        return {
            label: plans[self._workstream]
            for label, col in MEASURES.items()
            if col == "fot" and self._workstream in plans
        }

    def _update_icons(self) -> None:
        """Each panel's variation and assurance icons in words (none until the real months are enough)."""
        targets = self._targets()
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
        r = self.report
        if r is None or self.table.empty:
            self.realism = pd.DataFrame()
            self.realism_html.value = ""
            return
        body = self.table[self.table["scheme_name"] != t.TOTAL]
        if body.empty:
            self.realism = pd.DataFrame()
            self.realism_html.value = _note("No scheme passes these filters.")
            return
        keys = set(zip(body["scheme_no"], body["scheme_name"], strict=True))
        rows = r.rows[[k in keys for k in zip(r.rows["scheme_no"], r.rows["scheme_name"], strict=True)]]
        fr = realism_page.realism_of(rows, fin_year=r.fin_year, month=r.month, org=r.org)
        self.realism = fr.levels["scheme"]
        sentence = _note(realism_page.filtered_sentence(fr))
        self.realism_html.value = sentence + realism_page.schemes_table(fr).to_html()

    def _update_changes(self) -> None:
        """What changed since last month for the chosen month and organisation: the pack's section, as is."""
        c = self.report.changes if self.report is not None else None
        self.changes = c.table if c is not None and c.compared else pd.DataFrame()
        if c is None:
            self.changes_html.value = ""
            return
        parts = [f"<p>{text}</p>" for text in since.block(c).split("\n\n")]
        for shown in (since.table(c), since.matrix(c)):
            if hasattr(shown, "to_html"):
                parts.append(shown.to_html())
        self.changes_html.value = "".join(parts)
