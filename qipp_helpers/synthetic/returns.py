"""SYNTHETIC SRO returns for M7-M9 2019/20, made through the real round trip.

For each month and CCG (ELR, WL, LC) a ``qipp template`` is written from the months held, then
filled as an SRO would fill it: every line's actual YTD moves on by a seeded share of the forecast
still to deliver, the forecast out-turn and the three PMO descriptors are returned as last month's,
the scheme owner is named; then the planted changes (:data:`PLANTS`) are typed in: a RAG move on the
PMO sheet, a closed scheme, a new scheme on a spare row, a plan change with its reason, a planning
stage and a programme area move, a line nobody returned, and forecast movements with the SRO's
commentary. The filled copy is ingested before the next month's template is written from it.

One organisation re-submits (ELR at M9: a second, corrected copy; the later file on the command line
wins, and the ingest lists every line it replaces). One returns late (WL at M8: received five days after
the due day, working day 5); every other return comes in on or before its due day (:data:`RECEIVED`,
written to each month folder's RECEIVED.txt, the PMO's register the ingest records).

Every figure is synthetic and says so: the month folders carry a PROVENANCE.txt that the ingest
stamps on every returned line. The only changes between months are the planted ones, so the
"changes since last month" each month lists exactly :data:`PLANTS` of that month.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from openpyxl import load_workbook

from ..core.vocab import WORKSTREAM_AREAS
from ..ingest.sro_return import (
    COLUMNS,
    DESCRIPTORS,
    HEADER_ROW,
    PMO_SHEET,
    REF_COLUMNS,
    REF_SHEET,
    RETURN_SHEET,
    SPARE_ROWS,
)

SEED = 20191121
FIN_YEAR = "2019-20"
MONTHS = (7, 8, 9)
CCGS = ("ELR", "WL", "LC")
PROVENANCE = (
    f"synthetic: demonstration SRO return made by scripts/make_demo_returns.py (qipp_helpers.synthetic.returns, "
    f"seed {SEED}): a qipp template filled as an SRO would, with planted changes; not a real return"
)
RESUBMITTED = (9, "ELR")
LATE = (8, "WL")
#: When the PMO received each synthetic return (month -> file -> date-time): due working day 5 after month
#: end (M7 Thu 7 Nov 2019, M8 Fri 6 Dec 2019, M9 Wed 8 Jan 2020). WL's M8 return is five days late; ELR's
#: M9 re-submission comes in on the due day itself (on time).
RECEIVED: dict[int, dict[str, str]] = {
    7: {
        "ELR_return.xlsx": "2019-11-05 10:12",
        "WL_return.xlsx": "2019-11-06 16:40",
        "LC_return.xlsx": "2019-11-07 09:05",
    },
    8: {
        "ELR_return.xlsx": "2019-12-04 11:20",
        "WL_return.xlsx": "2019-12-11 11:30",
        "LC_return.xlsx": "2019-12-05 14:02",
    },
    9: {
        "ELR_return.xlsx": "2020-01-06 09:48",
        "ELR_return_resubmitted.xlsx": "2020-01-08 15:20",
        "WL_return.xlsx": "2020-01-07 12:15",
        "LC_return.xlsx": "2020-01-07 16:55",
    },
}


def received_note(month: int) -> str:
    """A month folder's RECEIVED.txt: when the PMO received each synthetic return (``qipp ingest-raw`` reads it)."""
    head = "# SYNTHETIC: when the PMO received each demonstration return (file, date-time); not a real register\n"
    return head + "".join(f"{name}, {when}\n" for name, when in RECEIVED[month].items())


@dataclass(frozen=True)
class Plant:
    """One planted change: month, organisation, scheme (line 1 unless said), the change, and what is typed."""

    month: int
    org: str
    scheme_no: str
    change: str
    to: object = None
    text: str = ""
    line: int = 1


PLANTS: tuple[Plant, ...] = (
    # M7: every kind of change once
    Plant(7, "ELR", "1.1", "RAG", "Amber", "Same day emergency care unit open seven days from October"),
    Plant(7, "ELR", "7.3", "Closed", text="Complex care packages moved into the joint-funding panel; scheme closed"),
    Plant(7, "ELR", "9.4", "New scheme", ("Wheelchair Service Review", "Community Health", -80.0, "Pipeline")),
    Plant(7, "WL", "2.2", "Plan change", -100.0, "Referral support contract extended to March 2020"),
    Plant(7, "LC", "1.1", "Stage move", "Developed", "SDEC business case approved at the September board"),
    Plant(7, "LC", "2.7", "Area move", "Community Health services"),
    Plant(7, "WL", "2.6", "No return"),
    Plant(7, "ELR", "2.2", "FOT movement", 64.0, "Referral volumes above plan in September"),
    Plant(7, "LC", "3.2", "FOT movement", -112.0, "Biosimilar switch ahead of plan"),
    # M8: a second round of changes
    Plant(8, "WL", "1.3", "RAG", "Red", "Long term conditions clinics paused: two nurse vacancies"),
    Plant(8, "LC", "3.4", "Closed", text="Post not recruited; the saving is withdrawn"),
    Plant(8, "WL", "9.5", "New scheme", ("Continence Products Review", "Community Health", -45.0, "Design")),
    Plant(8, "ELR", "8.2", "Plan change", -50.0, "Vacancy savings agreed at QAG"),
    Plant(8, "ELR", "6.6", "Stage move", "Developed", "Short-term cost reduction plan signed off with LPT"),
    Plant(8, "LC", "1.4", "No return"),
    Plant(8, "WL", "3.1", "FOT movement", -90.0, "Practice prescribing incentive uptake higher than forecast"),
    # M9: ELR re-submits (the second copy corrects 3.1's forecast)
    Plant(9, "LC", "2.6", "RAG", "Red", "Follow-up reduction stalled: clinic templates not changed"),
    Plant(9, "ELR", "3.1", "FOT movement", 112.0, "Corrected: September rebates were counted twice"),
    Plant(9, "WL", "6.6", "Area move", "Community Health services"),
    Plant(9, "LC", "9.6", "New scheme", ("Pathology Courier Contract", "Contracting", -30.0, "Developed")),
)
#: The FOT the first (superseded) ELR M9 copy returned for 3.1: replaced by the re-submission.
FIRST_COPY_FOT_DELTA = 60.0


def owner(workstream: str, org: str) -> str:
    """A synthetic scheme owner: the workstream's lead in the CCG (a role, never a person's name)."""
    return f"{workstream} lead, {org}"


def fill_return(
    path: Path, month: int, org: str, rng: np.random.Generator, *, fot_override: dict | None = None
) -> Path:
    """Fill a written template as an SRO would, with this month's planted changes; saved in place."""
    wb = load_workbook(path)
    ws, pmo = wb[RETURN_SHEET], wb[PMO_SHEET]
    col = {k: i for i, k in enumerate(COLUMNS, start=1)}
    ref = {(str(r[0]), int(r[1])): dict(zip(REF_COLUMNS, r, strict=False)) for r in _ref_rows(wb)}
    plants = {(p.scheme_no, p.line): p for p in PLANTS if p.month == month and p.org == org}
    rows = {}
    for r in range(HEADER_ROW + 1, ws.max_row + 1):
        no, line = ws.cell(r, col["scheme_no"]).value, ws.cell(r, col["line"]).value
        if no is None or (str(no), int(line)) not in ref:
            continue
        rows[(str(no), int(line))] = r
        last = ref[(str(no), int(line))]
        plant = plants.get((str(no), int(line)))
        if plant is not None and plant.change == "No return":
            continue
        fot = float(last["fot"])
        delivered = float(last["actual_ytd"]) + (fot - float(last["actual_ytd"])) / (13 - month) * rng.uniform(0.7, 1.1)
        ws.cell(r, col["actual_ytd"], round(delivered))
        ws.cell(r, col["fot"], fot)
        for key, allowed in DESCRIPTORS.items():
            ws.cell(r, col[key], _descriptor(last[key], allowed))
        if not ws.cell(r, col["scheme_owner"]).value:
            ws.cell(r, col["scheme_owner"], owner(str(last["workstream"]), org))
    for (no, line), plant in plants.items():
        _plant(plant, ws, pmo, col, rows.get((no, line)), ref.get((no, line)), org)
    for (no, line), delta in (fot_override or {}).items():
        ws.cell(rows[(no, line)], col["fot"], float(ref[(no, line)]["fot"]) + delta)
    wb.save(path)
    return path


def _descriptor(last: object, allowed: tuple[str, ...]) -> str | None:
    """Last month's PMO descriptor as the SRO picks it from the list: the same one, or (where the published
    dashboard printed another list's wording, e.g. a milestone descriptor under Risk/Issue) the one at the
    same level; None if last month had none."""
    if last in allowed:
        return str(last)
    for other in DESCRIPTORS.values():
        if last in other:
            return allowed[other.index(last)]
    return None


def _ref_rows(wb) -> list[tuple]:
    return [r for r in wb[REF_SHEET].iter_rows(min_row=2, values_only=True) if r and r[0] is not None and r[1]]


def _plant(plant: Plant, ws, pmo, col: dict, r: int | None, last: dict | None, org: str) -> None:
    """Type one planted change into the Return (or PMO) sheet, as the SRO (or the PMO) would."""
    if plant.change == "New scheme":
        assert isinstance(plant.to, tuple), plant
        name, workstream, plan, stage = plant.to
        r = _spare_row(ws, col)
        values = {
            "scheme_no": plant.scheme_no,
            "scheme_name": name,
            "workstream": workstream,
            "annual_plan": plan,
            "plan_ytd": round(plan * 0.2),
            "actual_ytd": round(plan * 0.1),
            "fot": plan * 0.75,
            "programme_area": WORKSTREAM_AREAS[workstream],
            "planning_stage": stage,
            "scheme_owner": owner(workstream, org),
            "commentary": "New scheme agreed at QAG this month",
        }
        for key, value in values.items():
            ws.cell(r, col[key], value)
        pmo.cell(r, 4, plan * 0.5)
        pmo.cell(r, 5, "Amber")
        return
    if plant.change == "No return":
        return  # the line was left blank above
    assert r is not None and last is not None, plant
    edits: dict[str, Callable[[], object]] = {
        "RAG": lambda: pmo.cell(r, 5, plant.to),
        "Closed": lambda: ws.cell(r, col["status"], "Closed"),
        "Plan change": lambda: (
            ws.cell(r, col["new_annual_plan"], float(last["annual_plan"]) + float(plant.to)),  # type: ignore[arg-type]
            ws.cell(r, col["plan_change_reason"], plant.text),
        ),
        "Stage move": lambda: ws.cell(r, col["planning_stage"], plant.to),
        "Area move": lambda: ws.cell(r, col["programme_area"], plant.to),
        "FOT movement": lambda: ws.cell(r, col["fot"], float(last["fot"]) + float(plant.to)),  # type: ignore[arg-type]
    }
    edits[plant.change]()
    if plant.text and plant.change != "Plan change":
        ws.cell(r, col["commentary"], plant.text)


def _spare_row(ws, col: dict) -> int:
    """The first empty spare row under the template's lines."""
    for r in range(ws.max_row - SPARE_ROWS + 1, ws.max_row + 1):
        if ws.cell(r, col["scheme_no"]).value is None:
            return r
    raise ValueError("no spare row left")
