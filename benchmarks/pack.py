"""Benchmark: the month's pack PDF and front page (`document.publish_month`), with where its time goes.

The month: 2019-20 M6 from the embedded demo data, every organisation (`qipp run` with its defaults),
rendered once; then `publish_month` rebuilds that month's pack PDF, index.html and manifest in this
process, ``rounds`` times as it is and ``rounds`` times with its phases timed (alternately: wrapping
the phases adds a little and moves the collector's work about), and the medians are printed:

  layout      the cover, summary, contents, glossary and notes laid out by WeasyPrint (``_layout``)
  pages       the parts' pages copied into one PDF, with the outline (and the parts' named destinations)
  links       the contents page's links turned into jumps to pack pages (``_link_contents``)
  structure   the parts' structure trees merged into one (``_merge_structure``)
  stamp pdf   the pack page numbers laid out by WeasyPrint (``_stamps``)
  stamping    the page numbers overlaid on the pages (``_stamp``)
  save        the pack PDF serialised
  rest        of ``write_pack`` (opening the parts, metadata, writing the file) and of ``publish_month``
              (loading the summary's data, the front page, the manifest)
  gc          after each call, outside its time: collecting the call's cyclic garbage (pypdf's objects
              are cyclic: left to the collector, that runs in the next call's phases and skews them)

The phases are found by name in ``qipp_helpers.pack.document`` (and, for code that merges with pypdf,
``PdfWriter.append``/``write``), so the same script times an older checkout: run it with that checkout's
interpreter and ``--work`` on the same folder to time both on the same rendered reports.
    .venv/bin/python benchmarks/pack.py [--rounds R] [--jobs N] [--work DIR]
The last line is machine-readable:
    pack: publish_month=<s> gc=<s> write_pack=<s> layout=<s> pages=<s> links=<s> structure=<s> stamp_pdf=<s>
          stamping=<s> save=<s> reports=<n> pages_total=<n>
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PHASES = ("layout", "pages", "links", "structure", "stamp_pdf", "stamping", "save")


def run(cmd: list[str]) -> None:
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def render(work: Path, jobs: int) -> Path:
    """The month rendered under ``work`` (reused when it already is): its folder."""
    data, out = work / "data", work / "reports"
    folder = out / "2019-20" / "M06"
    if (folder / "manifest.json").is_file():
        return folder
    shutil.copytree(ROOT / "data" / "raw", data / "raw")
    run([str(BIN / "qipp"), "ingest-raw", "--data-dir", str(data)])
    month = ["--fin-year", "2019-20", "--month", "6", "--notebooks-dir", str(ROOT / "notebooks")]
    run([str(BIN / "qipp"), "run", *month, "--data-dir", str(data), "--out", str(out), "--jobs", str(jobs)])
    return folder


def timed(owner: object, name: str, phase: str, times: dict[str, float], undo: list[Callable[[], None]]) -> None:
    """Wrap ``owner.name`` (if it exists) to add its wall time to ``times[phase]`` (outermost calls only)."""
    fn = getattr(owner, name, None)
    if fn is None:
        return
    depth = 0

    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> object:
        nonlocal depth
        depth += 1
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            depth -= 1
            if depth == 0:
                times[phase] = times.get(phase, 0.0) + time.perf_counter() - start

    setattr(owner, name, wrapper)
    undo.append(lambda: setattr(owner, name, fn))


def instrument(times: dict[str, float]) -> list[Callable[[], None]]:
    """Time the phases of this checkout's ``write_pack``; returns what undoes it."""
    from qipp_helpers.pack import document

    undo: list[Callable[[], None]] = []
    for name, phase in (
        ("_layout", "layout"),
        ("_assemble", "pages"),  # pikepdf: pages, outline, named destinations
        ("_add_outline", "pages"),  # pypdf: the reports' sections (the pages: PdfWriter.append below)
        ("_link_contents", "links"),
        ("_merge_structure", "structure"),
        ("_stamps", "stamp_pdf"),
        ("_stamp", "stamping"),
        ("_save", "save"),
        ("write_pack", "write_pack"),
    ):
        timed(document, name, phase, times, undo)
    if not hasattr(document, "_assemble"):  # the pypdf merge
        import pypdf

        timed(pypdf.PdfWriter, "append", "pages", times, undo)
        timed(pypdf.PdfWriter, "write", "save", times, undo)
    return undo


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7, help="rounds of two publish_month calls (default 7)")
    ap.add_argument("--jobs", type=int, default=2, help="qipp run --jobs for the one render (default 2)")
    ap.add_argument("--work", type=Path, help="folder to render the month into and keep (reused if rendered)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        folder = render(work, args.jobs)
        print(f"month rendered in {time.perf_counter() - t:.1f}s: {folder}", flush=True)

        from qipp_helpers.pack import document
        from qipp_helpers.store import db

        snap, _ = db.snapshot(work / "data")
        manifest = json.loads((folder / "manifest.json").read_text())
        manifest.pop("pack", None)
        document.publish_month(folder, manifest, data_dir=snap)  # warm: imports, fonts, the data's first read
        gc.collect()

        def one(times: dict[str, float]) -> dict:
            start = time.perf_counter()
            record = document.publish_month(folder, manifest, data_dir=snap)
            times["publish_month"] = time.perf_counter() - start
            start = time.perf_counter()
            gc.collect()  # the call's cyclic garbage, else collected (and timed) in some phase of the next call
            times["gc"] = time.perf_counter() - start
            return record

        plain: list[dict[str, float]] = []
        phased: list[dict[str, float]] = []
        for r in range(args.rounds):
            plain.append({})
            record = one(plain[-1])
            phased.append({})
            undo = instrument(phased[-1])
            try:
                one(phased[-1])
            finally:
                for u in reversed(undo):
                    u()
            print(
                f"round {r + 1}: publish_month {plain[-1]['publish_month']:.2f}s (then gc {plain[-1]['gc']:.2f}s);"
                f" with its phases timed {phased[-1]['publish_month']:.2f}s",
                flush=True,
            )
    med = {k: statistics.median(t[k] for t in plain) for k in ("publish_month", "gc")}
    med |= {k: statistics.median(t.get(k, 0.0) for t in phased) for k in ("write_pack", *PHASES)}
    timed_total = statistics.median(t["publish_month"] for t in phased)
    merger = "pikepdf" if hasattr(document, "_assemble") else "pypdf"
    print(f"median of {args.rounds} ({len(record['reports'])} reports, {record['pages']} pages, merged with {merger}):")
    print(f"  publish_month {med['publish_month']:.3f}s; then collecting its cyclic garbage {med['gc']:.3f}s")
    print(f"  with its phases timed (other rounds) {timed_total:.3f}s, of which write_pack {med['write_pack']:.3f}s:")
    for phase in PHASES:
        print(f"    {phase:10s} {med[phase]:.3f}s")
    print(f"    {'rest':10s} {timed_total - sum(med[p] for p in PHASES):.3f}s")
    print(
        f"pack: publish_month={med['publish_month']:.3f} gc={med['gc']:.3f} write_pack={med['write_pack']:.3f} "
        + " ".join(f"{p}={med[p]:.3f}" for p in PHASES)
        + f" reports={len(record['reports'])} pages_total={record['pages']}"
    )


if __name__ == "__main__":
    main()
