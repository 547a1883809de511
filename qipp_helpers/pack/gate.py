"""The publish gate: nothing circulated can run, submit, redirect or link out.

Text from inputs is escaped where each output is made (:mod:`qipp_helpers.core.text`); this is the
defence behind it. Every HTML page the product writes carries a Content-Security-Policy that forbids
scripts, forms, frames, plug-ins and outside resources (:func:`with_csp`), and is checked before it is
written (:func:`check_html`): a script, an event-handler attribute, a ``javascript:`` (or other
non-local) URI, a form, frame, ``<base>`` or ``<meta http-equiv>`` other than ours is refused with a
line naming the element and the text around it, and nothing is written. A PDF is checked the same
way (:func:`check_pdf`): the only links it may hold are its own internal ones, no ``/URI``,
``/JavaScript`` or ``/Launch`` action. This module knows nothing about finance.
"""

from __future__ import annotations

import io
import re
from html.parser import HTMLParser

from ..core.errors import RenderError

#: What every HTML page the product writes allows: its own inline styles and embedded (data:) images
#: and fonts; no script, form, frame, plug-in, base URL or fetch from anywhere.
CSP = (
    "default-src 'none'; img-src data:; font-src data:; style-src 'unsafe-inline'; script-src 'none'; "
    "object-src 'none'; frame-src 'none'; form-action 'none'; base-uri 'none'; connect-src 'none'"
)
CSP_META = f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'

_REFUSED_TAGS = frozenset(
    {"script", "form", "iframe", "frame", "frameset", "object", "embed", "applet", "base", "input", "button"}
    | {"textarea", "select", "portal", "link"}
)
_URI_ATTRS = frozenset({"href", "src", "action", "formaction", "xlink:href", "poster", "data", "background", "srcset"})
_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)


class UnsafeOutput(RenderError):
    """An output held something that could run, submit, redirect or link out; it was not written."""


def with_csp(html: str) -> str:
    """``html`` with the Content-Security-Policy as the first element of its ``<head>`` (added once)."""
    if CSP_META in html:
        return html
    match = _HEAD.search(html)
    if match is None:
        raise UnsafeOutput("refusing to publish an HTML page without a <head> for its Content-Security-Policy")
    return html[: match.end()] + CSP_META + html[match.end() :]


def _local_uri(tag: str, value: str) -> bool:
    """A URI that stays inside the page or the pack: a fragment, an embedded image or font (``data:image/...``),
    or a link to a file beside the page (no scheme, no host: the front page's links to the reports)."""
    v = re.sub(r"[\x00-\x20]", "", value).lower()
    if v.startswith("#") or v.startswith(("data:image/png", "data:image/jpeg", "data:image/gif", "data:font/")):
        return True
    if tag == "a" and v.startswith("qipp-pack:"):  # the pack's own page links, made internal when it is merged
        return True
    return tag == "a" and bool(v) and re.match(r"^[a-z0-9_.][a-z0-9_./-]*(#[a-z0-9_-]*)?$", v) is not None


class _Checker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.context = ""  # the latest text seen, to say where a problem is
        self.heading = ""  # the latest heading or caption
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = []
        if tag in _REFUSED_TAGS:
            found.append(f"a <{tag}> element")
        found += [f"an event handler {name}= on <{tag}>" for name, _ in attrs if name.startswith("on")]
        for name, value in attrs:
            if name.startswith("on"):
                continue
            if name in _URI_ATTRS and value is not None and not _local_uri(tag, value):
                found.append(f"a link {name}={_short(value)!r} on <{tag}>")
            elif name == "style" and value and re.search(r"url\s*\(|expression\s*\(|@import", value, re.I):
                found.append(f"a style fetching a resource on <{tag}>")
        if tag == "meta":
            equiv = (dict(attrs).get("http-equiv") or "").lower()
            if equiv and not (equiv == "content-security-policy" and dict(attrs).get("content") == CSP):
                found.append(f"a <meta http-equiv={equiv!r}>")
        for what in found:
            where = f"under {self.heading!r}" if self.heading else "before any heading"
            self.problems.append(f"{what} {where}, after the text {_short(self.context)!r}")
        if tag in ("h1", "h2", "h3", "h4", "caption", "title"):
            self._in_heading, self.heading = True, ""

    def handle_endtag(self, tag: str) -> None:
        if tag in ("h1", "h2", "h3", "h4", "caption", "title"):
            self._in_heading = False

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text:
            self.context = text
            if self._in_heading:
                self.heading = _short(f"{self.heading} {text}".strip())


def _short(text: str, n: int = 80) -> str:
    text = re.sub(r"[\x00-\x1f\x7f-\x9f]", "", text)
    return text if len(text) <= n else text[: n - 1] + "…"


def html_problems(html: str) -> list[str]:
    """Everything in ``html`` that could run, submit, redirect or link out, each located (empty: none)."""
    checker = _Checker()
    checker.feed(html)
    checker.close()
    return checker.problems


def check_html(html: str, what: str) -> str:
    """``html`` if nothing in it can run, submit, redirect or link out; else :class:`UnsafeOutput`, one line."""
    problems = html_problems(html)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UnsafeOutput(f"refusing to publish {what}: it holds {problems[0]}{more}; nothing was written")
    return html


def pdf_problems(data: bytes) -> list[str]:
    """Link annotations and actions in a PDF that leave it or run something (``/URI``, ``/JavaScript``...)."""
    import pikepdf

    bad = ("/URI", "/JavaScript", "/JS", "/Launch", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE", "/RichMedia")
    problems = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        if "/Names" in pdf.Root and "/JavaScript" in pdf.Root.Names:
            problems.append("a document-level script")
        if "/OpenAction" in pdf.Root and not isinstance(pdf.Root.OpenAction, pikepdf.Array):
            problems.append("an action run when the document opens")
        if "/AcroForm" in pdf.Root:
            problems.append("a form")
        for n, page in enumerate(pdf.pages, start=1):
            for annot in page.obj.get("/Annots") or []:
                action = annot.get("/A")
                kind = str(action.get("/S")) if action is not None else ""
                if kind in bad or (action is not None and "/URI" in action) or "/AA" in annot:
                    target = str(action.get("/URI", "")) if action is not None else ""
                    problems.append(f"a {kind or 'triggered'} link {_short(target)!r} on page {n}")
    return problems


def check_pdf(data: bytes, what: str) -> bytes:
    """``data`` if the PDF holds no outside link or action (:func:`pdf_problems`); else :class:`UnsafeOutput`."""
    problems = pdf_problems(data)
    if problems:
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise UnsafeOutput(f"refusing to publish {what}: it holds {problems[0]}{more}; nothing was written")
    return data
