"""qipp_helpers.pack.render's HTML post-processing: table columns classed as text or numbers, cell styles
inlined, pagination marks."""

from __future__ import annotations

from bs4 import BeautifulSoup

from qipp_helpers.pack.render import _classify_columns


def _classify_table_columns(html: str) -> str:
    """The document with its table columns classed (unchanged when no cell was)."""
    soup = BeautifulSoup(html, "html.parser")
    return str(soup) if _classify_columns(soup) else html


def test_classify_table_columns() -> None:
    html = (
        "<table><thead><tr><th></th><th>Org</th><th>Plan</th></tr></thead><tbody>"
        "<tr><th>0</th><td>Org A</td><td>(1,234.50)</td></tr>"
        "<tr><th>1</th><td>Org B</td><td>NaN</td></tr>"
        "<tr><th>2</th><td>Org C</td><td>£3.2m</td></tr>"
        "</tbody></table>"
    )
    out = _classify_table_columns(html)
    assert '<th class="text">Org</th>' in out and '<th class="num">Plan</th>' in out
    assert out.count('<td class="text">') == 3 and out.count('<td class="num">') == 3
    # Author-supplied classes win: table left untouched.
    preset = html.replace("<td>Org A</td>", '<td class="text">Org A</td>')
    assert _classify_table_columns(preset) == preset


def test_styler_cell_rules_become_inline_styles_and_the_page_is_unchanged() -> None:
    """Rules naming table cells by id move into the cells' style (in rule order); other rules and ids stay."""
    import pandas as pd
    from bs4 import BeautifulSoup

    from qipp_helpers.pack.render import _postprocess

    df = pd.DataFrame({"Scheme": ["A", "B"], "Plan": [-1.0, 2.0]})
    styler = (
        df.style.map(lambda v: "color: red" if v < 0 else "", subset=["Plan"])
        .map(lambda v: "font-weight: bold", subset=pd.IndexSlice[1, :])
        .set_table_styles([{"selector": "th", "props": "padding: 1px"}])
        .hide(axis="index")
    )
    table = styler.to_html()
    out = BeautifulSoup(_postprocess(f"<html><body><main>{table}</main></body></html>"), "html.parser")
    cells = {c.get_text(): c for c in out.find_all("td")}
    assert cells["-1.000000"]["style"] == "color: red"
    assert cells["2.000000"]["style"] == "font-weight: bold"  # "" from the first rule: no declaration
    assert cells["B"]["style"] == "font-weight: bold"
    assert "style" not in cells["A"].attrs
    assert not any(c.get("id") for c in out.find_all(["td", "th"]))  # no rule names them any more
    css = " ".join(s.get_text() for s in out.find_all("style"))
    assert "_row" not in css and "padding: 1px" in css  # the table's own rule stays, and its id
    table_id = out.find("table")["id"]
    assert f"#{table_id} th" in css


def test_a_cell_id_another_rule_names_is_kept() -> None:
    from bs4 import BeautifulSoup

    from qipp_helpers.pack.render import _postprocess

    html = (
        "<html><head><style>#c1 { color: red } #c1 > b { color: blue } #c2:hover { color: green }</style></head>"
        "<body><main><table><tbody><tr><td id='c1'><b>1</b></td><td id='c2' style='margin: 0'>2</td></tr>"
        "</tbody></table></main></body></html>"
    )
    out = BeautifulSoup(_postprocess(html), "html.parser")
    c1, c2 = out.find_all("td")
    assert c1["style"] == "color: red" and c1["id"] == "c1"  # "#c1 > b" still names it
    assert c2["id"] == "c2" and c2["style"] == "margin: 0"  # a pseudo-class rule is not a cell rule
    assert "#c1 > b" in out.find("style").get_text() and "#c1 {" not in out.find("style").get_text()


def _cell(kind: str, body: str) -> str:
    cls = "jp-MarkdownCell" if kind == "md" else "jp-CodeCell"
    return f'<div class="jp-Cell {cls} jp-Notebook-cell">{body}</div>'


def _table(rows: int, header: str = "Plan") -> str:
    body = "".join(f"<tr><td>S{i}</td><td>{i}</td></tr>" for i in range(rows))
    return f"<table><thead><tr><th>Scheme</th><th>{header}</th></tr></thead><tbody>{body}</tbody></table>"


def test_pagination_marks() -> None:
    from bs4 import BeautifulSoup

    from qipp_helpers.pack.render import _postprocess

    html = (
        "<html><body><main>"
        + "".join(
            [
                _cell("md", "<h2>3. Forecast</h2><p>Intro.</p>"),  # heading: keeps with the table
                _cell("code", _table(24, "Forecast movement (c = b − a)")),
                _cell("code", '<img src="x.png">'),  # a chart followed by text that introduces another chart
                _cell("md", "<p>About the next chart.</p>"),  # text: keeps with its chart
                _cell("code", '<img src="y.png">'),  # a chart with its explanation after it
                _cell("md", "<p>How to read it.</p>"),
                _cell("code", ""),  # nothing shown (the publish cell): ignored
                _cell("md", "<h2>4. Risk</h2>"),
                _cell("code", _table(5)),  # short table, closing the section with its explanation
                _cell("md", "<p>About the table.</p>"),
            ]
        )
        + "</main></body></html>"
    )
    soup = BeautifulSoup(_postprocess(html), "html.parser")
    cells = soup.find("main").find_all("div", recursive=False)
    keep = ["qipp-keep-next" in c["class"] for c in cells]
    assert keep == [True, False, False, True, True, False, False, True, True, False]
    long, short = soup.find_all("table")
    rows = long.find("tbody").find_all("tr")
    assert [r.get("class") for r in rows[:3]] == [["qipp-keep-next"], ["qipp-keep-next"], None]
    assert [r.get("class") for r in rows[-3:]] == [None, ["qipp-keep-prev"], ["qipp-keep-prev"]]
    assert "qipp-unbroken" in short["class"] and "qipp-unbroken" not in long.get("class", [])
    assert long.find_all("th")[1].get_text() == "Forecast movement (c\u00a0=\u00a0b\u00a0−\u00a0a)"


def test_log_lines_never_reach_a_report() -> None:
    import nbformat

    from qipp_helpers.pack.render import KERNEL_ARGUMENTS, _clean_notebook

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [
        nbformat.v4.new_output(
            "stream",
            name="stdout",
            text="ERROR! Session/line number was not unique in database. History logging moved to new session 4\n",
        ),
        nbformat.v4.new_output("stream", name="stdout", text="x is 2\nWARNING: something internal\n"),
        nbformat.v4.new_output("stream", name="stderr", text="a warning\n"),
    ]
    nb.cells = [cell]
    outputs = _clean_notebook(nb).cells[0].outputs
    assert [o["text"] for o in outputs] == ["x is 2\n"]
    assert "--HistoryManager.enabled=False" in KERNEL_ARGUMENTS
