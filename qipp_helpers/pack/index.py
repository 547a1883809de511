"""The pack's front page (``index.html``): headline figures, a link to every report, warnings, what was skipped.

It lays out what it is given; the figures come from the report layer.
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..core.files import atomic_write_bytes
from ..core.money import fmt_k
from ..core.orgs import org_name, organisations
from ..core.periods import period_label
from .catalogue import NOTEBOOKS

INDEX = "index.html"


_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:10.5pt;color:#212b32;margin:24px auto;max-width:1100px}
h1{color:#005eb8;margin-bottom:2px} .meta{color:#425563;margin:0 0 12px} .marking{color:#d5281b;font-weight:bold}
table{border-collapse:collapse;margin:8px 0 16px;width:100%} th{background:#005eb8;color:#fff;text-align:left}
th,td{padding:4px 8px;border-bottom:1px solid #d8dde0} td.num{text-align:right} .failed{color:#d5281b;font-weight:bold}
.warn{background:#fff9c4} a{color:#005eb8}
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def render_index(
    *,
    fin_year: str,
    month: int,
    entries: list[dict],
    skipped: list[dict],
    heads: list[dict],
    warnings: pd.DataFrame,
    marking: str = "",
) -> str:
    """The pack's front page: a link to every report, headline figures, warnings, what was skipped."""
    generated = datetime.now().strftime("%d %b %Y %H:%M")
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>QAG pack {_e(period_label(fin_year, month))}</title><style>{_CSS}</style></head><body>",
    ]
    if marking:
        parts.append(f"<p class='marking'>{_e(marking)}</p>")
    parts.append(
        f"<h1>QIPP Assurance Group pack</h1><p class='meta'>{_e(period_label(fin_year, month))} · "
        f"generated {_e(generated)} · £000, savings negative in brackets</p>"
    )
    if heads:
        parts.append(
            "<h2>Headline position</h2><table><tr><th>Organisation</th><th>Annual plan</th>"
            "<th>Forecast out-turn</th><th>Under delivery (FOT − plan)</th><th>PMO assured</th>"
            "<th>FOT movement in month</th><th>Data</th></tr>"
        )
        for h in heads:
            move = "–" if h["movement"] is None else fmt_k(h["movement"])
            parts.append(
                f"<tr><td>{_e(org_name(h['org']))}</td>"
                + "".join(
                    f"<td class='num'>{fmt_k(h[k])}</td>" for k in ("annual_plan", "fot", "under_delivery", "assured")
                )
                + f"<td class='num'>{move}</td><td>{_e(h['provenance'])}</td></tr>"
            )
        parts.append("</table>")
    parts.append("<h2>Reports</h2><table><tr><th>Organisation</th><th>Report</th><th>Status</th><th>Files</th></tr>")
    codes = list(organisations().codes)

    def order(x: dict) -> tuple:
        return (
            list(NOTEBOOKS).index(x["notebook"]) if x["notebook"] in NOTEBOOKS else 99,
            codes.index(x["org"]) if x["org"] in codes else 999,
            x["org"],
        )

    for en in sorted(entries, key=order):
        links = " · ".join(
            f"<a href='{_e(en['org'])}/{_e(Path(p).name)}'>{_e(fmt)}</a>"
            for fmt, p in sorted(en.get("outputs", {}).items())
            if fmt != "ipynb"
        )
        status = _e(en["status"])
        if en["status"] == "failed":
            status = f"<span class='failed'>failed: {_e(en.get('error'))}</span>"
        parts.append(
            f"<tr><td>{_e(en['org'])}</td><td>{_e(NOTEBOOKS.get(en['notebook'], en['notebook']))}</td>"
            f"<td>{status}</td><td>{links}</td></tr>"
        )
    parts.append("</table>")
    if len(warnings):
        parts.append(
            "<h2>Reconciliation warnings</h2><p>Returns that do not add up to their own printed totals; "
            "the reports use the scheme rows received.</p><table><tr><th>Organisation</th><th>Source</th>"
            "<th>Column</th><th>Printed</th><th>Computed</th><th>Difference</th></tr>"
        )
        for w in warnings.itertuples(index=False):
            parts.append(
                f"<tr class='warn'><td>{_e(w.org)}</td><td>{_e(w.source_file)} ({_e(w.sheet)})</td>"
                f"<td>{_e(w.column)}</td><td class='num'>{fmt_k(w.printed)}</td>"
                f"<td class='num'>{fmt_k(w.computed)}</td><td class='num'>{fmt_k(w.difference)}</td></tr>"
            )
        parts.append("</table>")
    if skipped:
        parts.append(
            "<h2>Not rendered</h2><ul>"
            + "".join(f"<li>{_e(s['org'])} {_e(s['notebook'])}: {_e(s['reason'])}</li>" for s in skipped)
            + "</ul>"
        )
    parts.append(
        "<p class='meta'>Figures marked synthetic are generated demonstration data, not real returns; "
        "each report says where its figures come from.</p></body></html>"
    )
    return "\n".join(parts)


def write_index(folder: Path, page: str) -> Path:
    """Write ``index.html`` atomically."""
    path = Path(folder) / INDEX
    atomic_write_bytes(path, page.encode("utf-8"))
    return path
