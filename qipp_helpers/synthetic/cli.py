"""``python -m qipp_helpers.synthetic``: write a seeded synthetic data folder for scale tests and demos.

Its own command, not one of ``qipp``'s: the product never imports the synthetic data it is tested with.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ..core.errors import QippError
from .national import SEED, demo_data

COMMAND = "python -m qipp_helpers.synthetic"

app = typer.Typer(add_completion=False, rich_markup_mode=None)


@app.command()
def write(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="A new or empty folder to write into.")] = Path("demo"),
    orgs: Annotated[int, typer.Option(help="Number of synthetic organisations (S001...).")] = 4,
    schemes: Annotated[int, typer.Option(help="Schemes per organisation.")] = 40,
    months: Annotated[int, typer.Option(help="Months of returns, from M1.")] = 6,
    fin_year: Annotated[str, typer.Option("--fin-year", help="Financial year, e.g. 2019-20.")] = "2019-20",
    years: Annotated[int, typer.Option(help="Financial years of returns, from FIN_YEAR.")] = 1,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data).")] = SEED,
) -> None:
    """Write a seeded synthetic dataset (organisations.csv + raw CSV returns) for scale tests; marked synthetic.

    \b
    Example:
      python -m qipp_helpers.synthetic --data-dir demo --orgs 16 --schemes 130 --months 12
    """
    try:
        counts = demo_data(
            data_dir, orgs=orgs, schemes=schemes, months=months, fin_year=fin_year.strip(), years=years, seed=seed
        )
    except (QippError, ValueError) as exc:
        typer.secho(f"{COMMAND}: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(2) from None
    typer.echo(
        f"wrote {counts['rows']:,} synthetic scheme-month rows for {orgs} organisations x {months} months"
        + (f" x {years} years" if years > 1 else "")
        + f" into {data_dir}/raw (ingest with: qipp ingest-raw --data-dir {data_dir})"
    )


def main() -> None:
    """Entry point of ``python -m qipp_helpers.synthetic``."""
    app()
