"""The pack document: ONE PDF a committee receives, and the same front page in HTML.

``QIPP_pack_<fy>_M<mm>.pdf`` is a cover, a one-page summary and a contents page (laid out here with
WeasyPrint), then every report's own PDF exactly as rendered (merged with pypdf, never laid out a second
time: their running headers and footers stay), then a glossary and the data-quality notes. The outline has
one entry per report with the report's own sections under it; the contents page numbers are computed from
the reports' page counts and link to their pages; every page after the cover carries its pack page number
(added as an artifact under each report's own footer).

Tags: when every part is tagged (WeasyPrint's PDF/UA variant), their structure trees are merged into one
(one Document with a Part per piece, structure ids made unique), with title, language and DisplayDocTitle
set; when any part is untagged the pack cannot be tagged and says so (:attr:`PackPdf.tagged`, the manifest).

The figures and sentences come from the report layer; this module lays them out and merges files.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core.errors import RenderError
from ..core.files import atomic_write_bytes
from .front import TITLE, FrontPage, PackReport, e, glossary_html, long_date, notes_html, summary_html

#: Link targets on the contents page: ``qipp-pack:page/<n>`` becomes a jump to pack page n after merging.
_PAGE_LINK = "qipp-pack:page/"
_LANG = "en-GB"

_CSS = """
@page {
  size: A4 landscape; margin: 14mm 12mm 14mm 12mm;
  @bottom-left { content: "%(footer)s"; font: 7.5pt "DejaVu Sans", sans-serif; color: #425563;
                 vertical-align: top; padding-top: 3mm; line-height: 1.4; }
  %(marking)s
}
@page :first { @bottom-left { content: none; } }
html { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 9.5pt; line-height: 1.35; color: #212b32; }
body { margin: 0; }
h1, h2, h3 { color: #005eb8; line-height: 1.2; break-after: avoid; }
h1 { font-size: 22pt; margin: 0 0 4mm; }
h2 { font-size: 14pt; margin: 0 0 3mm; padding-bottom: 1.5mm; border-bottom: 2.5pt solid #005eb8; }
h3 { font-size: 10.5pt; margin: 4mm 0 1.5mm; }
p { margin: 0 0 2mm; }
section { break-before: page; }
section.cover { break-before: auto; }
.cover h1 { bookmark-label: "Cover"; font-size: 28pt; margin-top: 28mm; }
.cover .period { font-size: 16pt; color: #005eb8; margin: 0 0 10mm; }
.cover .marking { font-weight: bold; color: #212b32; text-transform: uppercase; font-size: 11pt; }
.cover dl { display: grid; grid-template-columns: 48mm auto; gap: 2mm 6mm; font-size: 11pt; margin: 0 0 8mm; }
.cover dt { font-weight: bold; color: #425563; }
.cover dd { margin: 0; }
.box { border-left: 4pt solid #425563; background: #f0f4f5; padding: 2.5mm 4mm; margin: 0 0 4mm; }
.start { border-left-color: #005eb8; background: #eef5fb; }
.small { font-size: 8pt; color: #425563; }
table { border-collapse: collapse; width: 100%%; margin: 1mm 0 3mm; font-size: 8.5pt; }
caption { text-align: left; font-size: 8pt; color: #425563; padding-bottom: 1mm; caption-side: top; }
th, td { padding: 1.2mm 2mm; border-bottom: 0.6pt solid #d8dde0; text-align: left; vertical-align: top; }
thead th { background: #005eb8; color: #fff; font-weight: bold; }
tbody th { font-weight: normal; }
.num { text-align: right; }
tr { break-inside: avoid; }
thead { display: table-header-group; }
.note { font-size: 8.5pt; color: #425563; }
ul.asks { margin: 0 0 2mm 0; padding-left: 6mm; }
ul.asks li { margin: 0 0 1mm; }
h2 { bookmark-level: 1; }
h3 { bookmark-level: none; }
.contents table { font-size: 8.5pt; }
.contents th, .contents td { padding: 0.7mm 2mm; }
.contents td.page { text-align: right; width: 22mm; }
.contents tr.org th { background: #eef5fb; color: #005eb8; font-weight: bold; padding-top: 1.5mm; }
.contents tr.org .what { font-weight: normal; color: #425563; font-size: 7.5pt; }
.contents td.data { width: 125mm; color: #425563; }
.contents a { color: #212b32; text-decoration: none; }
.flag { color: #8a5a00; font-weight: bold; }
dl.glossary { columns: 3; column-gap: 8mm; margin: 0; font-size: 8.5pt; }
dl.glossary dt { font-weight: bold; color: #005eb8; break-after: avoid; }
dl.glossary dd { margin: 0 0 2mm 0; break-inside: avoid; }
.notes h3 { bookmark-level: 2; }
.summary { font-size: 9pt; }
.summary h3 { margin-top: 2mm; }
.summary .position { columns: 2; column-gap: 8mm; }
.summary .position p { break-inside: avoid; }
.summary .below { display: flex; gap: 8mm; }
.summary .below > div { flex: 1 1 0; }
.summary table.headline { font-size: 8pt; }
.summary table.headline th, .summary table.headline td { padding: 0.8mm 1.5mm; }
.summary table.headline thead th:first-child { width: 62mm; }
.summary table.headline thead th:last-child { width: 62mm; }
"""

#: Pack page numbers, stamped on every page but the cover; on report pages left of the report's own "Page n of m".
_STAMP_CSS = """
@page { size: A4 landscape; margin: 14mm 12mm 14mm 12mm;
  @bottom-right { content: "Pack page " counter(page) " of " counter(pages); font: bold 7.5pt "DejaVu Sans", sans-serif;
                  color: #005eb8; vertical-align: top; padding-top: 3mm; line-height: 1.4; } }
@page report { @bottom-right { padding-right: 32mm; } }
@page :first { @bottom-right { content: none; } }
div { break-after: page; height: 1mm; }
div.report { page: report; }
"""


def _css_string(text: str) -> str:
    out = []
    for ch in text:
        out.append(f"\\{ord(ch):x} " if ch in '"\\<>&' or not ch.isprintable() else ch)
    return "".join(out)


@dataclass
class PackPdf:
    """The pack PDF as written: its file, pages, where each part starts, and what survived the merge."""

    path: Path
    pages: int
    front_pages: int
    back_pages: int
    starts: dict[str, int]  # 'summary', 'contents', 'glossary', 'notes' and '<org>/<notebook>' -> pack page (1-based)
    tagged: bool
    lost: list[str] = field(default_factory=list)  # what the merge could not keep, in words
    seconds: float = 0.0

    def record(self) -> dict:
        """The manifest's ``pack`` entry."""
        return {
            "file": self.path.name,
            "pages": self.pages,
            "front_pages": self.front_pages,
            "back_pages": self.back_pages,
            "starts": self.starts,
            "tagged": self.tagged,
            "lost": self.lost,
            "seconds": round(self.seconds, 2),
        }


# --- layout of the pages laid out here --------------------------------------------------------------


def _page(front: FrontPage, body: str, title: str) -> str:
    footer = f"{TITLE} · {front.period}"
    marking = ""
    if front.marking:
        m = _css_string(front.marking)
        style = 'font: bold 8pt "DejaVu Sans", sans-serif; color: #212b32; line-height: 1.4;'
        marking = (
            f'@top-center {{ content: "{m}"; {style} vertical-align: bottom; padding-bottom: 2mm; }} '
            f'@bottom-center {{ content: "{m}"; {style} vertical-align: top; padding-top: 3mm; }}'
        )
    css = _CSS % {"footer": _css_string(footer), "marking": marking}
    return (
        f"<!DOCTYPE html><html lang='{_LANG}'><head><meta charset='utf-8'><title>{e(title)}</title>"
        f"<style>{css}</style></head><body>{body}</body></html>"
    )


def _cover(front: FrontPage, total: int, starts: dict[str, int]) -> str:
    reg_names = [name for _, name, _ in front.organisations()]
    rows = [
        ("Period", front.period),
        ("Organisations", "; ".join(reg_names) or "none"),
        ("Meeting", long_date(front.meeting_date) or "date to be confirmed"),
        ("Data cut-off", front.cutoff_words()),
    ]
    if front.marking:
        rows.append(("Protective marking", front.marking))
    rows.append(("This pack", f"{len(front.in_pack)} reports, {total} pages"))
    parts = ["<section class='cover'>"]
    parts.append(f"<h1>{e(TITLE)}</h1><p class='period'>{e(front.period)}</p><dl>")
    parts += [f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in rows]
    parts.append("</dl>")
    start = f"Start with the summary on page {starts.get('summary', 2)}"
    start += f"; the contents on page {starts['contents']} lists every report." if "contents" in starts else "."
    parts.append(f"<p class='box start'>{e(start)}</p>")
    if front.synthetic_words():
        notes = f" See the data-quality notes on page {starts['notes']}." if "notes" in starts else ""
        parts.append(f"<p class='box'>{e(front.synthetic_words() + notes)}</p>")
    if front.versions_note():
        parts.append(f"<p class='box'>{e(front.versions_note())}</p>")
    version = front.store.get("version")
    parts.append(
        f"<p class='small'>Produced by qipp-workbooks {e(front.version)} on {e(front.built)}"
        + (f" from store version {e(version)}" if version is not None else "")
        + ".</p></section>"
    )
    return "".join(parts)


def _contents(front: FrontPage, starts: dict[str, int], back: dict[str, int]) -> str:
    def row(label: str, page: int, data: str = "", *, flag: str = "") -> str:
        words = f"<span class='flag'>{e(flag)}: </span>{e(data)}" if flag else e(data)
        return (
            f"<tr><td><a href='{_PAGE_LINK}{page}'>{e(label)}</a></td><td class='data'>{words}</td>"
            f"<td class='page'>{page}</td></tr>"
        )

    notes = {code: note for code, _, note in front.organisations()}
    parts = [
        "<section class='contents'><h2 id='contents'>Contents</h2>",
        "<table><caption>The reports in reading order: the system first, then each CCG, then any worked "
        "example from another area.</caption><thead><tr><th scope='col'>Part</th><th scope='col'>Data</th>"
        "<th scope='col' class='num'>Page</th></tr></thead><tbody>",
    ]
    if "summary" in starts:
        parts.append(row("Summary", starts["summary"]))
    org = None
    for r in front.in_pack:
        if r.org != org:
            org = r.org
            what = notes.get(org, "")
            what = f"<br><span class='what'>{e(what)}</span>" if what else ""
            parts.append(f"<tr class='org'><th scope='rowgroup' colspan='3'>{e(r.org_name)}{what}</th></tr>")
        parts.append(row(r.report, starts[f"{r.org}/{r.notebook}"], r.data_words, flag=r.flag))
    parts.append(row("Glossary", back["glossary"]))
    parts.append(row("Data-quality notes", back["notes"]))
    parts.append("</tbody></table></section>")
    return "".join(parts)


def front_html(front: FrontPage, starts: dict[str, int], back: dict[str, int], total: int) -> str:
    """Cover, summary and contents."""
    body = _cover(front, total, {**starts, **back})
    if front.summary is not None:
        body += f"<section class='summary'>{summary_html(front.summary)}</section>"
    body += _contents(front, starts, back)
    return _page(front, body, f"{TITLE} — {front.period}")


def back_html(front: FrontPage) -> str:
    """Glossary and data-quality notes."""
    body = f"<section>{glossary_html(front)}</section><section class='notes'>{notes_html(front)}</section>"
    return _page(front, body, f"{TITLE} — {front.period}: glossary and notes")


def _render(html: str) -> Any:
    from .render import _quiet_weasyprint

    with _quiet_weasyprint():
        import weasyprint

        return weasyprint.HTML(string=html).render()


def _anchor_pages(document: Any) -> dict[str, int]:
    """Anchor id -> 1-based page of a rendered WeasyPrint document."""
    out: dict[str, int] = {}
    for n, page in enumerate(document.pages, start=1):
        for name in page.anchors:
            out.setdefault(name, n)
    return out


def _pdf_bytes(document: Any, *, tagged: bool = True) -> bytes:
    from .render import _quiet_weasyprint

    with _quiet_weasyprint():
        return document.write_pdf(pdf_variant="pdf/ua-1" if tagged else None)


# --- merging --------------------------------------------------------------------------------------------


def _tagged(reader: Any) -> bool:
    root = reader.trailer["/Root"]
    return "/StructTreeRoot" in root and bool(root.get("/MarkInfo", {}).get("/Marked"))


def _claims_ua(reader: Any) -> bool:
    meta = reader.trailer["/Root"].get("/Metadata")
    try:
        return meta is not None and b"pdfuaid:part" in meta.get_object().get_data()
    except Exception:
        return False


def _outline_tree(reader: Any, items: list | None = None) -> list[tuple[Any, list]]:
    """A reader's outline as (destination, children) pairs."""
    items = reader.outline if items is None else items
    out: list[tuple[Any, list]] = []
    for item in items:
        if isinstance(item, list):
            if out:
                out[-1] = (out[-1][0], _outline_tree(reader, item))
        else:
            out.append((item, []))
    return out


def _report_sections(reader: Any) -> list[tuple[Any, list]]:
    """A report's outline without the headings that repeat its title.

    A report's outline opens with its title (the banner heading) and, often, one heading holding every
    section; the pack's entry for the report already says both, so its sections go straight under it.
    """
    tree = _outline_tree(reader)
    while tree and not tree[0][1] and reader.get_destination_page_number(tree[0][0]) == 0:
        tree = tree[1:]
    if len(tree) == 1 and tree[0][1]:
        tree = tree[0][1]
    return tree


def _add_outline(writer: Any, reader: Any, tree: list[tuple[Any, list]], offset: int, parent: Any) -> None:
    from pypdf.generic import Fit

    for dest, kids in tree:
        page = reader.get_destination_page_number(dest)
        if page is None or page < 0:
            continue
        left, top = dest.get("/Left"), dest.get("/Top")
        fit = Fit.xyz(left=left, top=top) if dest.get("/Type") == "/XYZ" else Fit.fit()
        item = writer.add_outline_item(title=str(dest.title), page_number=offset + page, parent=parent, fit=fit)
        _add_outline(writer, reader, kids, offset, item)


def _number_tree(node: Any) -> list[tuple[int, Any]]:
    """The (key, value) pairs of a PDF number tree."""
    node = node.get_object()
    out = []
    nums = node.get("/Nums", [])
    out += [(int(nums[i]), nums[i + 1]) for i in range(0, len(nums) - 1, 2)]
    for kid in node.get("/Kids", []):
        out += _number_tree(kid)
    return out


def _merge_structure(writer: Any, parts: list[tuple[Any, int]]) -> None:
    """One structure tree from the parts' trees: a Document with a Part per piece (every part is tagged).

    ``parts`` are (reader, writer index of its first page), after their pages were appended, so the
    structure elements' page and annotation references resolve to the merged pages. Page
    ``/StructParents`` and annotation ``/StructParent`` keys are shifted so the parent trees do not
    collide; structure ids (table header ids) are prefixed per part.
    """
    from pypdf.generic import (
        ArrayObject,
        BooleanObject,
        DictionaryObject,
        NameObject,
        NumberObject,
        TextStringObject,
    )

    root = DictionaryObject({NameObject("/Type"): NameObject("/StructTreeRoot")})
    root_ref = writer._add_object(root)
    doc = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/StructElem"),
            NameObject("/S"): NameObject("/Document"),
            NameObject("/P"): root_ref,
            NameObject("/K"): ArrayObject(),
            NameObject("/Lang"): TextStringObject(_LANG),
        }
    )
    doc_ref = writer._add_object(doc)
    root[NameObject("/K")] = ArrayObject([doc_ref])
    nums: list[tuple[int, Any]] = []
    ids: dict[str, Any] = {}
    role_map = DictionaryObject()
    base = 0
    for k, (reader, first) in enumerate(parts):
        src = reader.trailer["/Root"]["/StructTreeRoot"].get_object()
        tree = _number_tree(src["/ParentTree"]) if "/ParentTree" in src else []
        for name, value in src.get("/RoleMap", {}).items():
            role_map.setdefault(NameObject(name), value)
        kids = src.raw_get("/K") if "/K" in src else ArrayObject()
        kids = kids.get_object() if isinstance(kids.get_object(), list) else [kids]
        for kid in kids:
            top = kid.clone(writer, ignore_fields=("/P",))  # /P set below, so the source root is never copied
            top_ref = top.indirect_reference or writer._add_object(top)
            obj = top.get_object()
            obj[NameObject("/P")] = doc_ref
            if obj.get("/S") == "/Document":
                obj[NameObject("/S")] = NameObject("/Part")
            doc["/K"].append(top_ref)
            _fix_children(obj, top_ref, f"p{k}-", ids)
        for key, value in tree:
            nums.append((key + base, value.clone(writer)))
        for i, page in enumerate(reader.pages):
            merged = writer.pages[first + i]
            if "/StructParents" in page:
                merged[NameObject("/StructParents")] = NumberObject(int(page["/StructParents"]) + base)
            for annot in merged.get("/Annots", []) or []:
                a = annot.get_object()
                if "/StructParent" in a:
                    a[NameObject("/StructParent")] = NumberObject(int(a["/StructParent"]) + base)
        base += max((key for key, _ in tree), default=-1) + 1
    flat = ArrayObject()
    for key, value in sorted(nums, key=lambda kv: kv[0]):
        flat += [NumberObject(key), value]
    root[NameObject("/ParentTree")] = writer._add_object(DictionaryObject({NameObject("/Nums"): flat}))
    root[NameObject("/ParentTreeNextKey")] = NumberObject(base)
    if ids:
        names = ArrayObject()
        for name in sorted(ids):
            names += [TextStringObject(name), ids[name]]
        root[NameObject("/IDTree")] = DictionaryObject({NameObject("/Names"): names})
    if role_map:
        root[NameObject("/RoleMap")] = role_map
    cat = writer._root_object
    cat[NameObject("/StructTreeRoot")] = root_ref
    cat[NameObject("/MarkInfo")] = DictionaryObject({NameObject("/Marked"): BooleanObject(True)})


def _fix_children(elem: Any, elem_ref: Any, prefix: str, ids: dict[str, Any]) -> None:
    """Set every descendant's /P to its parent and prefix structure ids (and the /Headers naming them)."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, TextStringObject

    stack = [(elem, elem_ref)]
    while stack:
        node, ref = stack.pop()
        if "/ID" in node:
            new = f"{prefix}{node['/ID']}"
            node[NameObject("/ID")] = TextStringObject(new)
            ids[new] = ref
        attrs = node.raw_get("/A") if "/A" in node else None
        attrs = attrs.get_object() if isinstance(attrs, IndirectObject) else attrs
        if attrs is not None:
            for a in attrs if isinstance(attrs, list) else [attrs]:
                a = a.get_object() if isinstance(a, IndirectObject) else a
                if isinstance(a, DictionaryObject) and "/Headers" in a:
                    a[NameObject("/Headers")] = ArrayObject(TextStringObject(f"{prefix}{h}") for h in a["/Headers"])
        kids = node.raw_get("/K") if "/K" in node else None
        if isinstance(kids, IndirectObject) and isinstance(kids.get_object(), ArrayObject):
            kids = kids.get_object()
        if kids is None:
            continue
        for kid in kids if isinstance(kids, list) else [kids]:
            if not isinstance(kid, IndirectObject):
                continue  # a marked-content id or a direct MCR/OBJR dictionary
            obj = kid.get_object()
            if isinstance(obj, DictionaryObject) and "/S" in obj:
                obj[NameObject("/P")] = ref
                stack.append((obj, kid))


def _link_contents(writer: Any, labels: dict[int, str]) -> None:
    """Turn the contents page's ``qipp-pack:page/n`` links into jumps to pack page n, described in words."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, TextStringObject

    for page in writer.pages:
        for annot in page.get("/Annots", []) or []:
            a = annot.get_object()
            uri = str(a.get("/A", {}).get("/URI", ""))
            if not uri.startswith(_PAGE_LINK):
                continue
            n = int(uri.removeprefix(_PAGE_LINK))
            target = writer.pages[n - 1].indirect_reference
            a[NameObject("/A")] = DictionaryObject(
                {
                    NameObject("/S"): NameObject("/GoTo"),
                    NameObject("/D"): ArrayObject([target, NameObject("/Fit")]),
                }
            )
            a[NameObject("/Contents")] = TextStringObject(f"Go to page {n}: {labels.get(n, '')}".rstrip(": "))


_NAME_RE = re.compile(rb"/([A-Za-z0-9_.+\-]+)")


def _rename(content: bytes, renames: dict[bytes, bytes]) -> bytes:
    """Rename resource names (``/name``) in a content stream."""
    return _NAME_RE.sub(lambda m: b"/" + renames.get(m.group(1), m.group(1)), content)


def _stamp(writer: Any, stamps: Any) -> None:
    """Overlay each page (but the cover) with its pack page number, marked as a pagination artifact."""
    from pypdf.generic import ArrayObject, DecodedStreamObject, DictionaryObject, NameObject

    def stream(data: bytes) -> Any:
        s = DecodedStreamObject()
        s.set_data(data)
        return writer._add_object(s)

    for i in range(1, len(writer.pages)):
        src = stamps.pages[i]
        page = writer.pages[i]
        content = src.get_contents().get_data()
        res = page.get("/Resources")
        if res is None:
            page[NameObject("/Resources")] = DictionaryObject()
            res = page["/Resources"]
        res = res.get_object()
        renames: dict[bytes, bytes] = {}
        src_res = src["/Resources"].get_object()
        for cat in ("/Font", "/ExtGState", "/ColorSpace", "/XObject", "/Pattern", "/Shading"):
            entries = src_res.get(cat)
            if entries is None or not entries.get_object():
                continue
            if cat not in res:
                res[NameObject(cat)] = DictionaryObject()
            target = res[cat].get_object()
            entries = entries.get_object()
            for name in list(entries):
                new = "/QippPack" + re.sub(r"[^A-Za-z0-9]", "", name[1:])
                target[NameObject(new)] = entries.raw_get(name).clone(writer)
                renames[name[1:].encode()] = new[1:].encode()
        content = _rename(content, renames)
        dx = float(page.mediabox.width) - float(src.mediabox.width)
        stamp = (
            b"q 1 0 0 1 %.3f 0 cm /Artifact <</Type /Pagination /Subtype /Footer>> BDC\n" % dx + content + b"\nEMC Q\n"
        )
        old = page.raw_get("/Contents")  # a reference (streams are never direct) or an array of them
        old_list = list(old.get_object()) if isinstance(old.get_object(), list) else [old]
        page[NameObject("/Contents")] = ArrayObject([stream(b"q\n"), *old_list, stream(b"\nQ\n" + stamp)])


def _stamps(total: int, report_pages: set[int]) -> Any:
    from pypdf import PdfReader

    body = "".join(f"<div class='{'report' if i in report_pages else 'own'}'></div>" for i in range(total))
    html = f"<!DOCTYPE html><html lang='{_LANG}'><head><style>{_STAMP_CSS}</style></head><body>{body}</body></html>"
    return PdfReader(io.BytesIO(_pdf_bytes(_render(html), tagged=False)))


def _xmp(title: str, *, ua: bool) -> bytes:
    from xml.sax.saxutils import escape

    ua_part = '<pdfuaid:part xmlns:pdfuaid="http://www.aiim.org/pdfua/ns/id/">1</pdfuaid:part>' if ua else ""
    return (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:pdf="http://ns.adobe.com/pdf/1.3/">'
        f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>'
        f"<dc:language><rdf:Bag><rdf:li>{_LANG}</rdf:li></rdf:Bag></dc:language>"
        f"<pdf:Producer>qipp-workbooks</pdf:Producer>{ua_part}"
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def _layout(front: FrontPage) -> tuple[bytes, bytes, dict[str, int], dict[str, int], int, int]:
    """Lay out the front and back matter: (front PDF, back PDF, front starts, back starts, front pages, back pages).

    Every page number after the front matter depends on its length, and the front matter prints them:
    lay it out until its length and its own sections' pages stop changing (once or twice).
    """
    back_doc = _render(back_html(front))
    back_anchor = _anchor_pages(back_doc)
    n_front = 3 if front.summary is not None else 2
    own = {"summary": 2, "contents": 3} if front.summary is not None else {"contents": 2}
    for _ in range(5):
        starts: dict[str, int] = {}
        page = n_front + 1
        for r in front.in_pack:
            starts[f"{r.org}/{r.notebook}"] = page
            page += r.pages
        back = {k: page - 1 + back_anchor.get(k, 1) for k in ("glossary", "notes")}
        total = page - 1 + len(back_doc.pages)
        doc = _render(front_html(front, {**starts, **own}, back, total))
        anchors = _anchor_pages(doc)
        found = {k: anchors.get(k, v) for k, v in own.items()}
        if len(doc.pages) == n_front and found == own:
            break
        n_front, own = len(doc.pages), found
    else:
        raise RuntimeError("the pack's front matter did not settle on a length")
    return _pdf_bytes(doc), _pdf_bytes(back_doc), {**starts, **own}, back, n_front, len(back_doc.pages)


def write_pack(folder: Path, front: FrontPage) -> PackPdf | None:
    """Write the month's pack PDF (None, and any old one removed, when no report has a PDF)."""
    import time

    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import BooleanObject, DictionaryObject, NameObject, StreamObject, TextStringObject

    start = time.perf_counter()
    path = Path(folder) / front.pack_file
    if not front.in_pack:
        if path.is_file() and not path.is_symlink():
            path.unlink()
        return None
    front_pdf, back_pdf, starts, back, n_front, n_back = _layout(front)
    readers = [PdfReader(io.BytesIO(front_pdf))]
    readers += [PdfReader(r.pdf) for r in front.in_pack]
    readers.append(PdfReader(io.BytesIO(back_pdf)))
    writer = PdfWriter()
    parts: list[tuple[Any, int]] = []
    labels = {starts[k]: k.capitalize() for k in ("summary", "contents") if k in starts}
    labels.update({back["glossary"]: "Glossary", back["notes"]: "Data-quality notes"})
    report_pages: set[int] = set()
    for k, reader in enumerate(readers):
        first = len(writer.pages)
        parts.append((reader, first))
        if k == 0 or k == len(readers) - 1:
            writer.append(reader, import_outline=True)
            continue
        r: PackReport = front.in_pack[k - 1]
        writer.append(reader, import_outline=False)
        item = writer.add_outline_item(title=r.title, page_number=first)
        _add_outline(writer, reader, _report_sections(reader), first, item)
        labels[first + 1] = r.title
        report_pages.update(range(first, first + len(reader.pages)))
    _link_contents(writer, labels)
    lost = []
    tagged = all(_tagged(rd) for rd in readers)
    if tagged:
        try:
            _merge_structure(writer, parts)
        except Exception as exc:  # a structure tree pypdf cannot follow: the pack still goes out, untagged
            tagged = False
            lost.append(f"tags: the parts' structure trees could not be merged ({type(exc).__name__}: {exc})")
            writer._root_object.pop("/StructTreeRoot", None)
            writer._root_object.pop("/MarkInfo", None)
    elif not all(_tagged(rd) for rd in readers[1:-1]):
        untagged = [r.title for r, rd in zip(front.in_pack, readers[1:-1], strict=True) if not _tagged(rd)]
        lost.append(
            f"tags: {len(untagged)} of the {len(front.in_pack)} report PDFs are not tagged, so the pack cannot be"
        )
        writer._root_object.pop("/StructTreeRoot", None)
    else:
        lost.append("tags: the front matter is not tagged, so the pack cannot be")
        writer._root_object.pop("/StructTreeRoot", None)
    _stamp(writer, _stamps(len(writer.pages), report_pages))
    title = f"{TITLE} — {front.period}"
    writer.add_metadata({"/Title": title, "/Subject": front.period, "/Creator": f"qipp-workbooks {front.version}"})
    cat = writer._root_object
    cat[NameObject("/Lang")] = TextStringObject(_LANG)
    cat[NameObject("/ViewerPreferences")] = DictionaryObject({NameObject("/DisplayDocTitle"): BooleanObject(True)})
    ua = tagged and all(_claims_ua(rd) for rd in readers)
    if tagged and not ua:
        lost.append("PDF/UA: some parts do not claim PDF/UA conformance, so the pack does not claim it either")
    meta = StreamObject()
    meta.set_data(_xmp(title, ua=ua))
    meta.update({NameObject("/Type"): NameObject("/Metadata"), NameObject("/Subtype"): NameObject("/XML")})
    cat[NameObject("/Metadata")] = writer._add_object(meta)
    cat[NameObject("/PageMode")] = NameObject("/UseOutlines")
    buf = io.BytesIO()
    writer.write(buf)
    atomic_write_bytes(path, buf.getvalue())
    return PackPdf(
        path=path,
        pages=len(writer.pages),
        front_pages=n_front,
        back_pages=n_back,
        starts={**starts, **back},
        tagged=tagged,
        lost=lost,
        seconds=time.perf_counter() - start,
    )


# --- the month's front matter, as a whole ------------------------------------------------------------------


def _reads(front_reports: list[PackReport], table: str) -> bool:
    from .catalogue import CATALOGUE

    return any(r.ok and r.notebook in CATALOGUE and table in CATALOGUE[r.notebook].reads for r in front_reports)


def publish_month(
    folder: Path,
    manifest: dict,
    *,
    previous: dict | None = None,
    data_dir: Path,
    marking: str = "",
    meeting_date: str = "",
    data_cutoff: str = "",
) -> dict:
    """Rebuild the month's pack PDF and ``index.html`` from its manifest and record the pack in the manifest.

    ``manifest`` is the month's manifest just written (every report of the month, this run's and earlier
    ones'); ``previous`` the one before this run, whose marking, meeting date and data cut-off are kept
    when this run gives none. ``data_dir`` is the snapshot this run read: the summary's figures and the
    data-quality notes come from it. Returns the manifest's ``pack`` record.
    """
    from ..report.objects import data_notes, pack_summary
    from ..store import db
    from . import index
    from .front import FrontPage, collect_reports
    from .plan import write_manifest

    kept = (previous or {}).get("pack") or {}
    marking = marking or kept.get("marking", "")
    meeting_date = meeting_date or kept.get("meeting_date", "")
    data_cutoff = data_cutoff or kept.get("data_cutoff", "")
    fy, month = manifest["fin_year"], int(manifest["month"])
    reports = collect_reports(folder, manifest.get("reports", []))
    returns, warnings = db.load_returns(data_dir), db.load_warnings(data_dir)
    adjustments = db.load_adjustments(data_dir)
    frp = db.load_frp(data_dir) if _reads(reports, "frp_lines") else None
    rightcare = db.load_rightcare(data_dir) if _reads(reports, "rightcare_indicators") else None
    w = warnings[(warnings["fin_year"] == fy) & (warnings["month"] == month)]
    front = FrontPage(
        fin_year=fy,
        month=month,
        reports=reports,
        summary=pack_summary(returns, warnings, fin_year=fy, month=month, frp_tables=frp, adjustments=adjustments),
        notes=data_notes(
            returns,
            warnings,
            fin_year=fy,
            month=month,
            frp_tables=frp,
            rightcare_tables=rightcare,
            adjustments=adjustments,
        ),
        marking=marking,
        meeting_date=meeting_date,
        data_cutoff=data_cutoff,
        store=manifest.get("store") or {},
        skipped=manifest.get("skipped", []),
        runs=manifest.get("runs", []),
        warnings=w.to_dict("records"),
    )
    failure = None
    try:
        pdf = write_pack(folder, front)
    except Exception as exc:  # the reports stand without the pack: write the front page, then say so
        pdf, failure = None, f"{type(exc).__name__}: {exc}"
    record = {
        **(pdf.record() if pdf else {"file": None, "error": failure}),
        "marking": marking,
        "meeting_date": meeting_date,
        "data_cutoff": data_cutoff,
        "built": front.built,
        "built_by": front.built_by,
        "reports": [f"{r.org}/{r.notebook}" for r in front.in_pack],
    }
    index.write_index(folder, index.render_index(front, record if pdf else None, failure=failure))
    write_manifest(folder, {**manifest, "pack": record})
    if failure:
        raise RenderError(f"could not assemble the pack PDF {front.pack_file}: {failure}")
    return record
