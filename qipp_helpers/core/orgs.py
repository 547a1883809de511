"""The organisations a deployment reports on: ONE registry for QIPP returns, FRP systems and RightCare.

The built-in registry (``reference/organisations.csv``) holds the LLR CCGs and system and the
Derbyshire CCGs of the RightCare worked example. A data folder may declare its own in
``organisations.csv`` (columns ``code, name, members`` and optionally ``frp_members, roles, note``);
the registry then travels with the data. Roles: ``qipp`` (QIPP returns: a CCG's are stored, a
group's are computed from its members), ``frp`` (a system whose financial recovery plan is held;
``frp_members`` are its organisations), ``rightcare`` (RightCare indicators are held; a group is
its members), ``provider`` (named in FRP figures only).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

ORGANISATIONS_FILE = "organisations.csv"
ROLES = ("qipp", "frp", "rightcare", "provider")
_CODE_RE = re.compile(r"^[A-Z][A-Z0-9_]{0,15}$")


@dataclass(frozen=True)
class Organisation:
    """One organisation: code, name, members (a group's) and what is held for it."""

    code: str
    name: str
    members: tuple[str, ...] = ()
    frp_members: tuple[str, ...] = ()
    roles: frozenset[str] = frozenset({"qipp"})
    note: str = ""
    system_name: str = ""  # what an FRP system's reports call it, where that differs from ``name``


@dataclass(frozen=True)
class Registry:
    """Every organisation known to a deployment, by code, in the file's order."""

    orgs: dict[str, Organisation]
    source: str = "built-in LLR and Derbyshire organisations"

    def _role(self, role: str) -> tuple[str, ...]:
        return tuple(c for c, o in self.orgs.items() if role in o.roles)

    # --- QIPP returns -------------------------------------------------------------------------
    @property
    def ccgs(self) -> tuple[str, ...]:
        """Organisations whose QIPP returns are stored (no members)."""
        return tuple(c for c in self._role("qipp") if not self.orgs[c].members)

    @property
    def groups(self) -> dict[str, tuple[str, ...]]:
        """QIPP groups (e.g. LLR) and the CCGs they are computed from."""
        return {c: self.orgs[c].members for c in self._role("qipp") if self.orgs[c].members}

    @property
    def codes(self) -> tuple[str, ...]:
        """Every organisation a QIPP report can be made for: CCGs, then groups."""
        return self.ccgs + tuple(self.groups)

    def members(self, org: str) -> tuple[str, ...]:
        """The stored organisations that make up ``org`` (a CCG is itself; LLR is ELR + WL + LC)."""
        if org in self.groups:
            return self.groups[org]
        if org in self.ccgs:
            return (org,)
        raise ValueError(f"unknown organisation {org!r}; expected one of {', '.join(self.codes)}")

    # --- FRP systems and RightCare -----------------------------------------------------------
    @property
    def systems(self) -> dict[str, tuple[str, ...]]:
        """FRP systems and the organisations their recovery plan covers."""
        return {c: self.orgs[c].frp_members for c in self._role("frp")}

    @property
    def rightcare(self) -> tuple[str, ...]:
        """Organisations a RightCare report can be made for: CCGs, then groups."""
        codes = self._role("rightcare")
        return tuple(c for c in codes if not self.orgs[c].members) + tuple(c for c in codes if self.orgs[c].members)

    @property
    def rightcare_groups(self) -> dict[str, tuple[str, ...]]:
        """RightCare groups (a CCG merger or a system) and their member CCGs."""
        return {c: self.orgs[c].members for c in self._role("rightcare") if self.orgs[c].members}

    def rightcare_members(self, org: str) -> tuple[str, ...]:
        """The CCGs whose RightCare opportunities make up ``org`` (a group's members, or the CCG itself)."""
        o = self.orgs.get(org)
        return o.members if o is not None and o.members else (org,)

    # --- names ---------------------------------------------------------------------------------
    @property
    def names(self) -> dict[str, str]:
        return {c: o.name for c, o in self.orgs.items()}

    def name(self, code: str) -> str:
        """The organisation's name for headings ('ELR' -> 'East Leicestershire & Rutland CCG')."""
        o = self.orgs.get(code)
        return o.name if o is not None else code

    def system_name(self, code: str) -> str:
        """What an FRP system's reports call it ('LLR' -> 'Leicester, Leicestershire & Rutland system'): the file's
        ``system_name``, else the organisation's name."""
        o = self.orgs.get(code)
        return (o.system_name or o.name) if o is not None else code

    def label(self, code: str) -> str:
        """The name, followed by its members' names for a group that is not a QIPP group (DDCCG)."""
        o = self.orgs.get(code)
        if o is None:
            return code
        if o.members and "qipp" not in o.roles:
            parts = [self.name(m).removeprefix("NHS ").removesuffix(" CCG") for m in o.members]
            return f"{o.name} ({', '.join(parts[:-1])} and {parts[-1]} CCGs)" if len(parts) > 1 else o.name
        return o.name

    def note(self, code: str) -> str:
        o = self.orgs.get(code)
        return o.note if o is not None else ""

    @property
    def all_codes(self) -> tuple[str, ...]:
        """Every code some report can be made for (QIPP, FRP systems, RightCare)."""
        return tuple(dict.fromkeys((*self.codes, *self.systems, *self.rightcare)))


def _split(text: str | None) -> tuple[str, ...]:
    return tuple((text or "").upper().split())


#: The longest organisation name and note a registry may give: a name heads reports and table columns.
TEXT_LIMITS = {"name": 100, "system_name": 100, "note": 400}


def _check_text(file: str, n: int, row: dict[str, str]) -> None:
    """ValueError naming the row and column of a name or note too long for the page or holding control characters."""
    for column, limit in TEXT_LIMITS.items():
        text = (row.get(column) or "").strip()
        if re.search(r"[\x00-\x1f\x7f-\x9f]", text):
            raise ValueError(f"{file}, row {n}, column {column!r}: holds a control character; write plain text")
        if len(text) > limit:
            raise ValueError(
                f"{file}, row {n}, column {column!r}: {len(text):,} characters, more than the {limit} allowed"
            )


def parse_organisations(rows: Iterable[dict[str, str]], *, source: str) -> Registry:
    """Build a registry from ``organisations.csv`` rows; ValueError naming the file, row and column."""
    name = Path(source).name
    orgs: dict[str, Organisation] = {}
    for n, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip().upper()
        if not _CODE_RE.match(code):
            raise ValueError(
                f"{name}, row {n}, column 'code': {code!r} is not an organisation code "
                "(capital letters and digits, up to 16)"
            )
        if code in orgs:
            raise ValueError(f"{name}, row {n}, column 'code': {code} is listed twice")
        roles = frozenset((row.get("roles") or "qipp").lower().split())
        unknown = sorted(roles - set(ROLES))
        if unknown:
            raise ValueError(f"{name}, row {n}, column 'roles': {', '.join(unknown)} (expected {', '.join(ROLES)})")
        _check_text(name, n, row)
        orgs[code] = Organisation(
            code=code,
            name=(row.get("name") or "").strip() or code,
            members=_split(row.get("members")),
            frp_members=_split(row.get("frp_members")),
            roles=roles,
            note=(row.get("note") or "").strip(),
            system_name=(row.get("system_name") or "").strip(),
        )
    for o in orgs.values():
        unknown = [m for m in (*o.members, *o.frp_members) if m not in orgs]
        if unknown:
            raise ValueError(f"{name}: {o.code} lists {', '.join(unknown)}, which are not in the file")
        if "qipp" in o.roles:
            not_ccgs = [m for m in o.members if orgs[m].members or "qipp" not in orgs[m].roles]
            if not_ccgs:
                raise ValueError(f"{name}: group {o.code} lists {', '.join(not_ccgs)}, which are not CCGs in the file")
    reg = Registry(orgs, source=source)
    if not reg.ccgs and not reg.rightcare:
        raise ValueError(f"{name}: no organisations")
    return reg


def read_organisations(path: Path | str) -> Registry:
    """Read a data folder's ``organisations.csv``. Raises ValueError naming the row and column."""
    path = Path(path)
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return parse_organisations(list(csv.DictReader(fh)), source=str(path))
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path.name}: not UTF-8 text ({exc.reason})") from None


def builtin() -> Registry:
    """The registry shipped with the package (LLR CCGs and system, Derbyshire's RightCare CCGs)."""
    with resources.files("qipp_helpers.reference").joinpath(ORGANISATIONS_FILE).open(encoding="utf-8") as fh:
        return parse_organisations(list(csv.DictReader(fh)), source="built-in LLR and Derbyshire organisations")


_BUILTIN: Registry | None = None
_active: Registry | None = None


def registry_for(data_dir: Path | str | None) -> Registry:
    """The registry a data folder declares in ``organisations.csv``, else the built-in one."""
    global _BUILTIN
    path = Path(data_dir) / ORGANISATIONS_FILE if data_dir is not None else None
    if path is not None and path.is_file():
        return read_organisations(path)
    if _BUILTIN is None:
        _BUILTIN = builtin()
    return _BUILTIN


def organisations() -> Registry:
    """The registry in use (set by :func:`use_organisations`; the built-in one until then)."""
    global _active
    if _active is None:
        _active = registry_for(None)
    return _active


def use_organisations(data_dir: Path | str | None) -> Registry:
    """Use the organisations a data folder declares (the built-in ones if it declares none).

    Called by every store read, so a kernel or worker that reads a folder's data knows that
    folder's organisations; nothing is written to the environment.
    """
    global _active
    _active = registry_for(data_dir)
    return _active


@contextmanager
def using_organisations(data_dir: Path | str | None) -> Iterator[Registry]:
    """Use a data folder's organisations inside a ``with`` block, then restore the previous ones."""
    global _active
    before = _active
    try:
        yield use_organisations(data_dir)
    finally:
        _active = before


def org_name(code: str) -> str:
    """The organisation's name for headings ('ELR' -> 'East Leicestershire & Rutland CCG')."""
    return organisations().name(code)


def members(org: str) -> tuple[str, ...]:
    """The stored organisations that make up ``org`` (a CCG is itself; LLR is ELR + WL + LC)."""
    return organisations().members(org)
