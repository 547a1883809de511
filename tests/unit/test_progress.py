"""Long steps say what they are doing: `qipp run`'s progress bar draws in any terminal, and make's slow steps
announce themselves with their expected time."""

from __future__ import annotations

import os
import re
from pathlib import Path

from qipp_helpers.pack import runner

ROOT = Path(__file__).resolve().parents[2]


def test_the_progress_bar_has_a_width_even_where_the_terminal_reports_none(monkeypatch):
    monkeypatch.setattr(runner.os, "get_terminal_size", lambda fd: os.terminal_size((0, 0)))
    shape = runner._bar_shape()
    assert shape == {"ncols": 80, "nrows": 24}, "a pseudo-terminal without a size: tqdm would draw nothing"
    monkeypatch.setattr(runner.os, "get_terminal_size", lambda fd: os.terminal_size((132, 40)))
    assert runner._bar_shape() == {}, "a real terminal: tqdm follows its size"


def test_slow_make_steps_say_what_they_are_doing():
    make = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipes = dict(re.findall(r"^([$()A-Za-z_-]+):[^\n]*\n((?:\t[^\n]*\n)+)", make, flags=re.M))
    for target in ("$(STAMP)", "$(DEV_STAMP)", "test", "test-fast", "checks", "lint"):
        said = [line for line in recipes[target].splitlines() if line.strip().startswith("@echo")]
        assert said, f"make {target} is silent"
    assert re.search(r"about \d+ minutes", recipes["test"]) and "--durations" in recipes["test"]
