"""Turn an executed notebook into circulated, self-contained HTML and PDF.

This module knows nothing about finance. It wraps papermill (execution),
nbconvert (HTML via the ``qipp_report`` template) and WeasyPrint (PDF).
Heavy dependencies are imported lazily so importing this module is cheap.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat

from ..core.files import atomic_path, atomic_write_bytes
from ..report.publish import MIME as PUBLISH_MIME
from .gate import check_html, check_pdf, with_csp
from .kernel_setup import KERNEL_ARGUMENTS, KERNEL_SETUP

__all__ = [
    "KERNEL_ARGUMENTS",
    "KERNEL_SETUP",
    "REMOVE_CELL_TAGS",
    "TEMPLATE_DIR",
    "TEMPLATE_NAME",
    "execute_notebook",
    "html_to_pdf",
    "notebook_to_html",
    "render_report",
]

TEMPLATE_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAME = "qipp_report"

#: Cells carrying any of these tags are dropped entirely from rendered output.
#: ``papermill-error-cell-tag`` is papermill's "An Exception was encountered at
#: In [n]" banner, whose anchor link points at a prompt we never render.
REMOVE_CELL_TAGS = frozenset({"remove_cell", "parameters", "injected-parameters", "papermill-error-cell-tag"})

_FORMATS = frozenset({"html", "pdf"})

#: The language of every circulated report (``<html lang>``, and so the tagged PDF's language).
LANGUAGE = "en-GB"
#: WeasyPrint's PDF variant: PDF/UA-1 tags the structure (headings, tables, figures with their
#: alternative text) for assistive technology, as the accessibility regulations expect of published papers.
PDF_VARIANT = "pdf/ua-1"
# A line of stdout that is log or kernel chatter, not something a notebook meant to show.
_LOG_LINE_RE = re.compile(
    r"^\s*(?:(?:ERROR|WARNING|CRITICAL|INFO|DEBUG)[!:]|\[[A-Z]\s|Traceback \(most recent call last\))"
)

# <script src="http..."> or <link ... href="http..."> (also protocol-relative //).
_EXTERNAL_RESOURCE_RE = re.compile(
    r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//",
    re.IGNORECASE,
)

# A table cell that reads as a number: 1,234.5  -12  (1,234)  £3.2m  12%  1e-05
_NUMERIC_CELL_RE = re.compile(
    r"^\(?[-+\u2212]?[£$€]?\s?[-+\u2212]?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?\s?[%kKmMbB]?\)?$"
)
# Cells that say nothing about whether a column is numeric.
_NEUTRAL_CELLS = frozenset({"", "-", "\u2013", "\u2014", "nan", "NaN", "<NA>", "NaT", "None", "n/a", "N/A"})


def execute_notebook(
    input_path: Path,
    output_path: Path,
    parameters: dict[str, Any],
    *,
    kernel_name: str = "python3",
    cwd: Path | None = None,
    warm: bool = False,
    warm_up: str = "",
) -> None:
    """Execute ``input_path`` with papermill, writing the result atomically to ``output_path``.

    ``warm`` runs it in this process's reusable kernel (:mod:`qipp_helpers.pack.kernels`, first
    warmed with ``warm_up`` code) instead of starting a kernel for this notebook alone.
    On ``PapermillExecutionError`` the partially executed notebook (with the
    error output) is still moved to ``output_path`` before the error is re-raised.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    engine: dict[str, Any] = {}
    if warm:
        from .kernels import ENGINE

        # the warm kernel changes its own directory; papermill must not chdir this (shared) process
        engine = {"engine_name": ENGINE, "warm_up": warm_up, "kernel_cwd": str(cwd or Path.cwd())}
        cwd = None

    failure: PapermillExecutionError | None = None
    with atomic_path(output_path) as tmp:
        try:
            papermill.execute_notebook(
                str(input_path),
                str(tmp),
                parameters=dict(parameters),
                kernel_name=kernel_name,
                cwd=None if cwd is None else str(cwd),
                progress_bar=False,
                log_output=False,
                # no kernel chatter (TCP notice, shutdown interrupt) and no shared history database
                extra_arguments=list(KERNEL_ARGUMENTS),
                # write the executed notebook once at the end (and on error), not after every cell
                request_save_on_cell_execute=False,
                **engine,
            )
        except PapermillExecutionError as exc:
            if not tmp.exists():
                raise
            failure = exc  # keep the failed notebook (with its error cell) at output_path
    if failure is not None:
        raise failure


def _without_log_lines(out: Any) -> Any | None:
    """``out`` (stdout) without its log-shaped lines (``ERROR! ...``, ``WARNING: ...``); None if nothing is left."""
    text = out.get("text", "")
    if isinstance(text, list):
        text = "".join(text)
    kept = "".join(line for line in str(text).splitlines(keepends=True) if not _LOG_LINE_RE.match(line))
    if not kept.strip():
        return None
    out["text"] = kept
    return out


def _clean_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop tagged cells, every ``stderr`` stream output and log-shaped stdout lines (in place).

    Nothing a kernel logs may reach a circulated report: stderr is dropped whole, and stdout keeps only
    what a cell printed on purpose (a line that reads as a log record is removed).
    """
    kept = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & REMOVE_CELL_TAGS:
            continue
        if cell.cell_type == "code":
            outputs = []
            for out in cell.get("outputs", []):
                if PUBLISH_MIME in out.get("data", {}):
                    continue
                if out.get("output_type") == "stream":
                    if out.get("name") != "stdout":
                        continue
                    out = _without_log_lines(out)
                    if out is None:
                        continue
                outputs.append(out)
            cell.outputs = outputs
        kept.append(cell)
    nb.cells = kept
    return nb


def _css_string(text: str) -> str:
    """Escape ``text`` for use inside a double-quoted CSS string in a <style> block."""
    out = []
    for ch in text:
        if ch in '"\\<>&' or not ch.isprintable():
            out.append(f"\\{ord(ch):x} ")
        else:
            out.append(ch)
    return "".join(out)


def _span(cell: Any, attr: str) -> int:
    try:
        return max(1, int(cell.get(attr, 1)))
    except (TypeError, ValueError):
        return 1


def _classify_columns(soup: Any) -> bool:
    """Tag table cells ``num``/``text`` per column so text columns stay left-aligned (in place); whether any was.

    A column is ``num`` when every non-blank body ``td`` in it looks numeric,
    otherwise ``text``. Tables that already use ``num``/``text`` classes, or that
    nest tables, are left alone (the CSS fallback right-aligns non-first ``td``).
    """
    changed = False
    for table in soup.find_all("table"):
        if table.find("table") or table.find(class_=["num", "text"]):
            continue
        placed = []  # (cell, column, colspan)
        carry: dict[int, int] = {}  # column -> rows still covered by a rowspan
        for tr in table.find_all("tr"):
            taken = {c for c, n in carry.items() if n > 0}
            carry = {c: n - 1 for c, n in carry.items() if n > 1}
            col = 0
            for cell in tr.find_all(["td", "th"], recursive=False):
                while col in taken:
                    col += 1
                colspan, rowspan = _span(cell, "colspan"), _span(cell, "rowspan")
                placed.append((cell, col, colspan))
                if rowspan > 1:
                    carry.update({c: rowspan - 1 for c in range(col, col + colspan)})
                col += colspan
        td_cols: set[int] = set()
        seen_num: set[int] = set()
        seen_text: set[int] = set()
        for cell, col, colspan in placed:
            if cell.name != "td" or colspan != 1:
                continue
            td_cols.add(col)
            text = cell.get_text(" ", strip=True)
            if text not in _NEUTRAL_CELLS:
                (seen_num if _NUMERIC_CELL_RE.match(text) else seen_text).add(col)
        for cell, col, colspan in placed:
            if colspan != 1 or col not in td_cols:
                continue
            if cell.name == "th" and cell.find_parent("thead") is None:
                continue  # row labels / index: styled by the CSS
            kind = "num" if col in seen_num and col not in seen_text else "text"
            cell["class"] = [*cell.get("class", []), kind]
            changed = True
    return changed


def _inline_cell_styles(soup: Any) -> None:
    """Move rules that style table cells by id (``#T_…_row0_col1, … {…}``, as pandas' Styler writes them) into
    the cells' ``style`` attributes, and drop the cell ids nothing else names (in place).

    The page looks the same (an inline style outranks an id rule, and the rules keep their order), but the
    document is lighter to lay out: WeasyPrint keeps every ``id`` as a link anchor of the PDF, and a report's
    Styler tables give a thousand cells one each (about a third of a monthly report's PDF time).
    Rules with any other selector (a table's own ``#T_… th``) stay where they are.
    """
    import tinycss2
    from bs4.element import Stylesheet

    by_id = {el["id"]: el for el in soup.find_all(["td", "th"], id=True)}
    if not by_id:
        return
    moved: dict[str, list[str]] = {}
    for style in soup.find_all("style"):
        rules = tinycss2.parse_stylesheet(style.get_text(), skip_comments=True, skip_whitespace=True)
        kept, changed = [], False
        for rule in rules:
            ids = _cell_ids(rule, by_id)
            if ids is None:
                kept.append(rule)
                continue
            declarations = tinycss2.serialize(rule.content).strip().strip(";").strip()
            for name in ids:
                moved.setdefault(name, []).append(declarations)
            changed = True
        if not changed:
            continue
        text = "\n".join(tinycss2.serialize([rule]).strip() for rule in kept)
        if text:
            style.string = Stylesheet(f"\n{text}\n")  # a style sheet, as parsed: never escaped, and get_text sees it
        else:
            style.decompose()
    for name, declarations in moved.items():
        cell = by_id[name]
        own = cell.get("style", "").strip().strip(";")
        cell["style"] = "; ".join(d for d in (*declarations, own) if d)
    named = {
        token.value
        for style in soup.find_all("style")
        for token in _tokens(tinycss2.parse_stylesheet(style.get_text()))
        if token.type == "hash"
    }
    for name, cell in by_id.items():
        if name not in named:
            del cell["id"]


def _cell_ids(rule: Any, cells: dict[str, Any]) -> list[str] | None:
    """The ids a rule selects when its selector is only a list of table-cell ids (``#a, #b``); else None."""
    if rule.type != "qualified-rule" or rule.content is None:
        return None
    ids: list[str] = []
    for selector in "".join(token.serialize() for token in rule.prelude).split(","):
        name = selector.strip()
        if not name.startswith("#") or name[1:] not in cells or not name[1:].replace("_", "").isalnum():
            return None
        ids.append(name[1:])
    return ids or None


def _tokens(nodes: Any) -> Any:
    """Every component value of a parsed stylesheet, nested blocks included."""
    for node in nodes:
        yield node
        for attr in ("prelude", "content"):
            inner = getattr(node, attr, None)
            if isinstance(inner, list):
                yield from _tokens(inner)


#: A table never leaves fewer than this many body rows on either side of a page break.
KEEP_ROWS = 3
#: Generated text longer than this (characters) may break across pages, between its list items and paragraphs.
LONG_TEXT = 1500
#: A table of up to this many body rows is never broken: it moves to the next page whole (about half a page).
UNBROKEN_ROWS = 20
_HEADINGS = ("h1", "h2", "h3", "h4")
_FORMULA_RE = re.compile(r"\([^()]{1,28}\)")


def _cell_kind(cell: Any) -> str:
    """What a rendered cell shows, for keeping blocks together: heading, text, long (generated prose such as the
    commentary under a table: it neither introduces nor explains what is next to it), table, figure or empty."""
    if "jp-MarkdownCell" in cell.get("class", []):
        return "heading" if cell.find(_HEADINGS) else "text"
    if cell.find("img"):
        return "figure"
    if cell.find("table"):
        return "table"
    text = cell.get_text(strip=True)
    if len(text) > LONG_TEXT:
        return "long"
    return "text" if text else "empty"


def _add_class(tag: Any, name: str) -> None:
    tag["class"] = [*tag.get("class", []), name]


def _paginate(soup: Any) -> None:
    """Mark the HTML so that print breaks pages as a person would (classes styled in report.css).

    - a heading or introductory text keeps with the block that follows it (``qipp-keep-next``),
      and a chart (or a section's last table) with the explanation right after it (text followed by another
      chart introduces that one);
    - a table of up to ``UNBROKEN_ROWS`` body rows is never broken (``qipp-unbroken``); a
      longer one keeps its first and last ``KEEP_ROWS`` rows together (``qipp-keep-next`` on the first
      rows, ``qipp-keep-prev`` on the last), so a break leaves at least ``KEEP_ROWS`` rows each side;
    - a short parenthesised formula in a column header ("(c = b − a)") is never split across lines.
    """
    main = soup.find("main")
    cells = [c for c in (main.find_all("div", class_="jp-Cell", recursive=False) if main else [])]
    shown = [(c, _cell_kind(c)) for c in cells]
    shown = [(c, k) for c, k in shown if k != "empty"]
    kinds = [k for _, k in shown] + ["end"]
    for i, (cell, kind) in enumerate(shown):
        after, then = kinds[i + 1], kinds[i + 2] if i + 2 < len(kinds) else "end"
        introduces = kind in ("heading", "text") and after not in ("heading", "end")
        # text after a chart explains it (unless a chart follows: then it introduces that one); text closing a
        # section after a table explains the table
        explained = after == "text" and (
            (kind == "figure" and then != "figure") or (kind == "table" and then in ("heading", "end"))
        )
        if introduces or explained:
            _add_class(cell, "qipp-keep-next")
    for table in soup.find_all("table"):
        rows = [
            tr for tr in table.find_all("tr") if tr.find_parent("thead") is None and tr.find_parent("table") is table
        ]
        for th in table.select("thead th"):
            for text in th.find_all(string=_FORMULA_RE):
                text.replace_with(_FORMULA_RE.sub(lambda m: m.group(0).replace(" ", "\u00a0"), str(text)))
        if len(rows) <= UNBROKEN_ROWS:
            _add_class(table, "qipp-unbroken")
            continue
        for tr in rows[: KEEP_ROWS - 1]:
            _add_class(tr, "qipp-keep-next")
        for tr in rows[-(KEEP_ROWS - 1) :]:
            _add_class(tr, "qipp-keep-prev")
    # a long block of generated text (the commentary under a table) may break between its items: kept whole it
    # would leave most of the page before it blank
    for block in soup.select(".jp-OutputArea-output.jp-RenderedMarkdown"):
        if len(block.get_text(strip=True)) > LONG_TEXT:
            _add_class(block, "qipp-long-text")


def _postprocess(html: str) -> str:
    """Table columns classed as text or numbers (:func:`_classify_columns`), cell styles inlined
    (:func:`_inline_cell_styles`), then pagination marks: one parse of the document for all three."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    _classify_columns(soup)
    _inline_cell_styles(soup)
    _paginate(soup)
    return str(soup)


def notebook_to_html(
    nb_path: Path,
    *,
    title: str,
    header_lines: list[str] | None = None,
    marking: str = "",
) -> str:
    """Render an executed notebook to a self-contained HTML string.

    Inputs and prompts are hidden, cells tagged ``remove_cell`` / ``parameters`` /
    ``injected-parameters`` are dropped, stderr streams are stripped, images are
    embedded as base64, and no external scripts or stylesheets are referenced.
    ``header_lines`` are shown as a small banner under the title and, in print, repeated on every
    page: the first two top left, the third top right, any more after the title at the foot (so the
    running header fits on one line); ``marking`` (e.g. OFFICIAL-SENSITIVE) heads the document and
    the top and bottom of every page. Tables and blocks are marked for pagination (:func:`_paginate`).
    """
    nb_path = Path(nb_path)
    nb = _clean_notebook(nbformat.read(nb_path, as_version=4))
    exporter = _exporter()
    resources = {
        "metadata": {"name": title, "path": str(nb_path.resolve().parent)},
        "qipp": {
            "title": title,
            "css_title": _css_string(title),
            "header_lines": [str(line) for line in header_lines or []],
            "marking": marking,
            "css_marking": _css_string(marking),
            "css_top_left": _css_string(" · ".join(str(x) for x in (header_lines or [])[:2])),
            "css_top_right": _css_string(" · ".join(str(x) for x in (header_lines or [])[2:3])),
            "css_bottom_left": _css_string(" · ".join([title, *(str(x) for x in (header_lines or [])[3:])])),
            "lang": LANGUAGE,
        },
    }
    html, _ = exporter.from_notebook_node(nb, resources=resources)
    html = _postprocess(html)

    match = _EXTERNAL_RESOURCE_RE.search(html)
    if match:
        raise RuntimeError(f"Rendered HTML references an external script/stylesheet: {match.group(0)!r}")
    return check_html(with_csp(html), f"the report {title!r}")  # the publish gate (pack/gate.py)


@functools.cache
def _exporter() -> Any:
    """One HTML exporter per process: building it (templates, Jinja environment) costs more than using it."""
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_name=TEMPLATE_NAME,
        template_file="index.html.j2",
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )


@contextlib.contextmanager
def _quiet_weasyprint() -> Iterator[None]:
    """Temporarily raise WeasyPrint's (and fontTools') loggers to ERROR and mute its Python warnings."""
    loggers = [logging.getLogger(name) for name in ("weasyprint", "fontTools")]
    previous = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            # e.g. "HarfBuzz-Subset will be required by future versions of WeasyPrint"
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"weasyprint(\.|$)")
            yield
    finally:
        for lg, level in zip(loggers, previous, strict=True):
            lg.setLevel(level)


def html_to_pdf(html: str, pdf_path: Path, *, base_url: Path | None = None, variant: str | None = PDF_VARIANT) -> int:
    """Render ``html`` to ``pdf_path`` with WeasyPrint (atomic write), tagged as PDF/UA-1 by default; its pages.

    The document title (``<title>``) and language (``<html lang>``) go into the PDF's metadata.
    WeasyPrint warnings (unsupported CSS, font subsetting notes) are suppressed;
    errors are still logged.
    """
    with _quiet_weasyprint():
        import weasyprint  # inside: it warns at import time when HarfBuzz-Subset is missing

        options = {"pdf_variant": variant} if variant else {}
        document = weasyprint.HTML(string=html, base_url=None if base_url is None else str(base_url)).render(**options)
        pdf_bytes = document.write_pdf(**options)
    atomic_write_bytes(Path(pdf_path), check_pdf(pdf_bytes, Path(pdf_path).name))
    return len(document.pages)


class Written(dict[str, Path]):
    """What :func:`render_report` wrote, ``{format: path}``, and the PDF's number of ``pages`` (0 without one)."""

    pages: int = 0


def render_report(
    executed_nb: Path,
    out_dir: Path,
    stem: str,
    *,
    formats: set[str],
    title: str,
    header_lines: list[str] | None = None,
    marking: str = "",
) -> Written:
    """Write ``{stem}.html`` and/or ``{stem}.pdf`` into ``out_dir``; return ``{format: path}`` (and the PDF's pages).

    The PDF is built from the same HTML that is written for the ``html`` format.
    """
    wanted = set(formats)
    unknown = wanted - _FORMATS
    if unknown or not wanted:
        raise ValueError(f"formats must be a non-empty subset of {sorted(_FORMATS)}, got {sorted(wanted)}")

    executed_nb = Path(executed_nb)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    html = notebook_to_html(executed_nb, title=title, header_lines=header_lines, marking=marking)

    written = Written()
    if "html" in wanted:
        html_path = out_dir / f"{stem}.html"
        atomic_write_bytes(html_path, html.encode("utf-8"))
        written["html"] = html_path
    if "pdf" in wanted:
        pdf_path = out_dir / f"{stem}.pdf"
        written.pages = html_to_pdf(html, pdf_path, base_url=executed_nb.resolve().parent)
        written["pdf"] = pdf_path
    return written
