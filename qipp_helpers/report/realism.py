"""The forecast realism page: is the forecast believable at the rate delivered so far?

Built from a :class:`~.position.model.MonthlyPosition` (its rows include the control-total adjustments, as
every table of the report) with :mod:`qipp_helpers.analysis.realism`; the thresholds are the
notebook's typed parameters. This module holds the page's object, sentences, tables, chart and
workbook sheet, so the shared report modules only gain a call.
"""

from __future__ import annotations

import math
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
from .fmt import money_table
from .publish import Book, Column, Table
from .style import TEXT


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

_LABELS = {
    "label": "Line",
    "scheme_no": "No.",
    "workstream": "Workstream",
    "actual_ytd": "Delivered YTD",
    "run_rate": "Run rate a month",
    "fot": "FOT",
    "remaining": "Still needed",
    "multiple": "Multiple (straight line)",
    "profile": "Plan profile",
    "profile_multiple": "Multiple (plan profile)",
    "assured": "PMO assured",
    "over_assured": "FOT vs assured",
    "flag": "Flag",
}


def _display(fr: ForecastRealism, df: pd.DataFrame, cols: list[str]) -> Styler:
    shown = df.assign(flag=[fr.reasons(r) for r in df["reasons"]])
    shown = shown.assign(
        multiple=shown["multiple"].map(fmt_multiple),
        profile_multiple=shown["profile_multiple"].map(fmt_multiple),
        over_assured=shown["over_assured"].map(_pct),
    )[cols]
    money = ["actual_ytd", "run_rate", "fot", "remaining", "assured"]
    styler = money_table(shown, money=money, labels={c: _LABELS[c] for c in cols})
    for c in ("multiple", "profile_multiple", "over_assured"):
        if c in cols:
            styler = styler.set_properties(subset=[_LABELS[c]], **{"text-align": "right"})
    return styler


def workstream_table(fr: ForecastRealism) -> Styler:
    """Each workstream (and the whole organisation): delivered, still needed, the multiples and the flags."""
    cols = ["label", "actual_ytd", "run_rate", "fot", "remaining", "multiple", "profile", "profile_multiple"]
    cols += ["assured", "over_assured", "flag"]
    t = fr.levels["workstream"].copy()
    t.loc[t["label"] == TOTAL, "label"] = TOTAL
    return _display(fr, t, cols).set_caption(
        f"Forecast realism by workstream, {fr.period} (£000; multiples judged on the {fr.basis} basis)"
    )


def organisation_table(fr: ForecastRealism) -> Styler:
    """Each member organisation and the whole."""
    cols = ["label", "actual_ytd", "run_rate", "fot", "remaining", "multiple", "profile", "profile_multiple"]
    cols += ["assured", "over_assured", "flag"]
    return _display(fr, fr.levels["organisation"], cols).set_caption("Forecast realism by organisation (£000)")


def programme_area_table(fr: ForecastRealism) -> Styler:
    """Each programme area of Paper D's executive summary (schemes split between areas as it splits them)."""
    cols = ["label", "actual_ytd", "run_rate", "fot", "remaining", "multiple", "profile", "profile_multiple"]
    cols += ["assured", "over_assured", "flag"]
    return _display(fr, fr.levels["programme_area"], cols).set_caption(
        f"Forecast realism by programme area, {fr.period} (£000)"
    )


def flagged_schemes_table(fr: ForecastRealism) -> Styler:
    """The flagged schemes, largest money still needed first."""
    cols = ["scheme_no", "label", "actual_ytd", "fot", "remaining", "multiple", "profile", "profile_multiple"]
    cols += ["over_assured", "flag"]
    return _display(fr, fr.flagged("scheme"), cols).set_caption(
        f"Flagged schemes, {fr.period} (rows of a scheme summed across organisations; £000)"
    )


# --- chart -------------------------------------------------------------------------------------------------


@chartkit.chart_function
def realism_chart(fr: ForecastRealism, *, context: str = "") -> Figure:
    """Per workstream, savings delivered to date and still needed (shown positive), labelled with the multiple."""
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


def sheet_table(fr: ForecastRealism) -> Table:
    """The ``Forecast realism`` sheet: no total rows (the levels overlap: filter on Level, never add across)."""

    def num(key: str, header: str) -> Column:
        return Column(key, header, "number", decimals=2)

    columns = (
        Column("level", "Level"),
        Column("label", "Line"),
        Column("scheme_no", "Scheme no."),
        Column("workstream", "Workstream"),
        Column("plan_ytd", "Plan YTD", "gbp000"),
        Column("actual_ytd", "Actuals YTD", "gbp000"),
        Column("annual_plan", "Annual plan", "gbp000"),
        Column("fot", "Revised FOT", "gbp000"),
        Column("assured", "PMO assured value", "gbp000"),
        Column("run_rate", "Run rate a month", "gbp000"),
        Column("remaining", "Still needed (FOT less actuals YTD)", "gbp000"),
        Column("needed_rate", "Needed a month", "gbp000"),
        num("multiple", "Multiple of run rate (straight line)"),
        Column("plan_share", "Plan share to date", "pct"),
        Column("profile", "Plan profile"),
        num("profile_multiple", "Multiple of run rate (plan profile)"),
        Column("over_assured", "FOT above assured", "pct"),
        Column("flagged", "Flagged"),
        Column("flag", "Why flagged"),
    )
    note = (
        "Lines of four levels, stacked: filter on Level and never add across levels. Blank multiple: none "
        "delivered yet (see Why flagged) or no months left. " + " ".join(method_notes(fr))
    )
    return Table(
        sheet_frame(fr), columns, (), title=f"{SHEET}: {fr.org}, {fr.period} (£000)", note=note, freeze_columns=2
    )


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


def schemes_table(fr: ForecastRealism) -> Styler:
    """Every scheme line of ``fr`` (flagged or not), largest money still needed first, with the Total."""
    cols = ["scheme_no", "label", "workstream", "actual_ytd", "fot", "remaining", "multiple", "profile"]
    cols += ["profile_multiple", "over_assured", "flag"]
    return _display(fr, fr.levels["scheme"], cols).set_caption(
        f"Forecast realism of the schemes shown, {fr.period} (£000; flagged above {fr.multiple_threshold:g}× the run "
        f"rate or {fr.assured_threshold:.0%} above assured)"
    )


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
