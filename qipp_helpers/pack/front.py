"""The pack's front matter: what the cover, summary, contents, notes and glossary say, and their HTML.

One :class:`FrontPage` feeds both the pack PDF (:mod:`.document`) and ``index.html`` (:mod:`.index`), so
the two say the same thing. Its figures and sentences come from the report layer (``pack_summary``,
``data_notes``, ``glossary``); the reports and their order from the month's manifest. The markup is in
``templates/pack/`` (:mod:`.pages`), autoescaped: names from returns stay plain text.
"""

from __future__ import annotations

import getpass
import html
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from .. import __version__
from ..core.errors import UsageError
from ..core.orgs import organisations
from ..core.periods import long_date, period_label
from ..report.appendices import Appendix
from ..report.narrative import glossary, organisation_note
from ..report.summary import DataNote, PackSummary
from . import pages, writers
from .catalogue import CATALOGUE

#: The pack PDF's name in the month folder.
PACK_PDF = "QIPP_pack_{fin_year}_M{month:02d}.pdf"
TITLE = "QIPP Assurance Group pack"


def pack_name(fin_year: str, month: int) -> str:
    """'QIPP_pack_2019-20_M06.pdf'."""
    return PACK_PDF.format(fin_year=fin_year, month=month)


def check_date(text: str | None, option: str) -> str:
    """``text`` as an ISO date (2019-10-17), or '' if not given; UsageError naming the option otherwise."""
    if not text or not text.strip():
        return ""
    try:
        return date.fromisoformat(text.strip()).isoformat()
    except ValueError:
        raise UsageError(f"{option} {text!r}: expected a date such as 2019-10-17") from None


@dataclass(frozen=True)
class PackReport:
    """One report of the month as a reader names it, with its files and where its data comes from."""

    notebook: str
    org: str
    status: str  # ok, unchanged or failed
    files: dict[str, Path]  # format -> existing file in the month folder
    data: str = ""  # the report's own banner line on its data ("Data: published; previous month synthetic ...")
    store_version: int | None = None
    seconds: float = 0.0
    error: str | None = None
    pages: int = 0  # pages of its PDF (0 when it has none)

    @property
    def report(self) -> str:
        entry = CATALOGUE.get(self.notebook)
        return entry.title if entry else self.notebook

    @property
    def org_name(self) -> str:
        return organisations().name(self.org)

    @property
    def title(self) -> str:
        """'Monthly position — East Leicestershire & Rutland CCG'."""
        return f"{self.report} — {self.org_name}"

    @property
    def synthetic(self) -> bool:
        """True when the report says some of its figures are synthetic (demonstration data)."""
        return "synthetic" in self.data.lower()

    @property
    def illustrative(self) -> bool:
        """True when the report says it is illustrative (its data line: 'ILLUSTRATIVE, SYNTHETIC DATA'): every
        figure synthetic, a method shown. A report with a published table beside synthetic figures (Derbyshire's
        worked example) is not: it has some synthetic figures."""
        return "illustrative" in self.data_words.split(";")[0].lower()

    @property
    def flag(self) -> str:
        """'Illustrative', 'Some figures synthetic' or ''."""
        return "Illustrative" if self.illustrative else "Some figures synthetic" if self.synthetic else ""

    @property
    def data_words(self) -> str:
        """The report's data line without its label and section pointer: 'published; previous month synthetic'."""
        text = self.data.removeprefix("Data:").strip()
        return text.split(" (see section")[0].strip()

    @property
    def pdf(self) -> Path | None:
        """The file the pack PDF merges (the report's PDF), if it exists."""
        return self.files.get(writers.merged().name)

    @property
    def ok(self) -> bool:
        return self.status in ("ok", "unchanged")


def _org_rank(code: str) -> tuple[int, int]:
    """Reading order of organisations: the QIPP groups (the system), their CCGs, then any others (worked examples)."""
    reg = organisations()
    codes = list(reg.orgs)
    pos = codes.index(code) if code in codes else len(codes)
    if code in reg.groups:
        return (0, pos)
    if code in reg.ccgs:
        return (1, pos)
    return (2, pos)


def reading_order(reports: list[PackReport]) -> list[PackReport]:
    """Reports by organisation (the system first, then its CCGs, then others), each in the catalogue's order."""
    names = list(CATALOGUE)

    def key(r: PackReport) -> tuple:
        return (*_org_rank(r.org), r.org, names.index(r.notebook) if r.notebook in names else len(names))

    return sorted(reports, key=key)


def _data_line(entry: dict, folder: Path) -> str:
    """The 'Data: ...' line a report published in its banner (as the run recorded it, else from its notebook)."""
    from ..report.publish import published

    banner = entry.get("banner")
    if not isinstance(banner, list):  # a manifest from before the run recorded banners
        nb = _existing(folder, entry, "ipynb")
        if nb is None:
            return ""
        try:
            banner = published(nb)[1].get("banner", [])
        except (OSError, ValueError):
            return ""
    return next((str(x) for x in banner if str(x).startswith("Data:")), "")


def _existing(folder: Path, entry: dict, fmt: str) -> Path | None:
    """The report's file of format ``fmt`` in the month folder, if it exists and is not a link."""
    out = (entry.get("outputs") or {}).get(fmt)
    if not out or not entry.get("org"):
        return None
    path = Path(folder) / str(entry["org"]) / Path(out).name
    return path if path.is_file() and not path.is_symlink() and not path.parent.is_symlink() else None


def _page_count(path: Path) -> int:
    import pikepdf

    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def collect_reports(folder: Path, entries: list[dict]) -> list[PackReport]:
    """The month's reports from its (merged) manifest entries, in reading order, with the files that exist."""
    out = []
    pdf = writers.merged().name
    for e in entries:
        files = {f: p for f in writers.names() if (p := _existing(folder, e, f)) is not None}
        pages = 0
        if pdf in files and e.get("status") in ("ok", "unchanged"):
            recorded = e.get("pages")
            # the run counted the pages as it laid the PDF out (an older manifest did not); the file is that PDF
            # when its size is the one recorded, else it is opened and counted
            known = isinstance(recorded, int) and recorded > 0 and e.get("pdf_bytes") == files[pdf].stat().st_size
            try:
                pages = recorded if known and isinstance(recorded, int) else _page_count(files[pdf])
            except Exception:  # an unreadable PDF is left out of the pack, not fatal to the run
                files.pop(pdf)
        out.append(
            PackReport(
                notebook=str(e.get("notebook")),
                org=str(e.get("org")),
                status=str(e.get("status")),
                files=files,
                data=_data_line(e, folder) if e.get("status") in ("ok", "unchanged") else "",
                store_version=e.get("store_version"),
                seconds=float(e.get("seconds") or 0.0),
                error=e.get("error"),
                pages=pages,
            )
        )
    return reading_order(out)


@dataclass
class FrontPage:
    """Everything the pack's front matter says: the same for the PDF and index.html."""

    fin_year: str
    month: int
    reports: list[PackReport]
    summary: PackSummary | None
    notes: list[DataNote]
    marking: str = ""
    meeting_date: str = ""  # ISO date or ''
    data_cutoff: str = ""  # ISO date or ''
    store: dict = field(default_factory=dict)  # the version this run read: number, committed, digest
    skipped: list[dict] = field(default_factory=list)
    runs: list[dict] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)  # reconciliation warnings as the ingest recorded them
    appendices: list[Appendix] = field(default_factory=list)  # Paper D's Appendices 1-5, after the reports
    built: str = field(default_factory=lambda: datetime.now().strftime("%d %b %Y %H:%M"))
    built_by: str = field(default_factory=lambda: _user())
    version: str = __version__

    @property
    def period(self) -> str:
        return period_label(self.fin_year, self.month)

    @property
    def pack_file(self) -> str:
        return pack_name(self.fin_year, self.month)

    @property
    def in_pack(self) -> list[PackReport]:
        """The reports the pack PDF holds: those rendered without error whose PDF exists, in reading order."""
        return [r for r in self.reports if r.ok and r.pdf is not None]

    @property
    def orgs(self) -> list[str]:
        return list(dict.fromkeys(r.org for r in self.reports))

    @property
    def versions(self) -> dict[int, list[PackReport]]:
        """Store version -> the reports rendered from it (reports without a recorded version are left out)."""
        out: dict[int, list[PackReport]] = {}
        for r in self.reports:
            if r.ok and r.store_version is not None:
                out.setdefault(int(r.store_version), []).append(r)
        return dict(sorted(out.items()))

    def versions_note(self) -> str:
        """Why the reader should know the reports come from different versions of the data ('' when one)."""
        v = self.versions
        if len(v) < 2:
            return ""
        parts = [f"version {n}: {', '.join(r.title for r in rs)}" for n, rs in v.items()]
        now = self.store.get("version")
        return (
            "These reports were rendered from different versions of the data store, so figures may differ between "
            f"them ({'; '.join(parts)}). The summary figures come from version {now}. Render the whole month "
            "again to bring them together."
        )

    def cutoff_words(self) -> str:
        """'4 October 2019' or, when no cut-off was given, the store version the run read and when it was committed."""
        if self.data_cutoff:
            return long_date(self.data_cutoff)
        n, when = self.store.get("version"), self.store.get("committed")
        if n is None:
            return "not given"
        return f"data as held in store version {n}" + (f", committed {long_date(when)}" if when else "")

    def glossary(self) -> list[tuple[str, str]]:
        return glossary([o for o in self.orgs if o in organisations().orgs])

    def organisations(self) -> list[tuple[str, str, str]]:
        """(code, name, what it is) for every organisation with a report this month, in reading order."""
        reg = organisations()
        return [(c, reg.name(c), organisation_note(c)) for c in self.orgs]

    def pack_notes(self) -> list[str]:
        """What the data-quality notes say about the pack itself: other versions, reports missing or without a PDF."""
        out = [self.versions_note()] if self.versions_note() else []
        failed = [r for r in self.reports if not r.ok]
        if failed:
            out.append(
                "Not in this pack because they could not be produced: "
                + "; ".join(f"{r.title} ({r.error or 'failed'})" for r in failed)
                + "."
            )
        no_pdf = [r for r in self.reports if r.ok and r.pdf is None]
        if no_pdf:
            out.append(
                "Not in the pack PDF because no PDF of them was rendered: " + "; ".join(r.title for r in no_pdf) + "."
            )
        return out

    def synthetic_words(self) -> str:
        """How many reports rest on synthetic data, in words ('' when none)."""
        shown = [r for r in self.reports if r.ok]
        ill = [r for r in shown if r.illustrative]
        part = [r for r in shown if r.synthetic and not r.illustrative]
        out = []
        if ill:
            out.append(
                f"{len(ill)} of the {len(shown)} reports {'are' if len(ill) != 1 else 'is'} illustrative: "
                "built on synthetic (demonstration) data to show a method, not real figures."
            )
        if part:
            who = (
                ("other report includes" if ill else "report includes")
                if len(part) == 1
                else ("others include" if ill else "reports include")
            )
            out.append(
                f"{len(part)} {who} some synthetic figures beside published ones; each report says which of its "
                "figures are synthetic."
            )
        return " ".join(out)


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


# --- HTML fragments shared by the pack PDF and index.html (templates/pack/fragments.html.j2) -----------


def e(value: object) -> str:
    """Escape text for HTML (text from returns stays plain text)."""
    return html.escape(str(value))


def headline_table(summary: PackSummary) -> str:
    """Headline per organisation (£000), with the data each row rests on."""
    return pages.fragment("headline_table", summary)


def summary_html(summary: PackSummary, *, level: int = 2) -> str:
    """The summary: position in Paper D's words, the headline table, what moved, what the group is asked to do."""
    return pages.fragment("summary", summary, level)


def notes_html(front: FrontPage, *, level: int = 2) -> str:
    """The data-quality notes: returns that do not add up, synthetic data, reports missing or from other versions."""
    return pages.fragment("notes", front, level)


def glossary_html(front: FrontPage, *, level: int = 2) -> str:
    """The glossary as a definition list."""
    return pages.fragment("glossary", front, level)


def appendix_html(appendix: Appendix, *, level: int = 2) -> str:
    """One appendix: its heading (an anchor for the contents), how to read it, and its table; totals in bold."""
    return pages.fragment("appendix", appendix, level)
