"""``python -m qipp_helpers.synthetic --help``: see :mod:`qipp_helpers.synthetic.cli`."""

from .cli import main

main()
