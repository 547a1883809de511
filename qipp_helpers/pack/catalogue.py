"""The notebooks of the month-end pack: one entry each, with its parameters, data needs and organisations.

A notebook is a function with a signature: its ``parameters`` cell declares typed, commented
parameters, read with :func:`papermill.inspect_notebook`; :func:`check_parameters` checks a run's
parameters against them before anything executes. Adding a notebook to the pack = the notebook
and one :class:`Entry` here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from ..analysis.position import missing_members
from ..core.errors import UsageError
from ..core.orgs import Registry, organisations
from ..reference import RIGHTCARE_PUBLISHED


@dataclass(frozen=True)
class Held:
    """What the store holds, as far as deciding which reports can be rendered needs to know."""

    returns: pd.DataFrame  # fin_year, month, org (one row per org-month is enough)
    frp: pd.DataFrame  # fin_year, month, system
    rightcare: pd.DataFrame  # fin_year, ccg (and provenance: which CCGs' indicators are synthetic)


def _qipp_missing(held: Held, fin_year: str, month: int, org: str) -> str | None:
    if org not in organisations().codes:
        return "no QIPP returns are held for it (a RightCare or FRP organisation)"
    lacking = missing_members(held.returns, fin_year, month, org)
    return f"no {fin_year} M{month} returns for {', '.join(lacking)}" if lacking else None


def _frp_missing(held: Held, fin_year: str, month: int, org: str) -> str | None:
    systems = organisations().systems
    if org not in systems:
        return f"the FRP is held for the system ({', '.join(systems)}), not for a single organisation"
    f = held.frp
    if not ((f["fin_year"] == fin_year) & (f["month"] == month) & (f["system"] == org)).any():
        return f"no FRP held for {org} in {fin_year} M{month}"
    return None


def _rightcare_missing(held: Held, fin_year: str, month: int, org: str) -> str | None:
    if org not in organisations().rightcare:
        return "no RightCare indicators are held for it"
    have = set(held.rightcare.loc[held.rightcare["fin_year"] == fin_year, "ccg"])
    lacking = [c for c in organisations().rightcare_members(org) if c not in have]
    return f"no {fin_year} RightCare indicators held for {', '.join(lacking)}" if lacking else None


def _rightcare_illustrative(held: Held, fin_year: str, month: int, org: str) -> bool:
    """True when every RightCare figure of ``org`` is synthetic and no published table stands beside it."""
    if org in RIGHTCARE_PUBLISHED or "provenance" not in held.rightcare.columns:
        return False
    rc = held.rightcare
    mine = rc[(rc["fin_year"] == fin_year) & rc["ccg"].isin(organisations().rightcare_members(org))]
    return bool(len(mine)) and mine["provenance"].astype(str).str.startswith("synthetic").all()


def _never(held: Held, fin_year: str, month: int, org: str) -> bool:
    return False


#: Why an illustrative report is not rendered by default (``qipp run --include-illustrative`` renders it).
ILLUSTRATIVE_REASON = (
    "illustrative: every figure is synthetic, so it is left out of the circulated pack "
    "(--include-illustrative renders it, marked on every page)"
)


@dataclass(frozen=True)
class Entry:
    """One notebook of the pack."""

    name: str
    title: str  # how a reader names it: "Monthly position"
    source: str  # the paper tables it reproduces
    reads: tuple[str, ...]  # store tables it reads (for --changed-only)
    orgs: Callable[[Registry], list[str]]  # the organisations ``--org all`` means
    missing: Callable[[Held, str, int, str], str | None]  # why it cannot be rendered, or None
    illustrative: Callable[[Held, str, int, str], bool] = _never  # wholly synthetic: not in the pack by default

    def why_not(self, held: Held, fin_year: str, month: int, org: str) -> str | None:
        return self.missing(held, fin_year, month, org)


#: The pack, in reading order.
CATALOGUE: dict[str, Entry] = {
    e.name: e
    for e in (
        Entry(
            "monthly_position",
            "Monthly position",
            "Paper D executive summary, Tables 1, 2 and 5, Appendix 1",
            ("returns", "reconciliation", "adjustments", "commentary"),
            lambda r: list(r.codes),
            _qipp_missing,
        ),
        Entry(
            "under_delivery_drivers",
            "Drivers of under-delivery and forecast movement",
            "Paper D Tables 3 and 4",
            ("returns", "reconciliation", "adjustments", "commentary"),
            lambda r: list(r.codes),
            _qipp_missing,
        ),
        Entry(
            "frp_bridge",
            "System financial recovery plan",
            "Paper D Table 6, Paper E Appendix 1",
            ("frp_lines", "frp_position", "frp_checks"),
            lambda r: list(r.systems),
            _frp_missing,
        ),
        Entry(
            "rightcare_opportunity",
            "RightCare opportunity and QIPP plan coverage",
            "Derbyshire Tables 3 and 4",
            ("rightcare_indicators", "rightcare_peers", "returns"),
            lambda r: list(r.rightcare_groups),
            _rightcare_missing,
            _rightcare_illustrative,
        ),
    )
}
#: Notebook name -> what it shows (kept for the command line's help).
NOTEBOOKS: dict[str, str] = {n: f"{e.title} ({e.source})" for n, e in CATALOGUE.items()}
#: Parameters every pack notebook must declare; the batch sets them.
STANDARD_PARAMETERS = ("fin_year", "month", "org", "data_dir")


def notebooks_dir(given: Path | None = None) -> Path:
    """Where the pack's notebooks are: ``given``, else ./notebooks when it holds them (a checkout), else the copy
    installed with the package (``pip install qipp-workbooks``)."""
    if given is not None:
        return Path(given)
    package = Path(__file__).resolve().parents[1]  # qipp_helpers/
    for where in (Path("notebooks"), package / "notebooks", package.parent / "notebooks"):
        if all((where / f"{name}.ipynb").is_file() for name in CATALOGUE):
            return where
    raise UsageError("the pack's notebooks were not found: give the folder holding them with --notebooks-dir")


def known_orgs() -> tuple[str, ...]:
    """Every organisation some notebook can be rendered for (``qipp run --org``)."""
    return organisations().all_codes


def default_orgs(notebook: str) -> list[str]:
    """The organisations ``--org all`` means for a notebook."""
    return CATALOGUE[notebook].orgs(organisations())


def not_in_default(notebook: str, org: str) -> str:
    """Why ``--org all`` leaves out an organisation a notebook could be rendered for."""
    if notebook == "rightcare_opportunity" and org in organisations().ccgs:
        groups = [g for g, m in organisations().rightcare_groups.items() if org in m]
        where = f"{' and '.join(groups)}'s report shows it" if groups else "it is not part of the default pack"
        return f"not in the default pack: {where} (render it alone with --org)"
    return "not in the default pack (render it with --org)"


def missing_data(notebook: str, held: Held, *, fin_year: str, month: int, org: str) -> str | None:
    """Why ``notebook`` cannot be rendered for ``org`` and month, or None if its data is held."""
    return CATALOGUE[notebook].why_not(held, fin_year, month, org)


#: Code a worker's kernel runs once before its first report: the imports every notebook makes.
WARM_UP = (
    "import matplotlib\nimport matplotlib.pyplot\nimport pandas\nimport IPython.display\n"
    "from qipp_helpers.report import blocks, chartkit, publish\nfrom qipp_helpers import store\n"
    + "".join(
        f"import qipp_helpers.report.{report}.{part}\n"
        for report in ("position", "drivers", "frp", "rightcare")
        for part in ("tables", "workbook")
    )
    + "".join(f"import qipp_helpers.report.{report}.charts\n" for report in ("position", "frp", "rightcare"))
    # chartkit registers its display on import; a process that imported it before its shell existed (a forked
    # in-process worker) registers it now
    + "chartkit.register_display()\n"
    # charts lay themselves out (tight_layout / fixed margins): a second, 'tight' layout pass per PNG is
    # wasted work in a batch
    "get_ipython().run_line_magic('config', \"InlineBackend.print_figure_kwargs = {'bbox_inches': None}\")\n"
)

# --- a notebook's signature ------------------------------------------------------------------------

_TYPES: dict[str, Callable[[str], object]] = {"int": int, "float": float, "str": str}


def _bool(text: str) -> bool:
    t = text.strip().lower()
    if t in ("true", "yes", "1"):
        return True
    if t in ("false", "no", "0"):
        return False
    raise ValueError(f"{text!r} is not true or false")


_TYPES["bool"] = _bool


@cache
def _signature(path: str, mtime_ns: int) -> dict[str, dict]:
    import papermill

    return dict(papermill.inspect_notebook(path))


def signature(notebook: Path) -> dict[str, dict]:
    """The parameters a notebook declares: name -> {inferred_type_name, default, help} (papermill's reading)."""
    p = Path(notebook)
    return _signature(str(p.resolve()), p.stat().st_mtime_ns)


def parse_param(text: str) -> tuple[str, str]:
    """'threshold=500' -> ('threshold', '500'); UsageError if it is not NAME=VALUE."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name.isidentifier():
        raise UsageError(f"--param {text!r}: expected NAME=VALUE, e.g. --param threshold=500")
    return name, value.strip()


def check_parameters(notebook: Path, given: Mapping[str, object]) -> dict[str, object]:
    """``given`` checked against the notebook's declared parameters and converted to their declared types.

    Raises UsageError naming the notebook and the parameter when a parameter is not declared or a value
    cannot be read as the declared type. Text values (from ``--param``) are converted; others pass as given.
    """
    sig = signature(notebook)
    name = Path(notebook).stem
    out: dict[str, object] = {}
    for key, value in given.items():
        if key not in sig:
            raise UsageError(f"notebook {name} has no parameter {key!r} (its parameters: {', '.join(sig) or 'none'})")
        kind = sig[key].get("inferred_type_name", "None")
        convert = _TYPES.get(kind.removesuffix(" | None").removeprefix("Optional[").rstrip("]"))
        if isinstance(value, str) and convert is not None and convert is not str:
            try:
                value = convert(value)
            except ValueError:
                raise UsageError(
                    f"notebook {name}, parameter {key!r}: {value!r} is not a {kind} (default {sig[key].get('default')})"
                ) from None
        out[key] = value
    return out


def check_notebook(notebook: Path) -> None:
    """UsageError unless the notebook declares the parameters the batch sets."""
    sig = signature(notebook)
    lacking = [p for p in STANDARD_PARAMETERS if p not in sig]
    if lacking:
        raise UsageError(f"notebook {Path(notebook).stem} does not declare {', '.join(lacking)} in its parameters cell")
