"""What changed since last month: every kind of change found, and nothing else; the RAG matrix; the report's
section, summary line and xlsx sheet."""

from __future__ import annotations

import pandas as pd
import pytest

from qipp_helpers.analysis import changes as ch
from qipp_helpers.reference import prefilled_fields
from qipp_helpers.report import changes as since


@pytest.fixture(scope="module")
def months(returns: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """ELR's published M6 as last month, and an M7 made from it with one change of every kind planted."""
    m6 = returns[(returns["month"] == 6) & (returns["org"] == "ELR")].reset_index(drop=True)
    m7 = prefilled_fields(m6).assign(month=7, provenance="SRO return: ELR.xlsx")
    m7["fot"] = m6["fot"]
    i = {no: m7.index[m7["scheme_no"] == no][0] for no in ("1.1", "1.3", "1.4", "1.5", "1.6", "1.7", "2.1")}
    m7.loc[i["1.1"], "rag"] = "Red" if m7.loc[i["1.1"], "rag"] != "Red" else "Amber"
    m7.loc[i["1.3"], "status"] = "Closed"
    m7.loc[i["1.4"], "annual_plan"] -= 100
    m7.loc[i["1.5"], "planning_stage"] = "Pipeline" if m7.loc[i["1.5"], "planning_stage"] != "Pipeline" else "Design"
    m7.loc[i["1.6"], "programme_area"] = "Primary Care"
    m7.loc[i["1.7"], "provenance"] = "SRO return: carried forward from M6: no return received"
    m7.loc[i["2.1"], "fot"] -= 250
    gone = m7.index[m7["scheme_no"] == "2.2"]
    new = m7.loc[[i["1.1"]]].assign(scheme_no="9.9", scheme_name="Falls prevention", status="New", row=999)
    m7 = pd.concat([m7.drop(gone), new], ignore_index=True)
    said = pd.DataFrame(
        {
            "fin_year": "2019-20",
            "month": 7,
            "org": "ELR",
            "scheme_no": ["1.4", "1.4", "2.1"],
            "kind": ["sro", "plan_change", "sro"],
            "text": ["Slower start", "Contract variation signed", "Activity below plan"],
        }
    )
    return m6, m7, said


def test_every_planted_change_is_listed_and_nothing_else(months):
    m6, m7, said = months
    got = ch.changes(m7, m6, said)
    listed = set(zip(got["scheme_no"], got["change"], strict=True))
    assert listed == {
        ("1.1", "RAG"),
        ("9.9", "New scheme"),
        ("1.3", "Closed"),
        ("1.7", "No return"),
        ("2.2", "No return"),
        ("1.4", "Plan change"),
        ("1.5", "Stage move"),
        ("1.6", "Area move"),
        ("2.1", "FOT movement"),
    }
    plan = got[got["change"] == "Plan change"].iloc[0]
    assert (plan["amount"], plan["reason"]) == (-100.0, "Contract variation signed")
    fot = got[got["change"] == "FOT movement"].iloc[0]
    assert (fot["amount"], fot["reason"]) == (-250.0, "Activity below plan")
    assert list(got.columns) == list(ch.COLUMNS)
    assert list(dict.fromkeys(got["change"])) == [k for k in ch.KINDS if k in set(got["change"])]


def test_rag_matrix_counts_lines_and_plan(months):
    m6, m7, _ = months
    grid = ch.rag_matrix(m7, m6)
    both = len(m6) - 1  # 2.2 has no line this month
    assert grid["schemes"].sum() == both
    moved = grid[grid["from"] != grid["to"]]
    assert len(moved) == 1 and moved["schemes"].iloc[0] == 1


def test_report_section_sheet_and_sentence(months, returns):
    _, m7, said = months
    held = pd.concat([returns, m7], ignore_index=True)
    c = since.since_last_month(held, said, fin_year="2019-20", month=7, org="ELR")
    assert c.compared and c.counts["No return"] == 2
    assert since.sentence(c).startswith("Since M6 2019/20, ELR's scheme lines show 1 RAG move")
    sheet = since.xlsx_table(c)
    assert [col.header for col in sheet.columns] == [
        "Scheme no.",
        "Scheme",
        "Organisation",
        "Change",
        "From",
        "To",
        "£000",
        "Reason",
    ]
    # the published M6 against the synthetic M5: one sentence, no table
    c6 = since.since_last_month(returns, None, fin_year="2019-20", month=6, org="LLR")
    assert not c6.compared and since.xlsx_table(c6) is None
    assert since.sentence(c6) == (
        "M5 2019/20: synthetic demonstration data, not returns (LLR's returns). No change of a real month is listed "
        "against them."
    )
    c1 = since.since_last_month(returns, None, fin_year="2019-20", month=1, org="ELR")
    assert since.sentence(c1) == (
        "No returns for ELR are held for M12 2018/19: there is no previous month to compare with."
    )


def test_the_section_and_matrix_take_their_headers_from_their_declarations(months, returns):
    _, m7, said = months
    c = since.since_last_month(
        pd.concat([returns, m7], ignore_index=True), said, fin_year="2019-20", month=7, org="ELR"
    )
    shown = since.table(c)
    assert list(shown.data.columns) == since.table_spec(c).headers("html")
    assert [col.header for col in since.xlsx_table(c).columns] == since.table_spec(c).headers("xlsx")
    spec = since.matrix_spec(c)
    grid = since.matrix(c)
    assert (
        list(grid.data.columns) == spec.headers("html") == ["RAG M6 2019/20", "RAG this month", "Lines", "Annual plan"]
    )
    assert grid.caption == spec.caption
    html = grid.to_html()
    assert "background-color" in html  # the two RAG columns coloured, as before
