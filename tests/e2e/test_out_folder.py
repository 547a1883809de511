"""A run touches nothing outside its --out folder (issue 29): re-rendering a copied or moved pack, from the
project folder or any other, leaves the project's own reports/ byte for byte as it was."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import nbformat
import pytest
from typer.testing import CliRunner

from qipp_helpers.cli import app
from qipp_helpers.core.files import remove_inside
from qipp_helpers.store import db

from ..conftest import ROOT, run_args

MONTH = Path("2019-20") / "M06"


def hashes(folder: Path) -> dict[str, str]:
    """sha256 of every file under ``folder``, by its path relative to it."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def qipp(data: Path, out: Path | str, *extra: str, formats: str = "html", notebooks: Path | None = None):
    args = run_args(data, Path(out), *extra, formats=formats)
    if notebooks is not None:
        args[args.index("--notebooks-dir") + 1] = str(notebooks)
    return CliRunner().invoke(app, args)


def manifest(out: Path) -> dict:
    return json.loads((out / MONTH / "manifest.json").read_text())


@pytest.fixture(scope="module")
def circulated(demo_data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project folder whose reports/ holds ELR's monthly position in every format, rendered by an earlier version:
    its manifest records outputs as that run saw them, relative to the working directory (reports/2019-20/...)."""
    project = tmp_path_factory.mktemp("project")
    result = qipp(demo_data_dir, project / "reports", formats="html,pdf,xlsx")
    assert result.exit_code == 0, result.output
    man = manifest(project / "reports")
    for e in man["reports"]:
        e["outputs"] = {f: f"reports/{MONTH.as_posix()}/ELR/{Path(p).name}" for f, p in e["outputs"].items()}
    (project / "reports" / MONTH / "manifest.json").write_text(json.dumps(man, indent=2))
    return project


@pytest.fixture
def project(circulated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh copy of the circulated project, and the working directory is that project folder."""
    copy = tmp_path / "project"
    shutil.copytree(circulated, copy, symlinks=True)
    monkeypatch.chdir(copy)
    return copy


def test_manifest_records_outputs_relative_to_the_month_folder(default_pack: Path):
    """The default pack (conftest's, rendered by `qipp run` into a temporary folder) records each file by its path
    from the month folder: the pack reads the same wherever it is copied or moved."""
    reports = json.loads((default_pack / "manifest.json").read_text())["reports"]
    (entry,) = [e for e in reports if (e["org"], e["notebook"]) == ("ELR", "monthly_position")]
    assert entry["outputs"] == {f: f"ELR/monthly_position.{f}" for f in ("html", "ipynb", "pdf", "xlsx")}
    assert all(p.startswith(f"{e['org']}/") for e in reports for p in e.get("outputs", {}).values()), reports


def test_html_only_into_a_copied_pack_cleans_the_copy_and_leaves_the_project_alone(
    demo_data_dir: Path, project: Path, tmp_path: Path
):
    before = hashes(project / "reports")
    draft = tmp_path / "draft"
    shutil.copytree(project / "reports", draft)
    result = qipp(demo_data_dir, draft)
    assert result.exit_code == 0, result.output
    assert hashes(project / "reports") == before
    # the stale-format clean-up still works, in the folder the user named
    org = draft / MONTH / "ELR"
    assert sorted(p.name for p in org.iterdir()) == ["monthly_position.html", "monthly_position.ipynb"]
    (entry,) = manifest(draft)["reports"]
    assert set(entry["outputs"]) == {"html", "ipynb"}
    assert entry["removed_stale"] == ["ELR/monthly_position.pdf", "ELR/monthly_position.xlsx"]


def test_as_of_changed_only_and_a_failing_report_leave_the_project_alone(
    demo_data_dir: Path, project: Path, tmp_path: Path
):
    before = hashes(project / "reports")
    draft = tmp_path / "draft"
    shutil.copytree(project / "reports", draft)
    again = qipp(demo_data_dir, draft, "--changed-only", formats="html,pdf,xlsx")
    assert "0 rendered, 1 unchanged" in again.output, again.output  # found in the copy, not in the project
    latest = db.store(demo_data_dir).versions()[-1].number
    assert qipp(demo_data_dir, draft, "--as-of", str(latest)).exit_code == 0
    broken = tmp_path / "nbs"
    broken.mkdir()
    nb = nbformat.read(ROOT / "notebooks" / "monthly_position.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell('raise RuntimeError("injected failure")'))
    nbformat.write(nb, broken / "monthly_position.ipynb")
    failed = qipp(demo_data_dir, draft, notebooks=broken)
    assert failed.exit_code == 1 and "FAILED ELR monthly_position" in failed.output
    assert hashes(project / "reports") == before


def test_a_moved_pack_from_another_working_directory(
    demo_data_dir: Path, project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    moved = tmp_path / "shared drive" / "pack"
    shutil.move(project / "reports", moved)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "reports" / MONTH / "ELR").mkdir(parents=True)  # a decoy where the old paths now point
    decoy = elsewhere / "reports" / MONTH / "ELR" / "monthly_position.pdf"
    decoy.write_bytes(b"%PDF- not this one")
    monkeypatch.chdir(elsewhere)
    kept = qipp(demo_data_dir, moved, "--changed-only", formats="html,pdf,xlsx")
    assert "0 rendered, 1 unchanged" in kept.output, kept.output
    assert qipp(demo_data_dir, moved).exit_code == 0
    assert decoy.read_bytes() == b"%PDF- not this one"
    assert not (moved / MONTH / "ELR" / "monthly_position.pdf").exists()
    # a relative --out is the folder the user named, under the working directory
    assert qipp(demo_data_dir, "draft").exit_code == 0
    assert (elsewhere / "draft" / MONTH / "ELR" / "monthly_position.html").is_file()
    assert decoy.read_bytes() == b"%PDF- not this one"


def test_the_one_place_that_deletes_refuses_anything_outside_the_output_folder(tmp_path: Path):
    out, victim = tmp_path / "out", tmp_path / "victim.pdf"
    out.mkdir()
    victim.write_text("keep me")
    for path in (victim, out / ".." / "victim.pdf", out):
        with pytest.raises(ValueError, match=r"refusing to delete .*: it is outside the output folder"):
            remove_inside(out, path)
    assert victim.read_text() == "keep me"
    link = out / "link.pdf"
    link.symlink_to(victim)
    assert remove_inside(out, link) is False and victim.exists() and link.is_symlink()
    (out / "stale.pdf").write_text("x")
    assert remove_inside(out, out / "stale.pdf") is True and not (out / "stale.pdf").exists()
