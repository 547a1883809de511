"""The month-end QAG pack: which reports to render, the run manifest and the pack's front page.

Sits between the CLI and the finance-agnostic runner: it plans jobs from the catalogue,
hashes inputs so ``--changed-only`` can skip reports whose inputs did not change, writes
``manifest.json`` and ``index.html`` per month (atomically), and holds a per-month lock so
two runs of the same month never interleave their writes.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import html
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from .. import __version__
from ..analysis import position as t
from ..core.files import atomic_write_bytes, sha256_file
from ..core.money import fmt_k
from ..core.orgs import members, org_name, organisations
from ..core.periods import period_label, previous_period
from ..store.db import processed_dir
from .catalogue import NOTEBOOKS, default_orgs, inputs_of, missing_data
from .runner import Job, JobResult

MANIFEST, INDEX, LOCK = "manifest.json", "index.html", ".qipp-run.lock"


def parse_months(text: str) -> list[int]:
    """'6' -> [6]; '1-6' -> [1..6]; '4,6' or '4 6' -> [4, 6]. Raises ValueError outside 1-12."""
    months: set[int] = set()
    for part in re.split(r"[,\s]+", str(text).strip()):
        if not part:
            continue
        m = re.fullmatch(r"(\d{1,2})(?:-(\d{1,2}))?", part)
        if not m:
            raise ValueError(f"month must look like 6, 1-6 or 4,6; got {text!r}")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if not (1 <= lo <= hi <= 12):
            raise ValueError(f"months must be 1-12 (M1 = April), low to high; got {part!r}")
        months.update(range(lo, hi + 1))
    if not months:
        raise ValueError("no month given")
    return sorted(months)


def month_dir(out: Path, fin_year: str, month: int) -> Path:
    """reports/<fin-year>/M<mm>; ValueError if the financial year could name a path."""
    if not re.fullmatch(r"\d{4}-\d{2}", fin_year) or not 1 <= int(month) <= 12:
        raise ValueError(f"not a reporting period: {fin_year!r} M{month!r}")
    return Path(out) / fin_year / f"M{month:02d}"


def org_dir(out: Path, fin_year: str, month: int, org: str) -> Path:
    """reports/<fin-year>/M<mm>/<ORG>, checked to stay inside ``out`` (an org code never names a path)."""
    from ..core.files import inside, safe_code

    if not safe_code(org):
        raise ValueError(f"organisation code {org!r} cannot name a folder")
    path = month_dir(out, fin_year, month) / org
    inside(out, path)
    return path


def input_hashes(data_dir: Path, notebooks: dict[str, Path]) -> dict[str, str]:
    """sha256 of every processed data file and every notebook the pack uses."""
    out = {f"processed/{p.name}": sha256_file(p) for p in sorted(processed_dir(data_dir).glob("*.parquet"))}
    out.update({f"notebooks/{p.name}": sha256_file(p) for p in notebooks.values()})
    return out


@dataclass
class PlannedReport:
    """One report of the pack: its job and the hash of everything it depends on."""

    job: Job
    notebook: str
    org: str
    month: int
    input_hash: str


@dataclass
class Plan:
    """Every report to render (or skip) for a run."""

    fin_year: str
    months: list[int]
    reports: list[PlannedReport] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)
    hashes: dict[str, str] = field(default_factory=dict)


def plan(
    *,
    fin_year: str,
    months: list[int],
    orgs: list[str] | None,
    notebooks: dict[str, Path],
    data_dir: Path,
    out: Path,
    returns: pd.DataFrame,
    frp_lines: pd.DataFrame,
    rightcare_peers: pd.DataFrame | None = None,
    marking: str = "",
) -> Plan:
    """Every notebook × organisation × month with its data, and a reason for each without."""
    hashes = input_hashes(data_dir, notebooks)
    p = Plan(fin_year=fin_year, months=months, hashes=hashes)
    for month in months:
        for name, path in notebooks.items():
            for org in orgs or default_orgs(name):
                reason = missing_data(
                    name,
                    returns=returns,
                    frp_lines=frp_lines,
                    fin_year=fin_year,
                    month=month,
                    org=org,
                    rightcare_peers=rightcare_peers,
                )
                if reason:
                    p.skipped.append({"notebook": name, "org": org, "month": month, "reason": reason})
                    continue
                params = {"fin_year": fin_year, "month": month, "org": org, "data_dir": str(Path(data_dir).resolve())}
                key = json.dumps(
                    {
                        "inputs": {
                            k: v
                            for k, v in hashes.items()
                            if k == f"notebooks/{path.name}" or k.split("/")[-1] in inputs_of(name)
                        },
                        "parameters": {k: v for k, v in params.items() if k != "data_dir"},
                        "version": __version__,
                        "marking": marking,
                    },
                    sort_keys=True,
                )
                job = Job(
                    notebook=path.resolve(),
                    parameters=params,
                    out_dir=org_dir(out, fin_year, month, org),
                    stem=name,
                    label=f"{org} {name} M{month}",
                )
                p.reports.append(PlannedReport(job, name, org, month, hashlib.sha256(key.encode()).hexdigest()))
    return p


def previous_manifest(out: Path, fin_year: str, month: int) -> dict:
    """The manifest a previous run left for this month ({} if none or unreadable)."""
    path = month_dir(out, fin_year, month) / MANIFEST
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def unchanged(report: PlannedReport, previous: dict) -> dict | None:
    """The previous manifest entry of ``report`` if its inputs are unchanged and its outputs still exist."""
    for entry in previous.get("reports", []):
        if (entry.get("notebook"), entry.get("org")) != (report.notebook, report.org):
            continue
        ok = entry.get("status") in ("ok", "unchanged") and entry.get("input_hash") == report.input_hash
        if ok and entry.get("outputs") and all(Path(p).exists() for p in entry["outputs"].values()):
            return entry
    return None


@contextlib.contextmanager
def month_locks(out: Path, fin_year: str, months: list[int]) -> Iterator[None]:
    """Hold the run lock of every month (in order, so two runs cannot deadlock)."""
    with contextlib.ExitStack() as stack:
        for month in sorted(months):
            folder = month_dir(out, fin_year, month)
            folder.mkdir(parents=True, exist_ok=True)
            fh = stack.enter_context(open(folder / LOCK, "w"))
            fcntl.flock(fh, fcntl.LOCK_EX)
            stack.callback(fcntl.flock, fh, fcntl.LOCK_UN)
        yield


def entry(report: PlannedReport, result: JobResult | None, previous: dict | None = None) -> dict:
    """A manifest line for one report."""
    if result is None:
        return {**(previous or {}), "status": "unchanged", "seconds": 0.0}
    return {
        "notebook": report.notebook,
        "org": report.org,
        "status": result.status,
        "seconds": round(result.seconds, 2),
        "outputs": result.outputs,
        "error": result.error,
        "input_hash": report.input_hash,
        "parameters": {k: v for k, v in report.job.parameters.items()},
    }


def write_manifest(folder: Path, manifest: dict) -> Path:
    """Write ``manifest.json`` atomically."""
    path = folder / MANIFEST
    atomic_write_bytes(path, (json.dumps(manifest, indent=2, sort_keys=True, default=str) + "\n").encode("utf-8"))
    return path


# --- the pack's front page ---------------------------------------------------------------------

_CSS = """
body{font-family:"DejaVu Sans",Arial,sans-serif;font-size:10.5pt;color:#212b32;margin:24px auto;max-width:1100px}
h1{color:#005eb8;margin-bottom:2px} .meta{color:#425563;margin:0 0 12px} .marking{color:#d5281b;font-weight:bold}
table{border-collapse:collapse;margin:8px 0 16px;width:100%} th{background:#005eb8;color:#fff;text-align:left}
th,td{padding:4px 8px;border-bottom:1px solid #d8dde0} td.num{text-align:right} .failed{color:#d5281b;font-weight:bold}
.warn{background:#fff9c4} a{color:#005eb8}
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def headlines(returns: pd.DataFrame, fin_year: str, month: int) -> list[dict]:
    """Headline figures for every organisation with complete returns for the month (£000)."""
    out = []
    for org in organisations().codes:
        rows = t.select(returns, fin_year, month, org)
        if set(rows["org"]) != set(members(org)):
            continue
        pfy, pm = previous_period(fin_year, month)
        prev = t.select(returns, pfy, pm, org)
        h = t.headline(
            rows, prev if set(prev["org"]) == set(members(org)) else None, org=org, fin_year=fin_year, month=month
        )
        out.append(
            {
                "org": org,
                "annual_plan": h.annual_plan,
                "fot": h.fot,
                "under_delivery": h.under_delivery,
                "assured": h.assured,
                "movement": h.movement,
                "provenance": "; ".join(sorted({p.split(":", 1)[0] for p in rows["provenance"]})),
            }
        )
    return out


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
    path = folder / INDEX
    atomic_write_bytes(path, page.encode("utf-8"))
    return path


def now() -> str:
    """UTC timestamp for the manifest."""
    return datetime.now(UTC).isoformat(timespec="seconds")
