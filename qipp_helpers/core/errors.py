"""One exception hierarchy, with the fields the command line needs to say what went wrong in one line.

``QippError`` is the root; the CLI maps each kind to a one-line message and an exit code in one
place (``qipp_helpers.cli._Commands``): 1 for what was refused or failed, 2 for a command line that
cannot be used, 3 when the store cannot be written, 70 for an internal error. Input errors carry every
:class:`Problem` found, each located by file, sheet, row and column.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as the input allows."""

    file: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = [self.file]
        if self.sheet is not None:
            where.append(f"sheet {self.sheet!r}")
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {one_line(self.message)}"


#: The longest problem message shown (a 100,000-character cell is never echoed in full).
MESSAGE_LIMIT = 400


def one_line(text: str, limit: int = MESSAGE_LIMIT) -> str:
    """``text`` on one line (newlines and runs of space folded) and cut to ``limit`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else f"{text[: limit - 1]}… ({len(text):,} characters)"


class QippError(Exception):
    """Anything the product refuses or cannot do, said in words a user can act on."""

    exit_code = 1


class UsageError(QippError, ValueError):
    """A command-line value that cannot be used (a period, an organisation, a format...): exit 2, as for any
    command line that cannot be used."""

    exit_code = 2


class InputError(QippError, ValueError):
    """Input files that cannot be ingested; carries every problem found, not just the first."""

    #: Problems listed in the message; the rest are counted (all are kept in ``problems``).
    SHOWN = 40

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        lines = [str(p) for p in self.problems[: self.SHOWN]]
        if len(self.problems) > self.SHOWN:
            lines.append(f"... and {len(self.problems) - self.SHOWN:,} more problems")
        n = len(self.problems)
        head = f"{n:,} problem{'s' if n != 1 else ''} in input; nothing was written"
        super().__init__(head + ":\n  " + "\n  ".join(lines))


#: The name ingest has always raised; the same class.
IngestError = InputError


class StoreError(QippError, OSError):
    """The processed store cannot be read or written (read-only, disk full, a planted symlink...)."""

    exit_code = 3


class RenderError(QippError, RuntimeError):
    """Reports could not be rendered (a notebook failed, the batch could not start...)."""
