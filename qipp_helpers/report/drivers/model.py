"""The under-delivery drivers report (Paper D Tables 3 and 4): its object."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ...analysis import adjustments as adj
from ...analysis import drivers as d
from ...analysis import position as t
from .. import commentary as notes
from .. import narrative as sentences
from ..base import TABLE_MEASURES, ReportPeriod, returns_report


@dataclass
class UnderDelivery(ReportPeriod):
    """Everything the under-delivery drivers notebook shows (Paper D Tables 3 and 4)."""

    fin_year: str
    month: int
    org: str
    threshold: float
    movement_threshold: float
    rows: pd.DataFrame
    previous: pd.DataFrame | None
    headline: t.Headline
    drivers: pd.DataFrame
    movement: pd.DataFrame
    warnings: pd.DataFrame
    provenance: list[str] = field(default_factory=list)
    previous_provenance: list[str] = field(default_factory=list)
    as_received: bool = False
    adjustments: pd.DataFrame = field(default_factory=adj.empty_adjustments)
    received: t.Headline | None = None
    commentary: pd.DataFrame = field(default_factory=notes.empty)
    threshold_basis: str = ""  # how the driver threshold was set, when it was scaled from the system's

    @property
    def title(self) -> str:
        return f"QIPP Under-delivery Drivers — {self.org}"

    def adjustment_note(self, table: str, *, section: int | None = 4) -> str:
        """The footnote naming the adjustments a table (a key of TABLE_MEASURES) includes; '' if none."""
        return sentences.adjustment_footnote(self.adjustments, TABLE_MEASURES[table], section=section)

    def driver_commentary(self) -> pd.DataFrame:
        """Table 4's named lines, each with the commentary held on its scheme group (see :mod:`.commentary`)."""
        return notes.beside(self.drivers, self.commentary, notes.DRIVER_KINDS, value=self.org)

    def movement_commentary(self) -> pd.DataFrame:
        """Table 3's named lines, each with the commentary held on its scheme group."""
        if self.movement.empty:
            return notes.beside(self.movement, self.commentary, notes.MOVEMENT_KINDS)
        return notes.beside(self.movement, self.commentary, notes.MOVEMENT_KINDS, value=self.org)

    def missing_commentary(self) -> pd.DataFrame:
        """Drivers and offsets past the threshold that no commentary explains (item, section, group, value)."""
        return notes.uncommented(self.driver_commentary(), sections=("driver", "offset"))

    def missing_movement_commentary(self) -> pd.DataFrame:
        """Movements past the threshold that no commentary explains."""
        return notes.uncommented(self.movement_commentary(), sections=("favourable", "adverse"))

    @property
    def orgs(self) -> list[str]:
        return d.shown_orgs(self.org)

    def drivers_narrative(self) -> str:
        return sentences.drivers(self.drivers, self.org)

    def movement_narrative(self) -> str:
        return sentences.movement(self.movement, self.org)

    def drivers_waterfall(self) -> pd.DataFrame:
        """Annual plan → drivers, offsets, Other → FOT (savings £000)."""
        return d.waterfall_steps(self.drivers, self.org, self.headline.annual_plan, self.headline.fot)

    def movement_waterfall(self) -> pd.DataFrame:
        """Last month's FOT → each named movement and Other → this month's FOT (savings £000)."""
        if self.movement.empty or self.previous is None:
            return pd.DataFrame(columns=["label", "value", "kind"])
        body = self.movement[self.movement["section"] != "total"]
        steps = [{"label": "FOT last month", "value": -float(self.previous["fot"].sum()), "kind": "total"}]
        steps += [
            {"label": r["item"], "value": -r[self.org], "kind": "step"}
            for _, r in body.iterrows()
            if abs(r[self.org]) >= 0.5
        ]
        steps.append({"label": "FOT this month", "value": -self.headline.fot, "kind": "total"})
        return pd.DataFrame(steps)


def under_delivery(
    returns: pd.DataFrame,
    warnings: pd.DataFrame,
    *,
    fin_year: str,
    month: int,
    org: str,
    threshold: float = d.DRIVER_THRESHOLD,
    movement_threshold: float = d.MOVEMENT_THRESHOLD,
    adjustments: pd.DataFrame | None = None,
    commentary: pd.DataFrame | None = None,
    as_received: bool = False,
    scale_threshold: bool = False,
) -> UnderDelivery:
    """Compute the drivers of under-delivery and the FOT movement for ``org`` and month.

    ``adjustments``, ``commentary`` and ``as_received`` as for :func:`monthly_position`: the tables
    include the control-total adjustments unless ``as_received``; commentary sits beside their lines.
    ``scale_threshold``: ``threshold`` is the system's (Paper D: £300k at LLR level) and a CCG's driver
    threshold scales with its share of the system's annual plan (:func:`drivers.scaled_threshold`).
    """
    adjusted, period = returns_report(
        returns, warnings, adjustments, commentary, fin_year=fin_year, month=month, org=org, as_received=as_received
    )
    given, system_plan = float(threshold), 0.0
    system = d.system_of(org) if scale_threshold else None
    if system is not None:
        system_plan = float(t.select(adjusted, fin_year, month, system)["annual_plan"].sum())
        threshold = d.scaled_threshold(period["headline"].annual_plan, system_plan, given)
    return UnderDelivery(
        **period,
        threshold_basis=sentences.threshold_basis(
            org, system, float(threshold), given, period["headline"].annual_plan, system_plan
        ),
        threshold=float(threshold),
        movement_threshold=float(movement_threshold),
        drivers=d.drivers_table(period["rows"], org, threshold),
        movement=d.movement_table(period["rows"], period["previous"], org, movement_threshold),
    )
