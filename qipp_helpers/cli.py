"""The ``qipp`` command: ingest returns, render the month-end pack."""

from __future__ import annotations

import getpass
import re
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from . import __version__
from .core.errors import IngestError
from .core.orgs import use_organisations
from .core.periods import check_fin_year
from .pack.catalogue import NOTEBOOKS, known_orgs

app = typer.Typer(
    add_completion=False, no_args_is_help=True, help="QIPP workbooks: validated QIPP returns in, QAG monthly pack out."
)

DataDir = Annotated[Path, typer.Option("--data-dir", help="Data folder holding raw/ and processed/.")]
FinYear = Annotated[str, typer.Option("--fin-year", help="Financial year, e.g. 2019-20.")]


def _fail(message: str, code: int = 1) -> None:
    typer.secho(message, fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def _print_summary(summary) -> None:
    if hasattr(summary, "data_year"):
        typer.echo(
            f"{summary.fin_year}: stored RightCare {summary.data_year or ''} indicators for "
            f"{', '.join(summary.ccgs)} and {summary.peers} peers ({summary.rows} rows; "
            f"{summary.provenance.split(':', 1)[0]})"
        )
        return
    if hasattr(summary, "system"):
        typer.echo(
            f"{summary.fin_year} M{summary.month}: stored the {summary.system} FRP as at {summary.as_at} "
            f"({summary.schemes} schemes)"
        )
        for c in summary.checks:
            typer.secho(
                f"  printed figure does not add up [{c['source_file']}, {c['source_sheet']} row "
                f"{c['source_row']}]: {c['where']} {c['column']} printed {c['printed']:,.0f}, computed "
                f"{c['computed']:,.0f}",
                fg=typer.colors.YELLOW,
            )
        return
    rows = ", ".join(f"{o} {n} rows" for o, n in sorted(summary.rows.items())) or "no CCG rows"
    if len(summary.rows) > 6:
        rows = f"{sum(summary.rows.values()):,} rows for {len(summary.rows)} organisations"
    typer.echo(f"{summary.fin_year} M{summary.month}: stored {rows}")
    labels = {
        "missing": "return missing against last month's schemes",
        "new": "scheme new this month",
        "plan_changes": "annual plan changed",
        "replaced": "return replaced by a later file",
    }
    for kind, label in labels.items():
        lines = summary.notes.get(kind, [])
        for line in lines[:20]:
            typer.secho(f"  {label}: {line}", fg=typer.colors.YELLOW)
        if len(lines) > 20:
            typer.secho(f"  ... and {len(lines) - 20} more ({label}; all in the ingest log)", fg=typer.colors.YELLOW)
    for w in summary.warnings:
        typer.secho(
            f"  reconciliation warning [{w['org']}, {w['source_file']}]: {w['message']}", fg=typer.colors.YELLOW
        )


@app.command()
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Dashboard workbooks (.xlsx), one CSV with --org, an FRP "
            "workbook (.xlsx with an 'FRP Schemes' sheet) or a RightCare "
            "workbook (a 'RightCare Indicators' sheet; --month unused)."
        ),
    ],
    fin_year: FinYear,
    month: Annotated[int, typer.Option("--month", help="Financial-year month 1-12 (M6 = September).")],
    data_dir: DataDir = Path("data"),
    org: Annotated[str | None, typer.Option("--org", help="Organisation of a .csv file (ELR, WL, LC).")] = None,
    provenance: Annotated[str | None, typer.Option(help="Provenance to record (default: from the file).")] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Who is ingesting, for the ingest log (default: the OS user).")
    ] = None,
) -> None:
    """Validate return files (dashboards, returned templates, FRP) and store them; all or nothing."""
    from .ingest.layouts import ingest_files

    try:
        summaries = ingest_files(
            paths, fin_year, month, data_dir, org=org, provenance=provenance, user=user or getpass.getuser()
        )
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
    from .ingest.layouts import ingest_files

    raw = data_dir / "raw"
    folders = sorted(
        p for p in raw.glob("*/M[0-9][0-9]") if p.is_dir() and (fin_year is None or p.parent.name == fin_year)
    )
    if not folders:
        _fail(f"no month folders like {raw}/2019-20/M06/ found")
    for folder in folders:
        files = sorted(
            p for p in folder.iterdir() if p.suffix.lower() in (".xlsx", ".csv") and not p.name.startswith(("~", "."))
        )
        if not files:
            continue
        note = folder / "PROVENANCE.txt"  # a folder may say where all its files come from
        provenance = note.read_text(encoding="utf-8").strip().splitlines()[0] if note.is_file() else None
        try:
            summaries = ingest_files(files, folder.parent.name, int(folder.name[1:]), data_dir, provenance=provenance)
        except (IngestError, ValueError) as exc:
            _fail(str(exc))
        for summary in summaries:
            _print_summary(summary)
    _ingest_rightcare_folders(raw, fin_year)


def _ingest_rightcare_folders(raw: Path, fin_year: str | None) -> None:
    """RightCare indicator workbooks are held per financial year, not per month: raw/<fin-year>/rightcare/."""
    from .ingest.guard import check_input_file
    from .ingest.pipeline import ingest_rightcare

    for folder in sorted(p for p in raw.glob("*/rightcare") if p.is_dir() and fin_year in (None, p.parent.name)):
        for path in sorted(
            p for p in folder.iterdir() if p.suffix.lower() == ".xlsx" and not p.name.startswith(("~", "."))
        ):
            unsafe = check_input_file(path)  # the same guard as every other input, before anything opens it
            if unsafe:
                _fail(str(IngestError(unsafe)))
            try:
                _print_summary(ingest_rightcare(path, folder.parent.name, raw.parent))
            except (IngestError, ValueError) as exc:
                _fail(str(exc))


@app.command("demo-data")
def demo_data(
    data_dir: DataDir = Path("demo"),
    orgs: Annotated[int, typer.Option(help="Number of synthetic organisations (S001...).")] = 4,
    schemes: Annotated[int, typer.Option(help="Schemes per organisation.")] = 40,
    months: Annotated[int, typer.Option(help="Months of returns, from M1.")] = 6,
    fin_year: FinYear = "2019-20",
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = 20191017,
) -> None:
    """Write a seeded synthetic dataset (organisations.csv + raw CSV returns) for scale tests; marked synthetic."""
    from .synthetic.national import demo_data as make

    try:
        counts = make(data_dir, orgs=orgs, schemes=schemes, months=months, fin_year=fin_year, seed=seed)
    except ValueError as exc:
        _fail(str(exc))
    typer.echo(
        f"wrote {counts['rows']:,} synthetic scheme-month rows for {orgs} organisations x {months} months "
        f"into {data_dir}/raw (ingest with: qipp ingest-raw --data-dir {data_dir})"
    )


@app.command()
def template(
    fin_year: FinYear,
    month: Annotated[int, typer.Option("--month", help="Month of the return, 1-12 (M7 = October).")],
    org: Annotated[str, typer.Option("--org", help="The CCG making the return (ELR, WL, LC).")],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="File to write (default: reports/<fin-year>/M<mm>/returns/<ORG>_return.xlsx)."),
    ] = None,
    scheme: Annotated[
        list[str] | None, typer.Option("--scheme", help="Only these scheme numbers (one SRO's return); repeatable.")
    ] = None,
    data_dir: DataDir = Path("data"),
    reports: Annotated[Path, typer.Option("--reports", help="Reports folder for the default --out.")] = Path("reports"),
) -> None:
    """Write an SRO return template (.xlsx) pre-filled from the latest month held."""
    from .core.files import inside, safe_code
    from .ingest.sro_return import write_template
    from .pack.plan import month_dir
    from .store.db import load_returns

    code = org.strip().upper()
    if not safe_code(code):
        _fail(f"organisation {org!r} is not a code (letters, digits, _ and -)")
    try:
        check_fin_year(fin_year)
        use_organisations(data_dir)
        path = out or inside(reports, month_dir(reports, fin_year, month) / "returns" / f"{code}_return.xlsx")
        meta = write_template(
            load_returns(data_dir), fin_year=fin_year, month=month, org=code, path=path, schemes=scheme
        )
    except ValueError as exc:
        _fail(str(exc))
    typer.echo(
        f"wrote {path}: {meta['rows']} scheme lines of {code} from {meta['base_fin_year']} "
        f"M{meta['base_month']}, for {fin_year} M{month}"
    )


def _parse_orgs(values: list[str] | None) -> list[str] | None:
    """Organisation codes asked for, or None for 'all' (each notebook's own default set)."""
    if not values or any(v.lower() == "all" for v in values):
        return None
    out = []
    for v in values:
        for code in re.split(r"[,\s]+", v.strip()):
            known = known_orgs()
            if code.upper() not in known:
                _fail(f"unknown organisation {code!r}; expected one of {', '.join(known)} or all")
            out.append(code.upper())
    return out


@app.command()
def run(
    fin_year: FinYear,
    month: Annotated[str, typer.Option("--month", help="Month(s): 6, 1-6 or 4,6 (M1 = April).")],
    org: Annotated[list[str] | None, typer.Option("--org", help="Organisation(s), repeatable, or 'all'.")] = None,
    notebook: Annotated[
        str, typer.Option(help=f"Notebook name(s), comma-separated ({', '.join(NOTEBOOKS)}), or 'all'.")
    ] = "all",
    formats: Annotated[str, typer.Option(help="Comma-separated: html,pdf,xlsx.")] = "html,pdf,xlsx",
    data_dir: DataDir = Path("data"),
    out: Annotated[Path, typer.Option("--out", help="Reports folder.")] = Path("reports"),
    notebooks_dir: Annotated[Path, typer.Option(help="Folder holding the notebooks.")] = Path("notebooks"),
    jobs: Annotated[int | None, typer.Option("--jobs", help="Parallel workers (default: CPU count).")] = None,
    marking: Annotated[str, typer.Option(help="Protective marking for every page, e.g. OFFICIAL-SENSITIVE.")] = "",
    changed_only: Annotated[
        bool,
        typer.Option(
            "--changed-only", help="Re-render only reports whose inputs (data, notebook, parameters, version) changed."
        ),
    ] = False,
    executor: Annotated[str, typer.Option(help="local (process pool) or dask.")] = "local",
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address, tcp://HOST:PORT.")] = None,
) -> None:
    """Render the QAG pack: reports/<fin-year>/M<mm>/<ORG>/<notebook>.{ipynb,html,pdf,xlsx}, index.html, manifest."""
    from .pack import plan as pack
    from .pack.catalogue import WARM_UP
    from .pack.runner import EXECUTORS, FORMATS, run_jobs
    from .store.db import load_frp, load_returns, load_rightcare, load_warnings

    try:
        check_fin_year(fin_year)
        months = pack.parse_months(month)
    except ValueError as exc:
        _fail(str(exc))
    fmts = tuple(f.strip().lower() for f in formats.split(",") if f.strip())
    bad = [f for f in fmts if f not in FORMATS]
    if bad:
        _fail(f"unknown format(s) {', '.join(bad)}; choose from {', '.join(FORMATS)}")
    if executor not in EXECUTORS:
        _fail(f"unknown executor {executor!r}; choose from {', '.join(EXECUTORS)}")
    names = list(NOTEBOOKS) if notebook == "all" else [n.strip() for n in notebook.split(",") if n.strip()]
    unknown = [n for n in names if n not in NOTEBOOKS]
    if unknown:
        _fail(
            f"{', '.join(unknown)}: not a notebook of the pack (choose from {', '.join(NOTEBOOKS)}); "
            "interactive notebooks such as explore_variances are opened in JupyterLab, not rendered"
        )
    paths = {name: notebooks_dir / f"{name}.ipynb" for name in names}
    for path in paths.values():
        if not path.exists():
            _fail(f"no notebook {path}")
    use_organisations(data_dir)
    returns, frp_lines, warnings = load_returns(data_dir), load_frp(data_dir)["lines"], load_warnings(data_dir)
    rightcare_peers = load_rightcare(data_dir)["peers"]
    start = time.perf_counter()
    with pack.month_locks(out, fin_year, months):
        plan = pack.plan(
            fin_year=fin_year,
            months=months,
            orgs=_parse_orgs(org),
            notebooks=paths,
            data_dir=data_dir,
            out=out,
            returns=returns,
            frp_lines=frp_lines,
            rightcare_peers=rightcare_peers,
            marking=marking,
        )
        previous = {m: pack.previous_manifest(out, fin_year, m) for m in months} if changed_only else {}
        todo, kept = [], {}
        for i, rep in enumerate(plan.reports):
            old = pack.unchanged(rep, previous.get(rep.month, {})) if changed_only else None
            if old is not None:
                kept[i] = old
            else:
                todo.append(i)
        for s in plan.skipped:
            typer.secho(f"skipped {s['org']} {s['notebook']} M{s['month']}: {s['reason']}", fg=typer.colors.YELLOW)
        if not plan.reports:
            _fail("nothing to render: ingest returns first (qipp ingest / make reports)")

        def report_failure(r) -> None:
            if r.status != "ok":
                typer.secho(
                    f"FAILED {r.job.label}: {r.error} (see {r.outputs.get('ipynb', 'no notebook written')})",
                    fg=typer.colors.RED,
                    err=True,
                )

        try:
            results = run_jobs(
                [plan.reports[i].job for i in todo],
                formats=fmts,
                workers=jobs,
                progress=sys.stderr.isatty(),
                warm_up=WARM_UP,
                marking=marking,
                executor=executor,
                scheduler=scheduler,
                on_result=report_failure,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            _fail(f"could not run the batch: {exc}")
        by_index = dict(zip(todo, results, strict=True))
        for m in months:
            entries = [
                pack.entry(rep, by_index.get(i), kept.get(i)) for i, rep in enumerate(plan.reports) if rep.month == m
            ]
            folder = pack.month_dir(out, fin_year, m)
            skipped_m = [s for s in plan.skipped if s["month"] == m]
            w = warnings[(warnings["fin_year"] == fin_year) & (warnings["month"] == m)]
            pack.write_manifest(
                folder,
                {
                    "fin_year": fin_year,
                    "month": m,
                    "started": pack.now(),
                    "qipp_helpers": __version__,
                    "parameters": {
                        "org": org or ["all"],
                        "notebook": notebook,
                        "formats": list(fmts),
                        "marking": marking,
                        "changed_only": changed_only,
                        "executor": executor,
                        "jobs": jobs,
                    },
                    "inputs": plan.hashes,
                    "reports": entries,
                    "skipped": skipped_m,
                },
            )
            pack.write_index(
                folder,
                pack.render_index(
                    fin_year=fin_year,
                    month=m,
                    entries=entries,
                    skipped=skipped_m,
                    heads=pack.headlines(returns, fin_year, m),
                    warnings=w,
                    marking=marking,
                ),
            )
    for r in results:
        if r.status == "ok":
            typer.echo(f"rendered {r.job.label}: {', '.join(sorted(r.outputs))} in {r.job.out_dir} ({r.seconds:.1f}s)")
    failed = sum(r.status != "ok" for r in results)
    typer.echo(
        f"{len(results) - failed} rendered, {len(kept)} unchanged, {len(plan.skipped)} skipped, {failed} failed,"
        f" wall time {time.perf_counter() - start:.1f}s"
    )
    if failed:
        raise typer.Exit(1)


if __name__ == "__main__":
    app()
