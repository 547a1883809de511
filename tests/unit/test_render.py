"""qipp_helpers.pack.render's HTML post-processing: table columns classed as text or numbers."""

from __future__ import annotations

from qipp_helpers.pack.render import _classify_table_columns


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
