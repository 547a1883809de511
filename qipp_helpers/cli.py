"""The ``qipp`` command: ingest returns, write SRO templates, render the month-end pack.

Errors are mapped to one-line messages and exit codes in one place (:class:`_Commands`); a
traceback is shown only with ``qipp --debug``.
"""

from __future__ import annotations

import contextlib
import dataclasses
import getpass
import re
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import click
import typer
from typer._click.core import Context as _TyperContext
from typer._click.formatting import HelpFormatter as _TyperHelpFormatter
from typer.core import TyperGroup

from . import __version__
from .core.errors import InputError, QippError, UsageError
from .core.periods import check_fin_year, check_month, parse_months
from .core.text import has_control, plain_terminal
from .pack import writers
from .pack.catalogue import NOTEBOOKS, known_orgs, parse_param

if TYPE_CHECKING:
    from .pack.batch import RunOptions
    from .pack.runner import JobResult


class _Commands(TyperGroup):
    """Every command's errors become one line on stderr and an exit code; tracebacks only with --debug.

    A command line that cannot be used (an unknown command or option, a value of the wrong type, a missing
    argument) is one line and exit 2; everything written to the terminal has its control characters removed.
    """

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except Exception as exc:
            _usage_exit(exc)
            raise

    def invoke(self, ctx: _TyperContext) -> object:
        with _plain_output():
            try:
                return super().invoke(ctx)
            except (typer.Exit, typer.Abort, click.exceptions.Exit, click.exceptions.Abort):
                raise
            except BrokenPipeError:  # output piped into head, say: nothing to tell anyone
                raise typer.Exit(0) from None
            except Exception as exc:  # the one place errors meet the user
                _usage_exit(exc)
                if _click_error(exc, "ClickException") is not None:
                    raise
                if (ctx.obj or {}).get("debug"):
                    traceback.print_exc()
                message, code = _message(exc)
                typer.secho(message, fg=typer.colors.RED, err=True)
                raise typer.Exit(code) from None


def _click_error(exc: BaseException, name: str) -> type | None:
    """The class of click's (or typer's copy of click's) exception ``name`` that ``exc`` is, if it is one."""
    for cls in type(exc).__mro__:
        if cls.__name__ == name and cls.__module__.startswith(("click", "typer")):
            return cls
    return None


def _usage_exit(exc: BaseException) -> None:
    """A command line click could not use, said in one line with exit 2 (click's own help screen for no arguments)."""
    if _click_error(exc, "UsageError") is None or _click_error(exc, "NoArgsIsHelpError") is not None:
        return
    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "qipp"
    message = " ".join(str(exc.format_message()).split())  # type: ignore[attr-defined]
    typer.secho(plain_terminal(f"{command}: {message} (see {command} --help)"), fg=typer.colors.RED, err=True)
    raise typer.Exit(2) from None


class _PlainStream:
    """A text stream that passes on everything but control characters (see :func:`plain_terminal`)."""

    def __init__(self, stream) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(plain_terminal(text) if isinstance(text, str) else text)
        return len(text)

    def __getattr__(self, name: str) -> object:
        return getattr(self._stream, name)


@contextlib.contextmanager
def _plain_output():
    """sys.stdout and sys.stderr without control characters while a command runs: text from an input (a scheme
    name, a user, a file name) never reaches the terminal as an escape sequence."""
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = _PlainStream(sys.stdout), _PlainStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def _message(exc: BaseException) -> tuple[str, int]:
    """The line a user sees for an error, and the exit code."""
    if isinstance(exc, QippError):
        return str(exc), exc.exit_code
    if isinstance(exc, (ValueError, LookupError)):
        return str(exc), 1
    if isinstance(exc, OSError):
        where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
        return f"could not use{where}: {exc.strerror or exc}", 1
    return (
        f"internal error: {type(exc).__name__}: {exc} (run again with qipp --debug ... for the traceback, "
        "and report it)",
        70,
    )


_NB_HYPHEN = "\u2011"  # stands in for "-" while help text is wrapped, so no line breaks inside a word
#: How a type reads in help (click's words); typer 0.29 (pinned) would print Python's: <str>, <list[Path]>
_TYPE_WORDS = {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "Path": "PATH", "bool": "BOOLEAN"}


class _HelpFormatter(_TyperHelpFormatter):
    """Typer's help layout, wrapping text only between words: ``reports/<fin-year>`` never breaks at its hyphen."""

    def write_text(self, text: str) -> None:
        super().write_text(text.replace("-", _NB_HYPHEN))

    def write_dl(self, rows, col_max: int = 30, col_spacing: int = 2) -> None:
        super().write_dl([(a, b.replace("-", _NB_HYPHEN)) for a, b in rows], col_max, col_spacing)

    def getvalue(self) -> str:
        return super().getvalue().replace(_NB_HYPHEN, "-")


class _HelpContext(_TyperContext):
    formatter_class = _HelpFormatter


def _plain_metavars(cmd, ctx) -> object:
    """Option values shown as a user reads them (TEXT, INTEGER, PATH), not as Python types (<list[str]>)."""
    cmd.context_class = _HelpContext
    for param in cmd.params:
        if param.metavar is not None or getattr(param, "is_flag", False) or not hasattr(param, "display_type"):
            continue
        label = param.display_type(ctx).strip("<>").removeprefix("list[").removesuffix("]")
        word = _TYPE_WORDS.get(label) or _TYPE_WORDS.get(label.capitalize())
        if word:
            param.metavar = word
            if param.param_type_name == "argument":  # its name is its type already: not "PATH <list[Path]>"
                param.display_type_rich = lambda ctx=None: ""
    return cmd


def _summary(cmd) -> str:
    """The first sentence of a command's help, whole (click would cut it at 45 characters)."""
    first = " ".join((cmd.help or "").split("\n\n")[0].split())
    cut = re.search(r"[.!?](\s|$)", first)
    return first[: cut.end()].strip() if cut else first


class _HelpfulCommands(_Commands):
    """The command list shows each command's first sentence whole; every command's help reads plainly."""

    context_class = _HelpContext

    def get_command(self, ctx, cmd_name: str):
        cmd = super().get_command(ctx, cmd_name)
        return _plain_metavars(cmd, ctx) if cmd is not None else None

    def format_commands(self, ctx, formatter) -> None:
        rows = [(name, _summary(cmd)) for name in self.list_commands(ctx) if (cmd := self.get_command(ctx, name))]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


app = typer.Typer(
    cls=_HelpfulCommands,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,
    help="QIPP workbooks: validated QIPP returns in, QAG monthly pack out.",
)

DataDir = Annotated[Path, typer.Option("--data-dir", help="Data folder holding raw/ and processed/.")]
FinYear = Annotated[str, typer.Option("--fin-year", help="Financial year, e.g. 2019-20.")]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"qipp-workbooks {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    debug: Annotated[bool, typer.Option("--debug", help="Show the full traceback of an error.")] = False,
) -> None:
    """QIPP workbooks: validated QIPP returns in, QAG monthly pack out."""
    ctx.obj = {"debug": debug}


def _held_what(summary) -> str:
    """What an ingest holds, in a few words: '2019-20 M6: ELR 50 rows, WL 44 rows', '2019-20 M6 LLR FRP'..."""
    period = f"{summary.fin_year}" + (f" M{summary.month}" if not hasattr(summary, "data_year") else "")
    if hasattr(summary, "items"):
        return f"{period}: {summary.items} comments for {', '.join(summary.orgs)}"
    if hasattr(summary, "data_year"):
        return f"{period}: RightCare indicators for {', '.join(summary.ccgs)}"
    if hasattr(summary, "system"):
        return f"{period}: the {summary.system} FRP as at {summary.as_at}"
    return f"{period}: " + (", ".join(f"{o} {n} rows" for o, n in sorted(summary.rows.items())) or "no CCG rows")


def _print_summary(summary) -> None:
    if getattr(summary, "unchanged", False):  # identical values: no version was added
        typer.echo(f"unchanged: version {summary.version} already holds these rows ({_held_what(summary)})")
        return
    if getattr(summary, "version", 0):
        typer.echo(f"store version {summary.version}:", nl=False)
        typer.echo(" ", nl=False)
    if hasattr(summary, "items"):
        typer.echo(
            f"{summary.fin_year} M{summary.month}: stored {summary.items} comments for {', '.join(summary.orgs)} "
            f"({summary.provenance})"
        )
        return
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
        "left_out": "sheets not ingested",
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


def _command_line(check, value):
    """A command-line value checked; a bad one is a usage error (exit 2) located at '(command line)'."""
    try:
        return check(value)
    except UsageError:
        raise
    except ValueError as exc:
        raise UsageError(f"(command line): {exc}") from None


#: The longest text each CLI option may give: each is shown on report pages or in the ingest log.
TEXT_LIMITS = {"--marking": 48, "--user": 64, "--provenance": 300, "--reason": 300, "--scheme-name": 120}


def _text_option(option: str, value: str | None) -> str | None:
    """A text option as given, or a usage error if it holds a control character or is too long for the page."""
    if value is None:
        return None
    if has_control(value):
        raise UsageError(f"{option}: holds a control character (an escape sequence?); give plain text")
    if len(value) > TEXT_LIMITS[option]:
        raise UsageError(f"{option}: {len(value):,} characters; at most {TEXT_LIMITS[option]}, so it fits on the page")
    return value


def _month(month: int | None, paths: list[Path]) -> int:
    """--month, required unless every file is a RightCare workbook (those serve a financial year)."""
    if month is not None:
        return month
    from .ingest.layouts import recognise

    if paths and all(recognise(p).name == "rightcare" for p in paths):
        return 1  # unused by RightCare workbooks
    raise UsageError("--month is required (1-12, M1 = April): returns, templates and FRPs are for one month")


@app.command()
def ingest(
    paths: Annotated[
        list[Path],
        typer.Argument(
            help="Dashboard workbooks (.xlsx), one organisation's .csv (with --org, or named <ORG>.csv), returned "
            "SRO templates, an FRP workbook (an 'FRP Schemes' sheet) or a RightCare workbook (a 'RightCare "
            "Indicators' sheet).",
            show_default=False,
        ),
    ],
    fin_year: FinYear,
    month: Annotated[
        int | None, typer.Option("--month", help="Financial-year month 1-12 (M6 = September); not for RightCare.")
    ] = None,
    data_dir: DataDir = Path("data"),
    org: Annotated[str | None, typer.Option("--org", help="The CCG of a .csv file (e.g. ELR).")] = None,
    provenance: Annotated[str | None, typer.Option(help="Provenance to record (default: from the file).")] = None,
    user: Annotated[
        str | None, typer.Option("--user", help="Who is ingesting, for the ingest log (default: the OS user).")
    ] = None,
    received: Annotated[
        str | None,
        typer.Option(
            "--received",
            help="When the PMO received these returns (YYYY-MM-DD or YYYY-MM-DD HH:MM), if not now: "
            "the tracker's on-time/late rule reads it.",
        ),
    ] = None,
) -> None:
    """Validate return files and store them as one new version of the store: all or nothing.

    \b
    Example:
      qipp ingest data/raw/2019-20/M06/paper_d_m6_pmo_dashboards.xlsx --fin-year 2019-20 --month 6
    """
    from .ingest.layouts import ingest_files, received_time

    fin_year = _command_line(check_fin_year, fin_year)
    if month is not None:
        _command_line(check_month, month)
    provenance, user = _text_option("--provenance", provenance), _text_option("--user", user)
    summaries = ingest_files(
        paths,
        fin_year,
        _month(month, paths),
        data_dir,
        org=org,
        provenance=provenance,
        user=user or getpass.getuser(),
        received={p.name: received_time(received, "--received") for p in paths} if received else None,
    )
    for summary in summaries:
        _print_summary(summary)


def _provenance_note(folder: Path) -> str | None:
    """The first line of a month folder's PROVENANCE.txt (where all its files come from), if it has one."""
    note = folder / "PROVENANCE.txt"
    if not note.is_file():
        return None
    try:
        lines = note.read_text(encoding="utf-8").strip().splitlines()
    except UnicodeDecodeError:
        raise QippError(f"{note}: not UTF-8 text; save it as UTF-8") from None
    if not lines or not lines[0].strip():
        raise QippError(f"{note}: empty; write where the folder's files come from on its first line, or delete it")
    return lines[0].strip()


@app.command("ingest-raw")
def ingest_raw(
    data_dir: DataDir = Path("data"),
    fin_year: Annotated[str | None, typer.Option("--fin-year", help="Only this financial year.")] = None,
) -> None:
    """Ingest every month under DATA_DIR/raw/<fin-year>/M<mm>/, then DATA_DIR/raw/<fin-year>/rightcare/.

    All or nothing: every folder becomes one version, all committed together, or none if any folder has a problem.

    \b
    Example:
      qipp ingest-raw --data-dir data
    """
    from .ingest.layouts import Batch, ingest_batches, received_register

    if fin_year is not None:
        fin_year = _command_line(check_fin_year, fin_year)
    raw = data_dir / "raw"
    if not raw.is_dir():
        raise UsageError(f"no folder {raw}: --data-dir names the folder that holds raw/ (e.g. data)")
    folders = sorted(
        p for p in raw.glob("*/M[0-9][0-9]") if p.is_dir() and (fin_year is None or p.parent.name == fin_year)
    )
    rightcare = sorted(p for p in raw.glob("*/rightcare") if p.is_dir() and fin_year in (None, p.parent.name))
    if not folders and not rightcare:
        raise UsageError(f"no month folders like {raw}/2019-20/M06/ found")
    batches = []
    for folder in [*folders, *rightcare]:
        files = sorted(
            p for p in folder.iterdir() if p.suffix.lower() in (".xlsx", ".csv") and not p.name.startswith(("~", "."))
        )
        if not files:
            continue
        year = check_fin_year(folder.parent.name)
        month = int(folder.name[1:]) if folder.name != "rightcare" else 1
        note = _provenance_note(folder)
        batches.append(Batch(tuple(files), year, month, provenance=note, received=received_register(folder)))
    # every folder prepared in turn and committed in one transaction (a version each): all or nothing
    try:
        done = ingest_batches(batches, data_dir)
    except InputError as exc:
        i = getattr(exc, "batch", None)
        if i is None:
            raise
        where = f"{batches[i].paths[0].parent.relative_to(raw).as_posix()}/"
        names = {p.name for p in batches[i].paths}
        raise InputError(
            [dataclasses.replace(p, file=where + p.file) if p.file in names else p for p in exc.problems]
        ) from None
    for summaries in done:
        for summary in summaries:
            _print_summary(summary)


@app.command()
def template(
    fin_year: FinYear,
    month: Annotated[int, typer.Option("--month", help="Month of the return, 1-12 (M7 = October).")],
    org: Annotated[str, typer.Option("--org", help="The CCG making the return (ELR, WL, LC).")],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="File to write (default: reports/<fin-year>/M<mm>/returns/<ORG>_return.xlsx).",
            show_default=False,
        ),
    ] = None,
    scheme: Annotated[
        list[str] | None,
        typer.Option("--scheme", help="Only these scheme numbers (one SRO's return); repeatable.", show_default=False),
    ] = None,
    data_dir: DataDir = Path("data"),
    reports: Annotated[Path, typer.Option("--reports", help="Reports folder for the default --out.")] = Path("reports"),
    units: Annotated[
        str, typer.Option("--units", help="Units of the template's money cells: £000 (default) or £ (pounds).")
    ] = "£000",
) -> None:
    """Write an SRO return template (.xlsx) pre-filled from the latest month held.

    \b
    Example:
      qipp template --fin-year 2019-20 --month 7 --org ELR
    """
    from .core.files import inside, safe_code
    from .core.orgs import use_organisations
    from .ingest.sro_return import write_template
    from .pack.plan import month_dir
    from .store import load_returns

    code = org.strip().upper()
    if not safe_code(code):
        raise UsageError(f"organisation {org!r} is not a code (letters, digits, _ and -)")
    fin_year = _command_line(check_fin_year, fin_year)
    _command_line(check_month, month)
    use_organisations(data_dir)
    path = out or inside(reports, month_dir(reports, fin_year, month) / "returns" / f"{code}_return.xlsx")
    _refuse_inputs(path, data_dir)
    from .ingest.sro_return import UNITS

    if units.strip() not in UNITS:
        raise UsageError(f"--units {units!r} is not one of {', '.join(UNITS)}")
    meta = write_template(
        load_returns(data_dir), fin_year=fin_year, month=month, org=code, path=path, schemes=scheme, units=units.strip()
    )
    typer.echo(
        f"wrote {path}: {meta['rows']} scheme lines of {code} from {meta['base_fin_year']} "
        f"M{meta['base_month']}, for {fin_year} M{month}"
    )


def _refuse_inputs(path: Path, data_dir: Path) -> None:
    """UsageError if writing ``path`` would overwrite an input: a file under raw/ or the organisations registry."""
    from .core.orgs import ORGANISATIONS_FILE

    target = Path(path).resolve()
    raw, registry = (Path(data_dir) / "raw").resolve(), (Path(data_dir) / ORGANISATIONS_FILE).resolve()
    if target == registry or (target.exists() and target.is_relative_to(raw)):
        raise UsageError(
            f"--out {path}: an input of {data_dir} (raw/ returns and {ORGANISATIONS_FILE} are never "
            "overwritten); write the template somewhere else"
        )


def _parse_orgs(values: list[str] | None, data_dir: Path) -> list[str] | None:
    """Organisation codes asked for, or None for 'all' (each notebook's own default set).

    The codes are those the data folder declares (its ``organisations.csv``, else the built-in ones): the
    same registry ``--org all`` and the reports use."""
    from .core.orgs import use_organisations

    use_organisations(data_dir)
    if not values or any(v.strip().lower() == "all" for v in values):
        return None
    known = known_orgs()
    out = []
    for v in values:
        for code in re.split(r"[,\s]+", v.strip()):
            if code and code.upper() not in known:
                raise UsageError(f"unknown organisation {code!r}; expected one of {', '.join(known)} or all")
            if code:
                out.append(code.upper())
    return out


@dataclasses.dataclass
class _RunProgress:
    """What ``qipp run`` says as the batch goes: workers starting, each report rendered, failed or skipped."""

    tty: bool  # a terminal: lines go above the progress bar, not through it

    def say(self, line: str, *, colour: str | None = None, err: bool = False) -> None:
        if self.tty:
            from tqdm.auto import tqdm

            tqdm.write(typer.style(line, fg=colour) if colour else line, file=sys.stderr if err else sys.stdout)
        else:
            typer.secho(line, fg=colour, err=err)

    def started(self, workers: int) -> None:
        who = f"{workers} worker{'s' if workers != 1 else ''}" if workers else "the Dask workers"
        typer.echo(f"starting {who}: each opens a Jupyter kernel and imports the report code first (~15 s)", err=True)

    def finished(self, r: JobResult) -> None:
        if r.status == "ok":
            self.say(f"rendered {r.job.label}: {', '.join(sorted(r.outputs))} in {r.job.out_dir} ({r.seconds:.1f}s)")
        else:
            where = (
                f"the executed notebook: {r.outputs['ipynb']}" if "ipynb" in r.outputs else "no notebook was written"
            )
            self.say(f"FAILED {r.job.label}: {r.error} ({where})", colour=typer.colors.RED, err=True)

    def skipped(self, s: dict) -> None:
        typer.secho(f"skipped {s['notebook']} M{s['month']} for {s['org']}: {s['reason']}", fg=typer.colors.YELLOW)


_Command = TypeVar("_Command", bound=Callable[..., object])


def _name_formats(command: _Command) -> _Command:
    """Name the output writers' formats where the command's help says ``<formats>``: ``html,pdf,xlsx``."""
    command.__doc__ = (command.__doc__ or "").replace("<formats>", ",".join(writers.names()))
    return command


# The options of `qipp run` (what to render, where, how, and what the pack's front matter says).
_RunOrg = Annotated[
    list[str] | None,
    typer.Option("--org", help="Organisation(s), repeatable or comma-separated, or 'all'.", show_default=False),
]
_RunNotebook = Annotated[
    str, typer.Option(help=f"Notebook name(s), comma-separated ({', '.join(NOTEBOOKS)}), or 'all'.")
]
_RunFormats = Annotated[str, typer.Option(help=f"Comma-separated: {','.join(writers.names())}.")]
_EVERY_FORMAT = ",".join(writers.names())
_RunOut = Annotated[Path, typer.Option("--out", help="Reports folder.")]
_RunNotebooksDir = Annotated[
    Path | None,
    typer.Option(
        help="Folder holding the notebooks (default: ./notebooks in a checkout, else the installed copy).",
        show_default=False,
    ),
]
_RunJobs = Annotated[
    int | None, typer.Option("--jobs", help="Parallel workers (default: CPU count).", show_default=False)
]
_RunMarking = Annotated[str, typer.Option(help="Protective marking for every page, e.g. OFFICIAL-SENSITIVE.")]
_RunMeetingDate = Annotated[
    str, typer.Option(help="Date of the meeting the pack goes to, e.g. 2019-10-17 (on its cover).")
]
_RunDataCutoff = Annotated[
    str, typer.Option(help="Data cut-off date, e.g. 2019-10-04 (default: the store version read).")
]
_RunParam = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        help="NAME=VALUE for every notebook that declares NAME, e.g. threshold=500; repeatable.",
        show_default=False,
    ),
]
_RunChangedOnly = Annotated[
    bool,
    typer.Option(
        "--changed-only",
        help="Re-render only reports whose inputs changed: the values they read (not file bytes), notebook, "
        "parameters, version.",
    ),
]
_RunAsOf = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Render from this store version (a number from `qipp history`) or date (2019-10-04: the last "
        "version committed on or before it): the pack exactly as it was then, into <month>/as-of-v<N>/ beside "
        "the current pack. Default: the latest version.",
        show_default=False,
    ),
]
_RunExecutor = Annotated[str, typer.Option(help="local (process pool) or dask.")]
_RunScheduler = Annotated[str | None, typer.Option(help="Dask scheduler address, tcp://HOST:PORT.", show_default=False)]
_RunIncludeIllustrative = Annotated[
    bool,
    typer.Option(
        "--include-illustrative",
        help="Also render reports whose figures are all synthetic (left out of the circulated pack by "
        "default); each is marked illustrative on every page and chart.",
    ),
]


@app.command()
@_name_formats
def run(
    fin_year: FinYear,
    month: Annotated[str, typer.Option("--month", help="Month(s): 6, 1-6 or 4,6 (M1 = April).")],
    org: _RunOrg = None,
    notebook: _RunNotebook = "all",
    formats: _RunFormats = _EVERY_FORMAT,
    data_dir: DataDir = Path("data"),
    out: _RunOut = Path("reports"),
    notebooks_dir: _RunNotebooksDir = None,
    jobs: _RunJobs = None,
    marking: _RunMarking = "",
    meeting_date: _RunMeetingDate = "",
    data_cutoff: _RunDataCutoff = "",
    param: _RunParam = None,
    changed_only: _RunChangedOnly = False,
    as_of: _RunAsOf = None,
    executor: _RunExecutor = "local",
    scheduler: _RunScheduler = None,
    include_illustrative: _RunIncludeIllustrative = False,
) -> None:
    """Render the QAG pack for the months and organisations asked for.

    Each report goes to reports/<fin-year>/M<mm>/<ORG>/<notebook>.{<formats>}, beside the month's
    index.html (the front page) and manifest.json. The month folder also gets the whole pack as one PDF,
    QIPP_pack_<fin-year>_M<mm>.pdf: cover, summary, contents, every report in reading order, glossary and
    data-quality notes.

    \b
    Example:
      qipp run --fin-year 2019-20 --month 6 --meeting-date 2019-10-17 --marking OFFICIAL-SENSITIVE
      qipp run --fin-year 2019-20 --month 6 --org LLR --notebook under_delivery_drivers --param threshold=500
    """
    from .pack.batch import RunOptions
    from .pack.front import check_date

    names = list(NOTEBOOKS) if notebook.strip() == "all" else [n.strip() for n in notebook.split(",") if n.strip()]
    opts = RunOptions(
        fin_year=_command_line(check_fin_year, fin_year),
        months=_command_line(parse_months, month),
        orgs=_parse_orgs(org, data_dir),
        notebooks=names,
        formats=tuple(f.strip().lower() for f in formats.split(",") if f.strip()),
        data_dir=data_dir,
        out=out,
        notebooks_dir=notebooks_dir,
        jobs=jobs,
        marking=_text_option("--marking", marking) or "",
        changed_only=changed_only,
        executor=executor,
        scheduler=scheduler,
        params=dict(parse_param(p) for p in param or []),
        as_of=as_of,
        meeting_date=check_date(meeting_date, "--meeting-date"),
        data_cutoff=check_date(data_cutoff, "--data-cutoff"),
        include_illustrative=include_illustrative,
    )
    _render_pack(opts)


def _render_pack(opts: RunOptions) -> None:
    """Run the batch, saying what it does as it goes, then what it did; exit 1 if a report failed."""
    from .pack.batch import run_pack

    tell = _RunProgress(tty=sys.stderr.isatty())
    outcome = run_pack(
        opts,
        progress=tell.tty,
        on_skip=tell.skipped,
        on_result=tell.finished,
        on_start=tell.started,
        on_wait=_waiting,
    )
    typer.echo(
        f"store version {outcome.version}: {len(outcome.results) - outcome.failed} rendered, {outcome.kept} "
        f"unchanged, {outcome.skipped_reports} "
        f"skipped, {outcome.failed} failed, wall time {outcome.seconds:.1f}s"
    )
    for pack in outcome.packs:
        typer.echo(f"the pack: {pack} (front page: {pack.parent / 'index.html'})")
    if outcome.failed:
        raise typer.Exit(1)


# The options of `qipp adjust` that say what to add or take back.
_AdjustReason = Annotated[
    str | None,
    typer.Option(
        "--reason", help="Why: shown beside the adjusted figures (or logged, with --remove).", show_default=False
    ),
]
_AdjustSchemeName = Annotated[
    str, typer.Option("--scheme-name", help="Scheme name: for a scheme new to the return (not in it).")
]
_AdjustAmount = Annotated[
    list[str] | None,
    typer.Option(
        "--amount",
        help="MEASURE=£000, e.g. fot=-20 (repeatable); measures: plan_ytd, actual_ytd, annual_plan, fot, "
        "assured. Savings are negative.",
        show_default=False,
    ),
]
_AdjustDuplicate = Annotated[
    bool,
    typer.Option("--duplicate", help="Record it although an adjustment of the same scheme and measure is held."),
]
_AdjustRemove = Annotated[
    str | None,
    typer.Option(
        "--remove",
        help="Take back the manual adjustment with this id (as listed), with --reason.",
        show_default=False,
    ),
]


@app.command()
def adjust(
    fin_year: FinYear,
    month: Annotated[int, typer.Option("--month", help="Financial-year month 1-12.")],
    org: Annotated[str | None, typer.Option("--org", help="The CCG whose return is adjusted.")] = None,
    reason: _AdjustReason = None,
    scheme: Annotated[str, typer.Option("--scheme", help="Scheme number it belongs to (blank: unallocated).")] = "",
    scheme_name: _AdjustSchemeName = "",
    amount: _AdjustAmount = None,
    duplicate: _AdjustDuplicate = False,
    remove: _AdjustRemove = None,
    data_dir: DataDir = Path("data"),
    user: Annotated[str | None, typer.Option("--user", help="Who is entering it (default: the OS user).")] = None,
) -> None:
    """List the adjustments held for a month (with their ids), add a PMO adjustment (--org, --amount, --reason),
    or take one back (--remove ID --reason). Each change is a new version of the store.

    Adjustments reconcile a return that falls short of its printed control totals; the returns are
    never edited. Derived ones come from the dashboards at ingest; a PMO adds one by hand here. An
    adjustment of a scheme and measure already adjusted, of a scheme the return does not hold (without
    --scheme-name) or larger than the organisation's annual plan is refused.

    \b
    Example:
      qipp adjust --fin-year 2019-20 --month 6
      qipp adjust --fin-year 2019-20 --month 6 --org ELR --scheme 8.2 --amount fot=-20 \\
          --reason "Vacancy savings agreed at QAG after the return"
      qipp adjust --fin-year 2019-20 --month 6 --remove ADJ-2019-20-M06-ELR-MANUAL-1 --reason "Entered twice"
    """
    from .core.orgs import use_organisations

    fin_year = _command_line(check_fin_year, fin_year)
    _command_line(check_month, month)
    reason, user = _text_option("--reason", reason), _text_option("--user", user)
    scheme_name = _text_option("--scheme-name", scheme_name) or ""
    use_organisations(data_dir)  # the organisations the data folder declares, as every command
    if remove is not None:
        if amount or org:
            raise UsageError("--remove takes an adjustment's id and a --reason only (no --org or --amount)")
        _remove_adjustment(data_dir, fin_year, month, remove.strip(), reason or "", user)
    elif amount or reason or org:
        if not (amount and reason and org):
            raise UsageError("to add an adjustment give --org, at least one --amount MEASURE=£000 and a --reason")
        _add_adjustment(data_dir, fin_year, month, org, amount, reason, scheme, scheme_name, duplicate, user)
    else:
        _list_adjustments(data_dir, fin_year, month)


def _add_adjustment(
    data_dir: Path,
    fin_year: str,
    month: int,
    org: str,
    amount: list[str],
    reason: str,
    scheme: str,
    scheme_name: str,
    duplicate: bool,
    user: str | None,
) -> None:
    from .analysis.adjustments import manual_adjustment
    from .ingest.pipeline import add_manual_adjustment

    amounts = {}
    for a in amount:
        key, value = parse_param(a)
        try:
            amounts[key] = float(value)
        except ValueError:
            raise UsageError(f"--amount {a!r}: the amount must be a number of £000") from None
    record = _command_line(
        lambda _: manual_adjustment(
            fin_year=fin_year,
            month=month,
            org=org.strip().upper(),
            amounts=amounts,
            reason=reason,
            entered_by=user or getpass.getuser(),
            scheme_no=scheme,
            scheme_name=scheme_name,
        ),
        None,
    )
    version = add_manual_adjustment(data_dir, record, user=user or getpass.getuser(), duplicate=duplicate)
    typer.echo(f"store version {version.number}: adjustment {version.entry.get('adjustment_id', '')} recorded")


def _remove_adjustment(data_dir: Path, fin_year: str, month: int, ident: str, reason: str, user: str | None) -> None:
    from .core.money import fmt_k
    from .ingest.pipeline import remove_adjustment

    recs, version = remove_adjustment(data_dir, fin_year, month, ident, reason=reason, user=user or getpass.getuser())
    amounts = ", ".join(f"{m} {fmt_k(v)}" for m, v in zip(recs["measure"], recs["amount"], strict=True))
    typer.echo(f"store version {version.number}: adjustment {ident} removed ({recs.iloc[0]['org']}: {amounts})")


def _list_adjustments(data_dir: Path, fin_year: str, month: int) -> None:
    from .core.money import fmt_k
    from .store import db

    adj = db.load_adjustments(data_dir)
    adj = adj[(adj["fin_year"] == fin_year) & (adj["month"] == month)]
    if adj.empty:
        typer.echo(f"no adjustments held for {fin_year} M{month}")
        return
    for ident, recs in adj.groupby("adjustment_id", sort=False):
        first = recs.iloc[0]
        amounts = ", ".join(f"{m} {fmt_k(v)}" for m, v in zip(recs["measure"], recs["amount"], strict=True))
        scheme_txt = f"{first['scheme_no']} {first['scheme_name']}".strip() or "unallocated"
        typer.echo(f"{ident}  {first['org']} {scheme_txt} [{first['basis']}]: {amounts}")
        typer.echo(f"    {first['evidence']}")


def _waiting(message: str) -> None:
    typer.secho(message, fg=typer.colors.YELLOW, err=True)


@app.command()
def history(
    data_dir: DataDir = Path("data"),
    last: Annotated[int, typer.Option("--last", help="Show only the last N versions (0: all).")] = 0,
) -> None:
    """List the versions of the processed store: number, when, who, files (sha256), rows, what changed.

    \b
    Example:
      qipp history --data-dir data --last 5
      qipp run --fin-year 2019-20 --month 6 --as-of 6     # the pack as it was at version 6, in M06/as-of-v6/
    """
    from .store import db

    versions = db.store(data_dir, on_wait=_waiting).versions()
    if not versions:
        typer.echo(f"no versions: nothing has been ingested into {db.processed_dir(data_dir)} yet")
        return
    for v in versions[-last:] if last else versions:
        period = v.entry.get("fin_year", "")
        if v.entry.get("month") and v.entry.get("kind") != "rightcare":
            period += f" M{v.entry['month']}"
        typer.echo(f"version {v.number}  {v.time:%Y-%m-%d %H:%M:%S}  {v.user}  {v.kind}  {period}".rstrip())
        for f in v.files:
            typer.echo(f"    file {f.name}  sha256 {f.sha256[:16]}…  {f.bytes:,} bytes")
        rows = ", ".join(f"{t} {n:,}" for t, n in v.rows.items() if n)
        typer.echo(f"    changed: {v.summary()}")
        if rows:
            typer.echo(f"    rows held: {rows}")


@app.command()
def status(
    fin_year: FinYear,
    month: Annotated[int, typer.Option("--month", help="Financial-year month, 1-12 (M1 = April).")],
    data_dir: DataDir = Path("data"),
    due_working_day: Annotated[
        int | None,
        typer.Option(
            "--due-working-day",
            help="Returns are due by the end of this working day after month end (default: DATA_DIR/"
            "RETURNS_DUE.txt, else 5).",
        ),
    ] = None,
) -> None:
    """The returns tracker: per organisation, the returns received (file, when, store version, on time or
    late), expected but missing (overdue once the due day has passed), and re-submitted, with the lines
    carried forward because nobody returned them.

    \b
    Example:
      qipp status --fin-year 2019-20 --month 7
    """
    from datetime import date

    from .core.due import ReturnsDue
    from .report.tracker import month_tracker, tracker_lines
    from .store import db

    fin_year, month = check_fin_year(fin_year), _check_month(month)
    rule = ReturnsDue(due_working_day) if due_working_day is not None else ReturnsDue.for_data_dir(data_dir)
    live = db.store(data_dir, on_wait=_waiting)
    returns, held = live.load("returns"), live.versions()
    tracked = month_tracker(returns, held, fin_year=fin_year, month=month, rule=rule, as_of=date.today())
    for line in tracker_lines(tracked):
        typer.echo(line)


def _check_month(month: int) -> int:
    if not 1 <= month <= 12:
        raise UsageError(f"--month must be 1-12 (M1 = April), got {month}")
    return month


def main() -> None:
    """Entry point of the ``qipp`` command."""
    app()


if __name__ == "__main__":
    main()
