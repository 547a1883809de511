"""The pack's front page (``index.html``): the pack PDF's front matter for the screen.

Where to start, the summary, every report in reading order under plain names (synthetic figures flagged),
what each organisation is, the data-quality notes and the glossary; how the month was built (status,
durations, store versions, who and when) sits in a collapsed section for the PMO. Self-contained: no
script, stylesheet, font or image is fetched. It lays out a :class:`~.front.FrontPage`; the figures come
from the report layer.
"""

from __future__ import annotations

from pathlib import Path

from ..core.files import atomic_write_bytes
from ..core.money import fmt_k
from . import writers
from .front import TITLE, FrontPage, PackReport, e, glossary_html, long_date, notes_html, summary_html
from .gate import check_html, with_csp

INDEX = "index.html"

_CSS = """
:root{color-scheme:light}
body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:15px;line-height:1.45;color:#212b32;margin:0;background:#fff}
header,main{max-width:1100px;margin:0 auto;padding:0 24px}
header{padding-top:20px;border-bottom:4px solid #005eb8;padding-bottom:12px}
h1{color:#005eb8;margin:0 0 2px;font-size:28px} h2{color:#005eb8;margin:28px 0 8px;font-size:21px}
h3{color:#005eb8;margin:18px 0 4px;font-size:17px}
.period{font-size:18px;margin:0 0 10px;color:#212b32}
.marking{color:#212b32;font-weight:bold;margin:0 0 6px}
dl.meta{display:grid;grid-template-columns:max-content auto;gap:2px 16px;margin:0}
dl.meta dt{font-weight:bold;color:#425563} dl.meta dd{margin:0}
.box{border-left:6px solid #005eb8;background:#eef5fb;padding:10px 14px;margin:12px 0}
.warn{border-left-color:#425563;background:#f0f4f5}
.flag{display:inline-block;background:#e8edee;color:#212b32;border:1px solid #425563;border-radius:3px;
 padding:0 6px;font-size:13px;font-weight:bold}
table{border-collapse:collapse;margin:6px 0 14px;width:100%}
caption{text-align:left;color:#425563;font-size:13px;padding-bottom:4px}
th,td{padding:5px 8px;border-bottom:1px solid #d8dde0;text-align:left;vertical-align:top}
thead th{background:#005eb8;color:#fff} tbody th{font-weight:normal}
.num{text-align:right} td.num{white-space:nowrap}
table.reports{table-layout:fixed} table.reports col.report{width:33%} table.reports col.figures{width:37%}
table.reports col.open{width:20%} table.reports col.page{width:10%}
table.headline th[scope=row]{min-width:14em} table.headline td:last-child{min-width:12em}
.code{font-weight:bold;color:#425563}
.note{color:#425563;font-size:14px}
.failed{color:#c3211a;font-weight:bold}
a{color:#005eb8} a:focus{outline:3px solid #ffb81c}
ul.asks li{margin-bottom:4px}
dl.glossary{columns:2;column-gap:32px} dl.glossary dt{font-weight:bold;color:#005eb8}
dl.glossary dd{margin:0 0 8px;break-inside:avoid}
details{margin:28px 0 40px;border:1px solid #d8dde0;border-radius:4px;padding:8px 14px}
summary{cursor:pointer;font-weight:bold;color:#005eb8;font-size:17px}
details h3{font-size:15px}
"""


def _links(r: PackReport) -> str:
    """A link to each of the report's files, in the writers' order, named by format."""
    return " · ".join(
        f"<a href='{e(r.org)}/{e(p.name)}' aria-label='{e(r.title)}: {e(w.label)}'>{e(w.label)}</a>"
        for w in writers.selected()
        if (p := r.files.get(w.name)) is not None
    )


def _each_format() -> str:
    """'a web page, a PDF and an Excel workbook (for analysts)': every format a report can be written in."""
    said = [w.described for w in writers.selected()]
    return " and ".join([", ".join(said[:-1]), said[-1]]) if len(said) > 1 else "".join(said)


def _reports(front: FrontPage, starts: dict[str, int]) -> str:
    parts = ["<section><h2 id='reports'>Reports, in reading order</h2>"]
    parts.append(
        "<p>The system first, then each of its CCGs, then any worked example from another area. Reports marked "
        "<span class='flag'>Illustrative</span> are built on synthetic (demonstration) data and show a method, not "
        "real figures; <span class='flag'>Some figures synthetic</span> marks reports that use synthetic figures "
        "beside published ones (each says which).</p>"
    )
    notes = {code: note for code, _, note in front.organisations()}
    org = None
    for r in front.reports:
        if r.org != org:
            if org is not None:
                parts.append("</tbody></table>")
            org = r.org
            parts.append(f"<h3>{e(r.org_name)}</h3>")
            parts.append(f"<p class='note'><span class='code'>{e(org)}</span>: {e(notes.get(org) or r.org_name)}</p>")
            parts.append(
                f"<table class='reports'><caption>Reports for {e(r.org_name)}</caption><col class='report'>"
                "<col class='figures'><col class='open'><col class='page'><thead><tr><th scope='col'>Report</th>"
                "<th scope='col'>Figures</th><th scope='col'>Open</th><th scope='col' class='num'>Pack page</th>"
                "</tr></thead><tbody>"
            )
        if r.ok:
            figures = e(r.data_words or "–")
            if r.flag:
                figures = f"<span class='flag'>{e(r.flag)}</span> {figures}"
            page = starts.get(f"{r.org}/{r.notebook}")
            parts.append(
                f"<tr><th scope='row'>{e(r.report)}</th><td>{figures}</td><td>{_links(r)}</td>"
                f"<td class='num'>{page if page else '–'}</td></tr>"
            )
        else:
            parts.append(
                f"<tr><th scope='row'>{e(r.report)}</th><td colspan='3'><span class='failed'>could not be produced "
                f"(failed: {e(r.error)})</span></td></tr>"
            )
    if org is not None:
        parts.append("</tbody></table>")
    else:
        parts.append("<p>No report was rendered for this month.</p>")
    parts.append("</section>")
    return "".join(parts)


def _build(front: FrontPage, pack: dict | None) -> str:
    s = front.store
    parts = ["<details><summary>How this pack was built (status, durations, data versions)</summary>"]
    line = f"Built {e(front.built)} by {e(front.built_by)} with qipp-workbooks {e(front.version)}"
    if s:
        line += (
            f" from store version {e(s.get('version'))} (committed {e(s.get('committed') or '–')}, "
            f"digest {e(str(s.get('digest') or '')[:12] or '–')}"
            + (f", rendered as of {e(s.get('as_of'))}" if s.get("as_of") else "")
            + ")"
        )
    parts.append(f"<p>{line}. Every detail is also in <a href='manifest.json'>manifest.json</a>.</p>")
    if pack:
        tagged = "tagged for assistive technology" if pack.get("tagged") else "not tagged"
        lost = "; ".join(pack.get("lost") or [])
        parts.append(
            f"<p>Pack PDF: {e(pack['pages'])} pages ({e(pack['front_pages'])} front, {e(pack['back_pages'])} back "
            f"matter), {tagged}, assembled in {e(pack.get('seconds', 0))} s."
            + (f" Not kept: {e(lost)}." if lost else "")
            + "</p>"
        )
    parts.append(
        "<h3>Reports</h3><table><thead><tr><th scope='col'>Organisation</th><th scope='col'>Report</th>"
        "<th scope='col'>Status</th><th scope='col' class='num'>Seconds</th><th scope='col' class='num'>Store "
        "version</th></tr></thead><tbody>"
    )
    for r in front.reports:
        status = e(r.status) if r.ok else f"<span class='failed'>failed: {e(r.error)}</span>"
        version = r.store_version if r.store_version is not None else "–"
        parts.append(
            f"<tr><td>{e(r.org)}</td><td>{e(r.notebook)}</td><td>{status}</td>"
            f"<td class='num'>{r.seconds:.1f}</td><td class='num'>{e(version)}</td></tr>"
        )
    parts.append("</tbody></table>")
    if front.skipped:
        parts.append(
            "<h3>Not rendered</h3><ul>"
            + "".join(f"<li>{e(s['org'])} {e(s['notebook'])}: {e(s['reason'])}</li>" for s in front.skipped)
            + "</ul>"
        )
    if front.warnings:
        parts.append(
            "<h3>Reconciliation warnings, as recorded at ingest</h3><table><thead><tr><th scope='col'>Organisation"
            "</th><th scope='col'>Source</th><th scope='col'>Column</th><th scope='col' class='num'>Printed</th>"
            "<th scope='col' class='num'>Computed</th><th scope='col' class='num'>Difference</th></tr></thead><tbody>"
        )
        for w in front.warnings:
            parts.append(
                f"<tr><td>{e(w['org'])}</td><td>{e(w['source_file'])} ({e(w['sheet'])})</td><td>{e(w['column'])}</td>"
                f"<td class='num'>{fmt_k(w['printed'])}</td><td class='num'>{fmt_k(w['computed'])}</td>"
                f"<td class='num'>{fmt_k(w['difference'])}</td></tr>"
            )
        parts.append("</tbody></table>")
    if front.runs:
        parts.append(
            "<h3>Runs of this month</h3><table><thead><tr><th scope='col'>Started (UTC)</th><th scope='col'>Store "
            "version</th><th scope='col'>Organisations</th><th scope='col'>Notebooks</th><th scope='col'>Reports "
            "rendered</th></tr></thead><tbody>"
        )
        for run in reversed(front.runs):
            p = run.get("parameters", {})
            parts.append(
                f"<tr><td>{e(run.get('started'))}</td><td>{e((run.get('store') or {}).get('version', '–'))}</td>"
                f"<td>{e(', '.join(p.get('org') or []))}</td><td>{e(p.get('notebook', ''))}</td>"
                f"<td class='num'>{len(run.get('reports') or [])}</td></tr>"
            )
        parts.append("</tbody></table>")
    parts.append("</details>")
    return "".join(parts)


def render_index(front: FrontPage, pack: dict | None = None, *, failure: str | None = None) -> str:
    """The front page for ``front``; ``pack`` is the pack PDF's manifest record (None when none was written,
    ``failure`` saying why when assembling it failed)."""
    starts = (pack or {}).get("starts", {})
    parts = [
        f"<!DOCTYPE html><html lang='en-GB'><head><meta charset='utf-8'>"
        f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{e(TITLE)} — {e(front.period)}</title><style>{_CSS}</style></head><body><header>"
    ]
    if front.marking:
        parts.append(f"<p class='marking'>{e(front.marking)}</p>")
    parts.append(f"<h1>{e(TITLE)}</h1><p class='period'>{e(front.period)}</p><dl class='meta'>")
    meta = [
        ("Meeting", long_date(front.meeting_date) or "date to be confirmed"),
        ("Data cut-off", front.cutoff_words()),
        ("Money", "£000 in tables, £m in sentences; savings negative in brackets"),
    ]
    if front.marking:
        meta.append(("Protective marking", front.marking))
    parts += [f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in meta]
    parts.append("</dl></header><main>")

    parts.append("<section><h2 id='start'>Where to start</h2><div class='box'>")
    if pack:
        parts.append(
            f"<p>Read the summary below, or the whole pack as one document: <a href='{e(front.pack_file)}'>"
            f"{e(front.pack_file)}</a> (PDF, {e(pack['pages'])} pages) has a cover, this summary, a contents page, "
            "every report in reading order, a glossary and the data-quality notes.</p>"
        )
    elif failure:
        parts.append(
            f"<p>Read the summary below. <span class='failed'>The pack PDF could not be assembled ({e(failure)})"
            "</span>; each report is below on its own.</p>"
        )
    else:
        parts.append("<p>Read the summary below. No pack PDF was written: no report of this month has a PDF.</p>")
    parts.append(
        f"<p>Each report is also here on its own, as {e(_each_format())}. "
        "Terms such as FOT, YTD and PMO assured value are in the glossary at the end.</p></div>"
    )
    if front.versions_note():
        parts.append(f"<p class='box warn'>{e(front.versions_note())}</p>")
    if front.synthetic_words():
        parts.append(f"<p class='box warn'>{e(front.synthetic_words())}</p>")
    parts.append("</section>")
    if front.summary is not None:
        parts.append(f"<section>{summary_html(front.summary)}</section>")
    parts.append(_reports(front, starts))
    parts.append(f"<section>{notes_html(front)}</section>")
    parts.append(f"<section>{glossary_html(front)}</section>")
    parts.append(_build(front, pack))
    parts.append("</main></body></html>")
    return "\n".join(parts)


def write_index(folder: Path, page: str) -> Path:
    """Write ``index.html`` atomically."""
    path = Path(folder) / INDEX
    atomic_write_bytes(path, check_html(with_csp(page), path.name).encode("utf-8"))
    return path
