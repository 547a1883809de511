"""Benchmark: how long the variance explorer takes to answer each widget change, on the embedded demo data.

The explorer is driven in-process as the notebook's widgets would drive it (a control's ``.value``
set, as a browser's comm message sets it): the month, the organisation through all four (LLR, ELR,
WL, LC), a workstream, a RAG, a minimum variance, the drill-down tab and a scheme, the trends tab
and its measure, and the as-received switch. Each change is timed from setting the value until
every view it touches is updated (tables, options and the chart of the tab shown).

Between changes the benchmark waits, as an analyst reads the tables, until the explorer's
background warm-up has finished (the time is printed as ``warm-up``); ``--cold`` turns the
warm-up off, so every view is computed when first asked for (the explorer before it had one,
apart from charts of hidden tabs being drawn only when shown).

    .venv/bin/python benchmarks/explorer.py [--cold] [--data-dir DIR]

Without ``--data-dir`` the demo data is ingested into a temporary folder first. The last line is
machine-readable:
    explorer: changes=<n> median=<s> max=<s>
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
LIMIT = 0.3  # seconds: the bar for every change


@contextmanager
def demo_data(data_dir: str | None) -> Iterator[Path]:
    """The given data folder, or the embedded demo data ingested into a temporary one."""
    if data_dir:
        yield Path(data_dir)
        return
    with tempfile.TemporaryDirectory(prefix="qipp-explorer-bench-") as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(ROOT / "data" / "raw", data / "raw")
        print("ingesting the demo data ...", flush=True)
        subprocess.run([str(BIN / "qipp"), "ingest-raw", "--data-dir", str(data)], check=True, capture_output=True)
        yield data


def changes(e) -> list[tuple[str, object, object]]:
    """(what, control, value): an analyst's tour of the explorer, in order."""
    return [
        ("month", e.month, 5),
        ("month", e.month, 6),
        ("organisation", e.org, "ELR"),
        ("organisation", e.org, "WL"),
        ("organisation", e.org, "LC"),
        ("organisation", e.org, "LLR"),
        ("workstream", e.workstream, "Planned Care"),
        ("RAG", e.rag, "Red"),
        ("minimum variance", e.min_variance, 100.0),
        ("minimum variance", e.min_variance, 0.0),
        ("RAG", e.rag, "All"),
        ("tab", e.tabs, 1),
        ("scheme", e.scheme, None),  # the second scheme listed: chosen when the change is made
        ("organisation", e.org, "ELR"),
        ("tab", e.tabs, 2),
        ("workstream", e.workstream, "All"),
        ("measure", e.measure, "In-month delivery"),
        ("organisation", e.org, "LC"),
        ("month", e.month, 4),
        ("as received", e.as_received, True),
        ("tab", e.tabs, 0),
        ("organisation", e.org, "LLR"),
    ]


def set_value(control, value) -> None:
    if value is None:  # the scheme: the second listed
        value = control.options[1][1]
    if hasattr(control, "selected_index") and isinstance(value, int):
        control.selected_index = value
    else:
        control.value = value


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cold", action="store_true", help="no background warm-up")
    ap.add_argument("--data-dir", help="a data folder already ingested (default: the demo data, ingested afresh)")
    args = ap.parse_args()

    from qipp_helpers.report.explore import VarianceExplorer
    from qipp_helpers.store.db import load_adjustments, load_commentary, load_returns, load_warnings

    with demo_data(args.data_dir) as data:
        frames = (load_returns(data), load_warnings(data))
        extra = {"adjustments": load_adjustments(data), "commentary": load_commentary(data)}
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        print(f"{os.cpu_count()} CPUs, load average {load}, warm-up {'off' if args.cold else 'on'}", flush=True)
        start = time.perf_counter()
        e = VarianceExplorer(*frames, fin_year="2019-20", month=6, org="LLR", warm=not args.cold, **extra)
        print(f"opened in {time.perf_counter() - start:.2f} s", flush=True)
        times = []
        for what, control, value in changes(e):
            read = time.perf_counter()
            e.wait(600)
            reading = time.perf_counter() - read
            start = time.perf_counter()
            set_value(control, value)
            took = time.perf_counter() - start
            times.append(took)
            shown = getattr(control, "value", None) if what != "tab" else control.selected_index
            flag = "" if took < LIMIT else f"  (over {LIMIT} s)"
            print(f"  {what:<17} -> {shown!s:<34} {took:6.3f} s   warm-up before it {reading:5.1f} s{flag}")
        if e.warmer is not None and e.warmer.errors:
            print(f"warm-up errors: {e.warmer.errors!r}", file=sys.stderr)
        print(f"explorer: changes={len(times)} median={statistics.median(times):.3f} max={max(times):.3f}")


if __name__ == "__main__":
    main()
