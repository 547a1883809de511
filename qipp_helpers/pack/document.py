"""The pack document: ONE PDF a committee receives, and the same front page in HTML.

``QIPP_pack_<fy>_M<mm>.pdf`` is a cover, a one-page summary and a contents page (laid out here with
WeasyPrint), then every report's own PDF exactly as rendered (merged, never laid out a second time: their
running headers and footers stay), then a glossary and the data-quality notes. The outline has one entry
per report with the report's own sections under it; the contents page numbers are computed from the
reports' page counts and link to their pages; every page after the cover carries its pack page number
(added as an artifact under each report's own footer).

The merge uses pikepdf (qpdf, C++) for speed: qpdf copies the parts' pages, structure trees and named
destinations itself, so what is left in Python is the outline, the structure ids and the stamps. On the
demo month (11 reports, 88 pages, 2 cores; ``benchmarks/pack.py``) the merge takes 0.2 s where pypdf
took 2.0 s, and ``publish_month`` 1.5 s instead of 3.2 s, most of it now WeasyPrint's layout.

Tags: when every part is tagged (WeasyPrint's PDF/UA variant), their structure trees are merged into one
(one Document with a Part per piece, structure ids made unique), with title, language and DisplayDocTitle
set; when any part is untagged the pack cannot be tagged and says so (:attr:`PackPdf.tagged`, the manifest).

The figures and sentences come from the report layer; this module lays them out and merges files.
"""

from __future__ import annotations

import io
import itertools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, String

from ..core.errors import RenderError
from ..core.files import atomic_write_bytes, remove_inside
from . import pages
from .front import TITLE, FrontPage, PackReport
from .gate import check_html, check_pdf, with_csp

#: The macros of the pack's own cover and contents page.
MATTER = "matter.html.j2"
#: Link targets on the contents page: ``qipp-pack:page/<n>`` becomes a jump to pack page n after merging.
_PAGE_LINK = "qipp-pack:page/"
_LANG = "en-GB"


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


def _page(front: FrontPage, part: str, title: str, **context: Any) -> str:
    """A page of the pack laid out here: its ``part`` ('front' or 'back') from ``templates/pack/document.html.j2``."""
    return pages.render(
        "document.html.j2",
        part=part,
        title=title,
        footer=f"{TITLE} · {front.period}",
        lang=_LANG,
        front=front,
        **context,
    )


def _by_org(reports: list[PackReport]) -> list[tuple[str, list[PackReport]]]:
    """The reports, organisation by organisation, in their order."""
    return [(org, list(rs)) for org, rs in itertools.groupby(reports, key=lambda r: r.org)]


def _contents(front: FrontPage, starts: dict[str, int], back: dict[str, int]) -> str:
    """The contents page: every report in the pack, the appendices, glossary and notes, with their pack pages."""
    notes = {code: note for code, _, note in front.organisations()}
    return pages.fragment("contents", front, starts, back, _by_org(front.in_pack), notes, _PAGE_LINK, template=MATTER)


def front_html(front: FrontPage, starts: dict[str, int], back: dict[str, int], total: int) -> str:
    """Cover, summary and contents."""
    return _page(
        front,
        "front",
        f"{TITLE} — {front.period}",
        pack_title=TITLE,
        starts=starts,
        back=back,
        all_starts={**starts, **back},
        total=total,
        page_link=_PAGE_LINK,
        org_names=[name for _, name, _ in front.organisations()],
        by_org=_by_org(front.in_pack),
        org_notes={code: note for code, _, note in front.organisations()},
    )


def back_html(front: FrontPage) -> str:
    """Paper D's appendices (each on its own pages), the glossary and the data-quality notes."""
    return _page(front, "back", f"{TITLE} — {front.period}: glossary and notes")


def _render(html: str) -> Any:
    from .render import _quiet_weasyprint

    with _quiet_weasyprint():
        import weasyprint

        return weasyprint.HTML(string=check_html(with_csp(html), "the pack's front matter")).render()


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


# --- merging (pikepdf) -----------------------------------------------------------------------------------

#: An outline item of the pack (an indirect dictionary) and the items under it.
_Node = tuple[Dictionary, list]


def _tagged(pdf: pikepdf.Pdf) -> bool:
    root = pdf.Root
    mark = root.get("/MarkInfo")
    return "/StructTreeRoot" in root and mark is not None and bool(mark.get("/Marked", False))


def _claims_ua(pdf: pikepdf.Pdf) -> bool:
    meta = pdf.Root.get("/Metadata")
    try:
        return meta is not None and b"pdfuaid:part" in meta.read_bytes()
    except Exception:
        return False


def _copy(out: pikepdf.Pdf, src: pikepdf.Pdf, obj: Any) -> Any:
    """``obj`` of ``src`` copied into ``out`` with all it references (copied pages map to their copies)."""
    return out.copy_foreign(obj if obj.is_indirect else src.make_indirect(obj))


def _page_numbers(pdf: pikepdf.Pdf) -> dict[tuple[int, int], int]:
    """Page object -> 0-based page number."""
    return {page.obj.objgen: i for i, page in enumerate(pdf.pages)}


def _outline_tree(pdf: pikepdf.Pdf) -> list[tuple[Any, list]]:
    """A PDF's outline as (item, children) pairs."""
    seen: set[tuple[int, int]] = set()

    def level(node: Any) -> list[tuple[Any, list]]:
        items = []
        while isinstance(node, Dictionary) and node.objgen not in seen:  # an item is never direct
            seen.add(node.objgen)
            items.append((node, level(node.get("/First"))))
            node = node.get("/Next")
        return items

    root = pdf.Root.get("/Outlines")
    return level(root.get("/First")) if root is not None else []


def _destination(pdf: pikepdf.Pdf, item: Any) -> Any:
    """An outline item's destination array (a named one looked up), or None."""
    dest = item.get("/Dest")
    if dest is None and "/A" in item and item.A.get("/S") == "/GoTo":
        dest = item.A.get("/D")
    if isinstance(dest, String) and "/Names" in pdf.Root and "/Dests" in pdf.Root.Names:
        dest = pikepdf.NameTree(pdf.Root.Names.Dests).get(str(dest))
    elif isinstance(dest, Name) and "/Dests" in pdf.Root:
        dest = pdf.Root.Dests.get(dest)
    if isinstance(dest, Dictionary):
        dest = dest.get("/D")
    return dest if isinstance(dest, Array) and len(dest) else None


def _page_of(dest: Any, pages: dict[tuple[int, int], int]) -> int | None:
    """The 0-based page a destination array points at (None: not a page of its PDF)."""
    if dest is None:
        return None
    target = dest[0]
    if isinstance(target, Dictionary):
        return pages.get(target.objgen)
    return target if isinstance(target, int) and 0 <= target < len(pages) else None


def _report_sections(pdf: pikepdf.Pdf, pages: dict[tuple[int, int], int]) -> list[tuple[Any, list]]:
    """A report's outline without the headings that repeat its title.

    A report's outline opens with its title (the banner heading) and, often, one heading holding every
    section; the pack's entry for the report already says both, so its sections go straight under it.
    """
    tree = _outline_tree(pdf)
    while tree and not tree[0][1] and _page_of(_destination(pdf, tree[0][0]), pages) == 0:
        tree = tree[1:]
    if len(tree) == 1 and tree[0][1]:
        tree = tree[0][1]
    return tree


def _goto(out: pikepdf.Pdf, title: str, dest: list) -> Any:
    """A new outline item of the pack: ``title``, a GoTo to ``dest``, no children yet."""
    action = out.make_indirect(Dictionary(S=Name.GoTo, D=Array(dest)))
    return out.make_indirect(Dictionary(Title=String(title), A=action, Count=0))


def _report_outline(
    out: pikepdf.Pdf, src: pikepdf.Pdf, tree: list[tuple[Any, list]], first: int, pages: dict[tuple[int, int], int]
) -> list[_Node]:
    """A report's sections as pack outline items: a jump to the heading's spot on its page in the pack."""
    nodes: list[_Node] = []
    for item, kids in tree:
        dest = _destination(src, item)
        page = _page_of(dest, pages)
        if page is None:
            continue
        target = out.pages[first + page].obj
        if dest[1] == "/XYZ":
            left = dest[2] if len(dest) > 2 else 0.0
            top = dest[3] if len(dest) > 3 else 0.0
            spot = [target, Name.XYZ, left, top, None]
        else:
            spot = [target, Name.Fit]
        nodes.append((_goto(out, str(item.get("/Title", "")), spot), _report_outline(out, src, kids, first, pages)))
    return nodes


def _own_outline(
    out: pikepdf.Pdf, src: pikepdf.Pdf, tree: list[tuple[Any, list]], first: int, pages: dict[tuple[int, int], int]
) -> list[_Node]:
    """The front or back matter's own outline, as pack outline items (their destinations on the pack's pages)."""
    nodes: list[_Node] = []
    for item, kids in tree:
        children = _own_outline(out, src, kids, first, pages)
        dest = _destination(src, item)
        page = _page_of(dest, pages)
        if page is None and not children:
            continue
        new = Dictionary(Title=String(str(item.get("/Title", ""))), F=item.get("/F", 0))
        color = item.get("/C")
        new.C = Array(list(color)) if isinstance(color, Array) else Array([0.0, 0.0, 0.0])
        if page is not None and "/A" in item:
            new.A = _copy(out, src, item.A)
        elif page is not None:
            new.Dest = Array([out.pages[first + page].obj, *list(dest)[1:]])
        nodes.append((out.make_indirect(new), children))
    return nodes


def _link_outline(parent: Any, nodes: list[_Node]) -> int:
    """Chain ``nodes`` under ``parent``; every item open (its /Count: the items under it). Returns their count."""
    total = 0
    for i, (item, kids) in enumerate(nodes):
        item.Parent = parent
        if i:
            item.Prev = nodes[i - 1][0]
            nodes[i - 1][0].Next = item
        under = _link_outline(item, kids)
        if kids:
            item.Count = under
        total += 1 + under
    if nodes:
        parent.First, parent.Last = nodes[0][0], nodes[-1][0]
    return total


def _named_destinations(out: pikepdf.Pdf, parts: list[pikepdf.Pdf]) -> None:
    """The parts' named destinations (their anchors), on the pack's pages; the first part naming one keeps it."""
    pages = {page.obj.objgen for page in out.pages}
    names: dict[str, Any] = {}
    for src in parts:
        if "/Names" not in src.Root or "/Dests" not in src.Root.Names:
            continue
        entries = list(pikepdf.NameTree(src.Root.Names.Dests).items())
        if not entries:
            continue
        copied = out.copy_foreign(src.make_indirect(Array([v for _, v in entries])))
        for (name, _), dest in zip(entries, copied, strict=True):
            target = dest.get("/D") if isinstance(dest, Dictionary) else dest
            if (
                isinstance(target, Array)
                and len(target)
                and isinstance(target[0], Dictionary)
                and target[0].objgen in pages
            ):
                names.setdefault(name, target)
    if names:
        flat = [x for name in sorted(names) for x in (String(name), names[name])]
        out.Root.Names = Dictionary(Dests=Dictionary(Names=Array(flat)))


def _number_tree(node: Any) -> list[tuple[int, Any]]:
    """The (key, value) pairs of a PDF number tree."""
    out = []
    nums = node.get("/Nums", [])
    out += [(int(nums[i]), nums[i + 1]) for i in range(0, len(nums) - 1, 2)]
    for kid in node.get("/Kids", []):
        out += _number_tree(kid)
    return out


def _merge_structure(out: pikepdf.Pdf, parts: list[tuple[pikepdf.Pdf, int]]) -> None:
    """One structure tree from the parts' trees: a Document with a Part per piece (every part is tagged).

    ``parts`` are (source PDF, pack index of its first page), after their pages were copied, so the
    structure elements' page and annotation references resolve to the pack's pages. Page
    ``/StructParents`` and annotation ``/StructParent`` keys are shifted so the parent trees do not
    collide; structure ids (table header ids) are prefixed per part.
    """
    root = out.make_indirect(Dictionary(Type=Name.StructTreeRoot))
    doc = out.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document, P=root, K=Array(), Lang=String(_LANG)))
    root.K = Array([doc])
    nums: list[tuple[int, Any]] = []
    ids: dict[str, Any] = {}
    role_map: dict[str, Any] = {}
    base = 0
    for k, (src, first) in enumerate(parts):
        tree = src.Root.StructTreeRoot
        entries = _number_tree(tree.ParentTree) if "/ParentTree" in tree else []
        for name, value in tree.get("/RoleMap", {}).items():
            role_map.setdefault(name, value)
        top = tree.get("/K", Array())
        kids = [
            kid if kid.is_indirect else src.make_indirect(kid) for kid in (top if isinstance(top, Array) else [top])
        ]
        for kid in kids:
            if "/P" in kid:  # /P is set below: copying it would copy the source's whole tree root
                del kid["/P"]
        copied = out.copy_foreign(src.make_indirect(Array([Array(kids), Array([v for _, v in entries])])))
        for top in copied[0]:
            top.P = doc
            if top.get("/S") == "/Document":
                top.S = Name.Part
            doc.K.append(top)
            _fix_children(top, f"p{k}-", ids)
        nums += [(key + base, value) for (key, _), value in zip(entries, copied[1], strict=True)]
        for i in range(len(src.pages)):
            page = out.pages[first + i].obj
            if "/StructParents" in page:
                page.StructParents = int(page.StructParents) + base
            for annot in page.get("/Annots", []):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + base
        base += max((key for key, _ in entries), default=-1) + 1
    flat = [x for key, value in sorted(nums, key=lambda kv: kv[0]) for x in (key, value)]
    root.ParentTree = out.make_indirect(Dictionary(Nums=Array(flat)))
    root.ParentTreeNextKey = base
    if ids:
        root.IDTree = Dictionary(Names=Array([x for name in sorted(ids) for x in (String(name), ids[name])]))
    if role_map:
        root.RoleMap = Dictionary(role_map)
    out.Root.StructTreeRoot = root
    out.Root.MarkInfo = Dictionary(Marked=True)


def _fix_children(elem: Any, prefix: str, ids: dict[str, Any]) -> None:
    """Set every descendant's /P to its parent and prefix structure ids (and the /Headers naming them)."""
    stack = [elem]
    while stack:
        node = stack.pop()
        if "/ID" in node:
            new = f"{prefix}{node.ID}"
            node.ID = String(new)
            ids[new] = node
        attrs = node.get("/A")
        if attrs is not None:
            for a in attrs if isinstance(attrs, Array) else [attrs]:
                if isinstance(a, Dictionary) and "/Headers" in a:
                    a.Headers = Array([String(f"{prefix}{h}") for h in a.Headers])
        kids = node.get("/K")
        if kids is None:
            continue
        for kid in kids if isinstance(kids, Array) else [kids]:
            if isinstance(kid, Dictionary) and kid.is_indirect and "/S" in kid:  # not an MCR/OBJR
                kid.P = node
                stack.append(kid)


def _link_contents(out: pikepdf.Pdf, labels: dict[int, str]) -> None:
    """Turn the contents page's ``qipp-pack:page/n`` links into jumps to pack page n, described in words."""
    for page in out.pages:
        for annot in page.obj.get("/Annots", []):
            action = annot.get("/A")
            uri = str(action.get("/URI", "")) if isinstance(action, Dictionary) else ""
            if not uri.startswith(_PAGE_LINK):
                continue
            n = int(uri.removeprefix(_PAGE_LINK))
            target = out.pages[n - 1].obj
            annot.A = Dictionary(S=Name.GoTo, D=Array([target, Name.Fit]))
            annot.Contents = String(f"Go to page {n}: {labels.get(n, '')}".rstrip(": "))


_NAME_RE = re.compile(rb"/([A-Za-z0-9_.+\-]+)")


def _rename(content: bytes, renames: dict[bytes, bytes]) -> bytes:
    """Rename resource names (``/name``) in a content stream."""
    return _NAME_RE.sub(lambda m: b"/" + renames.get(m.group(1), m.group(1)), content)


def _content(page: Any) -> bytes:
    """A page's content stream(s), decoded."""
    contents = page.get("/Contents")
    if isinstance(contents, Array):
        return b"\n".join(s.read_bytes() for s in contents)
    return contents.read_bytes() if contents is not None else b""


def _width(page: Any) -> float:
    box = pikepdf.Page(page).mediabox
    return float(box[2]) - float(box[0])


def _stamp(out: pikepdf.Pdf, stamps: pikepdf.Pdf) -> None:
    """Overlay each page (but the cover) with its pack page number, marked as a pagination artifact."""
    opening = out.make_stream(b"q\n")
    copies: dict[tuple[int, int], Any] = {}  # the stamp's resources, copied once: its pages share them
    for i in range(1, len(out.pages)):
        src = stamps.pages[i].obj
        page = out.pages[i].obj
        if "/Resources" not in page:
            page.Resources = Dictionary()
        res = page.Resources
        renames: dict[bytes, bytes] = {}
        key = src.Resources.objgen if src.Resources.is_indirect else (-1, i)
        if key not in copies:
            copies[key] = _copy(out, stamps, src.Resources)
        src_res = copies[key]
        for cat in ("/Font", "/ExtGState", "/ColorSpace", "/XObject", "/Pattern", "/Shading"):
            entries = src_res.get(cat)
            if entries is None or not entries.keys():
                continue
            if cat not in res:
                res[cat] = Dictionary()
            target = res[cat]
            for name, value in entries.items():
                new = "/QippPack" + re.sub(r"[^A-Za-z0-9]", "", name[1:])
                target[new] = value
                renames[name[1:].encode()] = new[1:].encode()
        content = _rename(_content(src), renames)
        dx = _width(page) - _width(src)
        stamp = (
            b"q 1 0 0 1 %.3f 0 cm /Artifact <</Type /Pagination /Subtype /Footer>> BDC\n" % dx + content + b"\nEMC Q\n"
        )
        old = page.Contents
        old_list = list(old) if isinstance(old, Array) else [old]
        page.Contents = Array([opening, *old_list, out.make_stream(b"\nQ\n" + stamp)])


def _stamps(total: int, report_pages: set[int]) -> pikepdf.Pdf:
    """The pack page numbers, a page of them per pack page, laid out by WeasyPrint (report pages: left of their own)."""
    body = "".join(f"<div class='{'report' if i in report_pages else 'own'}'></div>" for i in range(total))
    html = f"<!DOCTYPE html><html lang='{_LANG}'><head><style>{_STAMP_CSS}</style></head><body>{body}</body></html>"
    return pikepdf.open(io.BytesIO(_pdf_bytes(_render(html), tagged=False)))


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


def _appendix_keys(front: FrontPage) -> list[str]:
    return [a.anchor for a in front.appendices]


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
        back = {k: page - 1 + back_anchor.get(k, 1) for k in (*_appendix_keys(front), "glossary", "notes")}
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


def _assemble(out: pikepdf.Pdf, parts: list[pikepdf.Pdf], front: FrontPage) -> tuple[list[int], set[int]]:
    """Copy every part's pages into ``out`` and build the outline: (each part's first page index, report pages).

    The front and back matter bring their own outline; each report gets one item, its title, with the
    report's own sections under it. The parts' named destinations come along on the pack's pages.
    """
    firsts: list[int] = []
    nodes: list[_Node] = []
    report_pages: set[int] = set()
    for k, src in enumerate(parts):
        first = len(out.pages)
        firsts.append(first)
        out.pages.extend(src.pages)
        pages = _page_numbers(src)
        if k == 0 or k == len(parts) - 1:
            nodes += _own_outline(out, src, _outline_tree(src), first, pages)
            continue
        item = _goto(out, front.in_pack[k - 1].title, [out.pages[first].obj, Name.Fit])
        nodes.append((item, _report_outline(out, src, _report_sections(src, pages), first, pages)))
        report_pages.update(range(first, first + len(src.pages)))
    _named_destinations(out, parts)
    outline = out.make_indirect(Dictionary())
    outline.Count = _link_outline(outline, nodes)
    out.Root.Outlines = outline
    return firsts, report_pages


def _describe(out: pikepdf.Pdf, front: FrontPage, *, ua: bool) -> None:
    """Title, subject, creator and language; viewers show the title and open the outline; XMP (PDF/UA when ``ua``)."""
    title = f"{TITLE} — {front.period}"
    out.docinfo = out.make_indirect(
        Dictionary(
            Title=String(title),
            Subject=String(front.period),
            Creator=String(f"qipp-workbooks {front.version}"),
            Producer=String("pikepdf"),
        )
    )
    cat = out.Root
    cat.Lang = String(_LANG)
    cat.ViewerPreferences = Dictionary(DisplayDocTitle=True)
    cat.Metadata = out.make_stream(_xmp(title, ua=ua), Type=Name.Metadata, Subtype=Name.XML)
    cat.PageMode = Name.UseOutlines


def _save(out: pikepdf.Pdf, version: str) -> bytes:
    """The pack's bytes, at the parts' PDF version: only what the pages, outline and tags reach is written.

    Object streams make the file about a third smaller (and are no slower to write); the XMP is kept as
    written (pikepdf would otherwise re-serialise it); the file id is a digest of the content, not random.
    """
    buf = io.BytesIO()
    out.save(
        buf,
        min_version=version,
        fix_metadata_version=False,
        object_stream_mode=pikepdf.ObjectStreamMode.generate,
        deterministic_id=True,
    )
    return buf.getvalue()


def write_pack(folder: Path, front: FrontPage) -> PackPdf | None:
    """Write the month's pack PDF (None, and any old one removed, when no report has a PDF)."""
    import contextlib
    import time

    start = time.perf_counter()
    path = Path(folder) / front.pack_file
    if not front.in_pack:
        remove_inside(folder, path)
        return None
    front_pdf, back_pdf, starts, back, n_front, n_back = _layout(front)
    with contextlib.ExitStack() as stack:  # the parts stay open until the pack is saved: qpdf copies lazily
        parts = [stack.enter_context(pikepdf.open(io.BytesIO(front_pdf)))]
        parts += [stack.enter_context(pikepdf.open(r.pdf)) for r in front.in_pack if r.pdf is not None]
        parts.append(stack.enter_context(pikepdf.open(io.BytesIO(back_pdf))))
        tagged = all(_tagged(p) for p in parts)
        ua = tagged and all(_claims_ua(p) for p in parts)
        out = stack.enter_context(pikepdf.new())
        firsts, report_pages = _assemble(out, parts, front)
        _link_contents(out, _contents_labels(front, starts, back, firsts))
        tagged, ua, lost = _tag(out, parts, firsts, front, tagged=tagged, ua=ua)
        _stamp(out, stack.enter_context(_stamps(len(out.pages), report_pages)))
        _describe(out, front, ua=ua)
        data = _save(out, max(p.pdf_version for p in parts))
        pages = len(out.pages)
    atomic_write_bytes(path, check_pdf(data, path.name))
    return PackPdf(
        path=path,
        pages=pages,
        front_pages=n_front,
        back_pages=n_back,
        starts={**starts, **back},
        tagged=tagged,
        lost=lost,
        seconds=time.perf_counter() - start,
    )


def _contents_labels(
    front: FrontPage, starts: dict[str, int], back: dict[str, int], firsts: list[int]
) -> dict[int, str]:
    """Pack page -> the title of what starts there, for the contents page's links: the summary and contents, each
    report (after its own first page: ``firsts``, each part's first page index), the appendices, glossary and
    notes."""
    labels = {starts[k]: k.capitalize() for k in ("summary", "contents") if k in starts}
    labels.update({back[a.anchor]: a.title for a in front.appendices})
    labels.update({back["glossary"]: "Glossary", back["notes"]: "Data-quality notes"})
    labels.update({first + 1: r.title for first, r in zip(firsts[1:-1], front.in_pack, strict=True)})
    return labels


def _tag(
    out: pikepdf.Pdf, parts: list[pikepdf.Pdf], firsts: list[int], front: FrontPage, *, tagged: bool, ua: bool
) -> tuple[bool, bool, list[str]]:
    """Merge the parts' structure trees when every part is ``tagged``: (tagged, PDF/UA, what the pack loses, why).

    A pack that cannot be tagged (a part untagged, or trees that cannot be followed) goes out untagged, its
    pages' keys into a structure tree removed; ``ua`` (every part claims PDF/UA) holds only for a tagged pack.
    """
    lost = []
    if tagged:
        try:
            _merge_structure(out, list(zip(parts, firsts, strict=True)))
        except Exception as exc:  # a structure tree that cannot be followed: the pack still goes out, untagged
            tagged = ua = False
            lost.append(f"tags: the parts' structure trees could not be merged ({type(exc).__name__}: {exc})")
            for key in ("/StructTreeRoot", "/MarkInfo"):
                if key in out.Root:
                    del out.Root[key]
    elif not all(_tagged(p) for p in parts[1:-1]):
        untagged = sum(not _tagged(p) for p in parts[1:-1])
        lost.append(f"tags: {untagged} of the {len(front.in_pack)} report PDFs are not tagged, so the pack cannot be")
    else:
        lost.append("tags: the front matter is not tagged, so the pack cannot be")
    if not tagged:  # no structure tree for the pages' keys into it
        for page in out.pages:
            if "/StructParents" in page.obj:
                del page.obj["/StructParents"]
    elif not ua:
        lost.append("PDF/UA: some parts do not claim PDF/UA conformance, so the pack does not claim it either")
    return tagged, ua, lost


# --- the month's front matter, as a whole ------------------------------------------------------------------


def _reads(front_reports: list[PackReport], table: str) -> bool:
    from .catalogue import CATALOGUE

    return any(r.ok and r.notebook in CATALOGUE and table in CATALOGUE[r.notebook].reads for r in front_reports)


def _returns_received(returns, data_dir: Path, manifest: dict, *, fin_year: str, month: int) -> list:
    """The returns tracker as the front matter's last data note (none if no return is held for the month).

    A run reads a snapshot; when and at which version each file came in is in the live store's log
    (versions up to the one the run read), so that is read too when the snapshot's store is there. A
    missing return is overdue if the due day had passed when the last version the run read was committed.
    """
    from ..core.due import ReturnsDue
    from ..report.tracker import month_tracker, tracker_note
    from ..store import db

    if not ((returns["fin_year"] == fin_year) & (returns["month"] == month)).any():
        return []
    live = Path(data_dir).parents[2] if db.is_snapshot(data_dir) else Path(data_dir)
    read = int((manifest.get("store") or {}).get("version") or 0)
    try:
        held = [v for v in db.versions(live) if not read or v.number <= read]
    except Exception:
        held = []
    # due: the data folder's rule (RETURNS_DUE.txt, else working day 5); overdue as of the version the run read
    as_of = max(v.time for v in held).date() if held else None
    rule = ReturnsDue.for_data_dir(live)
    return [tracker_note(month_tracker(returns, held, fin_year=fin_year, month=month, rule=rule, as_of=as_of))]


def _front_page(
    folder: Path, manifest: dict, data_dir: Path, *, marking: str, meeting_date: str, data_cutoff: str
) -> FrontPage:
    """What the month's front matter says: its reports (from the manifest), the summary, data-quality notes and
    appendices worked out from the snapshot ``data_dir``, and the run's marking, dates and history."""
    from ..report.appendices import paper_d_appendices
    from ..report.summary import data_notes, pack_summary
    from ..store import db
    from .front import collect_reports

    fy, month = manifest["fin_year"], int(manifest["month"])
    reports = collect_reports(folder, manifest.get("reports", []))
    returns, warnings = db.load_returns(data_dir), db.load_warnings(data_dir)
    adjustments = db.load_adjustments(data_dir)
    frp = db.load_frp(data_dir) if _reads(reports, "frp_lines") else None
    rightcare = db.load_rightcare(data_dir) if _reads(reports, "rightcare_indicators") else None
    w = warnings[(warnings["fin_year"] == fy) & (warnings["month"] == month)]
    return FrontPage(
        fin_year=fy,
        month=month,
        reports=reports,
        summary=pack_summary(returns, warnings, fin_year=fy, month=month, frp_tables=frp, adjustments=adjustments),
        notes=[
            *data_notes(
                returns,
                warnings,
                fin_year=fy,
                month=month,
                frp_tables=frp,
                rightcare_tables=rightcare,
                adjustments=adjustments,
            ),
            *_returns_received(returns, data_dir, manifest, fin_year=fy, month=month),
        ],
        marking=marking,
        meeting_date=meeting_date,
        data_cutoff=data_cutoff,
        store=manifest.get("store") or {},
        skipped=manifest.get("skipped", []),
        runs=manifest.get("runs", []),
        warnings=w.to_dict("records"),
        appendices=paper_d_appendices(returns, adjustments, fin_year=fy, month=month)
        if _reads(reports, "returns")
        else [],
    )


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
    from . import index
    from .plan import write_manifest

    kept = (previous or {}).get("pack") or {}
    marking = marking or kept.get("marking", "")
    meeting_date = meeting_date or kept.get("meeting_date", "")
    data_cutoff = data_cutoff or kept.get("data_cutoff", "")
    front = _front_page(folder, manifest, data_dir, marking=marking, meeting_date=meeting_date, data_cutoff=data_cutoff)
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
