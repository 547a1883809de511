"""The workstream headlines and key risks page on the published M6 rows, and the published risk narrative (issue 24).

ELR's Urgent Care lines in Paper D Appendix 3: Same Day Emergency Care, milestones / benefits / risk all
red on an annual plan of (593); Integrated Urgent Care amber / red / red on (234). So the workstream is
red on all three (most of its plan is red), with one red and one amber milestone line.
"""

from __future__ import annotations

import pytest

from qipp_helpers.report import workstreams as page
from qipp_helpers.report.frp.model import frp_bridge
from qipp_helpers.report.position.model import monthly_position

from ..books import workbook_of


@pytest.fixture(scope="module")
def llr(returns, warnings, adjustments, commentary):
    return monthly_position(
        returns, warnings, fin_year="2019-20", month=6, org="LLR", adjustments=adjustments, commentary=commentary
    )


def test_each_ccg_has_a_page_with_the_descriptors_rag(llr):
    pages = page.workstream_pages(llr)
    assert [p.org for p in pages] == ["ELR", "WL", "LC"]
    elr = pages[0].ratings.set_index("workstream")
    uc = elr.loc["Urgent Care"]
    assert (uc["milestones"], uc["financial_benefits"], uc["risk_issue"]) == ("Red", "Red", "Red")
    assert (uc["milestones_counts"], uc["financial_benefits_counts"], uc["risk_issue_counts"]) == ("R1 A1", "R2", "R2")
    assert uc["annual_plan"] == pytest.approx(-827.0)  # Paper D Table 2, ELR Urgent Care plan
    for p in pages:
        assert set(p.ratings["milestones"]) <= {"Red", "Amber", "Green", ""}
        assert (p.ratings["change"] == "").all() and "synthetic" in p.change_note  # M5 is synthetic: no change
        assert p.risks is None and "No key risks recorded in the returns" in page.notes_block(p)
        html = page.ratings_table(p).to_html()
        assert "background-color" in html and "Since last month" in html


def test_paper_d_risks_and_qag_outcome_appear_as_published(llr, returns, warnings, adjustments, commentary):
    block = page.published_risks_block(llr)
    assert "published: Paper D section 1.4" in block and "published: Paper D section 2.1" in block
    assert "It is unlikely that Long Term Conditions will deliver savings this year." in block
    assert "The CNH service is not expected to deliver benefits until April 2020." in block
    assert "it was deemed that there were no schemes which required escalation" in block
    assert block.count("\n- **") == 6  # three risks, three QAG areas
    elr = monthly_position(returns, warnings, fin_year="2019-20", month=6, org="ELR", adjustments=adjustments)
    assert page.published_risks_block(elr) == ""  # published for the LLR system only


def test_the_frp_risk_note_and_paper_e_summary_appear_in_the_frp_report(frp_tables):
    block = page.frp_risk_block(frp_bridge(frp_tables, fin_year="2019-20", month=6, org="LLR"))
    assert "FRP schemes amounting to £2.440m and £3.564m respectively" in block
    assert "there is a high level of risk associated with these plans." in block
    assert "a deficit of £33.9m, adjusting this for £20.7m delivery of FRP schemes" in block
    assert "published: Paper E, System Financial Recovery Plan" in block
    assert "published: Paper D" in block and "section 1.5, under Table 6" in block


@pytest.mark.slow  # writes the report workbook: make test, not make test-fast
def test_the_workbook_gains_the_workstream_headlines_sheet(llr, tmp_path):
    from qipp_helpers.pack.xlsx import write_tables_xlsx

    from ..workbook_checks import check_workbook

    book = page.with_sheets(workbook_of(llr), page.workstream_pages(llr))
    path = tmp_path / "monthly_position.xlsx"
    write_tables_xlsx(path, book.tables, notes=book.notes, headline=book.headline)
    sheets = check_workbook(path)
    head = sheets[page.SHEET]
    assert head["Organisation"].unique().tolist() == ["ELR", "WL", "LC"]
    uc = head[(head["Organisation"] == "ELR") & (head["Workstream"] == "Urgent Care")].iloc[0]
    assert (uc["Milestones"], uc["Financial benefits"], uc["Risk/issue"]) == ("Red", "Red", "Red")
    assert page.RISKS_SHEET not in sheets  # the returns record no key risks
