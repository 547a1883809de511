"""The pack's front matter: its order, its words on synthetic data and store versions, and the summary's content."""

from __future__ import annotations

import re
from dataclasses import replace
from html import unescape
from pathlib import Path

import pandas as pd
import pytest

from qipp_helpers.core.errors import UsageError
from qipp_helpers.pack.front import FrontPage, PackReport, check_date, long_date, reading_order
from qipp_helpers.report.narrative import glossary, organisation_note
from qipp_helpers.report.summary import DataNote, data_notes, pack_summary
from qipp_helpers.report.tables import money, text


def _report(notebook: str, org: str, data: str = "Data: published", version: int | None = 7) -> PackReport:
    return PackReport(notebook, org, "ok", {"pdf": Path(f"{org}/{notebook}.pdf")}, data=data, store_version=version)


def test_reading_order_is_the_system_then_its_ccgs_then_others_each_in_catalogue_order():
    shuffled = [
        _report("rightcare_opportunity", "DDCCG"),
        _report("under_delivery_drivers", "WL"),
        _report("monthly_position", "LC"),
        _report("rightcare_opportunity", "LLR"),
        _report("monthly_position", "ELR"),
        _report("monthly_position", "LLR"),
        _report("frp_bridge", "LLR"),
    ]
    assert [f"{r.org}/{r.notebook}" for r in reading_order(shuffled)] == [
        "LLR/monthly_position",
        "LLR/frp_bridge",
        "LLR/rightcare_opportunity",
        "ELR/monthly_position",
        "WL/under_delivery_drivers",
        "LC/monthly_position",
        "DDCCG/rightcare_opportunity",
    ]


def test_a_report_is_named_plainly_and_flagged_by_its_own_data_line():
    mp = _report("monthly_position", "ELR", "Data: published; previous month synthetic (see section 6)")
    rc = _report("rightcare_opportunity", "LLR", "Data: ILLUSTRATIVE, SYNTHETIC DATA; QIPP plan published")
    dd = _report("rightcare_opportunity", "DDCCG", "Data: RightCare indicators synthetic; Table 3 published")
    frp = _report("frp_bridge", "LLR", "Data: published (see section 5)")
    assert mp.title == "Monthly position — East Leicestershire & Rutland CCG"
    assert mp.data_words == "published; previous month synthetic"
    # illustrative is the report's own claim (every figure synthetic), not any synthetic first part (issue 25)
    assert (mp.flag, rc.flag, dd.flag, frp.flag) == (
        "Some figures synthetic",
        "Illustrative",
        "Some figures synthetic",
        "",
    )
    front = FrontPage("2019-20", 6, [mp, rc, frp], summary=None, notes=[])
    assert front.synthetic_words() == (
        "1 of the 3 reports is illustrative: built on synthetic (demonstration) data to show a method, not real "
        "figures. 1 other report includes some synthetic figures beside published ones; each report says which "
        "of its figures are synthetic."
    )


def test_reports_from_different_store_versions_are_said_to_be():
    one = FrontPage("2019-20", 6, [_report("monthly_position", "ELR")], None, [], store={"version": 7})
    assert one.versions_note() == ""
    mixed = FrontPage(
        "2019-20",
        6,
        [_report("monthly_position", "ELR", version=6), _report("monthly_position", "WL", version=7)],
        None,
        [],
        store={"version": 7},
    )
    note = mixed.versions_note()
    assert "different versions of the data store" in note
    assert "version 6: Monthly position — East Leicestershire & Rutland CCG" in note
    assert "version 7: Monthly position — West Leicestershire CCG" in note and "from version 7" in note


def test_meeting_date_and_cut_off_are_dates():
    assert check_date("2019-10-17", "--meeting-date") == "2019-10-17" and check_date("", "--x") == ""
    assert long_date("2019-10-04") == "4 October 2019"
    with pytest.raises(UsageError, match="--meeting-date '17/10/2019': expected a date such as 2019-10-17"):
        check_date("17/10/2019", "--meeting-date")
    front = FrontPage("2019-20", 6, [], None, [], store={"version": 7, "committed": "2019-10-05T09:00:00+00:00"})
    assert front.cutoff_words() == "data as held in store version 7, committed 5 October 2019"


def test_summary_says_the_position_what_moved_and_what_the_group_is_asked(returns, warnings, frp_tables, adjustments):
    s = pack_summary(returns, warnings, fin_year="2019-20", month=6, frp_tables=frp_tables, adjustments=adjustments)
    assert s is not None and s.lead == "LLR" and s.asked == "The QIPP Assurance Group is asked to:"
    assert s.position[0].startswith(
        "Leicester, Leicestershire & Rutland (ELR + WL + LC) is forecasting an under delivery of the QIPP plan for "
        "2019/20 of £18.275m, of which £10.989m is attributed to unidentified QIPP. This has moved adversely by "
        "£0.516m from last month."
    )
    assert "East Leicestershire & Rutland CCG is reporting an under delivery of £8.191m against plan" in s.position[1]
    assert "have unidentified QIPP amounting to £6.166m and £4.823m respectively" in s.position[1]
    assert s.position[2].startswith("The LLR system financial recovery plan (FRP) forecasts a deficit of £33.881m")
    # the movement rests on the synthetic M5: every row and the sentence say so
    assert {h["basis"] for h in s.headlines} == {
        "M6: published; movement: M5: synthetic demonstration data, not returns"
    }
    assert s.moved[0].endswith(
        "The movement compares two months (M6: published; M5: synthetic demonstration data, not returns): see the "
        "data-quality notes."
    )
    assert s.asks[0] == ("NOTE and DISCUSS", "the content of this report")
    assert ("NOTE", "that the PMO assures £44.840m, £2.848m less than the SROs forecast") in s.asks
    assert any(
        v == "NOTE" and "an adjustment for WL's 4.1 Continuing Healthcare ((664) annual plan)" in w for v, w in s.asks
    )
    assert any(v == "DISCUSS" and w.startswith("the Red-rated schemes, which carry £16.768m") for v, w in s.asks)
    assert "(computed against last month's figures: synthetic demonstration data, not returns)" in s.asks[1][1]


def test_data_quality_notes_speak_to_a_committee(returns, warnings, frp_tables, rightcare_tables):
    notes = data_notes(
        returns, warnings, fin_year="2019-20", month=6, frp_tables=frp_tables, rightcare_tables=rightcare_tables
    )
    titles = [n.title for n in notes]
    assert titles == [
        "Returns that do not add up to their own totals",
        "The tables against the printed paper (Paper D)",
        "FRP figures that do not follow from their columns (LLR)",
        "Where the figures come from: published and synthetic data",
    ]
    assert notes[0].spec.headers("html") == [
        "Organisation",
        "Figure",
        "Printed total",
        "Computed from the rows",
        "Difference (printed − computed)",
    ]
    table = notes[0].table
    row = table[(table["org"] == "West Leicestershire CCG") & (table["column"] == "Annual Plan")].iloc[0]
    assert (row["printed"], row["computed"]) == ("(22,378)", "(21,715)")
    where = " ".join(notes[-1].paragraphs)
    assert "Scheme returns for M1–M5 2019/20: synthetic demonstration data, not returns (" in where
    assert "Scheme returns for M6 2019/20: published (" in where
    assert "every FOT movement in month (M6 compared with M5)" in where
    assert "The RightCare reports built on them are illustrative" in where


def _printed(html: str) -> tuple[list[str], list[str]]:
    """A table's printed column headers and those of its right-aligned columns."""
    heads = re.findall(r"<th scope='col'( class='num')?>([^<]*)</th>", html)
    return [unescape(h) for _, h in heads], [unescape(h) for num, h in heads if num]


def test_the_front_matters_tables_take_headers_and_alignment_from_their_declarations(
    returns, warnings, frp_tables, adjustments
):
    """The summary's headline table and every data-quality note's table are declared once (a TableSpec): the pack
    prints each one's headers (Col.html_header) and right-aligns its figures (Col.numeric) from the declaration,
    and its cells from the display text keyed by column key, escaped."""
    from qipp_helpers.pack.front import headline_table, notes_html
    from qipp_helpers.report import printed, summary, tracker

    s = pack_summary(returns, warnings, fin_year="2019-20", month=6, frp_tables=frp_tables, adjustments=adjustments)
    assert s is not None and s.one_basis  # every row rests on the same data: no "Figures rest on" column
    notes = data_notes(returns, warnings, fin_year="2019-20", month=6, frp_tables=frp_tables)
    notes.append(tracker.tracker_note(tracker.month_tracker(returns, [], fin_year="2019-20", month=6)))
    declared = [n.spec for n in notes if n.spec is not None]
    assert declared == [summary.UNRECONCILED, printed.NOTE_TABLE, summary.FRP_CHECKS, tracker.RETURNS_RECEIVED]
    shown = re.findall(r"<table>.*?</table>", notes_html(FrontPage("2019-20", 6, [], s, notes)), re.S)
    headline = headline_table(s)
    assert s.headline_spec.headers("html") == summary.HEADLINES.headers("html")[:-1]
    assert f"<caption>Headline position by organisation, {s.period}: £000" in unescape(headline)
    for spec, html in [(s.headline_spec, headline), *zip(declared, shown, strict=True)]:
        columns = spec.columns_for("html")
        assert _printed(html) == (spec.headers("html"), [c.html_header for c in columns if c.numeric]), spec.name
    assert _printed(shown[1])[1] == ["Money cells printed", "Cells that differ", "Largest difference (£000)"]
    # the rows: the organisation heads its row; the data each row rests on is a column once rows differ
    assert headline.count("<th scope='row'>") == len(s.headlines)
    mixed = replace(s, headlines=[{**h, "basis": f"basis {i}"} for i, h in enumerate(s.headlines)])
    assert _printed(headline_table(mixed))[0] == summary.HEADLINES.headers("html")
    # a header or a cell is the declaration's and the note's text, printed as plain text
    spec = replace(summary.FRP_CHECKS, columns=(text("where", "Line <i>"), money("printed", "Printed & more")))
    note = DataNote("x", [], spec, pd.DataFrame({"where": ["<b>bold</b>"], "printed": ["(1)"]}))
    html = notes_html(FrontPage("2019-20", 6, [], None, [note]))
    assert _printed(html) == (["Line <i>", "Printed & more"], ["Printed & more"])
    assert "<td>&lt;b&gt;bold&lt;/b&gt;</td><td class='num'>(1)</td>" in html and "<b>" not in html


def test_glossary_explains_the_terms_and_every_organisation_of_the_pack():
    terms = dict(glossary(["LLR", "ELR", "DDCCG"]))
    for term in ("FOT", "YTD", "SRO", "PMO assured value", "QAG", "RAG", "RightCare", "FRP", "CCG"):
        assert term in terms, term
    assert terms["DDCCG"].startswith("NHS Derby and Derbyshire CCG. Derbyshire's four CCGs")
    assert "ER" in terms and "UHL" in terms  # a group's members and the system's providers come with it
    assert organisation_note("ELR") == "One of the 3 CCGs that make up LLR."


def test_the_glossary_explains_every_abbreviation_of_the_published_commentary_and_scheme_names():
    """Each capitalised abbreviation in Paper D's commentary and scheme groups is a glossary term or an organisation."""
    import re

    from qipp_helpers.core.orgs import organisations
    from qipp_helpers.reference import _reference_strings, paper_d_commentary

    words = {w for term, _ in glossary(["LLR", "ELR", "DDCCG"]) for w in re.split(r"[,/ ]+", term)}
    commentary = paper_d_commentary()
    groups = _reference_strings("scheme_groups.csv")
    text = " ".join([*commentary["text"], *commentary["label"], *groups["label"], *groups["movement_label"]])
    found = set(re.findall(r"\b[A-Z][A-Z0-9]{1,}\b", text))
    assert found - words - set(organisations().orgs) == set()


@pytest.mark.slow  # assembles a pack: make test, not make test-fast
def test_a_pack_that_cannot_be_assembled_is_said_on_the_front_page_and_fails_the_run(
    demo_data_dir, tmp_path, monkeypatch
):
    import json

    from qipp_helpers.core.errors import RenderError
    from qipp_helpers.pack import document

    def broken(folder: Path, front: FrontPage) -> None:
        raise ValueError("a report PDF is damaged")

    monkeypatch.setattr(document, "write_pack", broken)
    manifest = {"fin_year": "2019-20", "month": 6, "reports": [], "store": {"version": 1}}
    with pytest.raises(RenderError, match=r"could not assemble the pack PDF QIPP_pack_2019-20_M06\.pdf"):
        document.publish_month(tmp_path, manifest, data_dir=demo_data_dir, meeting_date="2019-10-17")
    page = (tmp_path / "index.html").read_text()
    assert "The pack PDF could not be assembled (ValueError: a report PDF is damaged)" in page
    assert "The QIPP Assurance Group is asked to:" in page  # the summary still stands
    record = json.loads((tmp_path / "manifest.json").read_text())["pack"]
    assert record["file"] is None and record["error"] == "ValueError: a report PDF is damaged"
    assert record["meeting_date"] == "2019-10-17"
