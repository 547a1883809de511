"""The tidy scheme-returns schema, checked with pandera on the way into the store."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from .errors import Problem
from .model import CCGS, MONEY_COLUMNS, RAGS, RETURN_COLUMNS, WORKSTREAMS

_money = {
    c: pa.Column(float, checks=pa.Check(lambda s: s.abs() < 1e9, error="money must be finite £000"),
                 nullable=False)
    for c in MONEY_COLUMNS
}

RETURNS_SCHEMA = pa.DataFrameSchema(
    {
        "fin_year": pa.Column(str, pa.Check.str_matches(r"^\d{4}-\d{2}$")),
        "month": pa.Column(int, pa.Check.in_range(1, 12)),
        "org": pa.Column(str, pa.Check.isin(CCGS)),
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
    },
    strict=True,
    ordered=False,
    coerce=False,
)


def empty_returns() -> pd.DataFrame:
    """An empty returns table with the stored dtypes."""
    df = pd.DataFrame({c: pd.Series(dtype="object") for c in RETURN_COLUMNS})
    return coerce_returns(df)


def coerce_returns(df: pd.DataFrame) -> pd.DataFrame:
    """Give a returns table its stored column order and dtypes (str, int, float)."""
    out = df.reindex(columns=list(RETURN_COLUMNS)).copy()
    for c in RETURN_COLUMNS:
        if c in MONEY_COLUMNS:
            out[c] = out[c].astype(float)
        elif c in ("month", "row", "source_row"):
            out[c] = out[c].astype("int64")
        else:
            out[c] = out[c].fillna("").astype(str)
    return out


def validate_returns(df: pd.DataFrame) -> list[Problem]:
    """Check a returns table against the schema; every failing cell becomes a located Problem."""
    try:
        RETURNS_SCHEMA.validate(df, lazy=True)
    except pa.errors.SchemaErrors as exc:
        problems = []
        for _, case in exc.failure_cases.iterrows():
            idx = case.get("index")
            col = case.get("column")
            where = df.loc[idx] if idx is not None and idx in df.index else None
            problems.append(Problem(
                file=str(where["source_file"]) if where is not None else "(returns table)",
                sheet=str(where["source_sheet"]) if where is not None else None,
                row=int(where["source_row"]) if where is not None else None,
                column=None if col is None else str(col),
                message=f"{case.get('check')}: value {case.get('failure_case')!r}",
            ))
        return problems
    return []
