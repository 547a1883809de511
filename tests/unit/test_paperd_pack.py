"""A pack a committee can take (issue 25): the driver threshold scales with a CCG's plan, illustrative reports
stay out of the circulated pack, one sign convention and one voice, and the small things that cost trust."""

from __future__ import annotations

import pandas as pd
import pytest

from qipp_helpers.analysis import drivers as d
from qipp_helpers.report import blocks
from qipp_helpers.report.drivers import tables as drivers_tables
from qipp_helpers.report.drivers.model import under_delivery
from qipp_helpers.report.frp import tables as frp_page
from qipp_helpers.report.position import tables as position_tables

from ..books import workbook_of

FY = "2019-20"


def _drivers(returns, warnings, adjustments, commentary, org, **kw):
    return under_delivery(
        returns, warnings, fin_year=FY, month=6, org=org, adjustments=adjustments, commentary=commentary, **kw
    )


def test_scaled_threshold_is_the_systems_times_the_plan_share():
    assert d.scaled_threshold(-16943, -65963, 300) == 75  # LC: 77.1 to the nearest £5k
    assert d.scaled_threshold(-26642, -65963, 300) == 120  # ELR
    assert d.scaled_threshold(-22378, -65963, 300) == 100  # WL
    assert d.scaled_threshold(-65963, -65963, 300) == 300
    assert d.scaled_threshold(-10, -65963, 300) == 5  # never below one step
    assert d.system_of("LC") == "LLR" and d.system_of("LLR") is None


@pytest.mark.parametrize(("org", "threshold", "other_at_most"), [("LC", 75, 150), ("ELR", 120, 700), ("WL", 100, 320)])
def test_at_ccg_level_other_holds_the_small_lines_only(
    returns, warnings, adjustments, commentary, org, threshold, other_at_most
):
    """Paper D's £300k at LLR level left 2,242 of LC's 2,277 gap in Other; scaled to LC's plan it leaves 114."""
    flat = _drivers(returns, warnings, adjustments, commentary, org)
    scaled = _drivers(returns, warnings, adjustments, commentary, org, scale_threshold=True)
    other = scaled.drivers.set_index("item").loc["Other", org]
    total = scaled.drivers.set_index("item").loc["Total", org]
    assert scaled.threshold == threshold
    assert abs(other) <= other_at_most and abs(other) < 0.1 * total
    if org == "LC":
        assert flat.drivers.set_index("item").loc["Other", "LC"] == pytest.approx(2242)
        assert other == pytest.approx(114)
    assert scaled.threshold_basis.startswith(f"Drivers are named over £{threshold}k: the £300k threshold at LLR")
    assert "Drivers are named over" in blocks.adjustment_footnote(scaled, "table4")
    assert f"£{threshold}k:" in drivers_tables.drivers_table(scaled).to_html()


def test_the_system_keeps_paper_ds_threshold(returns, warnings, adjustments, commentary):
    llr = _drivers(returns, warnings, adjustments, commentary, "LLR", scale_threshold=True)
    assert llr.threshold == 300 and llr.threshold_basis == ""
    assert llr.drivers.set_index("item").loc["Other", "LLR"] == pytest.approx(1157, abs=5)  # Paper D prints 1,161


# --- illustrative reports are not in the circulated pack by default -------------------------------------


def _plan(demo_data_dir, tmp_path, returns, frp_tables, rightcare_tables, **kw):
    from qipp_helpers.pack.catalogue import CATALOGUE, Held, notebooks_dir
    from qipp_helpers.pack.plan import plan

    from ..conftest import ROOT

    held = Held(returns=returns, frp=frp_tables["lines"], rightcare=rightcare_tables["peers"])
    nbs = {n: notebooks_dir(ROOT / "notebooks") / f"{n}.ipynb" for n in CATALOGUE}
    return plan(
        fin_year=FY, months=[6], orgs=None, notebooks=nbs, data_dir=demo_data_dir, out=tmp_path, held=held, **kw
    )


@pytest.mark.slow  # plans the whole pack: make test, not make test-fast
def test_the_default_pack_has_no_wholly_synthetic_report(
    demo_data_dir, tmp_path, returns, frp_tables, rightcare_tables
):
    from qipp_helpers.pack.catalogue import ILLUSTRATIVE_REASON

    default = _plan(demo_data_dir, tmp_path, returns, frp_tables, rightcare_tables)
    rendered = {(r.notebook, r.org) for r in default.reports}
    assert ("rightcare_opportunity", "LLR") not in rendered
    assert ("rightcare_opportunity", "DDCCG") in rendered  # Derbyshire's Table 3 is published beside it
    skipped = {(s["notebook"], s["org"]): s for s in default.skipped}
    assert skipped["rightcare_opportunity", "LLR"]["reason"] == ILLUSTRATIVE_REASON
    assert skipped["rightcare_opportunity", "LLR"]["illustrative"] is True
    with_them = _plan(demo_data_dir, tmp_path, returns, frp_tables, rightcare_tables, include_illustrative=True)
    assert ("rightcare_opportunity", "LLR") in {(r.notebook, r.org) for r in with_them.reports}


def test_run_has_an_include_illustrative_option():
    from typer.testing import CliRunner

    from qipp_helpers.cli import app

    result = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert "--include-illustrative" in result.output


# --- Paper D's appendices in the pack ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def appendices(returns, adjustments):
    from qipp_helpers.report.appendices import paper_d_appendices

    return paper_d_appendices(returns, adjustments, fin_year=FY, month=6)


def test_appendices_2_to_5_hold_every_scheme_line(appendices, returns):
    from qipp_helpers.pack.front import appendix_html

    assert [a.title for a in appendices] == [
        "Appendix 1: PMO red-rated schemes (LLR)",
        "Appendix 2: Full LLR QIPP dashboard",
        "Appendix 3: Full ELR CCG QIPP dashboard",
        "Appendix 4: Full WL CCG QIPP dashboard",
        "Appendix 5: Full LC CCG QIPP dashboard",
    ]
    m6 = returns[(returns["fin_year"] == FY) & (returns["month"] == 6)]
    assert len(m6) == 138  # Paper D Appendices 3-5: 50 + 44 + 44 scheme lines
    assert [a.lines for a in appendices[2:]] == [50, 44, 44]
    html = "".join(appendix_html(a) for a in appendices[2:])
    assert html.count("<tr><td") == 138  # every scheme line is a plain row; totals and adjustments are marked
    assert html.count("<tr class=total>") == 6 and html.count("<tr class=adjustment>") == 4
    for app, org in zip(appendices[2:], ("ELR", "WL", "LC"), strict=True):
        names = list(app.table["scheme_name"].iloc[: app.lines])
        assert names == list(m6.loc[m6["org"] == org, "scheme_name"]), org
    # each CCG's total with its adjustments is the printed Grand Total (Paper D Appendices 3-5)
    last = {a.title.split()[3]: a.table.iloc[-1] for a in appendices[2:]}
    assert last["WL"]["annual_plan"] == "(22,378)" and last["WL"]["fot"] == "(14,571)"
    assert last["ELR"]["plan_ytd"] == "(12,575)" and last["LC"]["assured"] == "(13,836)"


def test_appendix_1_has_paper_ds_columns(appendices):
    a1 = appendices[0]
    assert a1.spec.headers("html") == [
        "Scheme name",
        "Deliverables",
        "Milestones",
        "Total risks",
        "Issues",
        "Overall PMO RAG ratings",
        "Annual plan",
        "Revised FOT",
    ]
    body = a1.table.iloc[:-1]
    ratings = [c.key for c in a1.columns if c.source]
    assert len(ratings) == 4 and a1.rag_columns == [*ratings, "rag"]
    assert len(body) == 12 and (body[ratings] == "Red").all().all()
    assert "14 of the 26 money cells differ from Paper D Appendix 1" in a1.note


def test_the_appendices_take_their_columns_from_the_monthly_positions_declarations(appendices):
    """The pack prints each appendix's headers from its declaration: the dashboards are the workbook's schemes
    sheet as printed, Appendix 1 the monthly report's red-rated schemes without its No."""
    import re

    from qipp_helpers.pack.front import appendix_html
    from qipp_helpers.report.position import tables as position_tables

    a1, dashboards = appendices[0], appendices[1:]
    for a in appendices:
        html = appendix_html(a)
        assert re.findall(r"<th scope='col'[^>]*>([^<]*)</th>", html) == a.spec.headers("html")
        numeric = re.findall(r"<th scope='col' class=num>([^<]*)</th>", html)
        assert numeric == [c.html_header for c in a.columns if c.kind == "gbp000"], a.title
        assert list(a.table.columns) == [c.key for c in a.columns]
    assert {a.spec for a in dashboards} == {position_tables.SCHEMES}
    assert dashboards[0].spec.headers("html")[:2] == ["No.", "Scheme name"]
    assert position_tables.SCHEMES.headers("xlsx")[:3] == ["Organisation", "Scheme no.", "Scheme name"]
    red = position_tables.RED_SCHEMES.headers("html")
    assert a1.spec.headers("html") == [h if h != "Overall PMO RAG" else "Overall PMO RAG ratings" for h in red[1:]]


def test_the_pack_lists_the_appendices_in_its_contents_and_back_matter(appendices, returns, warnings, adjustments):
    from qipp_helpers.pack import document
    from qipp_helpers.pack.front import FrontPage

    front = FrontPage(fin_year=FY, month=6, reports=[], summary=None, notes=[], appendices=appendices)
    back = document.back_html(front)
    for a in appendices:
        assert f"id='{a.anchor}'" in back
    assert back.index("appendix-5") < back.index("id='glossary'")
    starts = {a.anchor: 10 + a.number for a in appendices} | {"glossary": 20, "notes": 22}
    contents = document._contents(front, {"contents": 2}, starts)
    assert "Appendix 4: Full WL CCG QIPP dashboard" in contents and "44 scheme lines" in contents


# --- one sign convention, one definition of under-delivery, Paper D's table numbers in its order --------------


@pytest.mark.slow  # draws every chart: make test, not make test-fast
def test_every_chart_and_table_states_one_sign_convention(returns, warnings, adjustments, commentary, frp_tables):
    from qipp_helpers.report import workbook
    from qipp_helpers.report.frp.model import frp_bridge
    from qipp_helpers.report.narrative import GLOSSARY
    from qipp_helpers.report.position.model import monthly_position
    from qipp_helpers.report.style import SIGN_CONVENTION, SIGNS

    assert {s.key for s in SIGNS.values()} == {SIGN_CONVENTION}  # the key under every chart
    assert GLOSSARY["Signs"].startswith(SIGN_CONVENTION)
    mp = monthly_position(returns, warnings, fin_year=FY, month=6, org="LLR", adjustments=adjustments)
    ud = _drivers(returns, warnings, adjustments, commentary, "LLR")
    frp = frp_bridge(frp_tables, fin_year=FY, month=6, org="LLR")
    for book in (workbook_of(mp), workbook_of(ud), workbook_of(frp)):
        units = [detail for note, detail in book.notes if note == "Units and signs"]
        assert len(units) == 1 and units[0].startswith(SIGN_CONVENTION)
    assert workbook.QIPP_SIGNS.startswith(SIGN_CONVENTION)


def test_one_definition_of_under_delivery():
    import json

    from qipp_helpers.report.narrative import GLOSSARY
    from qipp_helpers.report.style import SIGNS, UNDER_DELIVERY

    from ..conftest import ROOT

    assert UNDER_DELIVERY in GLOSSARY["Under delivery"]
    nb = json.loads((ROOT / "notebooks" / "under_delivery_drivers.ipynb").read_text(encoding="utf-8"))
    text = " ".join("".join(c["source"]) for c in nb["cells"])
    assert "annual plan minus FOT" not in text and "plan − forecast" not in SIGNS["drivers"].step_key
    assert "forecast out-turn − annual plan" in text


def test_tables_3_and_4_in_paper_ds_order_and_no_other_table_3():
    import json

    from ..conftest import ROOT

    nb = json.loads((ROOT / "notebooks" / "under_delivery_drivers.ipynb").read_text(encoding="utf-8"))
    heads = [c["source"][0] for c in nb["cells"] if c["cell_type"] == "markdown" and c["source"][0].startswith("## ")]
    assert heads[1].startswith("## 2. Movement in forecast out-turn")  # Table 3
    assert heads[2].startswith("## 3. Breakdown of under delivery")  # Table 4
    rc = json.loads((ROOT / "notebooks" / "rightcare_opportunity.ipynb").read_text(encoding="utf-8"))
    heads = [c["source"][0] for c in rc["cells"] if c["cell_type"] == "markdown" and c["source"][0].startswith("## ")]
    assert "## 3. Derbyshire Table 3 as published" in [h.strip() for h in heads]


# --- the small things that cost trust (each failed on the output before issue 25) ----------------------------


@pytest.fixture(scope="module")
def llr_position(returns, warnings, adjustments, commentary):
    from qipp_helpers.report.position.model import monthly_position

    return monthly_position(
        returns, warnings, fin_year=FY, month=6, org="LLR", adjustments=adjustments, commentary=commentary
    )


def test_an_organisation_code_is_never_title_cased_in_a_header(
    returns, warnings, adjustments, commentary, llr_position
):
    book = workbook_of(_drivers(returns, warnings, adjustments, commentary, "ELR"))
    headers = [c.header for c in book.tables["driver_commentary"].columns]
    assert "ELR" in headers and "Elr" not in headers
    # the system sheets' headers come from the organisations the report holds, as they are spelt
    system = [c.header for c in workbook_of(llr_position).tables["ytd_by_workstream_by_org"].columns]
    assert (
        system[1::4]
        == [f"{o} Plan" for o in llr_position.system_orgs]
        == ["ELR Plan", "WL Plan", "LC Plan", "LLR Plan"]
    )


def test_reconciliation_warnings_say_the_adjustments_close_them(llr_position):
    notes = [detail for note, detail in workbook_of(llr_position).notes if note == "Reconciliation warning"]
    assert len(notes) == 10
    assert not any("so they differ from the printed total by this amount" in n for n in notes)
    wl = [n for n in notes if "sheet WL" in n]
    assert len(wl) == 5 and all("they agree with the printed total" in n for n in wl)
    assert any("the tables show (31,514), 4 from the printed total" in n for n in notes)  # LLR sheet's rounding


def test_every_sheet_is_described_in_words(llr_position):
    book = workbook_of(llr_position)
    for name, table in book.tables.items():
        assert table.title and table.title.rstrip(".").lower() != name.replace("_", " "), name


def test_the_executive_summary_sheet_holds_the_papers_precision(llr_position):
    sheet = workbook_of(llr_position).tables["executive_summary"].data
    money = [c for c in sheet.columns if sheet[c].dtype.kind == "f" and not c.startswith("pct")]
    assert (sheet[money].round(2) == sheet[money]).all().all()  # no -17,705.1917
    assert sheet.loc[0, "qipp_target"] == pytest.approx(-17705.19)


def test_control_totals_table_shows_the_figures_its_text_names(returns, warnings, adjustments, commentary):
    from qipp_helpers.report.position.model import monthly_position

    wl = monthly_position(returns, warnings, fin_year=FY, month=6, org="WL", adjustments=adjustments)
    table = blocks.control_totals_table(wl).data.set_index("Measure")
    assert table.loc["annual plan", "Adjustment lines"] == -664 and table.loc["annual plan", "Rounding"] == 1
    assert table.loc["YTD plan", "Adjustment lines"] == -323  # the note says (664) and (323), not (663)/(320)
    assert (table["Printed Grand Total"] == table["In this report"]).all()


def test_paper_es_month_4_forecast_is_labelled_month_4(frp_tables):
    from qipp_helpers.report.frp.model import frp_bridge

    r = frp_bridge(frp_tables, fin_year=FY, month=6, org="LLR")
    assert r.forecast_month == 4
    assert "the system's Month 4 forecast" in frp_page.frp_title_block(r)
    assert "Revised forecast, Month 4 (b)" in list(frp_page.frp_scheme_table(r).data.columns)


def test_the_footer_gives_the_period_before_the_render_date(llr_position):
    last = blocks.banner_lines(llr_position)[-1]
    assert last.startswith("Month 6 2019/20 · Generated ")


@pytest.mark.slow  # draws the charts: make test, not make test-fast
def test_an_illustrative_report_marks_every_chart_and_names_no_real_ccg(rightcare_tables, returns):
    import matplotlib.pyplot as plt

    from qipp_helpers.core.orgs import org_name
    from qipp_helpers.report.rightcare import charts as rightcare_charts
    from qipp_helpers.report.rightcare.model import rightcare_opportunity

    llr = rightcare_opportunity(rightcare_tables, returns, fin_year=FY, month=6, org="LLR")
    assert llr.illustrative
    assert rightcare_charts.rightcare_chart_title(llr, "Opportunity").startswith("ILLUSTRATIVE, SYNTHETIC DATA: ")
    figs = [getattr(rightcare_charts, name)(llr) for name in rightcare_charts.CHARTS]
    assert len(figs) == 4 and all(fig is not None for fig in figs)
    titles = [fig.axes[0].get_title(loc="left") for fig in figs]
    plt.close("all")
    assert all(title.startswith("ILLUSTRATIVE, SYNTHETIC DATA: ") for title in titles), titles
    labels = rightcare_charts.rightcare_position_labels(llr)
    real = [org_name(c).removesuffix(" CCG") for c in ("ELR", "WL", "LC")]
    assert labels and all(label.startswith("Illustrative CCG ") for label in labels)
    assert not any(name in label for name in real for label in labels)
    ddccg = rightcare_opportunity(rightcare_tables, returns, fin_year=FY, month=6, org="DDCCG")
    assert rightcare_charts.rightcare_chart_title(ddccg, "Opportunity") == "Opportunity"  # published Table 3 beside it


def test_scale_threshold_is_a_typed_parameter_of_the_drivers_notebook():
    from qipp_helpers.pack.catalogue import check_parameters, signature

    from ..conftest import ROOT

    nb = ROOT / "notebooks" / "under_delivery_drivers.ipynb"
    assert signature(nb)["scale_threshold"]["inferred_type_name"] == "bool"
    assert check_parameters(nb, {"scale_threshold": "false", "threshold": "300"}) == {
        "scale_threshold": False,
        "threshold": 300.0,
    }


def test_long_generated_text_may_break_between_its_items():
    from qipp_helpers.pack.render import LONG_TEXT, _postprocess

    def block(n: int) -> str:
        return f"<div class='jp-OutputArea-output jp-RenderedMarkdown'><ul>{'<li>x</li>' * n}</ul></div>"

    html = f"<html><body><main>{block(3)}{block(LONG_TEXT + 1)}</main></body></html>"
    out = _postprocess(html)
    assert out.count("qipp-long-text") == 1  # the short block is still kept whole


def test_long_commentary_neither_introduces_nor_explains_a_chart():
    """The chart beside a long commentary block goes where it fits: it is not chained to the commentary's first or
    last item, which left LLR's drivers report with a page 28% full."""
    from bs4 import BeautifulSoup

    from qipp_helpers.pack.render import LONG_TEXT, _cell_kind, _postprocess

    text = "x" * (LONG_TEXT + 1)
    long_cell = f"<div class='jp-Cell'><div class='jp-OutputArea-output jp-RenderedMarkdown'>{text}</div></div>"
    chart = "<div class='jp-Cell'><img src='x.png'></div>"
    assert _cell_kind(BeautifulSoup(long_cell, "html.parser").div) == "long"
    out = _postprocess(f"<html><body><main>{chart}{long_cell}{chart}</main></body></html>")
    assert "qipp-keep-next" not in out


# --- one voice: a comment is printed once in a section, under every line it explains ---------------------


def _sections(returns, warnings, adjustments, commentary, org) -> tuple[dict[str, str], pd.DataFrame]:
    """The text of each section of the monthly position and drivers reports that prints commentary (as the
    notebooks assemble them), and the comments held beside their tables' lines."""
    from qipp_helpers.report import changes as since
    from qipp_helpers.report import workstreams as wp
    from qipp_helpers.report.position.model import monthly_position

    mp = monthly_position(
        returns, warnings, fin_year=FY, month=6, org=org, adjustments=adjustments, commentary=commentary
    )
    ud = _drivers(returns, warnings, adjustments, commentary, org, scale_threshold=True)
    changes = since.table(mp.changes)
    sections = {
        "monthly position 1": since.block(mp.changes)
        + (changes.data if hasattr(changes, "data") else changes.to_html()),
        "monthly position 5": "\n\n".join(
            [
                position_tables.red_commentary_block(mp),
                wp.pages_notes_block(wp.workstream_pages(mp)),
                wp.published_risks_block(mp),
            ]
        ),
        "drivers 1": blocks.paragraph(ud.movement_narrative()) + blocks.paragraph(ud.drivers_narrative()),
        "drivers 2": drivers_tables.movement_commentary_block(ud),
        "drivers 3": drivers_tables.driver_commentary_block(ud),
    }
    beside = pd.concat([mp.red_commentary(), ud.movement_commentary(), ud.driver_commentary()])
    return sections, beside[beside["kind"] != ""]


@pytest.mark.parametrize("org", ["LLR", "ELR", "WL", "LC"])
def test_no_comment_is_printed_twice_in_a_section(returns, warnings, adjustments, commentary, org):
    sections, shown = _sections(returns, warnings, adjustments, commentary, org)
    texts = set(shown["text"])
    assert len(texts) >= 15
    twice = [
        (name, text[:60]) for name, body in sections.items() for text in texts if body.count(blocks.md_text(text)) > 1
    ]
    assert twice == []
    # nor is a note: the workstream pages' notes (one page per CCG in a system report) are said once
    paragraphs = [p for p in sections["monthly position 5"].split("\n\n") if len(p) > 40]
    assert len(paragraphs) == len(set(paragraphs))
    # every comment held beside a line is still printed in the reports
    printed = " ".join(sections.values())
    assert all(blocks.md_text(t) in printed for t in texts if t)


def test_a_comment_on_several_lines_is_printed_once_under_all_of_them(returns, warnings, adjustments, commentary):
    sections, shown = _sections(returns, warnings, adjustments, commentary, "LLR")
    shared = next(t for t in shown["text"] if t.startswith("The explanations above"))
    table4 = sections["drivers 3"]
    assert table4.count(blocks.md_text(shared)) == 1
    heading = table4.split(blocks.md_text(shared))[0].rstrip().splitlines()[-2]
    assert heading.startswith("- **Diagnostics** (LLR under-delivery 876); **Falls** (692); ")
    assert "**High Cost Drugs** (585); **End of Life** (496)" in heading
    # Table 3's comments are named once under Table 4, not repeated line by line
    assert table4.count("Explained by their commentary under Table 3") == 1 and "See the comment" not in table4
    assert "Steady Steps" not in table4 and "Steady Steps" in sections["drivers 2"]
    # the red-rated schemes: Community Services Redesign's two lines under one comment
    red = sections["monthly position 5"]
    csr = next(t for t in shown["text"] if "Derby and Burton contract variation" in t)
    assert red.count(blocks.md_text(csr)) == 1
    assert "- **1.2 Community Services Redesign**; **1.2a Community Services Redesign Stretch**\n" in red
    # QAG's actions stay as Paper D printed them in its QAG outcome, referred to from the red-rated schemes
    assert "are printed with the QAG outcome in section 5.1, as published" in red
