"""The ``qipp`` command: ingest returns, render the month-end pack."""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from .catalogue import KNOWN_ORGS, NOTEBOOKS, default_orgs, missing_data
from .errors import IngestError
from .model import check_fin_year, check_month

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="QIPP workbooks: validated QIPP returns in, QAG monthly pack out.")

DataDir = Annotated[Path, typer.Option("--data-dir", help="Data folder holding raw/ and processed/.")]
FinYear = Annotated[str, typer.Option("--fin-year", help="Financial year, e.g. 2019-20.")]


def _fail(message: str, code: int = 1) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _print_summary(summary) -> None:
    if hasattr(summary, "data_year"):
        typer.echo(f"{summary.fin_year}: stored RightCare {summary.data_year or ''} indicators for "
                   f"{', '.join(summary.ccgs)} and {summary.peers} peers ({summary.rows} rows; "
                   f"{summary.provenance.split(':', 1)[0]})")
        return
    if hasattr(summary, "system"):
        typer.echo(f"{summary.fin_year} M{summary.month}: stored the {summary.system} FRP as at {summary.as_at} "
                   f"({summary.schemes} schemes)")
        for c in summary.checks:
            typer.secho(f"  printed figure does not add up [{c['source_file']}, {c['source_sheet']} row "
                        f"{c['source_row']}]: {c['where']} {c['column']} printed {c['printed']:,.0f}, computed "
                        f"{c['computed']:,.0f}", fg=typer.colors.YELLOW)
        return
    rows = ", ".join(f"{o} {n} rows" for o, n in sorted(summary.rows.items())) or "no CCG rows"
    typer.echo(f"{summary.fin_year} M{summary.month}: stored {rows}")
    for w in summary.warnings:
        typer.secho(f"  reconciliation warning [{w['org']}, {w['source_file']}]: {w['message']}",
                    fg=typer.colors.YELLOW)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Dashboard workbooks (.xlsx), one CSV with --org, an FRP "
                                                "workbook (.xlsx with an 'FRP Schemes' sheet) or a RightCare "
                                                "workbook (a 'RightCare Indicators' sheet; --month unused).")],
    fin_year: FinYear,
    month: Annotated[int, typer.Option("--month", help="Financial-year month 1-12 (M6 = September).")],
    data_dir: DataDir = Path("data"),
    org: Annotated[str | None, typer.Option("--org", help="Organisation of a .csv file (ELR, WL, LC).")] = None,
    provenance: Annotated[str | None, typer.Option(help="Provenance to record (default: from the file).")] = None,
) -> None:
    """Validate return files and store them; all or nothing, every problem reported at once."""
    from .ingest import ingest_any

    try:
        summaries = ingest_any(paths, fin_year, month, data_dir, org=org, provenance=provenance)
    except IngestError as exc:
        _fail(str(exc))
    for summary in summaries:
        _print_summary(summary)


@app.command("ingest-raw")
def ingest_raw(
    data_dir: DataDir = Path("data"),
    fin_year: Annotated[str | None, typer.Option("--fin-year", help="Only this financial year.")] = None,
) -> None:
    """Ingest every month under DATA_DIR/raw/<fin-year>/M<mm>/, then DATA_DIR/raw/<fin-year>/rightcare/."""
    from .ingest import ingest_any

    raw = data_dir / "raw"
    folders = sorted(p for p in raw.glob("*/M[0-9][0-9]")
                     if p.is_dir() and (fin_year is None or p.parent.name == fin_year))
    if not folders:
        _fail(f"no month folders like {raw}/2019-20/M06/ found")
    for folder in folders:
        files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".xlsx" and not p.name.startswith(("~", ".")))
        if not files:
            continue
        try:
            summaries = ingest_any(files, folder.parent.name, int(folder.name[1:]), data_dir)
        except (IngestError, ValueError) as exc:
            _fail(str(exc))
        for summary in summaries:
            _print_summary(summary)
    _ingest_rightcare_folders(raw, fin_year)


def _ingest_rightcare_folders(raw: Path, fin_year: str | None) -> None:
    """RightCare indicator workbooks are held per financial year, not per month: raw/<fin-year>/rightcare/."""
    from .ingest import ingest_rightcare

    for folder in sorted(p for p in raw.glob("*/rightcare") if p.is_dir() and fin_year in (None, p.parent.name)):
        for path in sorted(p for p in folder.iterdir() if p.suffix.lower() == ".xlsx"
                           and not p.name.startswith(("~", "."))):
            try:
                _print_summary(ingest_rightcare(path, folder.parent.name, raw.parent))
            except (IngestError, ValueError) as exc:
                _fail(str(exc))


def _parse_orgs(values: list[str] | None) -> list[str] | None:
    """Organisation codes asked for, or None for 'all' (each notebook's own default set)."""
    if not values or any(v.lower() == "all" for v in values):
        return None
    out = []
    for v in values:
        for code in re.split(r"[,\s]+", v.strip()):
            if code.upper() not in KNOWN_ORGS:
                _fail(f"unknown organisation {code!r}; expected one of {', '.join(KNOWN_ORGS)} or all")
            out.append(code.upper())
    return out


@app.command()
def run(
    fin_year: FinYear,
    month: Annotated[int, typer.Option("--month", help="Financial-year month 1-12.")],
    org: Annotated[list[str] | None, typer.Option("--org", help="Organisation(s), repeatable, or 'all'.")] = None,
    notebook: Annotated[str, typer.Option(help=f"Notebook name ({', '.join(NOTEBOOKS)}), or 'all'.")] = "all",
    formats: Annotated[str, typer.Option(help="Comma-separated: html,pdf,xlsx.")] = "html,pdf,xlsx",
    data_dir: DataDir = Path("data"),
    out: Annotated[Path, typer.Option("--out", help="Reports folder.")] = Path("reports"),
    notebooks_dir: Annotated[Path, typer.Option(help="Folder holding the notebooks.")] = Path("notebooks"),
    jobs: Annotated[int | None, typer.Option("--jobs", help="Parallel workers (default: CPU count).")] = None,
) -> None:
    """Render reports for one month: reports/<fin-year>/M<mm>/<ORG>/<notebook>.{ipynb,html,pdf,xlsx}."""
    from .runner import FORMATS, Job, run_jobs
    from .store import load_frp, load_returns, load_rightcare

    try:
        check_fin_year(fin_year)
        check_month(month)
    except ValueError as exc:
        _fail(str(exc))
    fmts = tuple(f.strip().lower() for f in formats.split(",") if f.strip())
    bad = [f for f in fmts if f not in FORMATS]
    if bad:
        _fail(f"unknown format(s) {', '.join(bad)}; choose from {', '.join(FORMATS)}")
    names = list(NOTEBOOKS) if notebook == "all" else [notebook]
    for name in names:
        if not (notebooks_dir / f"{name}.ipynb").exists():
            _fail(f"no notebook {notebooks_dir / (name + '.ipynb')}")
    returns, frp_lines = load_returns(data_dir), load_frp(data_dir)["lines"]
    rightcare_peers = load_rightcare(data_dir)["peers"]
    asked = _parse_orgs(org)
    job_list, skipped = [], []
    for name in names:
        for code in asked or default_orgs(name):
            reason = missing_data(name, returns=returns, frp_lines=frp_lines, fin_year=fin_year, month=month,
                                  org=code, rightcare_peers=rightcare_peers)
            if reason:
                skipped.append(f"{code} {name}: {reason}")
                continue
            job_list.append(Job(
                notebook=(notebooks_dir / f"{name}.ipynb").resolve(),
                parameters={"fin_year": fin_year, "month": month, "org": code,
                            "data_dir": str(data_dir.resolve())},
                out_dir=out / fin_year / f"M{month:02d}" / code, stem=name, label=f"{code} {name}"))
    for line in skipped:
        typer.secho(f"skipped {line}", fg=typer.colors.YELLOW)
    if not job_list:
        _fail("nothing to render: ingest returns first (qipp ingest / make reports)")
    start = time.perf_counter()
    results = run_jobs(job_list, formats=fmts, workers=jobs, progress=sys.stderr.isatty())
    for r in results:
        if r.status != "ok":
            typer.secho(f"FAILED {r.job.label}: {r.error} (see {r.outputs.get('ipynb', 'no notebook written')})",
                        fg=typer.colors.RED, err=True)
        else:
            typer.echo(f"rendered {r.job.label}: {', '.join(sorted(r.outputs))} in {r.job.out_dir} ({r.seconds:.1f}s)")
    failed = sum(r.status != "ok" for r in results)
    typer.echo(f"{len(results) - failed} rendered, {len(skipped)} skipped, {failed} failed, "
               f"wall time {time.perf_counter() - start:.1f}s")
    if failed:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
