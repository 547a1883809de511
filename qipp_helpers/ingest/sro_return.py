"""SRO return templates: write one pre-filled from the latest month held, read returned copies, merge.

The template (``qipp template``) is an .xlsx with five sheets:

- ``Instructions``: what to fill and how the PMO merges returns.
- ``Return`` (protected, input cells unlocked): one row per scheme line of the base month (the
  latest month held before the return's month), last month's actual YTD and revised FOT shown
  read-only, the annual plan carried (locked), and cells to fill: Plan YTD (pre-filled with a
  straight-line profile of the plan remaining), Actual YTD, Revised FOT, the three PMO descriptors
  (drop-down lists), New Annual Plan + Plan change reason, Commentary, and the scheme fields:
  Programme area, Planning stage, Status (drop-down lists; pre-filled from last month, or from the
  derived maps where last month carried none), Scheme owner, Key risk, Mitigation, Action owner,
  Action due (a date); plus spare rows for schemes new this month. Every input cell has data validation.
- ``PMO`` (protected; PMO only): PMO assured value and Overall PMO RAG per row, pre-filled with
  last month's.
- ``Last month`` (hidden, protected): the base month's values, used to detect tampering and
  silent plan changes.
- ``qipp_template`` (very hidden): fin_year, month, org, base month, version, units.

Money cells are in £000 by default; ``units="£"`` writes a template in pounds (every figure, pre-filled or
typed, in £). Either way a returned figure is converted to £000 exactly (pounds become three decimals) and
kept unrounded: only the reports round, to £000, when they show it.

Merging rules (:func:`merge_returns`), per organisation, files in command-line order:

1. A line (scheme no. + line no.) counts as returned in a file when its Actual YTD or Revised
   FOT is filled; a returned line needs both. A later file returning the same line replaces the
   earlier one (reported).
2. Lines of the base month returned by no file are reported as missing and carried forward
   with last month's figures and the fields the template showed, provenance ``<kind>: carried
   forward from M<m>: no return received`` (the kind of the month's return: one per organisation).
3. Spare rows with a scheme number are schemes new this month (reported); they need a name, an
   annual plan, a programme area and a planning stage (a blank status is New).
4. The annual plan is carried from the base month. A change must be explicit: ``New Annual
   Plan`` with a ``Plan change reason`` (reported); an Annual Plan cell that differs from last
   month's is an error naming the cell.
5. The PMO sheet's assured value and overall RAG come from the last file whose PMO sheet
   changed them from the pre-filled values; unchanged, last month's stand.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from ..core.errors import Problem
from ..core.files import safe_code
from ..core.money import parse_money
from ..core.orgs import org_name, organisations
from ..core.periods import check_fin_year, period_label
from ..core.text import neutralise, restore_cell
from ..core.vocab import (
    PLANNING_STAGES,
    QIPP_AREAS,
    RAGS,
    RETURN_FIELDS,
    SCHEME_STATUSES,
    WORKSTREAMS,
)
from ..reference import normalise_scheme_no, prefilled_fields, workstream_map
from .excel import column_letter, flag_problems, open_scanned
from .guard import SheetFlags

if TYPE_CHECKING:
    from openpyxl.worksheet.datavalidation import DataValidation

TEMPLATE_VERSION = "2"
META_SHEET, RETURN_SHEET, PMO_SHEET, REF_SHEET, HELP_SHEET = (
    "qipp_template",
    "Return",
    "PMO",
    "Last month",
    "Instructions",
)
HEADER_ROW = 3
SPARE_ROWS = 5
#: The PMO descriptor wording of the dashboards (Paper D), offered as drop-down lists.
MILESTONE_DESCRIPTORS = (
    "On track to hit target / Meet key criteria",
    "Off track to hit target / Meet key criteria but mitigating actions have been implemented",
    "Off track to hit target / Meet key criteria, mitigating actions have not been implemented",
)
RISK_DESCRIPTORS = (
    "Planned activity(ies) is (are) progressing according to plan",
    "Planned activity(ies) is (are) at medium risk of not delivering on time but mitigation actions are in place",
    "Planned activity(ies) is (are) at high risk of not delivering on time but no mitigation actions have been put "
    "in place",
)
DESCRIPTORS = {
    "milestones": MILESTONE_DESCRIPTORS,
    "financial_benefits": MILESTONE_DESCRIPTORS,
    "risk_issue": RISK_DESCRIPTORS,
}
#: Return sheet columns: key -> printed header. Order is the sheet's.
COLUMNS: dict[str, str] = {
    "scheme_no": "Scheme no.",
    "line": "Line",
    "scheme_name": "Scheme name",
    "workstream": "Workstream",
    "last_actual_ytd": "Last month Actual YTD",
    "last_fot": "Last month Revised FOT",
    "annual_plan": "Annual Plan",
    "plan_ytd": "Plan YTD",
    "actual_ytd": "Actual YTD",
    "fot": "Revised FOT",
    "milestones": "Milestones",
    "financial_benefits": "Financial Benefits",
    "risk_issue": "Risk/Issue",
    "new_annual_plan": "New Annual Plan",
    "plan_change_reason": "Plan change reason",
    "commentary": "Commentary",
    "programme_area": "Programme area",
    "planning_stage": "Planning stage",
    "status": "Status",
    "scheme_owner": "Scheme owner",
    "key_risk": "Key risk",
    "mitigation": "Mitigation",
    "action_owner": "Action owner",
    "action_due": "Action due",
}
#: The scheme fields with a closed list of values (drop-down lists; a returned line needs each).
FIELD_LISTS: dict[str, tuple[str, ...]] = {
    "programme_area": QIPP_AREAS,
    "planning_stage": PLANNING_STAGES,
    "status": SCHEME_STATUSES,
}
#: Free-text scheme fields (optional, but for the scheme owner where last month had one).
FIELD_TEXT = ("scheme_owner", "key_risk", "mitigation", "action_owner")
INPUTS = (
    "plan_ytd",
    "actual_ytd",
    "fot",
    "milestones",
    "financial_benefits",
    "risk_issue",
    "new_annual_plan",
    "plan_change_reason",
    "commentary",
    *RETURN_FIELDS,
)
SPARE_INPUTS = ("scheme_no", "scheme_name", "workstream", "annual_plan")
PMO_COLUMNS = {
    "scheme_no": "Scheme no.",
    "line": "Line",
    "scheme_name": "Scheme name",
    "assured": "PMO Assured Value",
    "rag": "Overall PMO RAG rating",
}
REF_COLUMNS = (
    "scheme_no",
    "line",
    "scheme_name",
    "workstream",
    "annual_plan",
    "plan_ytd",
    "actual_ytd",
    "fot",
    "assured",
    "rag",
    "milestones",
    "financial_benefits",
    "risk_issue",
)
#: Columns of the Last month sheet holding the scheme fields' lists (after the descriptors' N, O, P).
_FIELD_LIST_COLUMNS = {"programme_area": 18, "planning_stage": 19, "status": 20}
MONEY_LIMIT = 1e7  # £000: a cell beyond ±£10bn is a typing error
#: The units a template's money cells are in, and how many pounds each is: ``£000`` (the papers') or ``£``.
UNITS: dict[str, int] = {"£000": 1000, "£": 1}


def _scale(units: str) -> float:
    """How many of ``units`` make £000 (1 for £000, 1,000 for £)."""
    return 1000 / UNITS[units]


def _to_units(value_k: float, units: str) -> float:
    """A £000 figure in the template's units (to the penny's precision: no float dust)."""
    return round(float(value_k) * _scale(units), 6)


def _col(key: str) -> int:
    return list(COLUMNS).index(key) + 1


def base_period(returns: pd.DataFrame, fin_year: str, month: int, org: str) -> tuple[str, int] | None:
    """The latest (fin_year, month) held for ``org`` before the return's period, or None."""
    held = returns.loc[returns["org"] == org, ["fin_year", "month"]].drop_duplicates()
    before = [(fy, int(m)) for fy, m in held.itertuples(index=False) if (fy, int(m)) < (fin_year, month)]
    return max(before) if before else None


def with_lines(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows of one organisation-month with ``line``: 1, 2, ... within each scheme number, in row order."""
    rows = rows.sort_values("row", kind="stable").reset_index(drop=True)
    return rows.assign(line=rows.groupby("scheme_no").cumcount() + 1)


def _straight_line(plan: float, plan_ytd: float, base_month: int, month: int) -> float:
    """Last month's plan YTD plus an even share of the plan remaining for each month since."""
    if base_month >= 12:
        return plan_ytd
    return round(plan_ytd + (plan - plan_ytd) * (month - base_month) / (12 - base_month), 1)


@dataclass(frozen=True)
class _Rows:
    """Where a template's rows are: the base month's lines, then the spare rows for new schemes."""

    first: int  # the first line's row, under the header
    last_known: int  # the last line of the base month
    last: int  # the last spare row

    @classmethod
    def for_lines(cls, n: int) -> _Rows:
        return cls(HEADER_ROW + 1, HEADER_ROW + n, HEADER_ROW + n + SPARE_ROWS)

    @property
    def has_spare(self) -> bool:
        return self.last > self.last_known


def write_template(
    returns: pd.DataFrame,
    *,
    fin_year: str,
    month: int,
    org: str,
    path: Path,
    schemes: Sequence[str] | None = None,
    pmo_password: str | None = None,
    units: str = "£000",
) -> dict:
    """Write the return template for one CCG and month; returns its metadata. Raises ValueError.

    ``units``: ``£000`` or ``£``, the units of every money cell (pre-filled and typed).

    Steps: the base month's lines (:func:`_template_lines`), then one sheet each: Instructions,
    Return, PMO, Last month and the metadata; the workbook is saved atomically.
    """
    from openpyxl import Workbook

    from ..core.files import atomic_save as save

    if units not in UNITS:
        raise ValueError(f"units {units!r} is not one of {', '.join(UNITS)}")
    base, lines = _template_lines(returns, fin_year=fin_year, month=month, org=org, schemes=schemes)
    base_month = base[1] if base[0] == fin_year else 0
    period = period_label(fin_year, month)
    records = lines.to_dict("records")
    rows = _Rows.for_lines(len(records))
    wb = Workbook()
    _write_instructions(wb.active, fin_year=fin_year, month=month, org=org, base=base, period=period, units=units)
    _write_return_sheet(
        wb.create_sheet(RETURN_SHEET),
        records,
        rows,
        org=org,
        period=period,
        base_month=base_month,
        month=month,
        units=units,
    )
    _write_pmo_sheet(
        wb.create_sheet(PMO_SHEET), records, rows, org=org, period=period, pmo_password=pmo_password, units=units
    )
    _write_reference_sheet(wb.create_sheet(REF_SHEET), records)
    meta = _template_meta(fin_year=fin_year, month=month, org=org, base=base, rows=len(records), units=units)
    _write_meta_sheet(wb.create_sheet(META_SHEET), meta)
    wb.active = 1
    neutralise(wb)
    save(wb, Path(path))
    return meta


def _template_meta(*, fin_year: str, month: int, org: str, base: tuple[str, int], rows: int, units: str) -> dict:
    """What the metadata sheet records: the template's version, period, organisation, base month, rows and
    units, and when it was generated (now)."""
    return {
        "template_version": TEMPLATE_VERSION,
        "fin_year": fin_year,
        "month": month,
        "org": org,
        "base_fin_year": base[0],
        "base_month": base[1],
        "rows": rows,
        "spare_rows": SPARE_ROWS,
        "units": units,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _template_lines(
    returns: pd.DataFrame, *, fin_year: str, month: int, org: str, schemes: Sequence[str] | None
) -> tuple[tuple[str, int], pd.DataFrame]:
    """The base period and its lines (with ``line``) for ``org``, narrowed to ``schemes``. Raises ValueError."""
    check_fin_year(fin_year)
    if not 1 <= month <= 12:
        raise ValueError(f"month must be 1-12 (M1 = April), got {month}")
    if org not in organisations().ccgs:
        raise ValueError(f"returns are made by a CCG: {org!r} is not one of {', '.join(organisations().ccgs)}")
    base = base_period(returns, fin_year, month, org)
    if base is None:
        raise ValueError(f"no month before {fin_year} M{month} is held for {org}: ingest one first")
    rows = with_lines(
        returns[(returns["fin_year"] == base[0]) & (returns["month"] == base[1]) & (returns["org"] == org)]
    )
    if schemes:
        wanted = {normalise_scheme_no(s) for s in schemes}
        unknown = sorted(wanted - set(rows["scheme_no"]))
        if unknown:
            raise ValueError(f"scheme(s) {', '.join(unknown)} not in {org}'s {base[0]} M{base[1]} return")
        rows = rows[rows["scheme_no"].isin(wanted)].reset_index(drop=True)
    return base, prefilled_fields(rows)


def _write_instructions(
    ws, *, fin_year: str, month: int, org: str, base: tuple[str, int], period: str, units: str = "£000"
) -> None:
    """The Instructions sheet: what to fill, what not to touch, and how the PMO merges returns."""
    from openpyxl.styles import Font

    ws.title = HELP_SHEET
    for line in (
        f"QIPP scheme return: {org_name(org)} ({org}), {period}",
        f"Pre-filled from the {base[0]} M{base[1]} returns held. {_units_words(units)}.",
        "",
        "1. On the Return sheet fill the white cells of your scheme(s): Plan YTD (pre-filled with a straight-line "
        "profile; correct it), Actual YTD and Revised FOT (numbers only), the three descriptors from the lists, and "
        "any commentary. Grey cells are last month's figures and cannot be edited.",
        "2. The annual plan is carried from last month. To change it, enter the New Annual Plan and a Plan change "
        "reason; do not overwrite the Annual Plan column.",
        "3. A new scheme goes on a spare row at the bottom: scheme no., name, workstream, annual plan and figures.",
        "4. Leave rows of other people's schemes blank: a blank row is not a return. Do not insert, delete, hide, "
        "or merge rows, and type values (formulas are refused unless saved with their values).",
        "5. The PMO sheet (assured value, overall RAG) is for the PMO only.",
        "",
        "The PMO merges returned copies with: qipp ingest <files> --fin-year "
        f"{fin_year} --month {month}. Schemes nobody returned are carried forward and listed as missing.",
    ):
        ws.append([line])
    ws["A1"].font = Font(bold=True, size=14)
    ws.column_dimensions["A"].width = 140


def _units_words(units: str) -> str:
    """How the template says its units: '£000, savings negative (e.g. -250 = £250k saving)'."""
    example = "-250" if units == "£000" else "-250000"
    return f"{units}, savings negative (e.g. {example} = £250k saving)"


def _write_return_sheet(
    ws, records: list[dict], rows: _Rows, *, org: str, period: str, base_month: int, month: int, units: str = "£000"
) -> None:
    """The Return sheet: one row per line, spare rows, input cells unlocked and validated, sheet protected."""
    _write_return_rows(ws, records, rows, org=org, period=period, base_month=base_month, month=month, units=units)
    _validate_return_inputs(ws, rows, units=units)
    _format_return_sheet(ws, rows)


def _write_return_rows(
    ws, records: list[dict], rows: _Rows, *, org: str, period: str, base_month: int, month: int, units: str = "£000"
) -> None:
    """Title, header and one row per line (last month's figures, plan YTD pre-filled); inputs unlocked, rest grey."""
    from openpyxl.styles import Font, PatternFill, Protection

    from ..core.text import safe_cell

    ws.append([f"QIPP return: {org} · {period} · {units}, savings negative"])
    ws.append(["Grey cells: last month / read only. White cells: this month's return."])
    ws.append(list(COLUMNS.values()))
    for cell in (*ws[1], *ws[HEADER_ROW]):
        cell.font = Font(bold=True)
    for rec in records:
        plan_ytd = _straight_line(rec["annual_plan"], rec["plan_ytd"], base_month, month)
        shown = [rec["scheme_no"], int(rec["line"]), safe_cell(rec["scheme_name"]), rec["workstream"]]
        fields = [safe_cell(rec[f]) for f in RETURN_FIELDS if f != "action_due"]
        money = [_to_units(rec[k], units) for k in ("actual_ytd", "fot", "annual_plan")] + [_to_units(plan_ytd, units)]
        ws.append([*shown, *money, *[None] * 8, *fields, None])
        if rec["action_due"]:
            ws.cell(ws.max_row, _col("action_due"), date.fromisoformat(rec["action_due"])).number_format = "yyyy-mm-dd"
    for r in range(rows.last_known + 1, rows.last + 1):
        ws.cell(r, _col("line"), 1)
    grey, unlocked = PatternFill("solid", fgColor="E8EDEE"), Protection(locked=False)
    for r in range(rows.first, rows.last + 1):
        spare = r > rows.last_known
        for key in COLUMNS:
            cell = ws.cell(r, _col(key))
            if key in INPUTS or (spare and key in SPARE_INPUTS):
                cell.protection = unlocked
            else:
                cell.fill = grey


def _validate_return_inputs(ws, rows: _Rows, *, units: str = "£000") -> None:
    """Data validation on every input cell: money in range, text length, workstream and descriptor lists."""
    money, text, ws_list, due = _input_validations(units)
    lists = _list_validations()
    for dv in (money, text, ws_list, due, *lists.values()):
        ws.add_data_validation(dv)

    def cells(key: str, first: int) -> str:
        return f"{column_letter(_col(key))}{first}:{column_letter(_col(key))}{rows.last}"

    for key in ("plan_ytd", "actual_ytd", "fot", "new_annual_plan"):
        money.add(cells(key, rows.first))
    for key in ("plan_change_reason", "commentary", *FIELD_TEXT):
        text.add(cells(key, rows.first))
    due.add(cells("action_due", rows.first))
    for key, dv in lists.items():
        dv.add(cells(key, rows.first))
    if rows.has_spare:
        for key in ("scheme_no", "scheme_name"):
            text.add(cells(key, rows.last_known + 1))
        money.add(cells("annual_plan", rows.last_known + 1))
        ws_list.add(cells("workstream", rows.last_known + 1))


def _input_validations(units: str) -> tuple[DataValidation, DataValidation, DataValidation, DataValidation]:
    """The Return sheet's validations of typed values: money (in range, in ``units``), text (at most 2,000
    characters), a workstream (from the list on the Last month sheet) and a date (Action due)."""
    from openpyxl.worksheet.datavalidation import DataValidation

    money = DataValidation(
        type="decimal",
        operator="between",
        formula1=str(-MONEY_LIMIT * _scale(units)),
        formula2=str(MONEY_LIMIT * _scale(units)),
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=units,
        error=f"Enter a number in {_units_words(units)}",
    )
    text = DataValidation(
        type="textLength",
        operator="lessThanOrEqual",
        formula1="2000",
        allow_blank=True,
        showErrorMessage=True,
        error="At most 2,000 characters",
    )
    ws_list = DataValidation(
        type="list",
        formula1=f"='{REF_SHEET}'!$P$2:$P${len(WORKSTREAMS) + 1}",
        allow_blank=True,
        showErrorMessage=True,
        error="Choose a workstream from the list",
    )
    due = DataValidation(
        type="date",
        operator="between",
        formula1="36526",  # 2000-01-01
        formula2="73051",  # 2099-12-31
        allow_blank=True,
        showErrorMessage=True,
        error="Enter a date, e.g. 2019-11-30",
    )
    return money, text, ws_list, due


def _list_validations() -> dict[str, DataValidation]:
    """The Return sheet's drop-down lists by column: the scheme fields' lists, then the PMO descriptors', each
    offering the values the Last month sheet holds."""
    from openpyxl.worksheet.datavalidation import DataValidation

    lists: dict[str, DataValidation] = {}
    for key, values in FIELD_LISTS.items():
        col = column_letter(_FIELD_LIST_COLUMNS[key])
        lists[key] = DataValidation(
            type="list",
            formula1=f"='{REF_SHEET}'!${col}$2:${col}${len(values) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            error=f"Choose the {COLUMNS[key].lower()} from the list",
        )
    for key, values in DESCRIPTORS.items():
        col = "N" if values is MILESTONE_DESCRIPTORS else "O"
        lists[key] = DataValidation(
            type="list",
            formula1=f"='{REF_SHEET}'!${col}$2:${col}${len(values) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            error="Choose the PMO descriptor from the list",
        )
    return lists


def _format_return_sheet(ws, rows: _Rows) -> None:
    """Column widths, wrapped header, frozen panes; the sheet protected (widths may change, structure may not)."""
    from openpyxl.styles import Alignment

    widths = {
        "scheme_name": 36,
        "milestones": 30,
        "financial_benefits": 30,
        "risk_issue": 30,
        "plan_change_reason": 30,
        "commentary": 40,
        "programme_area": 24,
        "scheme_owner": 20,
        "key_risk": 30,
        "mitigation": 30,
        "action_owner": 20,
    }
    for key, j in ((k, _col(k)) for k in COLUMNS):
        ws.column_dimensions[column_letter(j)].width = widths.get(key, 13)
        ws.cell(HEADER_ROW, j).alignment = Alignment(wrap_text=True)
    ws.freeze_panes = ws.cell(rows.first, _col("last_actual_ytd"))
    ws.protection.sheet = True
    ws.protection.formatRows = ws.protection.formatColumns = False  # widths may change; structure may not


def _write_pmo_sheet(
    ws, records: list[dict], rows: _Rows, *, org: str, period: str, pmo_password: str | None, units: str = "£000"
) -> None:
    """The PMO sheet: assured value and overall RAG per row (last month's), validated; protected for the PMO."""
    from openpyxl.styles import Font, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    from ..core.text import safe_cell

    ws.append([f"PMO only: assured value and overall RAG, {org} {period} ({units})"])
    ws.append(["Rows match the Return sheet row for row."])
    ws.append(list(PMO_COLUMNS.values()))
    for cell in ws[HEADER_ROW]:
        cell.font = Font(bold=True)
    for rec in records:
        assured = _to_units(rec["assured"], units)
        ws.append([rec["scheme_no"], int(rec["line"]), safe_cell(rec["scheme_name"]), assured, rec["rag"]])
    for r in range(rows.last_known + 1, rows.last + 1):
        ws.cell(r, 3, "(new scheme row: see Return sheet)")
    rag_dv = DataValidation(
        type="list",
        formula1=f'"{",".join(RAGS)}"',
        allow_blank=True,
        showErrorMessage=True,
        error="Green, Amber, Red, Blue (completed) or Grey (closed)",
    )
    money_dv = DataValidation(
        type="decimal",
        operator="between",
        formula1=str(-MONEY_LIMIT * _scale(units)),
        formula2=str(MONEY_LIMIT * _scale(units)),
        allow_blank=True,
        showErrorMessage=True,
    )
    ws.add_data_validation(rag_dv)
    ws.add_data_validation(money_dv)
    rag_dv.add(f"E{rows.first}:E{rows.last}")
    money_dv.add(f"D{rows.first}:D{rows.last}")
    unlocked = Protection(locked=False)
    for r in range(rows.first, rows.last + 1):
        ws.cell(r, 4).protection = unlocked
        ws.cell(r, 5).protection = unlocked
    ws.column_dimensions["C"].width = 36
    ws.protection.sheet = True
    if pmo_password:
        ws.protection.password = pmo_password


def _write_reference_sheet(ws, records: list[dict]) -> None:
    """The hidden Last month sheet: the base month's values per line, and the lists the validations offer."""
    from ..core.text import safe_cell

    ws.append([*REF_COLUMNS, "", "milestone_descriptors", "risk_descriptors", "workstreams"])
    for rec in records:
        ws.append([rec[c] if c != "scheme_name" else safe_cell(rec[c]) for c in REF_COLUMNS])
    for i, ws_name in enumerate(WORKSTREAMS, start=2):
        ws.cell(i, 16, ws_name)
    for i, value in enumerate(MILESTONE_DESCRIPTORS, start=2):
        ws.cell(i, 14, value)
    for i, value in enumerate(RISK_DESCRIPTORS, start=2):
        ws.cell(i, 15, value)
    for key, values in FIELD_LISTS.items():
        ws.cell(1, _FIELD_LIST_COLUMNS[key], key)
        for i, value in enumerate(values, start=2):
            ws.cell(i, _FIELD_LIST_COLUMNS[key], value)
    ws.sheet_state = "hidden"
    ws.protection.sheet = True


def _write_meta_sheet(ws, meta: dict) -> None:
    """The very hidden metadata sheet that marks the workbook as a template and says its period."""
    for key, value in meta.items():
        ws.append([key, value])
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True


# --- reading a returned template ------------------------------------------------------------------


@dataclass
class TemplateResult:
    """What one returned template held: metadata, returned lines, PMO values, problems."""

    path: Path
    meta: dict = field(default_factory=dict)
    lines: dict[tuple[str, int], dict] = field(default_factory=dict)  # returned lines only
    pmo: dict[tuple[str, int], dict] = field(default_factory=dict)  # PMO values changed from the pre-filled
    reference: dict[tuple[str, int], dict] = field(default_factory=dict)  # base month, per line
    provenance: str = ""  # where the file comes from if the PMO said (--provenance, PROVENANCE.txt), else ''
    problems: list[Problem] = field(default_factory=list)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _str(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return restore_cell(str(value)).strip()


def read_template(path: Path, *, fin_year: str, month: int) -> TemplateResult:
    """Read a returned template; every problem located (file, sheet, row, column).

    Steps: open it and take its sheets' rows (:func:`_template_sheets`); check its metadata against the
    ingest (:func:`_checked_meta`); read the base month's lines (:func:`_reference_lines`), then the Return
    and PMO sheets (:func:`_read_return`, :func:`_read_pmo`).
    """
    res = TemplateResult(path=path)
    name = path.name

    def problem(message: str, sheet: str | None = None, row: int | None = None, column: str | None = None) -> None:
        res.problems.append(Problem(name, message, sheet, row, column))

    opened = _template_sheets(res, problem)
    if opened is None:
        return res
    flags, sheets = opened
    meta = {_str(r[0]): r[1] for r in sheets[META_SHEET] if r and r[0] is not None and len(r) > 1}
    res.meta = meta
    org, units = _checked_meta(meta, fin_year=fin_year, month=month, problem=problem)
    if res.problems:
        return res
    res.meta["org"], res.meta["units"] = org, units
    res.reference = _reference_lines(sheets[REF_SHEET])
    ref_rows = list(res.reference.values())
    _read_return(res, sheets[RETURN_SHEET], ref_rows, flags.get(RETURN_SHEET), problem)
    _read_pmo(res, sheets[PMO_SHEET], ref_rows, flags.get(PMO_SHEET), problem)
    return res


def _template_sheets(
    res: TemplateResult, problem: Callable[..., None]
) -> tuple[dict[str, SheetFlags], dict[str, list[tuple]]] | None:
    """The workbook's sheet flags and each sheet's rows; None (the problem in ``res``) when it cannot be opened
    or a template sheet is missing."""
    flags, wb, unopened = open_scanned(res.path)
    if unopened:
        res.problems.append(unopened)
        return None
    try:
        sheets = {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()
    for sheet in (META_SHEET, RETURN_SHEET, PMO_SHEET, REF_SHEET):
        if sheet not in sheets:
            problem(f"template sheet {sheet!r} is missing: start again from a fresh `qipp template`")
    if res.problems:
        return None
    return flags, sheets


def _checked_meta(meta: dict, *, fin_year: str, month: int, problem: Callable[..., None]) -> tuple[str, str]:
    """The template's organisation and units, its metadata checked: the template version, a CCG, the ingest's
    financial year and month, known units (each one wrong a problem on the metadata sheet)."""
    if _str(meta.get("template_version")) != TEMPLATE_VERSION:
        problem(f"template version {meta.get('template_version')!r} is not {TEMPLATE_VERSION!r}", META_SHEET)
    org = _str(meta.get("org"))
    if not safe_code(org) or org not in organisations().ccgs:
        problem(f"template organisation {org!r} is not one of {', '.join(organisations().ccgs)}", META_SHEET)
    t_year, t_month = _str(meta.get("fin_year")), meta.get("month")
    if t_year != fin_year:
        problem(f"template is for financial year {t_year!r}, not {fin_year}", META_SHEET)
    if not isinstance(t_month, int) or not 1 <= t_month <= 12:
        problem(f"template month {t_month!r} is not 1-12", META_SHEET)
    elif t_month != month:
        problem(f"template is for M{t_month}, not M{month}", META_SHEET)
    units = _str(meta.get("units")) or "£000"  # a template written before units were recorded is in £000
    if units not in UNITS:
        problem(f"template units {meta.get('units')!r} are not one of {', '.join(UNITS)}", META_SHEET)
    return org, units


def _reference_lines(rows: list[tuple]) -> dict[tuple[str, int], dict]:
    """The Last month sheet's lines (the base month as the template showed it) by (scheme no., line)."""
    reference: dict[tuple[str, int], dict] = {}
    for r in rows[1:]:
        if r and not _blank(r[0]):
            rec = dict(zip(REF_COLUMNS, r, strict=False))
            rec["scheme_no"], rec["line"] = normalise_scheme_no(rec["scheme_no"]), int(rec["line"])
            reference[(rec["scheme_no"], rec["line"])] = rec
    return reference


def _money_cell(
    value: object,
    row: int,
    key: str,
    problem,
    *,
    sheet: str = RETURN_SHEET,
    header: str | None = None,
    units: str = "£000",
) -> float | None:
    """A money cell in £000, unrounded (a return in pounds: the pounds / 1,000); None when blank, NaN when it is
    not a number (the problem located)."""
    if _blank(value):
        return None
    column = header or COLUMNS[key]
    if units == "£" and isinstance(value, str) and value.strip().lower().endswith("k"):
        problem(
            f"ambiguous money value {value!r}: this return is in £, so a 'k' figure could be pounds or £000; "
            "write it in pounds (e.g. -250000)",
            sheet,
            row,
            column,
        )
        return math.nan
    try:
        number = parse_money(value)
    except ValueError as exc:
        problem(str(exc), sheet, row, column)
        return math.nan
    if units != "£000":  # pounds to £000, snapped to the nearest millionth of a pound (no float dust)
        number = round(number / _scale(units), 9)
    if abs(number) >= MONEY_LIMIT:
        problem(f"{number:,.0f} is beyond ±{MONEY_LIMIT:,.0f} £000", sheet, row, header or COLUMNS[key])
    return number


def _read_return(
    res: TemplateResult, rows: list[tuple], ref_rows: list[dict], flags: SheetFlags | None, problem
) -> None:
    """Read the Return sheet into ``res.lines``: one record per returned line, every problem located.

    Steps per row: skip a blank spare row; identify the line (:func:`_line_key`); read its money;
    skip a template row nobody returned (:func:`_unreturned`); build the record (:func:`_returned_line`).
    """
    if not _return_header_ok(rows, problem):
        return
    res.problems.extend(
        flag_problems(
            flags,
            file=res.path.name,
            sheet=RETURN_SHEET,
            first_row=HEADER_ROW,
            names={j: h for j, h in enumerate(COLUMNS.values(), start=1)},
        )
    )
    seen: dict[tuple[str, int], int] = {}
    known = {(r["scheme_no"], r["line"]) for r in ref_rows}
    spare_after = HEADER_ROW + len(ref_rows)
    for i in range(HEADER_ROW, len(rows)):
        excel_row = i + 1
        cells = dict(zip(COLUMNS, rows[i] + (None,) * (len(COLUMNS) - len(rows[i])), strict=False))
        spare = excel_row > spare_after
        if spare and all(_blank(cells[k]) for k in (*SPARE_INPUTS, *INPUTS) if k != "plan_ytd"):
            continue
        ref = None if spare else ref_rows[i - HEADER_ROW]
        key = _line_key(cells, excel_row, ref, known, seen, problem)
        if key is None:
            continue
        seen[key] = excel_row
        money = {
            k: _money_cell(cells[k], excel_row, k, problem, units=res.meta.get("units", "£000"))
            for k in ("annual_plan", "plan_ytd", "actual_ytd", "fot", "new_annual_plan")
        }
        if not spare and _unreturned(cells, money, excel_row, problem):
            continue
        res.lines[key] = _returned_line(key, cells, money, excel_row, ref, problem)


def _return_header_ok(rows: list[tuple], problem) -> bool:
    """True if the Return sheet's header row is the template's; else the first changed column is reported."""
    if len(rows) >= HEADER_ROW and [_str(c) for c in rows[HEADER_ROW - 1][: len(COLUMNS)]] == list(COLUMNS.values()):
        return True
    got = [_str(c) for c in rows[HEADER_ROW - 1]] if len(rows) >= HEADER_ROW else []
    for j, want in enumerate(COLUMNS.values()):
        if j >= len(got) or got[j] != want:
            problem(
                f"template header changed: expected {want!r}, found {got[j] if j < len(got) else ''!r} "
                "(do not insert, delete or rename columns)",
                RETURN_SHEET,
                HEADER_ROW,
                column_letter(j + 1),
            )
            return False
    return True


def _line_key(cells: dict, excel_row: int, ref: dict | None, known: set, seen: dict, problem) -> tuple[str, int] | None:
    """The row's (scheme no., line), or None when it cannot be taken: a moved template row (``ref`` is
    what the template put there), a spare row without a scheme number or reusing a line, a duplicate."""
    scheme_no = normalise_scheme_no(cells["scheme_no"])
    try:
        line = int(cells["line"] or 1)
    except (TypeError, ValueError):
        problem(f"line {cells['line']!r} is not a number", RETURN_SHEET, excel_row, COLUMNS["line"])
        return None
    key = (scheme_no, line)
    if ref is not None:
        if key != (ref["scheme_no"], ref["line"]):
            problem(
                f"row holds scheme {scheme_no} line {line} but the template put {ref['scheme_no']} line "
                f"{ref['line']} here: rows were moved or edited",
                RETURN_SHEET,
                excel_row,
                COLUMNS["scheme_no"],
            )
            return None
    elif not scheme_no:
        problem("a new scheme row needs its scheme number", RETURN_SHEET, excel_row, COLUMNS["scheme_no"])
        return None
    elif key in known:
        problem(
            f"new scheme row uses scheme {scheme_no} line {line}, already a row above",
            RETURN_SHEET,
            excel_row,
            COLUMNS["scheme_no"],
        )
        return None
    if key in seen:
        problem(
            f"duplicate scheme number {scheme_no} line {line}: already on row {seen[key]}",
            RETURN_SHEET,
            excel_row,
            COLUMNS["scheme_no"],
        )
        return None
    return key


def _unreturned(cells: dict, money: dict, excel_row: int, problem) -> bool:
    """True if a template row has neither Actual YTD nor Revised FOT (not returned); a problem if other
    cells of it were filled."""
    if money["actual_ytd"] is not None or money["fot"] is not None:
        return False
    if money["new_annual_plan"] is not None or any(not _blank(cells[k]) for k in DESCRIPTORS):
        problem(
            "a return needs Actual YTD and Revised FOT (row has other cells filled)",
            RETURN_SHEET,
            excel_row,
            COLUMNS["actual_ytd"],
        )
    return True


def _returned_line(key: tuple[str, int], cells: dict, money: dict, excel_row: int, ref: dict | None, problem) -> dict:
    """The record of one returned line: figures, descriptors, commentary, and its name, workstream and plan
    (a new scheme's from the row, :func:`_new_scheme`; a template line's carried, :func:`_carried_plan`)."""
    scheme_no, line = key
    for k in ("actual_ytd", "fot", "plan_ytd"):
        if money[k] is None:
            problem(f"{COLUMNS[k]} is blank: a return needs it", RETURN_SHEET, excel_row, COLUMNS[k])
    rec = {"scheme_no": scheme_no, "line": line, "source_row": excel_row, "new": ref is None}
    for k in DESCRIPTORS:
        text = _str(cells[k])
        if text and text not in DESCRIPTORS[k]:
            problem(f"{text[:60]!r} is not one of the PMO descriptors in the list", RETURN_SHEET, excel_row, COLUMNS[k])
        rec[k] = text
    rec["commentary"] = _str(cells["commentary"])
    rec.update(_scheme_fields(cells, excel_row, new=ref is None, problem=problem))
    if ref is None:
        rec.update(_new_scheme(scheme_no, cells, money, excel_row, problem))
    else:
        rec.update(_carried_plan(ref, cells, money, excel_row, problem))
    for k in ("plan_ytd", "actual_ytd", "fot"):
        rec[k] = money[k] if money[k] is not None else math.nan
    return rec


def _scheme_fields(cells: dict, excel_row: int, *, new: bool, problem) -> dict:
    """Programme area, planning stage and status (from their lists; a returned line needs each, a new
    scheme's blank status is New), scheme owner, key risk, mitigation, action owner and action due
    (a date, stored as ISO text)."""
    out = {}
    for key, values in FIELD_LISTS.items():
        text = _str(cells[key])
        value = {v.lower(): v for v in values}.get(text.lower(), "")
        if not text and key == "status" and new:
            value = "New"
        elif not text or not value:
            what = f"{COLUMNS[key]} is blank: choose" if not text else f"{text[:60]!r} is not"
            problem(f"{what} one of {', '.join(values)}", RETURN_SHEET, excel_row, COLUMNS[key])
        out[key] = value
    for key in FIELD_TEXT:
        out[key] = _str(cells[key])
    out["action_due"] = _due_date(cells["action_due"], excel_row, problem)
    return out


def _due_date(value: object, excel_row: int, problem) -> str:
    """An Action due cell as ISO text ('' if blank): a date cell, or text as 2019-11-30 or 30/11/2019."""
    if _blank(value):
        return ""
    if isinstance(value, datetime | date):
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    text = _str(value)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date().isoformat()
        except ValueError:
            continue
    problem(f"{text[:40]!r} is not a date (e.g. 2019-11-30)", RETURN_SHEET, excel_row, COLUMNS["action_due"])
    return ""


def _new_scheme(scheme_no: str, cells: dict, money: dict, excel_row: int, problem) -> dict:
    """Name, workstream and annual plan of a scheme new this month (a spare row): all three are needed."""
    name = _str(cells["scheme_name"])
    if not name:
        problem("a new scheme needs its name", RETURN_SHEET, excel_row, COLUMNS["scheme_name"])
    ws_name = _str(cells["workstream"]) or workstream_map().get(scheme_no, "")
    if ws_name not in WORKSTREAMS:
        problem(
            f"workstream {ws_name!r} is not one of the twelve workstreams",
            RETURN_SHEET,
            excel_row,
            COLUMNS["workstream"],
        )
    if money["annual_plan"] is None:
        problem("a new scheme needs its annual plan", RETURN_SHEET, excel_row, COLUMNS["annual_plan"])
    plan = money["annual_plan"] if money["new_annual_plan"] is None else money["new_annual_plan"]
    return {"scheme_name": name, "workstream": ws_name, "annual_plan": plan, "plan_change": None}


def _carried_plan(ref: dict, cells: dict, money: dict, excel_row: int, problem) -> dict:
    """Name, workstream and annual plan of a template line: carried from the base month, unless a New
    Annual Plan with a reason changes the plan; an edited Annual Plan cell is a problem."""
    carried = float(ref["annual_plan"])
    if money["annual_plan"] is None or abs(money["annual_plan"] - carried) > 1e-9:
        problem(
            f"annual plan changed from {carried:,.0f} to {money['annual_plan']} (£000) without a plan change: "
            "restore it and put the new plan in 'New Annual Plan' with a reason",
            RETURN_SHEET,
            excel_row,
            COLUMNS["annual_plan"],
        )
    fields = {
        "scheme_name": _str(ref["scheme_name"]),
        "workstream": _str(ref["workstream"]),
        "annual_plan": carried,
        "plan_change": None,
    }
    if money["new_annual_plan"] is not None:
        reason = _str(cells["plan_change_reason"])
        if not reason:
            problem(
                "a New Annual Plan needs a Plan change reason",
                RETURN_SHEET,
                excel_row,
                COLUMNS["plan_change_reason"],
            )
        fields["plan_change"] = {"from": carried, "to": money["new_annual_plan"], "reason": reason}
        fields["annual_plan"] = money["new_annual_plan"]
    return fields


def _read_pmo(res: TemplateResult, rows: list[tuple], ref_rows: list[dict], flags: SheetFlags | None, problem) -> None:
    res.problems.extend(
        flag_problems(
            flags,
            file=res.path.name,
            sheet=PMO_SHEET,
            first_row=HEADER_ROW,
            names={j: h for j, h in enumerate(PMO_COLUMNS.values(), start=1)},
        )
    )
    by_row = {rec["source_row"]: key for key, rec in res.lines.items()}
    for i in range(HEADER_ROW, len(rows)):
        excel_row = i + 1
        r = rows[i] + (None,) * 5
        known = i - HEADER_ROW < len(ref_rows)
        key = (
            (ref_rows[i - HEADER_ROW]["scheme_no"], ref_rows[i - HEADER_ROW]["line"])
            if known
            else by_row.get(excel_row)
        )
        if key is None:
            continue
        assured = _money_cell(
            r[3],
            excel_row,
            "assured",
            problem,
            sheet=PMO_SHEET,
            header=PMO_COLUMNS["assured"],
            units=res.meta.get("units", "£000"),
        )
        rag_text = _str(r[4])
        rag = rag_text.capitalize()
        if rag not in RAGS:
            problem(
                f"Overall PMO RAG {rag_text!r} is not one of {', '.join(RAGS)}",
                PMO_SHEET,
                excel_row,
                PMO_COLUMNS["rag"],
            )
        if assured is None:
            problem("PMO Assured Value is blank", PMO_SHEET, excel_row, PMO_COLUMNS["assured"])
        ref = res.reference.get(key)
        if ref is None or assured != float(ref["assured"]) or rag != _str(ref["rag"]):
            res.pmo[key] = {"assured": assured if assured is not None else math.nan, "rag": rag, "file": res.path.name}


# --- merging returns into the month ------------------------------------------------------------------


@dataclass
class Merged:
    """The merged month of one or more organisations, and what the PMO must hear about."""

    records: list[dict] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    new: list[str] = field(default_factory=list)
    plan_changes: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    commentary: list[dict] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def _kind(files: list[TemplateResult]) -> str:
    """The kind of an organisation's return this month ('synthetic', 'published', else 'SRO return'): a line
    nobody returned is carried under it, so a month has one provenance per organisation."""
    given = next((r.provenance for r in reversed(files) if r.provenance), "")
    return given.split(":", 1)[0].strip() if ":" in given else "SRO return"


#: What a line nobody returned carries forward from the base month (beside the PMO's RAG and assured value).
CARRIED = (
    "scheme_no",
    "scheme_name",
    "workstream",
    "milestones",
    "financial_benefits",
    "risk_issue",
    "rag",
    "plan_ytd",
    "actual_ytd",
    "annual_plan",
    "fot",
    "assured",
    "source_file",
    "source_sheet",
    "source_row",
    *RETURN_FIELDS,
)

Key = tuple[str, int]  # (scheme_no, line)


def merge_returns(results: list[TemplateResult], *, base_rows: dict[str, pd.DataFrame]) -> Merged:
    """Merge returned templates per organisation (rules in the module docstring).

    ``base_rows`` maps an organisation to its stored rows of the base month (with ``line``).
    """
    out = Merged()
    by_org: dict[str, list[TemplateResult]] = {}
    for res in results:
        by_org.setdefault(res.meta["org"], []).append(res)
    for org, files in by_org.items():
        found = _base_month(org, files, base_rows, out)
        if found is None:
            continue
        base_m, base = found
        chosen, pmo = _chosen_lines(org, files, out)
        base_keyed = {(r["scheme_no"], int(r["line"])): r for r in base.to_dict("records")}
        order = [*base_keyed, *[k for k in chosen if k not in base_keyed]]
        for n, key in enumerate(order):
            old = base_keyed.get(key)
            pm = pmo.get(key, {})
            if key in chosen:
                row = _returned_row(org, key, chosen[key], old, pm, out)
            else:
                assert old is not None  # `order` lists the base month's lines, then only the chosen ones
                row = {
                    **{k: old[k] for k in CARRIED if k in old},
                    "org": org,
                    "rag": pm.get("rag", old["rag"]),
                    "assured": pm.get("assured", old["assured"]),
                    "provenance": f"{_kind(files)}: carried forward from M{base_m}: no return received",
                }
                out.missing.append(f"{org} {key[0]} line {key[1]} {old['scheme_name']}")
            out.records.append({**row, "row": n})
    return out


def _base_month(
    org: str, files: list[TemplateResult], base_rows: dict[str, pd.DataFrame], out: Merged
) -> tuple[int, pd.DataFrame] | None:
    """The month an organisation's templates were made from and its stored rows; None (and a problem in
    ``out``) when its templates disagree or those rows are no longer held."""
    bases = {(r.meta["base_fin_year"], r.meta["base_month"]) for r in files}
    if len(bases) > 1:
        out.problems.append(
            Problem(
                files[-1].path.name,
                f"{org} templates were made from different months "
                f"({', '.join(f'{y} M{m}' for y, m in sorted(bases))}): use one template",
            )
        )
        return None
    base_fy, base_m = bases.pop()
    base = base_rows.get(org)
    if base is None or base.empty:
        out.problems.append(
            Problem(
                files[-1].path.name,
                f"the {base_fy} M{base_m} returns of {org} that the template was made from are no longer held",
            )
        )
        return None
    return base_m, base


def _chosen_lines(
    org: str, files: list[TemplateResult], out: Merged
) -> tuple[dict[Key, tuple[TemplateResult, dict]], dict[Key, dict]]:
    """Each returned line from the last file that returns it (a replacement noted in ``out``), and the PMO's
    figures by line."""
    chosen: dict[Key, tuple[TemplateResult, dict]] = {}
    pmo: dict[Key, dict] = {}
    for res in files:
        for key, rec in res.lines.items():
            if key in chosen:
                was = chosen[key][0].path.name
                out.replaced.append(f"{org} {key[0]} line {key[1]}: {res.path.name} replaces {was}")
            chosen[key] = (res, rec)
        pmo.update(res.pmo)
    return chosen, pmo


def _returned_row(
    org: str, key: Key, returned: tuple[TemplateResult, dict], old: dict | None, pm: dict, out: Merged
) -> dict:
    """A returned line as a stored row; a new scheme, a plan change and commentary are noted in ``out``."""
    res, rec = returned
    row = {
        "org": org,
        "scheme_no": key[0],
        "scheme_name": rec["scheme_name"],
        "workstream": rec["workstream"],
        **{k: rec[k] for k in DESCRIPTORS},
        **{k: rec[k] for k in RETURN_FIELDS},
        "rag": pm.get("rag", old["rag"] if old else ""),
        "plan_ytd": rec["plan_ytd"],
        "actual_ytd": rec["actual_ytd"],
        "annual_plan": rec["annual_plan"],
        "fot": rec["fot"],
        "assured": pm.get("assured", old["assured"] if old else math.nan),
        "provenance": res.provenance or f"SRO return: {res.path.name}",  # the file is source_file
        "source_file": res.path.name,
        "source_sheet": RETURN_SHEET,
        "source_row": rec["source_row"],
    }
    if old is None:
        out.new.append(
            f"{org} {key[0]} {rec['scheme_name']} (annual plan {rec['annual_plan']:,.0f}) "
            f"[{res.path.name} row {rec['source_row']}]"
        )
        if not pm:
            out.problems.append(
                Problem(
                    res.path.name,
                    "a new scheme needs the PMO's assured value and overall RAG",
                    PMO_SHEET,
                    rec["source_row"],
                )
            )
    if rec["plan_change"]:
        pc = rec["plan_change"]
        out.plan_changes.append(
            f"{org} {key[0]} line {key[1]}: annual plan {pc['from']:,.0f} -> "
            f"{pc['to']:,.0f} ({pc['reason']}) [{res.path.name}]"
        )
    if rec["commentary"] or rec["plan_change"]:
        out.commentary.append(
            {
                "org": org,
                "scheme_no": key[0],
                "line": key[1],
                "commentary": rec["commentary"],
                "plan_change_reason": (rec["plan_change"] or {}).get("reason", ""),
                "scheme_name": rec.get("scheme_name", ""),
                "file": res.path.name,
                "sheet": RETURN_SHEET,
                "row": rec["source_row"],
            }
        )
    return row
