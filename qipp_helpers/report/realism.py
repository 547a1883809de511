"""The forecast realism page: is the forecast believable at the rate delivered so far?

Built from a :class:`~.position.model.MonthlyPosition` (its rows include the control-total adjustments, as
every table of the report) with :mod:`qipp_helpers.analysis.realism`; the thresholds are the
notebook's typed parameters. This module holds the page's object, sentences, tables, chart and
workbook sheet, so the shared report modules only gain a call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from pandas.io.formats.style import Styler

from ..analysis import programme as prog
from ..analysis import provenance as pv
from ..analysis import realism as rl
from ..analysis.position import TOTAL
from ..core.money import fmt_k, fmt_m
from ..core.orgs import members
from ..core.periods import period_label
from ..core.text import plain_html
from ..reference import planning_stage_map, programme_area_map
from . import chartkit
from .publish import Book, Table
from .style import TEXT
from .tables import Col, Filled, TableSpec, money, text


class Position(Protocol):
    """What the page needs of a monthly position report (:class:`~.position.model.MonthlyPosition`, which holds this
    page and so is not imported here): its rows, adjustments included, and its period and organisation."""

    @property
    def rows(self) -> pd.DataFrame: ...
    @property
    def fin_year(self) -> str: ...
    @property
    def month(self) -> int: ...
    @property
    def org(self) -> str: ...


#: The sheet of the monthly position workbook that holds every level's lines.
SHEET = "Forecast realism"
LEVEL_NAMES = {
    "organisation": "Organisation",
    "programme_area": "Programme area",
    "workstream": "Workstream",
    "scheme": "Scheme",
}
REASON_WORDS = {
    "multiple": "over {m:g}× run rate",
    "nothing delivered": "none delivered yet",
    "over assured": "FOT over assured by >{a:.0%}",
}


@dataclass
class ForecastRealism:
    """One organisation's forecast realism for one month, at every level (see :data:`LEVEL_NAMES`)."""

    fin_year: str
    month: int
    org: str
    multiple_threshold: float
    assured_threshold: float
    basis: str
    levels: dict[str, pd.DataFrame] = field(default_factory=dict)
    synthetic: bool = False  # some of the rows are synthetic (demonstration) returns

    @property
    def period(self) -> str:
        return period_label(self.fin_year, self.month)

    @property
    def whole(self) -> pd.Series:
        """The organisation's own line (LLR: the three CCGs together)."""
        t = self.levels["organisation"]
        return t[t["label"] == self.org].iloc[0]

    def flagged(self, level: str) -> pd.DataFrame:
        """The flagged lines of a level, largest money still needed first (adjustment lines are never judged)."""
        return rl.flagged(self.levels[level])

    def reasons(self, codes: str) -> str:
        """A line's reason codes in words."""
        words = {k: v.format(m=self.multiple_threshold, a=self.assured_threshold) for k, v in REASON_WORDS.items()}
        return "; ".join(words[c] for c in codes.split("; ") if c)


def forecast_realism(
    report: Position,
    *,
    multiple_threshold: float = rl.MULTIPLE_THRESHOLD,
    assured_threshold: float = rl.ASSURED_THRESHOLD,
    basis: str = "straight-line",
) -> ForecastRealism:
    """Forecast realism of a monthly position report's rows at every level, judged by the given thresholds."""
    r = report
    return realism_of(
        r.rows,
        fin_year=r.fin_year,
        month=r.month,
        org=r.org,
        multiple_threshold=multiple_threshold,
        assured_threshold=assured_threshold,
        basis=basis,
    )


def realism_of(
    rows: pd.DataFrame,
    *,
    fin_year: str,
    month: int,
    org: str,
    multiple_threshold: float = rl.MULTIPLE_THRESHOLD,
    assured_threshold: float = rl.ASSURED_THRESHOLD,
    basis: str = "straight-line",
) -> ForecastRealism:
    """Forecast realism of one month's rows of ``org`` (adjustments included, as the report's) at every level."""
    levels = {}
    for level in LEVEL_NAMES:
        source = rows
        if level == "programme_area":
            source = _with_programme_area(rows)
        levels[level] = rl.realism(
            source,
            month,
            level=level,
            multiple_threshold=multiple_threshold,
            assured_threshold=assured_threshold,
            basis=basis,
        )
    levels["scheme"] = _unjudged_adjustments(levels["scheme"])
    by_org = levels["organisation"]
    if len(members(org)) > 1:
        by_org.loc[by_org["label"] == TOTAL, "label"] = org
    else:
        by_org = by_org[by_org["label"] != TOTAL].reset_index(drop=True)
    levels["organisation"] = by_org
    received = rows[~rows["is_adjustment"].astype(bool)] if "is_adjustment" in rows else rows
    provenance = received.get("provenance", pd.Series(dtype=str)).astype(str)
    synthetic = bool(provenance.str.startswith("synthetic").any())
    return ForecastRealism(fin_year, month, org, multiple_threshold, assured_threshold, basis, levels, synthetic)


def _with_programme_area(rows: pd.DataFrame) -> pd.DataFrame:
    """Each row's programme area: the return's own where every row carries one, else Paper D's map (which splits a
    scheme between areas as the executive summary does)."""
    given = rows["programme_area"].fillna("").astype(str).str.strip() if "programme_area" in rows else None
    if given is not None and len(rows) and (given != "").all():
        return rows.assign(programme_area=given)
    plain = rows.drop(columns=["programme_area", "stage", "share"], errors="ignore")
    return prog.programme_lines(plain, programme_area_map(), planning_stage_map())


def _unjudged_adjustments(table: pd.DataFrame) -> pd.DataFrame:
    """Lines with no scheme number (rounding, unallocated control-total adjustments) are shown, never flagged."""
    lines = (table["scheme_no"] == "") & (table["label"] != TOTAL)
    out = table.copy()
    out.loc[lines, "flagged"] = False
    out.loc[lines, "reasons"] = ""
    return out


def fmt_multiple(value: object) -> str:
    """13.79 -> '13.8×'; infinite -> 'none delivered'; NaN -> '–'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v = float(value)  # type: ignore[arg-type]
    if math.isinf(v):
        return "none delivered"
    return f"{v:,.1f}×"


def _pct(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    v = float(value)  # type: ignore[arg-type]
    return "nothing assured" if math.isinf(v) else f"{v:+.0%}"


# --- sentences -------------------------------------------------------------------------------------------


def _months(n: int) -> str:
    return f"{n} month{'s' if n != 1 else ''}"


def _saving(value_k: float) -> str:
    """A saving in the narrative's £m (savings are stored negative): -24745 -> '£24.745m'; a cost says so."""
    return fmt_m(value_k) if value_k <= 0 else f"a net cost of {fmt_m(value_k)}"


def summary_sentence(fr: ForecastRealism) -> str:
    """One line for the pack's summary page, in the narrative's £m: what the rest of the year must deliver, and
    what is flagged."""
    w = fr.whole
    months = 12 - fr.month
    if months == 0:
        return f"Forecast realism, {fr.org}: the year is complete; {_saving(w['actual_ytd'])} has been delivered."
    ws = by_multiple(fr.flagged("workstream"))
    schemes = fr.flagged("scheme")
    named = ", ".join(f"{r.label} {fmt_multiple(r.multiple)}" for r in ws.itertuples())
    return (
        f"Forecast realism, {fr.org}: to deliver its forecast out-turn of {_saving(w['fot'])}, the remaining "
        f"{_months(months)} must deliver {_saving(w['remaining'])}, against {_saving(w['actual_ytd'])} delivered in "
        f"the {_months(fr.month)} so far: {fmt_multiple(w['multiple'])} the run rate. Flagged (needing more than "
        f"{fr.multiple_threshold:g}× the run rate, or forecasting more than {fr.assured_threshold:.0%} above the PMO "
        f"assured value): {len(ws)} workstreams{f' ({named})' if named else ''} and {len(schemes)} schemes."
        + (f" {pv.months_with([fr.month], pv.SYNTHETIC)}." if fr.synthetic else "")
    )


def by_multiple(df: pd.DataFrame) -> pd.DataFrame:
    """Lines by multiple, largest first ('none delivered' first of all)."""
    return df.sort_values("multiple", ascending=False, kind="stable", na_position="last").reset_index(drop=True)


def method_notes(fr: ForecastRealism) -> list[str]:
    """How each number on the page is computed, one sentence each."""
    m, left = fr.month, 12 - fr.month
    basis = (
        "the straight-line multiple"
        if fr.basis == "straight-line"
        else "the profile multiple where the plan has a usable profile, else the straight-line one"
    )
    return [
        f"Run rate = actual delivered YTD ÷ {m} months elapsed (£000 a month).",
        f"Still needed = forecast out-turn − actual YTD: what the remaining {left} months must deliver.",
        f"Multiple (straight line) = (still needed ÷ {left}) ÷ run rate: how many times the run rate so far the "
        "forecast needs; 1.0× means carrying on as now, and 'none delivered' means a saving is forecast with none "
        "delivered yet.",
        f"Plan profile = plan YTD ÷ annual plan, against {m}/12 = {m / 12:.0%} for a straight line; within "
        f"{rl.PROFILE_TOLERANCE:.0%} of it the plan is straight-line, below back-loaded, above front-loaded.",
        "Multiple (plan profile) = still needed ÷ (actual YTD × (1 − plan share) ÷ plan share): the same multiple "
        "against the plan's own phasing, equal to the straight-line one for a straight-line plan.",
        "FOT vs assured = forecast out-turn ÷ PMO assured value − 1: how much more the SRO forecasts than the PMO "
        "is confident of.",
        f"A line is flagged when {basis} exceeds {fr.multiple_threshold:g}×, when a saving is forecast but none is "
        f"delivered yet, or when FOT exceeds assured by more than {fr.assured_threshold:.0%}; lines with no scheme "
        "number (rounding and control-total adjustments) are shown but never flagged.",
    ]


def profile_note(fr: ForecastRealism) -> str:
    """Which flagged schemes' plans are not straight-line, and what their multiple is against the profile."""
    s = fr.flagged("scheme")
    bent = s[s["profile"].isin(["back-loaded", "front-loaded"])]
    if bent.empty:
        return "Every flagged scheme's plan is profiled in a straight line, so the two multiples agree."
    within = bent[bent["profile_multiple"] <= fr.multiple_threshold]
    text = (
        f"{len(bent)} of the {len(s)} flagged schemes have a plan that is not straight-line (the Plan profile column); "
        "their multiple against their own profile is in the Multiple (plan profile) column."
    )
    if len(within):
        text += (
            f" Judged on their profile, {len(within)} of them would need no more than {fr.multiple_threshold:g}× the "
            "run rate: "
            + ", ".join(f"{r.label} ({fmt_multiple(r.profile_multiple)})" for r in within.itertuples())
            + "."
        )
    return text


# --- tables ----------------------------------------------------------------------------------------------

#: Each field of the page's tables, declared once: the workbook's header and kind, and where the page prints it
#: differently, its printed header and words (a multiple as "13.8×" or "none delivered", right-aligned).
FIELDS: dict[str, Col] = {
    c.key: c
    for c in (
        text("level", "Level"),
        text("label", "Line"),
        text("scheme_no", "Scheme no.", printed="No."),
        text("workstream", "Workstream"),
        money("plan_ytd", "Plan YTD"),
        money("actual_ytd", "Actuals YTD", printed="Delivered YTD"),
        money("annual_plan", "Annual plan"),
        money("fot", "Revised FOT", printed="FOT"),
        money("assured", "PMO assured value", printed="PMO assured"),
        money("run_rate", "Run rate a month"),
        money("remaining", "Still needed (FOT less actuals YTD)", printed="Still needed"),
        money("needed_rate", "Needed a month"),
        Col(
            "multiple",
            "Multiple of run rate (straight line)",
            "number",
            decimals=2,
            printed="Multiple (straight line)",
            printed_as=fmt_multiple,
        ),
        Col("plan_share", "Plan share to date", "pct"),
        text("profile", "Plan profile"),
        Col(
            "profile_multiple",
            "Multiple of run rate (plan profile)",
            "number",
            decimals=2,
            printed="Multiple (plan profile)",
            printed_as=fmt_multiple,
        ),
        Col("over_assured", "FOT above assured", "pct", printed="FOT vs assured", printed_as=_pct),
        text("flagged", "Flagged"),
        text("flag", "Why flagged", printed="Flag"),
    )
}
#: The columns of the organisation, programme area and workstream tables.
LINE_KEYS: tuple[str, ...] = (
    "label",
    "actual_ytd",
    "run_rate",
    "fot",
    "remaining",
    "multiple",
    "profile",
    "profile_multiple",
    "assured",
    "over_assured",
    "flag",
)


def _spec(
    name: str, keys: Sequence[str], caption: str = "", *, title: str = "", note: str = "", freeze_columns: int = 1
) -> TableSpec:
    """A table of the :data:`FIELDS` ``keys``, in that order."""
    columns = tuple(FIELDS[k] for k in keys)
    return TableSpec(name, columns, caption=caption, title=title, note=note, freeze_columns=freeze_columns)


def _flags(fr: ForecastRealism, df: pd.DataFrame) -> pd.DataFrame:
    """A level's lines with each line's reasons in words (the Flag column)."""
    return df.assign(flag=[fr.reasons(r) for r in df["reasons"]])


def workstream_spec(fr: ForecastRealism) -> Filled:
    """Each workstream (and the whole organisation): delivered, still needed, the multiples and the flags."""
    caption = f"Forecast realism by workstream, {fr.period} (£000; multiples judged on the {fr.basis} basis)"
    return _spec("realism_by_workstream", LINE_KEYS, caption).fill(_flags(fr, fr.levels["workstream"]))


def organisation_spec(fr: ForecastRealism) -> Filled:
    """Each member organisation and the whole."""
    caption = "Forecast realism by organisation (£000)"
    return _spec("realism_by_organisation", LINE_KEYS, caption).fill(_flags(fr, fr.levels["organisation"]))


def programme_area_spec(fr: ForecastRealism) -> Filled:
    """Each programme area of Paper D's executive summary (schemes split between areas as it splits them)."""
    caption = f"Forecast realism by programme area, {fr.period} (£000)"
    return _spec("realism_by_programme_area", LINE_KEYS, caption).fill(_flags(fr, fr.levels["programme_area"]))


def flagged_schemes_spec(fr: ForecastRealism) -> Filled:
    """The flagged schemes, largest money still needed first."""
    keys = ("scheme_no", "label", "actual_ytd", "fot", "remaining", "multiple", "profile", "profile_multiple")
    caption = f"Flagged schemes, {fr.period} (rows of a scheme summed across organisations; £000)"
    return _spec("realism_flagged_schemes", (*keys, "over_assured", "flag"), caption).fill(
        _flags(fr, fr.flagged("scheme"))
    )


def workstream_table(fr: ForecastRealism) -> Styler:
    """Each workstream (and the whole organisation): delivered, still needed, the multiples and the flags."""
    return workstream_spec(fr).styler()


def organisation_table(fr: ForecastRealism) -> Styler:
    """Each member organisation and the whole."""
    return organisation_spec(fr).styler()


def programme_area_table(fr: ForecastRealism) -> Styler:
    """Each programme area of Paper D's executive summary (schemes split between areas as it splits them)."""
    return programme_area_spec(fr).styler()


def flagged_schemes_table(fr: ForecastRealism) -> Styler:
    """The flagged schemes, largest money still needed first."""
    return flagged_schemes_spec(fr).styler()


# --- chart -------------------------------------------------------------------------------------------------


@chartkit.chart_function
def realism_chart(fr: ForecastRealism) -> Figure:
    """Per workstream, savings delivered to date and still needed (shown positive), labelled with the multiple; its
    alternative text says whose and which month's (:func:`.chartkit.chart_context`)."""
    context = chartkit.chart_context(fr)
    df = fr.levels["workstream"]
    df = df[(df["label"] != TOTAL) & ((df["fot"] != 0) | (df["actual_ytd"] != 0))].iloc[::-1].reset_index(drop=True)
    y = np.arange(len(df))
    fig, ax = chartkit.new_figure((10, 0.3 * len(df) + 1.3))
    done, need = -df["actual_ytd"].to_numpy(), -df["remaining"].to_numpy()
    ax.barh(y, done, height=0.6, color=chartkit.SKY, label="Delivered to date")
    ax.barh(
        y,
        need,
        left=np.maximum(done, 0),
        height=0.6,
        color="white",
        edgecolor=chartkit.INK,
        hatch="///",
        linewidth=0.7,
        label="Still needed to reach the FOT",
    )
    span = max(float(np.max(np.r_[np.maximum(done, 0) + np.maximum(need, 0), 1.0])), 1.0)
    for yi, d, n, r in zip(y, done, need, df.itertuples(), strict=True):
        text = fmt_multiple(r.multiple) + (" (flagged)" if r.flagged else "")
        ax.text(
            max(d, 0) + max(n, 0) + span * 0.01,
            yi,
            text,
            va="center",
            fontsize=7.5,
            color=TEXT,
            fontweight="bold" if r.flagged else "normal",
        )
    ax.set_yticks(y, df["label"], fontsize=8.5)
    ax.xaxis.set_major_formatter(chartkit.THOUSANDS)
    ax.set_xlabel("Savings, £000 (shown positive)", fontsize=8.5)
    ax.set_xlim(min(0.0, float(np.min(np.r_[done, 0.0])) * 1.1), span * 1.25)
    ax.axvline(0, color="black", lw=0.8)
    chartkit.style_axes(ax, "Delivered to date and still needed to reach the forecast, by workstream")
    flagged = df[df["flagged"]]
    alt = (
        f"Bar chart: savings delivered to date and still needed by workstream{chartkit.about_context(context)} "
        f"(£000, shown positive). {len(flagged)} workstreams flagged"
        + "".join(f"; {r.label} {_needs(r.multiple)}" for r in by_multiple(flagged).itertuples())
        + "."
    )
    key = (
        f"Labels: the multiple of the run rate so far that the forecast needs (straight line, {12 - fr.month} months "
        f"left); flagged above {fr.multiple_threshold:g}× or FOT more than {fr.assured_threshold:.0%} above assured."
    )
    return chartkit.finish_chart(fig, key=key, alt=alt, legend=ax)


def _needs(multiple: float) -> str:
    return "forecasts a saving with none delivered yet" if np.isinf(multiple) else f"needs {multiple:.1f}× its run rate"


# --- workbook ------------------------------------------------------------------------------------------------


def sheet_frame(fr: ForecastRealism) -> pd.DataFrame:
    """Every level's lines stacked (organisation, programme area, workstream, scheme), one ``level`` column."""
    parts = []
    for level, name in LEVEL_NAMES.items():
        t = fr.levels[level]
        if level != "organisation":
            t = t[t["label"] != TOTAL]
        parts.append(t.assign(level=name))
    out = pd.concat(parts, ignore_index=True)
    for c in ("scheme_no", "workstream"):
        out[c] = out[c].fillna("") if c in out else ""
    out["flag"] = [fr.reasons(r) for r in out["reasons"]]
    out["flagged"] = np.where(out["flagged"], "Yes", "")
    for c in ("multiple", "profile_multiple", "over_assured"):
        out[c] = out[c].replace([np.inf, -np.inf], np.nan)
    return out


#: The ``Forecast realism`` sheet's columns, in order.
SHEET_KEYS: tuple[str, ...] = (
    "level",
    "label",
    "scheme_no",
    "workstream",
    "plan_ytd",
    "actual_ytd",
    "annual_plan",
    "fot",
    "assured",
    "run_rate",
    "remaining",
    "needed_rate",
    "multiple",
    "plan_share",
    "profile",
    "profile_multiple",
    "over_assured",
    "flagged",
    "flag",
)


def sheet_spec(fr: ForecastRealism) -> Filled:
    """The ``Forecast realism`` sheet: no total rows (the levels overlap: filter on Level, never add across)."""
    note = (
        "Lines of four levels, stacked: filter on Level and never add across levels. Blank multiple: none "
        "delivered yet (see Why flagged) or no months left. " + " ".join(method_notes(fr))
    )
    title = f"{SHEET}: {fr.org}, {fr.period} (£000)"
    return _spec(SHEET, SHEET_KEYS, title=title, note=note, freeze_columns=2).fill(sheet_frame(fr), totals=())


def sheet_table(fr: ForecastRealism) -> Table:
    """The ``Forecast realism`` sheet, as the workbook holds it."""
    return sheet_spec(fr).table()


def with_sheet(book: Book, fr: ForecastRealism) -> Book:
    """The monthly position workbook with the ``Forecast realism`` sheet added."""
    book.tables[SHEET] = sheet_table(fr)
    return book


# --- the page's words, as markdown ---------------------------------------------------------------------------


def summary_block(fr: ForecastRealism) -> str:
    """The page's opening sentence, inert markdown (workstream names come from returns)."""
    return plain_html(summary_sentence(fr))


def notes_block(fr: ForecastRealism) -> str:
    """Where plan profiles are not straight-line, then how each number is computed, as inert markdown."""
    lines = [plain_html(profile_note(fr)), "", "**How each number is computed.**", ""]
    lines += [f"- {plain_html(s)}" for s in method_notes(fr)]
    return "\n".join(lines)


# --- the explorer's view of a filtered set of schemes ---------------------------------------------------------


def schemes_spec(fr: ForecastRealism) -> Filled:
    """Every scheme line of ``fr`` (flagged or not), largest money still needed first, with the Total."""
    keys = ("scheme_no", "label", "workstream", "actual_ytd", "fot", "remaining", "multiple", "profile")
    caption = (
        f"Forecast realism of the schemes shown, {fr.period} (£000; flagged above {fr.multiple_threshold:g}× the run "
        f"rate or {fr.assured_threshold:.0%} above assured)"
    )
    return _spec("realism_schemes", (*keys, "profile_multiple", "over_assured", "flag"), caption).fill(
        _flags(fr, fr.levels["scheme"])
    )


def schemes_table(fr: ForecastRealism) -> Styler:
    """Every scheme line of ``fr`` (flagged or not), largest money still needed first, with the Total."""
    return schemes_spec(fr).styler()


def filtered_sentence(fr: ForecastRealism) -> str:
    """What the schemes shown must still deliver, against their run rate, and how many are flagged."""
    t = fr.levels["scheme"]
    body, total = t[t["label"] != TOTAL], t[t["label"] == TOTAL]
    if body.empty:
        return "No scheme passes these filters."
    w = total.iloc[0]
    if fr.month == 12:
        return f"{len(body)} scheme lines shown; the year is complete."
    return (
        f"{len(body)} scheme lines shown: {fmt_k(w['remaining'])} still needed in the remaining "
        f"{_months(12 - fr.month)} "
        f"against {fmt_k(w['actual_ytd'])} delivered so far, {fmt_multiple(w['multiple'])} the run rate; "
        f"{len(fr.flagged('scheme'))} flagged."
    )
