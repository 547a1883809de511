"""The notebooks of the month-end pack, and what data each needs.

The batch runner knows nothing about finance; the CLI asks this module which notebook ×
organisation × month combinations can be rendered, and why the others are skipped.
"""

from __future__ import annotations

import pandas as pd

from ..core.orgs import members, organisations

#: Notebook name -> what it shows. Order is the pack's order.
NOTEBOOKS: dict[str, str] = {
    "monthly_position": "QIPP monthly position (Paper D Tables 1, 2, 5, Appendix 1)",
    "under_delivery_drivers": "Drivers of under-delivery and FOT movement (Paper D Tables 3, 4)",
    "frp_bridge": "System financial recovery plan bridge (Paper D Table 6, Paper E)",
    "rightcare_opportunity": "RightCare opportunity vs best-5 peers and QIPP plan coverage (Derbyshire Tables 3, 4)",
}


def known_orgs() -> tuple[str, ...]:
    """Every organisation some notebook can be rendered for (``qipp run --org``)."""
    return organisations().all_codes


#: Code a worker's kernel runs once before its first report: the imports every notebook makes.
WARM_UP = (
    "import matplotlib\nimport matplotlib.pyplot\nimport pandas\nimport IPython.display\n"
    "from qipp_helpers.report import charts, show, publish, objects\nfrom qipp_helpers import store\n"
    # charts lay themselves out (tight_layout / fixed margins): a second, 'tight' layout pass per PNG is
    # wasted work in a batch
    "get_ipython().run_line_magic('config', \"InlineBackend.print_figure_kwargs = {'bbox_inches': None}\")\n"
)


def inputs_of(notebook: str) -> tuple[str, ...]:
    """The processed files a notebook reads (so ``--changed-only`` knows what it depends on)."""
    if notebook == "frp_bridge":
        return ("frp_lines.parquet", "frp_position.parquet", "frp_checks.parquet")
    if notebook == "rightcare_opportunity":
        return ("rightcare_indicators.parquet", "rightcare_peers.parquet", "returns.parquet")
    return ("returns.parquet", "reconciliation.parquet")


def default_orgs(notebook: str) -> list[str]:
    """The organisations ``--org all`` means for a notebook: CCGs and LLR, or the FRP systems."""
    if notebook == "frp_bridge":
        return list(organisations().systems)
    if notebook == "rightcare_opportunity":
        return list(organisations().rightcare_groups)
    return list(organisations().codes)


def missing_data(
    notebook: str,
    *,
    returns: pd.DataFrame,
    frp_lines: pd.DataFrame,
    fin_year: str,
    month: int,
    org: str,
    rightcare_peers: pd.DataFrame | None = None,
) -> str | None:
    """Why ``notebook`` cannot be rendered for ``org`` and month, or None if its data is held.

    ``rightcare_peers`` is the stored RightCare peers table (:func:`store.load_rightcare`).
    """
    if notebook == "rightcare_opportunity":
        held = (
            set()
            if rightcare_peers is None
            else set(rightcare_peers.loc[rightcare_peers["fin_year"] == fin_year, "ccg"])
        )
        lacking = [c for c in organisations().rightcare_members(org) if c not in held]
        return f"no {fin_year} RightCare indicators held for {', '.join(lacking)}" if lacking else None
    if notebook == "frp_bridge":
        if org not in organisations().systems:
            return f"the FRP is held for the system ({', '.join(organisations().systems)}), not for {org}"
        held = frp_lines[
            (frp_lines["fin_year"] == fin_year) & (frp_lines["month"] == month) & (frp_lines["system"] == org)
        ]
        return None if len(held) else f"no FRP held for {org} in {fin_year} M{month}"
    if org not in organisations().codes:
        return f"no QIPP returns are held for {org} (a RightCare organisation)"
    held = set(returns.loc[(returns["fin_year"] == fin_year) & (returns["month"] == month), "org"])
    lacking = sorted(set(members(org)) - held)
    return f"no {fin_year} M{month} returns for {', '.join(lacking)}" if lacking else None
