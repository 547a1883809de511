"""Workstream headlines and key risks on hand-made rows (issue 24): ratings, changes, risks, overdue actions."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pandas as pd

from qipp_helpers.analysis import workstreams as ws
from qipp_helpers.report import workstreams as page

ON = "On track to hit target / Meet key criteria"
AMBER = "Off track to hit target / Meet key criteria but mitigating actions have been implemented"
RED = "Off track to hit target / Meet key criteria, mitigating actions have not been implemented"
HIGH = (
    "Planned activity(ies) is (are) at high risk of not delivering on time but no mitigation actions have been put "
    "in place"
)


def _rows(*lines: tuple, **extra: list) -> pd.DataFrame:
    cols = ["org", "scheme_no", "scheme_name", "workstream", "milestones", "financial_benefits", "risk_issue"]
    df = pd.DataFrame(list(lines), columns=[*cols, "annual_plan"])
    return df.assign(fot=df["annual_plan"] * 0.8, rag="Amber", provenance="published: test", **extra)


ROWS = _rows(
    ("ELR", "1.1", "Big", "Urgent Care", ON, ON, HIGH, -900.0),
    ("ELR", "1.2", "Small", "Urgent Care", RED, RED, HIGH, -100.0),
    ("ELR", "2.1", "Even A", "Planned Care", AMBER, ON, HIGH, -50.0),
    ("ELR", "2.2", "Even B", "Planned Care", RED, ON, HIGH, -50.0),
    ("ELR", "", "Rounding to printed Grand Total", "", "", "", "", -1.0),
)


def test_a_workstream_takes_the_rating_of_most_of_its_plan_and_ties_go_to_the_worse():
    r = ws.workstream_ratings(ROWS).set_index("workstream")
    assert r.loc["Urgent Care", "milestones"] == "Green" and r.loc["Urgent Care", "milestones_counts"] == "R1 G1"
    assert r.loc["Urgent Care", "risk_issue"] == "Red" and r.loc["Urgent Care", "schemes"] == 2
    assert r.loc["Planned Care", "milestones"] == "Red"  # 50 amber, 50 red: the worse
    assert list(r.index) == ["Planned Care", "Urgent Care"]  # Paper D's order; the rounding line left out


def test_changes_since_last_month():
    now = ws.workstream_ratings(ROWS)
    before = ws.workstream_ratings(ROWS.assign(milestones=[RED, RED, AMBER, RED, ""], risk_issue=ON))
    assert ws.changes(now, before).tolist() == ["risk/issue ↓", "milestones ↑, risk/issue ↓"]
    assert ws.changes(now, now).tolist() == ["same", "same"]
    assert ws.changes(now, None).tolist() == ["", ""]


def test_period_end():
    assert ws.period_end("2019-20", 6) == date(2019, 9, 30)
    assert ws.period_end("2019-20", 12) == date(2020, 3, 31)
    assert ws.period_end("2019-20", 10) == date(2020, 1, 31)


def _report(rows: pd.DataFrame, previous: pd.DataFrame | None = None) -> SimpleNamespace:
    return SimpleNamespace(rows=rows, previous=previous, fin_year="2019-20", month=6, org="ELR")


def test_without_risk_fields_the_page_says_so_and_shows_none():
    (p,) = page.workstream_pages(_report(ROWS))
    assert p.risks is None and page.risks_table(p) is None
    assert page.NO_FIELDS in page.notes_block(p)
    assert "No returns are held for M5" in page.notes_block(p)


def test_returned_risks_actions_and_overdue_ones():
    rows = ROWS.assign(
        key_risk=["EMAS activity", "", "", "Clinic capacity =1+1", ""],
        mitigation=["Weekly review", "", "", "Extra lists", ""],
        action_owner=["J Smith", "", "", "", ""],
        action_due=["2019-09-15", "", "", "2019-11-30", ""],
        scheme_owner=["SRO A", "", "", "SRO B", ""],
    )
    (p,) = page.workstream_pages(_report(rows, previous=rows.assign(provenance="published: M5")))
    assert p.risks["scheme_no"].tolist() == ["2.2", "1.1"]  # Paper D's workstream order
    assert p.risks["overdue"].tolist() == [False, True]  # due 15 Sep 2019, before the end of September
    html = page.risks_table(p).to_html()
    assert "2019-09-15 (overdue)" in html and "Clinic capacity =1+1" in html
    assert "2 key risks recorded in the returns; 1 action overdue" in page.notes_block(p)
    assert p.ratings["change"].tolist() == ["same", "same"]
    empty = rows.assign(key_risk="", mitigation="")
    (q,) = page.workstream_pages(_report(empty))
    assert q.risks is not None and q.risks.empty and page.NONE_RECORDED in page.notes_block(q)


def test_a_synthetic_last_month_gives_no_change():
    (p,) = page.workstream_pages(_report(ROWS, previous=ROWS.assign(provenance="synthetic: seeded")))
    assert p.ratings["change"].tolist() == ["", ""]
    assert "synthetic" in p.change_note
    assert "–" in page.ratings_table(p).to_html()


def test_a_due_date_kept_as_a_timestamp_or_as_free_text():
    rows = ROWS.assign(
        key_risk=["A", "B", "", "", ""],
        mitigation="",
        action_owner="",
        action_due=[pd.Timestamp("2019-09-01"), "end of October", None, None, None],
        scheme_owner="",
    )
    risks = ws.key_risks(rows, date(2019, 9, 30))
    assert risks["action_due"].tolist() == ["2019-09-01", "end of October"]
    assert risks["overdue"].tolist() == [True, False]  # free text is never called overdue


def test_the_key_risks_sheet_holds_the_returned_text_as_text(tmp_path):
    from qipp_helpers.pack.xlsx import write_tables_xlsx
    from qipp_helpers.report.publish import Book

    from ..workbook_checks import check_workbook

    rows = ROWS.assign(
        key_risk=["=HYPERLINK(1)", "", "", "", ""],
        mitigation=["Weekly review", "", "", "", ""],
        action_owner=["J Smith", "", "", "", ""],
        action_due=["2019-09-15", "", "", "", ""],
        scheme_owner="",
    )
    pages = page.workstream_pages(_report(rows))
    book = page.with_sheets(Book({}, [], []), pages)
    path = tmp_path / "w.xlsx"
    write_tables_xlsx(path, book.tables)
    risks = check_workbook(path)[page.RISKS_SHEET]
    assert risks["Key risk"].tolist() == ["'=HYPERLINK(1)"]  # neutralised by the writer: text, never a formula
    assert risks["Overdue"].tolist() == ["Yes"]
    # the page's table and the sheet take their headers from the one declaration
    spec, shown = page.risks_spec(pages[0]), page.risks_table(pages[0])
    assert [str(c) for c in shown.data.columns] == spec.headers("html") and shown.caption == spec.caption
    assert [c.header for c in book.tables[page.RISKS_SHEET].columns] == spec.headers("xlsx")
    assert list(risks.columns) == spec.headers("xlsx") and book.tables[page.RISKS_SHEET].title == spec.title
