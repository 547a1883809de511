"""Automated checks of a rendered pack: PDF pagination and HTML accessibility.

Finance-agnostic: it reads rendered files, never the data behind them.

``check_pdf`` reads text, rule and image positions per page with pdfplumber (per-character font,
size, colour and box, plus the stroked lines and filled rectangles of table borders; pypdf gives
text but no geometry of lines and fills) and fails on

- ``heading-at-foot``: a heading whose top is in the last 15% of the page, or a heading left at the
  foot of a page with less than 15% of a page of its section when the section goes on overleaf;
- ``table-fragment``: a table broken across pages leaving fewer than 3 body rows on one side of the
  break (repeated header rows are not body rows);
- ``outside-page``: characters outside the page box, which a viewer or printer cuts off;
- ``page-half-empty``: a page less than half full although the chart that opens the next page (with
  the text right under it) would have fitted in the space left.

Charts are images: labels clipped or struck through inside a chart are pixels, not text, and no
text check sees them.

Headings are the PDF's outline entries: WeasyPrint bookmarks every ``h1``-``h6`` at its position, so
no guess from font or colour is needed. Table rows are bands of text each closed by a horizontal
border (every ``td``/``th`` of the report stylesheet has a bottom border); a row whose text is all
bold and light is a header row (white bold on the header fill).

``check_html_accessibility`` runs axe-core (``axe-playwright-python``) in Chromium driven by
Playwright for the WCAG 2.0/2.1 A and AA rules. Playwright's own browser download is not used: the
system's Chromium (Debian package ``chromium``; ``scripts/ensure_browser.sh``) is launched by path.

``python -m qipp_helpers.pack.checks FOLDER...`` runs both over every PDF and HTML file under the
folders, prints each problem, and exits 1 if there is any (2 if the browser cannot be started).
"""

from __future__ import annotations

import contextlib
import itertools
import sys
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .render import KEEP_ROWS

__all__ = [
    "CHROMIUM",
    "CHROMIUM_ARGS",
    "WCAG_TAGS",
    "AxeViolation",
    "Heading",
    "PageLayout",
    "PageProblem",
    "TableFragment",
    "browser_unavailable_reason",
    "check_folder",
    "check_html_accessibility",
    "check_pdf",
    "chromium",
    "layout_problems",
    "read_layout",
]

#: Page margins of the report stylesheet (``@page { margin: ... }`` in report.css), in mm:
#: top, right, bottom, left. Text in the top and bottom margins is the running header and footer.
MARGINS_MM = (14.0, 12.0, 14.0, 12.0)
FOOT = 0.15  # the foot of a page: its last 15%
#: Body rows a table must keep on each side of a page break: what the renderer promises (:data:`render.KEEP_ROWS`).
MIN_ROWS = KEEP_ROWS

RULES = {
    "heading-at-foot": "heading at the foot of a page",
    "table-fragment": f"table broken leaving fewer than {MIN_ROWS} body rows on one side",
    "outside-page": "text outside the page box",
    "page-half-empty": "page left more than half empty although the next block would fit",
}
GAP_PT = 4 * 72 / 25.4  # the space a block needs above it (a paragraph or cell margin), about 4 mm

_PT_PER_MM = 72 / 25.4


@dataclass(frozen=True)
class PageProblem:
    """One pagination problem: which file and page (1-based), which rule, the text concerned."""

    file: Path
    page: int
    rule: str
    text: str
    detail: str

    def __str__(self) -> str:
        return f"{self.file}: page {self.page}: {self.rule}: {self.detail}: {self.text!r}"


@dataclass(frozen=True)
class Heading:
    """An outline entry placed on its page: ``top``/``bottom`` in points from the top of the page."""

    text: str
    top: float
    bottom: float


@dataclass(frozen=True)
class TableRow:
    text: str
    top: float
    rule: float  # y of the border that closes the row
    header: bool
    x0: float
    x1: float


@dataclass(frozen=True)
class TableFragment:
    """The part of one table that lies on one page."""

    rows: tuple[TableRow, ...]

    @property
    def top(self) -> float:
        return self.rows[0].top

    @property
    def bottom(self) -> float:
        return self.rows[-1].rule

    @property
    def body_rows(self) -> list[TableRow]:
        return [r for r in self.rows if not r.header]

    @property
    def header_text(self) -> str:
        return " ".join(r.text for r in self.rows if r.header)


@dataclass
class PageLayout:
    """What the checks need to know about one page (points, measured from the top of the page)."""

    number: int
    width: float
    height: float
    headings: list[Heading] = field(default_factory=list)
    tables: list[TableFragment] = field(default_factory=list)
    blocks: list[tuple[float, float]] = field(default_factory=list)  # (top, bottom) of text lines and images
    images: list[tuple[float, float]] = field(default_factory=list)  # (top, bottom) of images
    outside: list[str] = field(default_factory=list)  # text of characters outside the page box
    area: tuple[float, float] = (0.0, 0.0)  # (top, bottom) of the content area inside the margins

    @property
    def content_top(self) -> float | None:
        return min((t for t, _ in self.blocks), default=None)

    @property
    def content_bottom(self) -> float | None:
        return max((b for _, b in self.blocks), default=None)


# --- reading a PDF ----------------------------------------------------------------------------------


def _is_bold(char: dict[str, Any]) -> bool:
    return "bold" in str(char.get("fontname", "")).lower()


def _luminance(colour: Any) -> float | None:
    """0 (black) .. 1 (white) for a gray, RGB or CMYK fill colour; None if unknown (pattern, ...)."""
    if not isinstance(colour, tuple | list) or not all(isinstance(v, int | float) for v in colour):
        return None
    if len(colour) == 1:
        return float(colour[0])
    if len(colour) == 3:
        r, g, b = colour
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    if len(colour) == 4:
        c, m, y, k = colour
        return (1 - k) * (0.2126 * (1 - c) + 0.7152 * (1 - m) + 0.0722 * (1 - y))
    return None


@dataclass
class _Line:
    top: float
    bottom: float
    x0: float
    x1: float
    text: str
    size: float
    header_like: bool  # every character bold and light (white on a header fill)


def _lines(chars: list[dict[str, Any]]) -> list[_Line]:
    """Group characters into text lines by their top edge, left to right, words split on gaps."""
    import pdfplumber.utils

    lines = []
    for cluster in pdfplumber.utils.cluster_objects(chars, "top", tolerance=2):
        cluster = sorted(cluster, key=lambda c: c["x0"])
        visible = [c for c in cluster if c["text"].strip()]
        if not visible:
            continue
        text = pdfplumber.utils.extract_text(cluster, x_tolerance=1.5).strip()
        lines.append(
            _Line(
                top=min(c["top"] for c in visible),
                bottom=max(c["bottom"] for c in visible),
                x0=min(c["x0"] for c in visible),
                x1=max(c["x1"] for c in visible),
                text=" ".join(text.split()),
                size=max(c["size"] for c in visible),
                header_like=all(_is_bold(c) and (_luminance(c.get("non_stroking_color")) or 0) > 0.9 for c in visible),
            )
        )
    return sorted(lines, key=lambda ln: ln.top)


@dataclass
class _Rule:
    y: float
    x0: float
    x1: float


def _rules(page: Any, top: float, bottom: float) -> list[_Rule]:
    """Horizontal borders (stroked lines, or hairline rectangles) inside the content area, merged per y."""
    segs = [
        (ln["top"], ln["x0"], ln["x1"])
        for ln in page.lines
        if abs(ln["bottom"] - ln["top"]) < 0.5 and ln["x1"] - ln["x0"] >= 3
    ]
    segs += [
        ((r["top"] + r["bottom"]) / 2, r["x0"], r["x1"])
        for r in page.rects
        if r["bottom"] - r["top"] <= 2.5 and r["x1"] - r["x0"] >= 3
    ]
    rules: list[_Rule] = []
    for y, x0, x1 in sorted(s for s in segs if top <= s[0] <= bottom):
        if rules and abs(rules[-1].y - y) <= 1.0 and x0 <= rules[-1].x1 + 2:
            rules[-1].x0, rules[-1].x1 = min(rules[-1].x0, x0), max(rules[-1].x1, x1)
        else:
            rules.append(_Rule(y, x0, x1))
    return rules


def _fill_top(page: Any, rule: _Rule) -> float | None:
    """Top of a row's background fill: filled rectangles ending on ``rule`` over half its width."""
    fills = [
        r
        for r in page.rects
        if r.get("fill")
        and abs(r["bottom"] - rule.y) <= 1.0
        and r["bottom"] - r["top"] > 2.5
        and r["x1"] > rule.x0
        and r["x0"] < rule.x1
    ]
    covered = sum(min(r["x1"], rule.x1) - max(r["x0"], rule.x0) for r in fills)
    return min(r["top"] for r in fills) if fills and covered >= 0.5 * (rule.x1 - rule.x0) else None


def _rows(page: Any, lines: list[_Line], rules: list[_Rule], heading_tops: list[float]) -> list[tuple[TableRow, float]]:
    """Each border with text right above it closes a row: (row, how far below the previous border it may start).

    A row's text is the run of lines touching each other up from its border, stopping at the previous
    border or at the top of the row's fill (so a caption or paragraph above a table is not a row).
    """
    rows = []
    used: set[int] = set()
    prev_y = float("-inf")
    for rule in rules:
        fill = _fill_top(page, rule)
        band_top = prev_y if fill is None else max(prev_y, fill)
        prev_y = rule.y
        cand = sorted(
            (
                (i, ln)
                for i, ln in enumerate(lines)
                if i not in used
                and ln.top >= band_top - 1.0
                and ln.bottom <= rule.y + 1.0
                and ln.x1 > rule.x0
                and ln.x0 < rule.x1
                and not any(abs(ln.top - h) < 1.5 for h in heading_tops)
            ),
            key=lambda p: p[1].bottom,
            reverse=True,
        )
        if not cand:
            continue
        tol = 0.65 * cand[0][1].size + 1.0  # cell padding and half-leading, not a margin between blocks
        if rule.y - cand[0][1].bottom > tol:
            continue  # a border with no text right above it: a separator, not a row
        taken = cand[:1]
        for i, ln in cand[1:]:
            if taken[-1][1].top - ln.bottom > tol:
                break
            taken.append((i, ln))
        used.update(i for i, _ in taken)
        row_lines = sorted((ln for _, ln in taken), key=lambda ln: ln.top)
        row = TableRow(
            text=" ".join(ln.text for ln in row_lines),
            top=row_lines[0].top if fill is None else fill,
            rule=rule.y,
            header=all(ln.header_like for ln in row_lines),
            x0=rule.x0,
            x1=rule.x1,
        )
        # a filled row starts on the previous border; an unfilled one a padding and half-leading below it
        rows.append((row, 1.5 if fill is not None else 0.75 * row_lines[0].size + 3.0))
    return rows


def _table_fragments(
    page: Any, lines: list[_Line], rules: list[_Rule], heading_tops: list[float]
) -> list[TableFragment]:
    """Rows of one width that touch make a fragment; a header row after body rows starts a new table."""
    fragments: list[list[TableRow]] = []
    for row, lead in _rows(page, lines, rules, heading_tops):
        if fragments:
            last = fragments[-1][-1]
            touching = row.top - last.rule <= lead
            same_width = abs(row.x0 - last.x0) <= 3 and abs(row.x1 - last.x1) <= 3
            new_header = row.header and not last.header
            if touching and same_width and not new_header:
                fragments[-1].append(row)
                continue
        fragments.append([row])
    return [TableFragment(tuple(f)) for f in fragments]


def _outline(pdf: Any) -> dict[int, list[tuple[float, str]]]:
    """Outline entries per page number: (y from the top of the page, title)."""
    from pdfminer.pdfdocument import PDFNoOutlines
    from pdfminer.pdftypes import resolve1
    from pdfminer.psparser import PSLiteral

    pages = {p.page_obj.pageid: p for p in pdf.pages}
    found: dict[int, list[tuple[float, str]]] = {}
    try:
        entries = list(pdf.doc.get_outlines())
    except PDFNoOutlines:
        return found
    for _level, title, dest, action, _se in entries:
        dest = resolve1(dest)
        if dest is None and action is not None:
            act = resolve1(action)
            dest = resolve1(act.get("D")) if isinstance(act, dict) else None
        if isinstance(dest, bytes | str):
            with contextlib.suppress(Exception):
                dest = resolve1(pdf.doc.get_dest(dest))
        if isinstance(dest, dict):
            dest = resolve1(dest.get("D"))
        if not isinstance(dest, list) or len(dest) < 2:
            continue
        ref = dest[0]
        page = pages.get(getattr(ref, "objid", None))
        kind = dest[1].name if isinstance(dest[1], PSLiteral) else str(dest[1])
        if page is None:
            continue
        top_pdf = None
        if kind == "XYZ" and len(dest) >= 4 and isinstance(dest[3], int | float):
            top_pdf = float(dest[3])
        elif kind in ("FitH", "FitBH") and len(dest) >= 3 and isinstance(dest[2], int | float):
            top_pdf = float(dest[2])
        y = 0.0 if top_pdf is None else page.height - top_pdf
        found.setdefault(page.page_number, []).append((y, str(title)))
    return found


def read_layout(path: Path | str, *, margins_mm: Sequence[float] = MARGINS_MM) -> list[PageLayout]:
    """Headings, table fragments, content blocks and out-of-page text of every page of ``path``.

    Text in the top and bottom page margins (running headers and footers) is left out of the content.
    """
    import pdfplumber

    top_mm, _right_mm, bottom_mm, _left_mm = margins_mm
    layouts = []
    with pdfplumber.open(path) as pdf:
        outline = _outline(pdf)
        for page in pdf.pages:
            width, height = float(page.width), float(page.height)
            area_top, area_bottom = top_mm * _PT_PER_MM - 1, height - bottom_mm * _PT_PER_MM + 1
            chars = page.chars
            content = [c for c in chars if c["top"] >= area_top and c["bottom"] <= area_bottom]
            lines = _lines(content)
            layout = PageLayout(page.page_number, width, height)
            layout.outside = [
                ln.text
                for ln in _lines(chars)
                if ln.x0 < -0.5 or ln.x1 > width + 0.5 or ln.top < -0.5 or ln.bottom > height + 0.5
            ]
            for y, title in outline.get(page.page_number, []):
                # the outline points at the heading box; its text is the first line at or just below
                line = next((ln for ln in lines if y - 2 <= ln.top <= y + 2 * ln.size + 12), None)
                if line is None:
                    layout.headings.append(Heading(title, y, y))
                else:
                    layout.headings.append(Heading(title, line.top, line.bottom))
            images = [
                (float(im["top"]), float(im["bottom"]))
                for im in page.images
                if im["bottom"] > area_top and im["top"] < area_bottom
            ]
            layout.blocks = sorted([(ln.top, ln.bottom) for ln in lines] + images)
            layout.images = sorted(images)
            layout.area = (area_top + 1, area_bottom - 1)
            rules = _rules(page, area_top, area_bottom)
            layout.tables = _table_fragments(page, lines, rules, [h.top for h in layout.headings])
            layouts.append(layout)
    return layouts


# --- the pagination rules ---------------------------------------------------------------------------


def _heading_problems(file: Path, pages: list[PageLayout], foot: float) -> Iterator[PageProblem]:
    for k, page in enumerate(pages):
        headings = sorted(page.headings, key=lambda h: h.top)
        for n, h in enumerate(headings):
            if h.top >= (1 - foot) * page.height:
                yield PageProblem(
                    file, page.number, "heading-at-foot", h.text, f"heading in the last {foot:.0%} of the page"
                )
                continue
            if n + 1 < len(headings):
                continue  # the next heading is on this page: this section ends here
            following = [b for t, b in page.blocks if t >= h.top - 0.5]
            extent = max(following, default=h.bottom) - h.top
            nxt = pages[k + 1] if k + 1 < len(pages) else None
            if nxt is None or nxt.content_top is None:
                continue
            opens_next = any(abs(g.top - nxt.content_top) < 2 for g in nxt.headings)
            if extent < foot * page.height and not opens_next:
                yield PageProblem(
                    file,
                    page.number,
                    "heading-at-foot",
                    h.text,
                    f"heading left with {extent:.0f}pt of its section before the page break (under {foot:.0%} "
                    "of a page); the rest is overleaf",
                )


def _table_problems(file: Path, pages: list[PageLayout], min_rows: int) -> Iterator[PageProblem]:
    for page, nxt in itertools.pairwise(pages):
        if not page.tables or not nxt.tables:
            continue
        before, after = page.tables[-1], nxt.tables[0]
        at_foot = page.content_bottom is not None and before.bottom >= page.content_bottom - 1.5
        at_head = nxt.content_top is not None and after.top <= nxt.content_top + 1.5
        overlap = min(before.rows[-1].x1, after.rows[0].x1) - max(before.rows[-1].x0, after.rows[0].x0)
        same = not (before.header_text and after.header_text and before.header_text != after.header_text)
        if not (at_foot and at_head and overlap > 0 and same):
            continue
        for side, frag, where in ((page, before, "foot"), (nxt, after, "head")):
            body = frag.body_rows
            if len(body) < min_rows:
                text = " | ".join(r.text for r in body) or frag.header_text
                n = len(body)
                yield PageProblem(
                    file,
                    side.number,
                    "table-fragment",
                    text,
                    f"table broken at the {where} of the page with {n} body row{'s' if n != 1 else ''} on this side",
                )


def _half_empty_problems(file: Path, pages: list[PageLayout]) -> Iterator[PageProblem]:
    """A page under half full whose next page opens with a chart that, with the text right under it, fits."""
    for page, nxt in itertools.pairwise(pages):
        if page.content_bottom is None or not nxt.images or nxt.content_top is None:
            continue
        top, bottom = page.area
        if (page.content_bottom - top) >= 0.5 * (bottom - top):
            continue
        first = nxt.images[0]
        if abs(first[0] - nxt.content_top) > 1.5:
            continue  # the next page opens with text (a heading, an introduction): not this rule's business
        end = first[1]
        for t, b in nxt.blocks:  # the explanation right under the chart travels with it
            if t >= end - 0.5 and t - end <= 12:
                end = max(end, b)
            elif t > end:
                break
        needed = end - first[0] + GAP_PT
        free = bottom - page.content_bottom
        if needed <= free:
            yield PageProblem(
                file,
                page.number,
                "page-half-empty",
                "",
                f"page {(page.content_bottom - top) / (bottom - top):.0%} full; the chart opening page "
                f"{nxt.number} needs {needed / _PT_PER_MM:.0f} mm and {free / _PT_PER_MM:.0f} mm are left",
            )


def check_pdf(
    path: Path | str,
    *,
    foot: float = FOOT,
    min_rows: int = MIN_ROWS,
    margins_mm: Sequence[float] = MARGINS_MM,
) -> list[PageProblem]:
    """Every pagination problem of one PDF, in page order (see the module docstring for the rules)."""
    file = Path(path)
    return layout_problems(file, read_layout(file, margins_mm=margins_mm), foot=foot, min_rows=min_rows)


def layout_problems(
    file: Path, pages: list[PageLayout], *, foot: float = FOOT, min_rows: int = MIN_ROWS
) -> list[PageProblem]:
    """The pagination problems of ``file``'s pages as :func:`read_layout` read them (for a caller that also reads
    the layout for something else: the PDF is parsed once)."""
    problems = list(_heading_problems(file, pages, foot))
    problems += _table_problems(file, pages, min_rows)
    problems += _half_empty_problems(file, pages)
    for page in pages:
        problems += [
            PageProblem(file, page.number, "outside-page", text, "text outside the page box (cut off)")
            for text in page.outside
        ]
    return sorted(problems, key=lambda p: (p.page, p.rule))


# --- accessibility of the HTML ----------------------------------------------------------------------

#: Debian's Chromium; Playwright cannot download its own browser builds here.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
#: axe-core rule tags for WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")


@dataclass(frozen=True)
class AxeViolation:
    """One element failing one axe-core rule."""

    file: str
    rule: str
    impact: str
    target: str
    help: str
    help_url: str
    html: str
    summary: str = ""  # axe's finding for this element, e.g. the contrast ratio and the colours

    def __str__(self) -> str:
        why = f" ({self.summary})" if self.summary else ""
        return f"{self.file}: {self.rule} ({self.impact}): {self.help}: {self.target}{why}"


def browser_unavailable_reason(executable_path: Path | str = CHROMIUM) -> str | None:
    """Why the accessibility check cannot run here, or None when it can."""
    try:
        import axe_playwright_python  # noqa: F401
        import playwright.sync_api  # noqa: F401
    except ImportError as exc:
        return f"the Python package {exc.name!r} is not installed (pip install -r requirements.txt)"
    if not Path(executable_path).is_file():
        return f"no Chromium at {executable_path} (run scripts/ensure_browser.sh, or apt-get install chromium)"
    return None


@contextlib.contextmanager
def chromium(executable_path: Path | str = CHROMIUM) -> Iterator[Any]:
    """A headless Chromium (Playwright ``Browser``) launched from ``executable_path``, closed on exit."""
    reason = browser_unavailable_reason(executable_path)
    if reason:
        raise RuntimeError(f"cannot run the accessibility check: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(executable_path), args=list(CHROMIUM_ARGS))
        try:
            yield browser
        finally:
            browser.close()


def _url(path_or_url: Path | str) -> str:
    text = str(path_or_url)
    if "://" in text or text.startswith(("about:", "data:")):
        return text
    return Path(text).resolve().as_uri()


def _offline(route: Any) -> None:
    """Refuse network requests; let the page's own file and data URLs load."""
    if route.request.url.startswith(("http:", "https:", "ws:", "wss:", "ftp:")):
        route.abort()
    else:
        route.continue_()


def check_html_accessibility(
    path_or_url: Path | str,
    *,
    browser: Any = None,
    tags: Sequence[str] = WCAG_TAGS,
    executable_path: Path | str = CHROMIUM,
) -> list[AxeViolation]:
    """axe-core's WCAG 2.x A/AA violations of one page, one per failing element.

    Pass an open ``browser`` (from :func:`chromium`) to check many pages with one browser.
    Requests to the network are refused: a circulated report must stand alone.
    """
    if browser is None:
        with chromium(executable_path) as own:
            return check_html_accessibility(path_or_url, browser=own, tags=tags)
    from axe_playwright_python.sync_playwright import Axe

    url = _url(path_or_url)
    page = browser.new_page()
    try:
        page.route("**/*", _offline)
        page.goto(url, wait_until="load")
        result = Axe().run(page, options={"runOnly": {"type": "tag", "values": list(tags)}})
    finally:
        page.close()
    name = str(path_or_url)
    return [
        AxeViolation(
            file=name,
            rule=v["id"],
            impact=str(v.get("impact") or ""),
            target=" ".join(" > ".join(t) if isinstance(t, list) else str(t) for t in node.get("target", [])),
            help=v.get("help", ""),
            help_url=v.get("helpUrl", ""),
            html=node.get("html", ""),
            summary="; ".join(c.get("message", "") for key in ("any", "all", "none") for c in node.get(key) or []),
        )
        for v in result.response.get("violations", [])
        for node in v.get("nodes", [])
    ]


# --- a month folder ---------------------------------------------------------------------------------


def _files(folders: Iterable[Path | str], suffixes: tuple[str, ...]) -> list[Path]:
    found = set()
    for d in map(Path, folders):
        for f in d.rglob("*") if d.is_dir() else [d]:
            if f.is_file() and f.suffix.lower() in suffixes:
                found.add(f)
    return sorted(found)


def check_folder(
    folders: Iterable[Path | str], *, html: bool = True, executable_path: Path | str = CHROMIUM
) -> list[PageProblem | AxeViolation]:
    """Both checks over every PDF and HTML file under ``folders`` (recursively), in file order.

    RuntimeError when there are HTML files to check and the browser cannot be started.
    """
    folders = list(folders)
    found: list[PageProblem | AxeViolation] = []
    for pdf in _files(folders, (".pdf",)):
        found += check_pdf(pdf)
    pages = _files(folders, (".html", ".htm")) if html else []
    if pages:
        with chromium(executable_path) as browser:
            for page in pages:
                found += check_html_accessibility(page, browser=browser)
    return found


def main(argv: Sequence[str] | None = None) -> int:
    """Print every problem under the folders given; exit 1 if any, 2 if a check could not run."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or any(a in ("-h", "--help") for a in args):
        print("usage: python -m qipp_helpers.pack.checks FOLDER_OR_FILE...", file=sys.stderr)
        print("  checks pagination of every PDF and WCAG 2.x AA accessibility of every HTML file", file=sys.stderr)
        return 2
    missing = [a for a in args if not Path(a).exists()]
    if missing:
        print(f"no such file or folder: {', '.join(missing)}", file=sys.stderr)
        return 2
    found: list[PageProblem | AxeViolation] = list(check_folder(args, html=False))
    for problem in found:
        print(problem)
    pages = _files(args, (".html", ".htm"))
    unable = browser_unavailable_reason() if pages else None
    if unable:
        print(f"accessibility of {len(pages)} HTML file(s) not checked: {unable}", file=sys.stderr)
    elif pages:
        with chromium() as browser:
            for page in pages:
                violations = check_html_accessibility(page, browser=browser)
                for v in violations:
                    print(v)
                found += violations
    pdfs = len(_files(args, (".pdf",)))
    print(
        f"{len(found)} problem{'s' if len(found) != 1 else ''} in {pdfs} PDF and "
        f"{0 if unable else len(pages)} HTML file(s) checked",
        file=sys.stderr,
    )
    return 1 if found else 2 if unable else 0


if __name__ == "__main__":
    sys.exit(main())
