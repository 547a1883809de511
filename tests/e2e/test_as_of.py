"""--as-of renders a past version into its own folder beside the current pack, marked on every page, and never
touches the current pack; a version or date that does not hold the month says which versions do (issue 28.1)."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import pdfplumber
import pytest
from typer.testing import CliRunner

from qipp_helpers.cli import app
from qipp_helpers.core.errors import StoreError
from qipp_helpers.ingest.layouts import ingest_files
from qipp_helpers.store import db

from ..conftest import M6_WORKBOOK, RAW, run_args

M5 = RAW / "2019-20" / "M05" / "synthetic_m05_pmo_dashboards.xlsx"
MONTH = Path("2019-20") / "M06"


def current_pack(out: Path) -> dict[str, str]:
    """sha256 of every file of the month's current pack (everything but its as-of folders)."""
    folder = out / MONTH
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and not p.relative_to(folder).parts[0].startswith("as-of-")
    }


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Version 1 holds M5 only; version 2 adds M6; version 3 holds a corrected ELR M6 (every FOT 10% lower)."""
    folder = tmp_path_factory.mktemp("asof") / "data"
    ingest_files([M5], "2019-20", 5, folder)
    ingest_files([M6_WORKBOOK], "2019-20", 6, folder)
    rows = db.load_returns(folder).query("month == 6 and org == 'ELR'").copy()
    rows["fot"] = rows["fot"] * 0.9
    from qipp_helpers.synthetic.workbooks import write_dashboard

    corrected = folder.parent / "elr_corrected.xlsx"
    write_dashboard(corrected, {"ELR": rows}, about={"ELR": "published: corrected"})
    ingest_files([corrected], "2019-20", 6, folder)
    assert [v.number for v in db.versions(folder)] == [1, 2, 3]
    return folder


def test_as_of_renders_beside_the_current_pack_marked_on_every_page(data: Path, tmp_path: Path):
    out = tmp_path / "reports"
    now = CliRunner().invoke(app, run_args(data, out, formats="html,pdf,xlsx"))
    assert now.exit_code == 0, now.output
    before = current_pack(out)
    past = CliRunner().invoke(app, run_args(data, out, "--as-of", "2", formats="pdf"))
    assert past.exit_code == 0, past.output
    assert current_pack(out) == before  # byte for byte: manifest, front page, pack, every report
    folder = out / MONTH / "as-of-v2"
    assert f"the pack: {folder / 'QIPP_pack_2019-20_M06.pdf'}" in past.output
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["store"]["version"] == 2 and manifest["store"]["as_of"] == "2"
    assert json.loads((out / MONTH / "manifest.json").read_text())["store"]["version"] == 3
    for pdf in (folder / "ELR" / "monthly_position.pdf", folder / "QIPP_pack_2019-20_M06.pdf"):
        with pdfplumber.open(pdf) as doc:
            for page in doc.pages:
                text = " ".join((page.extract_text() or "").split())
                assert "AS OF STORE VERSION 2" in text and "NOT THE CURRENT PACK" in text, (pdf.name, page.page_number)
    assert "AS OF STORE VERSION 2" in (folder / "index.html").read_text()


def test_a_version_without_the_month_says_which_versions_hold_it(data: Path, tmp_path: Path):
    out = tmp_path / "reports"
    result = CliRunner().invoke(app, run_args(data, out, "--as-of", "1"))
    assert result.exit_code == 1 and result.output.count("\n") == 1, result.output
    assert "store version 1 holds no data for 2019-20 M6; versions 2 to 3 hold it" in result.output
    assert not (out / MONTH / "as-of-v1").exists()


def test_as_of_a_date_is_the_last_version_committed_on_or_before_it(data: Path):
    today = datetime.now(UTC).date().isoformat()
    assert db.snapshot(data, today)[1].number == 3
    first = db.versions(data)[0]
    with pytest.raises(StoreError, match=r"no version of the store was committed on or before it; the first, ver") as e:
        db.snapshot(data, "2019-10-04")
    assert f"version 1, was committed {first.time:%Y-%m-%d}" in str(e.value)
