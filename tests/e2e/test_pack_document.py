"""End to end: `qipp run` writes the pack as ONE PDF (cover, summary, contents, the reports, glossary, notes)
and index.html as the same front page; a partial run keeps both whole."""

from __future__ import annotations

import io
import json
import re
import shutil
from pathlib import Path

import pytest
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject
from typer.testing import CliRunner

from qipp_helpers.cli import app
from qipp_helpers.pack import checks
from qipp_helpers.pack.checks import check_html_accessibility, check_pdf
from qipp_helpers.pack.document import write_pack
from qipp_helpers.pack.front import FrontPage, PackReport

from ..conftest import ROOT

NO_BROWSER = checks.browser_unavailable_reason()
PACK = "QIPP_pack_2019-20_M06.pdf"
#: The default pack in reading order: the system, its CCGs, then the worked example from Derbyshire. LLR's
#: RightCare report is wholly synthetic (illustrative), so it is not in the circulated pack by default (issue 25).
ORDER = [
    "LLR/monthly_position",
    "LLR/under_delivery_drivers",
    "LLR/frp_bridge",
    "ELR/monthly_position",
    "ELR/under_delivery_drivers",
    "WL/monthly_position",
    "WL/under_delivery_drivers",
    "LC/monthly_position",
    "LC/under_delivery_drivers",
    "DDCCG/rightcare_opportunity",
]


def _run(data_dir: Path, out: Path, *extra: str) -> str:
    args = ["run", "--fin-year", "2019-20", "--month", "6", "--data-dir", str(data_dir), "--out", str(out)]
    args += ["--notebooks-dir", str(ROOT / "notebooks"), "--jobs", "2", *extra]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def pack(default_pack: Path) -> Path:
    """The default pack (every organisation, 2019-20 M6) with a meeting date, a data cut-off and a marking
    (conftest's `default_pack`, rendered once per session and shared with e2e/test_checks.py)."""
    return default_pack


def _record(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text())["pack"]


def _text(page) -> str:
    return re.sub(r"\s+", " ", page.extract_text() or "")


def _outline(reader: PdfReader) -> list[tuple[str, int, list]]:
    """(title, 1-based page, children) of the outline."""
    out: list[tuple[str, int, list]] = []

    def walk(items: list) -> list:
        level: list = []
        for item in items:
            if isinstance(item, list):
                level[-1] = (level[-1][0], level[-1][1], walk(item))
            else:
                level.append((item.title, reader.get_destination_page_number(item) + 1, []))
        return level

    out = walk(reader.outline)
    return out


def test_default_run_writes_one_pack_of_front_matter_reports_and_back_matter(pack):
    rec = _record(pack)
    assert rec["file"] == PACK and rec["reports"] == ORDER
    pdf = PdfReader(pack / PACK)
    report_pages = [len(PdfReader(pack / f"{r}.pdf").pages) for r in ORDER]
    assert len(pdf.pages) == rec["pages"] == rec["front_pages"] + sum(report_pages) + rec["back_pages"]
    # cover, the one-page summary (with its realism and rounding lines), then contents
    assert rec["front_pages"] == 3 and rec["starts"]["summary"] == 2 and rec["starts"]["contents"] == 3

    cover = _text(pdf.pages[0])
    for words in (
        "QIPP Assurance Group pack",
        "Month 6 2019/20 (September 2019)",
        "17 October 2019",
        "4 October 2019",
        "OFFICIAL-SENSITIVE",
        "NHS Derby and Derbyshire CCG",
        f"10 reports, {rec['pages']} pages",  # LLR's illustrative RightCare report is not in the default pack
        "Start with the summary on page 2",
    ):
        assert words in cover, words
    summary = _text(pdf.pages[1])  # one page a chair reads in two minutes
    for words in (
        "Summary",
        "forecasting an under delivery of the QIPP plan for 2019/20 of £18.275m",
        "(65,963) (47,688) 18,275 (44,840) 516",
        "movement: M5: synthetic",
        "What moved",
        "The QIPP Assurance Group is asked to:",
        "NOTE and DISCUSS the content of this report",
        "DISCUSS the Red-rated schemes",
    ):
        assert words in summary, words
    assert "Contents" in _text(pdf.pages[2])
    glossary = " ".join(_text(pdf.pages[p - 1]) for p in range(rec["starts"]["glossary"], rec["starts"]["notes"]))
    assert "Forecast out-turn" in glossary and "PMO assured value" in glossary and "DDCCG" in glossary
    notes = " ".join(_text(p) for p in pdf.pages[rec["starts"]["notes"] - 1 :])
    assert "Data-quality notes" in notes and "(22,378)" in notes and "synthetic" in notes
    # every page but the cover carries its pack page number; the reports keep their own running headers
    for n, page in enumerate(pdf.pages[1:], start=2):
        assert f"Pack page {n} of {rec['pages']}" in _text(page)
    first = rec["starts"]["LLR/monthly_position"]
    assert "Page 1 of" in _text(pdf.pages[first - 1]) and "QIPP Monthly Position" in _text(pdf.pages[first - 1])


def test_outline_has_one_entry_per_report_with_its_sections(pack):
    rec = _record(pack)
    pdf = PdfReader(pack / PACK)
    top = _outline(pdf)
    titles = [t for t, _, _ in top]
    assert titles[:3] == ["Cover", "Summary", "Contents"] and titles[-2:] == ["Glossary", "Data-quality notes"]
    assert [t.split(":")[0] for t in titles[-7:-2]] == [f"Appendix {n}" for n in range(1, 6)]  # Paper D's (issue 25)
    reports = top[3:-7]
    assert len(reports) == len(ORDER)
    assert reports[0][0] == "Monthly position — Leicester, Leicestershire & Rutland (ELR + WL + LC)"
    assert reports[-1][0] == "RightCare opportunity and QIPP plan coverage — NHS Derby and Derbyshire CCG"
    for (title, page, sections), key in zip(reports, ORDER, strict=True):
        assert page == rec["starts"][key], title
        own = _outline(PdfReader(pack / f"{key}.pdf"))
        assert sections and all(p >= page for _, p, _ in sections), title
        assert sections[0][0].startswith("1. "), title
        assert len(sections) <= sum(1 + len(k) for _, _, k in own), title
    assert [s for s, _, _ in reports[0][2]][:2] == ["1. Executive summary", "2. Year to date delivery"]
    notes = top[-1][2]
    assert notes[0][0] == "Control totals: adjustments to the returns"


def test_contents_page_numbers_and_links_point_at_the_reports(pack):
    rec = _record(pack)
    pdf = PdfReader(pack / PACK)
    contents = pdf.pages[rec["starts"]["contents"] - 1]
    printed = _text(contents)
    links = {}
    for annot in contents["/Annots"]:
        a = annot.get_object()
        target = pdf.get_page_number(a["/A"]["/D"][0])
        words = str(a["/Contents"])
        assert words.startswith(f"Go to page {target + 1}: "), words
        links[words.split(": ", 1)[1]] = target + 1
    for key in ORDER:
        start = rec["starts"][key]
        own = PdfReader(pack / f"{key}.pdf").pages[0]
        # the page the contents points to is the report's first page, as rendered
        assert _text(own)[:300] in _text(pdf.pages[start - 1]), key
        assert re.search(rf"\b{start}\b", printed), (key, start)
    assert links["Summary"] == 2 and links["Glossary"] == rec["starts"]["glossary"]
    assert links["Data-quality notes"] == rec["starts"]["notes"]
    assert links["Monthly position — East Leicestershire & Rutland CCG"] == rec["starts"]["ELR/monthly_position"]
    assert len(links) == len(ORDER) + 3 + 5  # and Paper D's Appendices 1-5 (issue 25)
    for n in range(1, 6):
        key = f"appendix-{n}"
        title = next(t for t in links if t.startswith(f"Appendix {n}:"))
        assert links[title] == rec["starts"][key] and rec["starts"][key] < rec["starts"]["glossary"]
    appendix4 = " ".join(_text(p) for p in pdf.pages[rec["starts"]["appendix-4"] - 1 : rec["starts"]["appendix-5"] - 1])
    assert "Appendix 4: Full WL CCG QIPP dashboard" in appendix4 and "Total with adjustments" in appendix4
    assert "(22,378)" in appendix4  # WL's printed Grand Total, reached with the located CHC line
    assert "Some figures synthetic: RightCare indicators synthetic" in printed  # Derbyshire: Table 3 published
    assert "Illustrative" not in printed  # the default pack holds no wholly synthetic report
    assert "Derbyshire's four CCGs" in printed  # what DDCCG is, where it first appears


def test_front_and_back_matter_pages_break_well(pack, tmp_path):
    rec = _record(pack)
    total = rec["pages"]
    own = [*range(rec["front_pages"]), *range(total - rec["back_pages"], total)]
    writer = PdfWriter()
    writer.append(pack / PACK, pages=own, import_outline=True)
    path = tmp_path / "front_and_back.pdf"
    writer.write(path)
    assert len(PdfReader(path).pages) == len(own)
    assert [str(p) for p in check_pdf(path)] == []


def _parent_tree(tree: DictionaryObject) -> dict[int, object]:
    """A structure tree's /ParentTree as a dict: struct-parents key -> its element (or array of elements)."""
    nums: dict[int, object] = {}

    def number_tree(node: DictionaryObject) -> None:
        node = node.get_object()
        n = node.get("/Nums", [])
        nums.update({int(n[i]): n[i + 1] for i in range(0, len(n), 2)})
        for kid in node.get("/Kids", []):
            number_tree(kid)

    number_tree(tree["/ParentTree"])
    return nums


def _page_problems(i: int, page: PageObject, nums: dict[int, object]) -> list[str]:
    """A page's marked content and link annotations without their structure elements."""
    problems = []
    parents = nums.get(int(page.get("/StructParents", -1)))
    mcids = [int(m) for m in re.findall(rb"/MCID\s+(\d+)", page.get_contents().get_data())]
    for m in mcids:
        if parents is None or m >= len(parents.get_object()):
            problems.append(f"page {i + 1}: marked content {m} has no structure element")
            continue
        elem = parents.get_object()[m].get_object()
        if "/Pg" in elem and elem.raw_get("/Pg").idnum != page.indirect_reference.idnum:
            problems.append(f"page {i + 1}: marked content {m} belongs to an element of another page")
    for annot in page.get("/Annots", []) or []:
        a = annot.get_object()
        if "/StructParent" not in a:
            continue
        elem = nums.get(int(a["/StructParent"]))
        kids = elem.get_object().raw_get("/K") if elem is not None else []
        kids = kids if isinstance(kids, list) else [kids]
        objrs = [k.get_object() for k in kids if isinstance(k, IndirectObject)]
        if not any("/Obj" in o and o.raw_get("/Obj").idnum == annot.idnum for o in objrs):
            problems.append(f"page {i + 1}: link annotation without its structure element")
    return problems


def _tree_problems(tree: DictionaryObject) -> list[str]:
    """Elements whose /P is not their parent, ids used twice, table headers naming no id."""
    problems = []
    ids, headers = set(), []
    stack = [(k, tree) for k in tree.raw_get("/K")] if isinstance(tree.raw_get("/K"), list) else []
    while stack:
        ref, parent = stack.pop()
        elem = ref.get_object()
        if elem.raw_get("/P").get_object() is not parent.get_object():
            problems.append(f"{elem.get('/S')}: /P is not its parent")
        if "/ID" in elem:
            if str(elem["/ID"]) in ids:
                problems.append(f"structure id {elem['/ID']} used twice")
            ids.add(str(elem["/ID"]))
        attrs = elem.get("/A")
        for a in attrs if isinstance(attrs, ArrayObject) else [attrs] if attrs is not None else []:
            headers += [str(h) for h in a.get_object().get("/Headers", [])]
        kids = elem.raw_get("/K") if "/K" in elem else []
        kids = kids.get_object() if isinstance(kids, IndirectObject) else kids
        for kid in kids if isinstance(kids, list) else [kids]:
            if isinstance(kid, IndirectObject) and "/S" in kid.get_object():
                stack.append((kid, elem))
    return problems + [f"table header {h} names no structure id" for h in headers if h not in ids]


def _structure_problems(path: Path) -> list[str]:
    """Where a tagged PDF's structure does not hold together (an empty list when it does)."""
    pdf = PdfReader(path)
    tree = pdf.trailer["/Root"]["/StructTreeRoot"]
    nums = _parent_tree(tree)
    problems = []
    keys = [p.get("/StructParents") for p in pdf.pages]
    if len(set(keys)) != len(keys) or None in keys:
        problems.append(f"page /StructParents missing or shared: {keys}")
    for i, page in enumerate(pdf.pages):
        problems += _page_problems(i, page, nums)
    return problems + _tree_problems(tree)


def test_pack_pdf_has_title_and_language_and_says_whether_it_is_tagged(pack):
    rec = _record(pack)
    pdf = PdfReader(pack / PACK)
    root = pdf.trailer["/Root"]
    assert pdf.metadata.title == "QIPP Assurance Group pack — Month 6 2019/20 (September 2019)"
    assert root["/Lang"] == "en-GB" and root["/ViewerPreferences"]["/DisplayDocTitle"]
    reports_tagged = all("/StructTreeRoot" in PdfReader(pack / f"{r}.pdf").trailer["/Root"] for r in ORDER)
    assert rec["tagged"] is reports_tagged
    if reports_tagged:
        assert _structure_problems(pack / PACK) == []
    else:  # said, not hidden
        assert "/StructTreeRoot" not in root
        assert rec["lost"] and rec["lost"][0].startswith("tags: ") and "not tagged" in rec["lost"][0]


def _tagged_report(path: Path, title: str, rows: int) -> None:
    import weasyprint

    body = "".join(f"<tr><th scope='row'>Scheme {i}</th><td>({i},000)</td></tr>" for i in range(rows))
    html = (
        f"<html lang='en'><head><title>{title}</title><style>@page{{size:A4 landscape}}</style></head><body>"
        f"<h1>{title}</h1><h2>1. Section</h2><p>See <a href='#s2'>the next section</a>.</p>"
        f"<table><thead><tr><th scope='col'>Scheme</th><th scope='col'>Plan</th></tr></thead><tbody>{body}"
        "</tbody></table><h2 id='s2'>2. Another section</h2><p>End.</p></body></html>"
    )
    weasyprint.HTML(string=html).write_pdf(path, pdf_variant="pdf/ua-1")


def _front(folder: Path, tagged: tuple[bool, bool]) -> FrontPage:
    reports = []
    for (notebook, rows), is_tagged in zip(
        (("monthly_position", 60), ("under_delivery_drivers", 5)), tagged, strict=True
    ):
        path = folder / "ELR" / f"{notebook}.pdf"
        path.parent.mkdir(parents=True, exist_ok=True)
        if is_tagged:
            _tagged_report(path, notebook, rows)
        else:
            import weasyprint

            weasyprint.HTML(string=f"<h1>{notebook}</h1>").write_pdf(path)
        pages = len(PdfReader(path).pages)
        reports.append(PackReport(notebook, "ELR", "ok", {"pdf": path}, data="Data: published", pages=pages))
    return FrontPage(fin_year="2019-20", month=6, reports=reports, summary=None, notes=[], store={"version": 3})


def test_merged_pack_keeps_every_part_s_tags_as_one_structure(tmp_path):
    front = _front(tmp_path, (True, True))
    pdf = write_pack(tmp_path, front)
    assert pdf is not None and pdf.tagged and pdf.lost == []
    reader = PdfReader(pdf.path)
    assert pdf.pages == len(reader.pages) == pdf.front_pages + sum(r.pages for r in front.in_pack) + pdf.back_pages
    assert front.in_pack[0].pages >= 2  # a table broken over pages: its header ids are shared across them
    assert _structure_problems(pdf.path) == []
    root = reader.trailer["/Root"]
    doc = root["/StructTreeRoot"]["/K"][0].get_object()
    assert doc["/S"] == "/Document" and len(doc["/K"]) == 4  # front matter, two reports, back matter
    assert root["/MarkInfo"]["/Marked"] and b"pdfuaid:part" in root["/Metadata"].get_data()


def test_an_untagged_report_leaves_the_pack_untagged_and_says_so(tmp_path):
    pdf = write_pack(tmp_path, _front(tmp_path, (True, False)))
    assert pdf is not None and not pdf.tagged
    assert pdf.lost == ["tags: 1 of the 2 report PDFs are not tagged, so the pack cannot be"]
    root = PdfReader(pdf.path).trailer["/Root"]
    assert "/StructTreeRoot" not in root and b"pdfuaid" not in root["/Metadata"].get_data()


def test_index_is_the_front_page(pack):
    html = (pack / "index.html").read_text()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    manifest = json.loads((pack / "manifest.json").read_text())
    for r in manifest["reports"]:
        for ext in ("html", "pdf", "xlsx"):
            assert f"href='{r['org']}/{r['notebook']}.{ext}'" in html, (r["org"], r["notebook"], ext)
    assert f"href='{PACK}'" in html and "Where to start" in text
    # plain names: a reader never needs the codes or the notebook names
    assert "aria-label='Monthly position — East Leicestershire &amp; Rutland CCG: PDF'" in html
    assert "<h3>NHS Derby and Derbyshire CCG</h3>" in html
    assert "Derbyshire's four CCGs" in html.replace("&#39;", "'")  # what DDCCG is
    assert "17 October 2019" in text and "4 October 2019" in text and "OFFICIAL-SENSITIVE" in text
    # figures computed against synthetic M5 never carry a bare "published"
    flat = " ".join(text.split())
    assert "Data: published" not in text
    assert "M6: published; movement: M5: synthetic demonstration data, not returns" in flat
    assert text.count("Illustrative") == 1  # the key only: no report of the default pack is wholly synthetic
    assert "How this pack was built" in text
    assert re.search(r"<details>.*Seconds.*Store version.*</details>", html, re.S)
    assert not re.search(r"""<(script|link|img)[^>]+(src|href)=["']?(https?:)?//""", html)


@pytest.mark.skipif(bool(NO_BROWSER), reason=f"accessibility check cannot run: {NO_BROWSER}")
def test_index_passes_the_accessibility_check(pack):
    assert [str(v) for v in check_html_accessibility(pack / "index.html")] == []


def test_a_partial_run_keeps_the_pack_whole(pack, demo_data_dir, tmp_path):
    out = tmp_path / "reports"
    shutil.copytree(pack.parent.parent, out)
    folder = out / "2019-20" / "M06"
    before = _record(folder)
    elr_pages = len(PdfReader(folder / "ELR" / "monthly_position.pdf").pages)

    # one report re-rendered without a PDF: its old PDF is removed, so the pack leaves it out and says so
    _run(demo_data_dir, out, "--org", "ELR", "--notebook", "monthly_position", "--formats", "html,xlsx")
    rec = _record(folder)
    assert rec["reports"] == [r for r in ORDER if r != "ELR/monthly_position"]
    assert rec["pages"] == before["pages"] - elr_pages
    assert rec["meeting_date"] == "2019-10-17" and rec["marking"] == "OFFICIAL-SENSITIVE"  # kept from the full run
    assert len(PdfReader(folder / PACK).pages) == rec["pages"]
    html = (folder / "index.html").read_text()
    assert all(f"href='{r}.html'" in html for r in ORDER)  # the front page still lists the whole month
    assert "Not in the pack PDF because no PDF of them was rendered: Monthly position — East Leicestershire" in (
        html.replace("&amp;", "&")
    )

    # rendered again with its PDF: the pack is whole again, in reading order, from the merged manifest
    _run(demo_data_dir, out, "--org", "ELR", "--notebook", "monthly_position")
    rec = _record(folder)
    assert rec["reports"] == ORDER and rec["pages"] == before["pages"] and rec["starts"] == before["starts"]
    assert len(PdfReader(io.BytesIO((folder / PACK).read_bytes())).pages) == before["pages"]
