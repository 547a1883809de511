"""The FRP bridge report (Paper E Table 6, organisation impact, schemes): its object."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ...analysis import frp
from ...core.orgs import organisations
from ...reference import (
    FRP_FORECAST_MONTHS,
)
from .. import narrative as sentences
from ..base import ReportPeriod


@dataclass
class FrpBridge(ReportPeriod):
    """Everything the FRP bridge notebook shows (Paper D Table 6, Paper E Appendix 1)."""

    fin_year: str
    month: int
    org: str
    as_at: str
    lines: pd.DataFrame
    position: pd.DataFrame
    checks: pd.DataFrame
    bridge: pd.DataFrame
    schemes: pd.DataFrame
    provenance: list[str] = field(default_factory=list)
    previous_provenance: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"System Financial Recovery Plan — {self.org}"

    @property
    def forecast_month(self) -> int | None:
        """The month of the FRP forecast the return reports, when its paper says (Paper E: Month 4), else None."""
        return FRP_FORECAST_MONTHS.get((self.org, str(self.as_at)[:10]))

    def narrative(self) -> str:
        return sentences.frp_bridge(self.bridge)

    def total(self, section: str) -> float:
        return frp.bridge_total(self.bridge, section)

    def waterfall(self) -> pd.DataFrame:
        return frp.waterfall_steps(self.bridge)


def frp_slice(tables: dict[str, pd.DataFrame], *, fin_year: str, month: int, org: str) -> dict[str, pd.DataFrame]:
    """The stored FRP tables of one system and month."""
    return {
        k: v[(v["fin_year"] == fin_year) & (v["month"] == month) & (v["system"] == org)].reset_index(drop=True)
        for k, v in tables.items()
    }


def frp_bridge(tables: dict[str, pd.DataFrame], *, fin_year: str, month: int, org: str = "LLR") -> FrpBridge:
    """Compute the FRP bridge for system ``org`` from the stored FRP tables (see :func:`store.load_frp`)."""
    systems = organisations().systems
    if org not in systems:
        raise LookupError(f"the FRP is held for the system ({', '.join(systems)}), not for {org}")
    part = frp_slice(tables, fin_year=fin_year, month=month, org=org)
    if part["lines"].empty:
        held = sorted(
            {
                (fy, int(m))
                for fy, m, s in zip(
                    tables["lines"]["fin_year"], tables["lines"]["month"], tables["lines"]["system"], strict=True
                )
                if s == org
            }
        )
        raise LookupError(
            f"no FRP held for {org} in {fin_year} month {month} (held: "
            f"{', '.join(f'{fy} M{m}' for fy, m in held) or 'none'})"
        )
    lines, position = part["lines"], part["position"]
    return FrpBridge(
        fin_year=fin_year,
        month=month,
        org=org,
        as_at=str(lines["as_at"].iloc[0]),
        lines=lines,
        position=position,
        checks=part["checks"],
        bridge=frp.bridge(lines, position),
        schemes=frp.scheme_table(lines),
        provenance=sorted(set(lines["provenance"]) | set(position["provenance"])),
    )
