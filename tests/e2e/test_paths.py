"""Paths: locks and outputs never follow a planted symbolic link; bad folders are one line, nothing created."""

from __future__ import annotations

import os
from pathlib import Path

from typer.testing import CliRunner

from qipp_helpers.cli import app

from ..conftest import run_args


def run(data: Path, out: Path, *extra: str):
    return CliRunner().invoke(app, run_args(data, out, *extra))


def one_line(result) -> bool:
    return result.exit_code != 0 and "Traceback" not in result.output and result.output.count("\n") == 1


def test_a_planted_lock_link_is_refused_and_its_target_untouched(demo_data_dir: Path, tmp_path: Path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    month = tmp_path / "reports" / "2019-20" / "M06"
    month.mkdir(parents=True)
    (month / ".qipp-run.lock").symlink_to(victim)
    result = run(demo_data_dir, tmp_path / "reports")
    assert one_line(result) and "symbolic link" in result.output
    assert victim.read_text() == "keep me"


def test_linked_month_and_org_folders_are_refused_before_anything_is_created(demo_data_dir: Path, tmp_path: Path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "reports"
    (out / "2019-20").mkdir(parents=True)
    (out / "2019-20" / "M06").symlink_to(elsewhere, target_is_directory=True)
    result = run(demo_data_dir, out)
    assert one_line(result) and "symbolic link" in result.output
    assert list(elsewhere.iterdir()) == []  # no lock, no report written through the link
    (out / "2019-20" / "M06").unlink()
    (out / "2019-20" / "M06").mkdir()
    (out / "2019-20" / "M06" / "ELR").symlink_to(elsewhere, target_is_directory=True)
    result = run(demo_data_dir, out)
    assert one_line(result) and "symbolic link" in result.output
    assert list(elsewhere.iterdir()) == []


def test_folders_that_are_files_are_one_line(demo_data_dir: Path, tmp_path: Path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    assert one_line(result := run(demo_data_dir, a_file)) and "--out" in result.output
    assert one_line(result := run(a_file, tmp_path / "out")) and "--data-dir" in result.output


def test_an_unwritable_reports_folder_is_one_line(demo_data_dir: Path, tmp_path: Path):
    if os.geteuid() == 0:  # root writes anywhere: use a folder under /proc, which nobody can create
        out = Path("/proc/qipp-reports")
    else:
        out = tmp_path / "ro"
        out.mkdir()
        out.chmod(0o500)
    result = run(demo_data_dir, out)
    assert one_line(result), result.output
