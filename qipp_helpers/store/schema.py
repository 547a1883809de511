"""The tidy scheme-returns schema, checked with pandera on the way into the store."""

from __future__ import annotations

import functools

import pandas as pd
import pandera.pandas as pa

from ..core.errors import Problem
from ..core.orgs import organisations
from ..core.vocab import (
    FRP_PRINTED,
    FRP_RAGS,
    MONEY_COLUMNS,
    PLANNING_STAGES,
    PODS,
    PROGRAMME_AREAS,
    QIPP_AREAS,
    RAGS,
    RETURN_FIELDS,
    SCHEME_STATUSES,
    WORKSTREAMS,
)

#: Columns of the tidy scheme-returns table, in storage order.
RETURN_COLUMNS: tuple[str, ...] = (
    "fin_year",
    "month",
    "org",
    "row",
    "scheme_no",
    "scheme_name",
    "workstream",
    "milestones",
    "financial_benefits",
    "risk_issue",
    "rag",
    *MONEY_COLUMNS,
    "provenance",
    "source_file",
    "source_sheet",
    "source_row",
    *RETURN_FIELDS,
)

#: A combined (e.g. LLR) dashboard sheet's rows as received: not returns (the CCGs' are), but the control
#: that locates a CCG's missing rows (see :mod:`qipp_helpers.analysis.adjustments`).
COMBINED_COLUMNS: tuple[str, ...] = (
    "fin_year",
    "month",
    "org",
    "scheme_no",
    "scheme_name",
    "milestones",
    "financial_benefits",
    "risk_issue",
    "rag",
    *MONEY_COLUMNS,
    "provenance",
    "source_file",
    "source_sheet",
    "source_row",
)
#: Each CCG sheet's printed Grand Total row: the control its scheme rows must add up to.
PRINTED_TOTAL_COLUMNS: tuple[str, ...] = (
    "fin_year",
    "month",
    "org",
    *MONEY_COLUMNS,
    "source_file",
    "source_sheet",
    "source_row",
)
#: Commentary per organisation, month and scheme (group): from SRO returns, a PMO commentary sheet, or a paper.
COMMENTARY_COLUMNS: tuple[str, ...] = (
    "fin_year",
    "month",
    "org",
    "scheme_no",
    "kind",
    "section",
    "order",
    "label",
    "text",
    "provenance",
    "source_file",
    "source_sheet",
    "source_row",
)

#: Columns of the reconciliation-warnings table (a return that does not add up to its printed total).
WARNING_COLUMNS: tuple[str, ...] = (
    "fin_year",
    "month",
    "org",
    "source_file",
    "sheet",
    "column",
    "printed",
    "computed",
    "difference",
    "message",
)


#: An action due date as stored: ISO text (YYYY-MM-DD), or blank.
_ISO_DATE = r"^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"

_money = {
    c: pa.Column(float, checks=pa.Check(lambda s: s.abs() < 1e9, error="money must be finite £000"), nullable=False)
    for c in MONEY_COLUMNS
}

RETURNS_SCHEMA = pa.DataFrameSchema(
    {
        "fin_year": pa.Column(str, pa.Check.str_matches(r"^\d{4}-\d{2}$")),
        "month": pa.Column(int, pa.Check.in_range(1, 12)),
        "org": pa.Column(
            str,
            pa.Check(
                lambda s: s.isin(organisations().ccgs), error="organisation must be a known CCG (organisations.csv)"
            ),
        ),
        "row": pa.Column(int, pa.Check.ge(0)),
        "scheme_no": pa.Column(str, pa.Check.str_length(min_value=1)),
        "scheme_name": pa.Column(str, pa.Check.str_length(min_value=1)),
        "workstream": pa.Column(str, pa.Check.isin(WORKSTREAMS)),
        "milestones": pa.Column(str),
        "financial_benefits": pa.Column(str),
        "risk_issue": pa.Column(str),
        "rag": pa.Column(str, pa.Check.isin(RAGS)),
        **_money,
        "provenance": pa.Column(str, pa.Check.str_length(min_value=1)),
        "source_file": pa.Column(str),
        "source_sheet": pa.Column(str),
        "source_row": pa.Column(int),
        "programme_area": pa.Column(str, pa.Check.isin(["", *QIPP_AREAS])),
        "planning_stage": pa.Column(str, pa.Check.isin(["", *PLANNING_STAGES])),
        "status": pa.Column(str, pa.Check.isin(["", *SCHEME_STATUSES])),
        "scheme_owner": pa.Column(str),
        "key_risk": pa.Column(str),
        "mitigation": pa.Column(str),
        "action_owner": pa.Column(str),
        "action_due": pa.Column(str, pa.Check.str_matches(_ISO_DATE)),
    },
    strict=True,
    ordered=False,
    coerce=False,
    name="returns table",
)


def empty_returns() -> pd.DataFrame:
    """An empty returns table with the stored dtypes."""
    df = pd.DataFrame({c: pd.Series(dtype="object") for c in RETURN_COLUMNS})
    return coerce_returns(df)


def coerce_returns(df: pd.DataFrame) -> pd.DataFrame:
    """Give a returns table its stored column order and dtypes (str, int, float)."""
    out = df.reindex(columns=list(RETURN_COLUMNS))  # a new frame (copy on write): ``df`` is never changed
    for c in RETURN_COLUMNS:
        if c in MONEY_COLUMNS:
            out[c] = out[c].astype(float)
        elif c in ("month", "row", "source_row"):
            out[c] = out[c].astype("int64")
        else:
            out[c] = _text(out[c])
    return out


#: pandas' text dtype ("str"), what every text column is stored as.
_STR = pd.Series([""]).astype(str).dtype


def _text(column: pd.Series) -> pd.Series:
    """A column as text, missing values blank (a text column without any is kept as it is: 100x faster)."""
    if column.dtype == _STR and not column.hasnans:
        return column
    if column.dtype.kind in "fiub":  # numbers (an absent column is all NaN): as text, NaN blank
        column = column.astype(object)
    return column.fillna("").astype(str)


def validate_returns(df: pd.DataFrame) -> list[Problem]:
    """Check a returns table against the schema; every failing cell becomes a located Problem.

    A table that passes :func:`returns_pass` (every check of :data:`RETURNS_SCHEMA`, column by column in
    a few vectorised operations) passes the schema; any other is checked by pandera, which locates
    every failing cell as it always has.
    """
    return [] if returns_pass(df) else validate(df, RETURNS_SCHEMA)


_FIN_YEAR = r"^[0-9]{4}-[0-9]{2}$"


def returns_pass(df: pd.DataFrame) -> bool:
    """True if the table meets every check of :data:`RETURNS_SCHEMA` (a sufficient test: False says nothing).

    The same rules, made at least as strict (ASCII digits only), on a table with the stored dtypes:
    so a table that passes here passes pandera too, in a fraction of its time.
    """
    expected = _returns_dtypes()
    if list(df.columns) != list(expected.index) or not (df.dtypes == expected).all():
        return False
    if df.empty:
        return True
    text = [c for c in RETURN_COLUMNS if c not in MONEY_COLUMNS and c not in ("month", "row", "source_row")]
    if any(df[c].isna().any() for c in text):
        return False
    money = df[list(MONEY_COLUMNS)].to_numpy(dtype=float)
    if not (abs(money) < 1e9).all():  # NaN fails too
        return False
    return bool(
        df["fin_year"].str.fullmatch(_FIN_YEAR).all()
        and ((df["month"].to_numpy() >= 1) & (df["month"].to_numpy() <= 12)).all()
        and df["org"].isin(organisations().ccgs).all()
        and (df["row"].to_numpy() >= 0).all()
        and (df["scheme_no"].str.len() >= 1).all()
        and (df["scheme_name"].str.len() >= 1).all()
        and (df["provenance"].str.len() >= 1).all()
        and df["workstream"].isin(WORKSTREAMS).all()
        and df["rag"].isin(RAGS).all()
        and df["programme_area"].isin(["", *QIPP_AREAS]).all()
        and df["planning_stage"].isin(["", *PLANNING_STAGES]).all()
        and df["status"].isin(["", *SCHEME_STATUSES]).all()
        and df["action_due"].str.fullmatch(_ISO_DATE).all()
    )


@functools.cache
def _returns_dtypes() -> pd.Series:
    return empty_returns().dtypes


def validate(df: pd.DataFrame, schema: pa.DataFrameSchema) -> list[Problem]:
    """Check a table with source_file/sheet/row columns; every failing cell becomes a located Problem."""
    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems = []
        for _, case in exc.failure_cases.iterrows():
            idx = case.get("index")
            col = case.get("column")
            where = df.loc[idx] if idx is not None and idx in df.index else None
            problems.append(
                Problem(
                    file=str(where["source_file"]) if where is not None else f"({schema.name or 'table'})",
                    sheet=str(where["source_sheet"]) if where is not None else None,
                    row=int(where["source_row"]) if where is not None else None,
                    column=None if col is None else str(col),
                    message=f"{case.get('check')}: value {case.get('failure_case')!r}",
                )
            )
        return problems
    return []


#: The stored FRP tables (see :mod:`qipp_helpers.ingest.frp` for the workbook layout).
FRP_KEY = ("fin_year", "month", "system")
FRP_LINE_COLUMNS: tuple[str, ...] = (
    *FRP_KEY,
    "as_at",
    "row",
    "kind",
    "group",
    "scheme",
    "rag",
    *FRP_PRINTED.values(),
    "provenance",
    "source_file",
    "source_sheet",
    "source_row",
)
FRP_POSITION_COLUMNS: tuple[str, ...] = (
    *FRP_KEY,
    "as_at",
    "row",
    "kind",
    "section",
    "item",
    "org",
    "value",
    "provenance",
    "source_file",
    "source_sheet",
    "source_row",
)
FRP_CHECK_COLUMNS: tuple[str, ...] = (
    *FRP_KEY,
    "where",
    "column",
    "printed",
    "computed",
    "difference",
    "source_file",
    "source_sheet",
    "source_row",
)
#: Float and int columns of the FRP and RightCare tables (:func:`coerce_table`); every other column is text.
_FLOATS = {
    *FRP_PRINTED.values(),
    *MONEY_COLUMNS,
    "value",
    "printed",
    "computed",
    "difference",
    "spend",
    "weighted_population",
    "amount",
    "combined_value",
    "members_value",
    "control_printed",
    "control_computed",
}
_INTS = {"month", "row", "source_row", "rank", "order"}

_key = {
    "fin_year": pa.Column(str, pa.Check.str_matches(r"^\d{4}-\d{2}$")),
    "month": pa.Column(int, pa.Check.in_range(1, 12)),
    "system": pa.Column(
        str,
        pa.Check(
            lambda s: s.isin(list(organisations().systems)), error="system must be an FRP system (organisations.csv)"
        ),
    ),
    "as_at": pa.Column(str),
    "row": pa.Column(int, pa.Check.ge(0)),
    "provenance": pa.Column(str, pa.Check.str_length(min_value=1)),
    "source_file": pa.Column(str),
    "source_sheet": pa.Column(str),
    "source_row": pa.Column(int),
}
_finite = pa.Check(lambda s: s.dropna().abs() < 1e9, error="money must be finite £000")
FRP_LINES_SCHEMA = pa.DataFrameSchema(
    {
        **_key,
        "kind": pa.Column(str, pa.Check.isin(["scheme", "group_total", "grand_total"])),
        "group": pa.Column(str),
        "scheme": pa.Column(str),
        "rag": pa.Column(str, pa.Check.isin(list(FRP_RAGS))),
        **{c: pa.Column(float, _finite, nullable=True) for c in FRP_PRINTED.values()},
    },
    strict=True,
    ordered=False,
    coerce=False,
    name="FRP scheme table",
)
FRP_POSITION_SCHEMA = pa.DataFrameSchema(
    {
        **_key,
        "kind": pa.Column(str, pa.Check.isin(["line", "total"])),
        "section": pa.Column(str),
        "item": pa.Column(str),
        "org": pa.Column(str),
        "value": pa.Column(float, _finite),
    },
    strict=True,
    ordered=False,
    coerce=False,
    name="FRP position",
)


def coerce_table(df: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Give an FRP or RightCare table its stored column order and dtypes (str, int, float)."""
    out = df.reindex(columns=list(columns))  # a new frame (copy on write): ``df`` is never changed
    for c in columns:
        if c in _FLOATS:
            out[c] = out[c].astype(float)
        elif c in _INTS:
            out[c] = out[c] if out[c].dtype == "int64" else out[c].fillna(0).astype("int64")
        else:
            out[c] = _text(out[c])
    return out


#: The stored RightCare tables (see :mod:`qipp_helpers.ingest.rightcare` for the workbook layout).
#: ``spend`` is £ per 1,000 weighted population; a slice is (fin_year, ccg) in each table.
RIGHTCARE_KEY = ("fin_year", "ccg")
RIGHTCARE_INDICATOR_COLUMNS: tuple[str, ...] = (
    *RIGHTCARE_KEY,
    "data_year",
    "ccg_name",
    "programme_area",
    "pod",
    "spend",
    "weighted_population",
    "provenance",
    "source_file",
    "source_sheet",
    "source_row",
)
RIGHTCARE_PEER_COLUMNS: tuple[str, ...] = (
    *RIGHTCARE_KEY,
    "rank",
    "peer",
    "provenance",
    "source_file",
    "source_sheet",
    "source_row",
)
_rc_common = {
    "fin_year": pa.Column(str, pa.Check.str_matches(r"^\d{4}-\d{2}$")),
    "ccg": pa.Column(str, pa.Check.str_length(min_value=1)),
    "provenance": pa.Column(str, pa.Check.str_length(min_value=1)),
    "source_file": pa.Column(str),
    "source_sheet": pa.Column(str),
    "source_row": pa.Column(int),
}
RIGHTCARE_INDICATORS_SCHEMA = pa.DataFrameSchema(
    {
        **_rc_common,
        "data_year": pa.Column(str),
        "ccg_name": pa.Column(str),
        "programme_area": pa.Column(str, pa.Check.isin(list(PROGRAMME_AREAS))),
        "pod": pa.Column(str, pa.Check.isin(list(PODS))),
        "spend": pa.Column(float, [pa.Check.ge(0), pa.Check.lt(1e7)], nullable=False),
        "weighted_population": pa.Column(float, [pa.Check.gt(0), pa.Check.lt(1e8)], nullable=False),
    },
    strict=True,
    ordered=False,
    coerce=False,
    name="RightCare indicators",
)
RIGHTCARE_PEERS_SCHEMA = pa.DataFrameSchema(
    {**_rc_common, "rank": pa.Column(int, pa.Check.ge(1)), "peer": pa.Column(str, pa.Check.str_length(min_value=1))},
    strict=True,
    ordered=False,
    coerce=False,
    name="RightCare peers",
)
