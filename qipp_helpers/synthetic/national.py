"""Synthetic national-size demo data: many organisations, many schemes, many months.

``python -m qipp_helpers.synthetic`` writes a data folder that the rest of the product reads like any other:
``organisations.csv`` (the organisations, fictional codes S001...), and one dashboard CSV per
organisation per month under ``raw/<fin-year>/M<mm>/<ORG>.csv``, each with its Grand Total row,
plus ``PROVENANCE.txt`` so every stored row says it is synthetic. Seeded: the same arguments
always give the same files. Used for scale benchmarks, never presented as real.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..core.errors import UsageError
from ..core.files import atomic_path
from ..core.periods import check_fin_year
from ..core.vocab import RAGS, WORKSTREAMS

HEADER = [
    "Scheme no. for LLR Summary Report",
    "Scheme Name",
    "Workstream",
    "Milestones",
    "Financial Benefits",
    "Risk/Issue",
    "Overall PMO RAG ratings",
    "Sum of Plan YTD",
    "Sum of Actuals YTD",
    "Annual Plan",
    "Sum of Revised FOT",
    "Sum of PMO Assured Value",
]
DESCRIPTORS = (
    "Milestones on track",
    "Mitigating actions have been implemented",
    "Milestones have not been implemented",
)
SEED = 20191017


def _write_csv(path: Path, rows: Sequence[Sequence[object]]) -> None:
    with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)


def fin_years(first: str, years: int) -> list[str]:
    """``years`` consecutive financial years from ``first``: '2019-20', 3 -> 2019-20, 2020-21, 2021-22."""
    start = int(check_fin_year(first)[:4])
    return [f"{y}-{(y + 1) % 100:02d}" for y in range(start, start + years)]


def refuse_non_empty(data_dir: Path) -> None:
    """UsageError unless ``data_dir`` is new or empty: synthetic data never replaces a registry or raw returns."""
    if data_dir.is_symlink() or (data_dir.exists() and not data_dir.is_dir()):
        raise UsageError(f"{data_dir} is a link or a file: synthetic data is written only into a new or empty folder")
    held = sorted(p.name for p in data_dir.iterdir())[:3] if data_dir.is_dir() else []
    if held:
        raise UsageError(
            f"{data_dir} already holds {', '.join(held)}: synthetic data is written only into a new or empty "
            "folder, so no real returns or organisations.csv are ever replaced; give another --data-dir"
        )


def _dashboard_rows(title: str, figures: dict[str, np.ndarray], rags: np.ndarray) -> list[list[object]]:
    """One organisation's month as a dashboard CSV: title, header, a line per scheme, the Grand Total."""
    money = ("plan_ytd", "actual_ytd", "annual_plan", "fot", "assured")
    ws = list(WORKSTREAMS)
    out: list[list[object]] = [[title], list(HEADER)]
    for i, rag in enumerate(rags):
        desc = DESCRIPTORS[min(int(rag), 2)]
        out.append(
            [
                f"{i // 10 + 1}.{i % 10 + 1}",
                f"Synthetic scheme {i + 1:03d}",
                ws[i % len(ws)],
                desc,
                desc,
                desc,
                RAGS[rag],
                *(figures[k][i] for k in money),
            ]
        )
    out.append(["Grand Total", "", "", "", "", "", "", *(figures[k].sum() for k in money)])
    return out


def demo_data(
    data_dir: Path | str,
    *,
    orgs: int = 4,
    schemes: int = 40,
    months: int = 6,
    fin_year: str = "2019-20",
    years: int = 1,
    seed: int = SEED,
) -> dict[str, int]:
    """Write ``orgs`` × ``schemes`` × ``months`` (× ``years`` financial years from ``fin_year``) synthetic scheme
    rows into ``data_dir``; return counts."""
    check_fin_year(fin_year)
    if not (1 <= months <= 12 and orgs >= 1 and schemes >= 1 and years >= 1):
        raise ValueError("need orgs >= 1, schemes >= 1, years >= 1 and 1 <= months <= 12")
    data_dir = Path(data_dir)
    refuse_non_empty(data_dir)
    rng = np.random.default_rng(seed)
    codes = [f"S{i:03d}" for i in range(1, orgs + 1)]
    data_dir.mkdir(parents=True, exist_ok=True)
    _write_csv(
        data_dir / "organisations.csv",
        [["code", "name", "members"], *([c, f"Synthetic CCG {c[1:]}", ""] for c in codes)],
    )
    provenance = (
        f"synthetic: python -m qipp_helpers.synthetic --orgs {orgs} --schemes {schemes} --months {months}"
        + (f" --years {years}" if years > 1 else "")
        + f" --seed {seed} (generated, not real returns)"
    )
    rows_written = 0
    # per organisation: a fixed scheme list with annual plans; FOT drifts month to month
    plans = {c: -np.round(rng.uniform(20, 1500, schemes)) for c in codes}
    delivery = {c: rng.uniform(0.4, 1.1, schemes) for c in codes}
    rag_p = np.array([0.45, 0.3, 0.15, 0.07, 0.03])
    periods = [(fy, m) for fy in fin_years(fin_year, years) for m in range(1, months + 1)]
    for fy, m in periods:
        folder = data_dir / "raw" / fy / f"M{m:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "PROVENANCE.txt").write_text(provenance + "\n", encoding="utf-8")
        for c in codes:
            delivery[c] = np.clip(delivery[c] + rng.normal(0, 0.03, schemes), 0.0, 1.3)
            annual = plans[c]
            plan_ytd = np.round(annual * m / 12)
            fot = np.round(annual * delivery[c])
            actual = np.round(fot * m / 12 * rng.uniform(0.8, 1.1, schemes))
            assured = np.round(fot * rng.uniform(0.8, 1.0, schemes))
            rags = rng.choice(len(RAGS), size=schemes, p=rag_p)
            figures = {
                "plan_ytd": plan_ytd,
                "actual_ytd": actual,
                "annual_plan": annual,
                "fot": fot,
                "assured": assured,
            }
            out = _dashboard_rows(f"Synthetic demo dashboard {c} M{m} {fy} (not real)", figures, rags)
            _write_csv(folder / f"{c}.csv", out)
            rows_written += schemes
    return {"organisations": orgs, "months": months, "years": years, "rows": rows_written}
