"""Text from inputs is inert at every output boundary, and the publish gate refuses what would not be (issue 26).

A property test feeds generated hostile strings through the escaping each output uses (Markdown/HTML, table
captions and headings, the terminal) and checks nothing in the result can run, submit, redirect or link out.
"""

from __future__ import annotations

import io
import re

import pandas as pd
import pikepdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nbconvert.filters.markdown_mistune import markdown2html_mistune

from qipp_helpers.core.text import plain_html, plain_terminal
from qipp_helpers.pack.gate import CSP_META, UnsafeOutput, check_html, check_pdf, html_problems, pdf_problems, with_csp
from qipp_helpers.report.fmt import money_table

FRAGMENTS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "[x](javascript:alert(1))",
    "<javascript:alert(1)>",
    "<https://evil.example>",
    "![i](https://evil.example/i.png)",
    '<meta http-equiv="refresh" content="0;url=https://evil.example">',
    '<form action="https://evil.example"><input></form>',
    "<iframe src=https://evil.example></iframe>",
    "<svg onload=alert(1)>",
    "&lt;script&gt;",
    "&#60;script&#62;",
    "java\nscript:alert(1)",
    "$\\frac{1}{2}$",
    '=HYPERLINK("https://evil.example")',
    "\x1b]0;title\x07\x1b[2J",
    "`<b>`",
    "<!-- x --><style>@import url(https://evil.example)</style>",
]
hostile = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=20)), min_size=1, max_size=6).map("".join)


@pytest.mark.slow  # 300 generated strings through Markdown: make test, not make test-fast
@settings(max_examples=300, deadline=None)
@given(hostile)
def test_escaped_text_is_plain_text_through_markdown(text: str):
    html = markdown2html_mistune(f"# Title {plain_html(text)}\n\n**Note:** {plain_html(text)}\n")
    assert html_problems(f"<html><head></head><body>{html}</body></html>") == []
    assert not re.search(r'<a (?!class="anchor-link" href="#)', html)  # only the heading's own anchor
    assert "<img" not in html and "\x1b" not in html


@pytest.mark.slow  # 100 generated tables styled: make test, not make test-fast
@settings(max_examples=100, deadline=None)
@given(hostile)
def test_table_captions_and_headings_are_text(text: str):
    df = pd.DataFrame({text or "x": [text], "value": [1.0]})
    html = money_table(df, money=["value"], caption=text).to_html()
    assert html_problems(f"<html><head></head><body>{html}</body></html>") == []


@pytest.mark.slow  # 200 generated strings: make test, not make test-fast
@settings(max_examples=200, deadline=None)
@given(hostile)
def test_terminal_text_has_no_escape_sequences(text: str):
    out = plain_terminal(text)
    assert "\x1b]" not in out and "\x07" not in out and "\x1b[2J" not in out


@pytest.mark.parametrize(
    ("fragment", "says"),
    [
        ("<script>x</script>", "a <script> element"),
        ("<img src=x onerror=alert(1)>", "an event handler onerror= on <img>"),
        ('<a href="javascript:alert(1)">x</a>', "a link href='javascript:alert(1)' on <a>"),
        ('<a href="https://evil.example">x</a>', "a link href='https://evil.example' on <a>"),
        ('<meta http-equiv="refresh" content="0">', "a <meta http-equiv='refresh'>"),
        ("<form><input></form>", "a <form> element"),
        ("<iframe></iframe>", "a <iframe> element"),
        ("<base href=/>", "a <base> element"),
        ('<p style="background:url(https://evil.example)">x</p>', "a style fetching a resource"),
    ],
)
def test_the_gate_refuses_and_says_where(fragment: str, says: str):
    page = f"<html><head></head><body><h2>Table 6: FRP</h2><p>Scheme A</p>{fragment}</body></html>"
    with pytest.raises(UnsafeOutput) as info:
        check_html(with_csp(page), "the report 'FRP'")
    message = str(info.value)
    assert says in message and "under 'Table 6: FRP'" in message and "after the text 'Scheme A'" in message
    assert message.count("\n") == 0 and "nothing was written" in message


def test_every_page_gets_the_policy_once_and_ours_passes():
    page = with_csp(with_csp("<html><head><title>t</title></head><body><a href='#s1'>1</a></body></html>"))
    assert page.count(CSP_META) == 1 and page.index(CSP_META) < page.index("<title>")
    assert "script-src 'none'" in CSP_META and "form-action 'none'" in CSP_META and "frame-src 'none'" in CSP_META
    assert check_html(page, "x") == page


def _pdf_with_link(uri: str) -> bytes:
    pdf = pikepdf.new()
    pdf.add_blank_page()
    annot = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot,
        Subtype=pikepdf.Name.Link,
        Rect=[0, 0, 10, 10],
        A=pikepdf.Dictionary(S=pikepdf.Name.URI, URI=pikepdf.String(uri)),
    )
    pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([annot]))
    buf = io.BytesIO()
    pdf.save(buf)
    return buf.getvalue()


def test_the_gate_refuses_a_pdf_with_an_outside_link():
    data = _pdf_with_link("javascript:alert(1)")
    assert pdf_problems(data) == ["a /URI link 'javascript:alert(1)' on page 1"]
    with pytest.raises(UnsafeOutput, match=r"refusing to publish pack\.pdf: it holds a /URI link"):
        check_pdf(data, "pack.pdf")
    blank = pikepdf.new()
    blank.add_blank_page()
    buf = io.BytesIO()
    blank.save(buf)
    assert check_pdf(buf.getvalue(), "x") == buf.getvalue()
