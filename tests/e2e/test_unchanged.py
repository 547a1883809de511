"""A re-ingest that changes nothing is not a new version, and --changed-only decides from the values each report
reads: identical data re-renders nothing; a change to ELR re-renders only the reports that read ELR (issue 28.2)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from typer.testing import CliRunner

from qipp_helpers.cli import app
from qipp_helpers.ingest.layouts import ingest_files
from qipp_helpers.store import db
from qipp_helpers.synthetic.workbooks import write_dashboard

from ..conftest import M6_WORKBOOK, run_args


def rendered(output: str) -> set[str]:
    return set(re.findall(r"^rendered (\S+ \S+) M6", output, flags=re.M))


def test_identical_reingest_adds_no_version_and_a_change_to_elr_rerenders_only_what_reads_elr(
    demo_data_dir: Path, tmp_path: Path
):
    data = tmp_path / "data"
    shutil.copytree(demo_data_dir, data, ignore=shutil.ignore_patterns("snapshots"))
    # the fixture holds M1-M6; the first ingest-raw adds data/raw's later months (M7-M9), as `make reports` does
    first = CliRunner().invoke(app, ["ingest-raw", "--data-dir", str(data)])
    assert first.exit_code == 0 and "store version" in first.output, first.output
    before = [v.number for v in db.versions(data)]

    # every folder of data/raw and the WL sheet again, as `make reports` and the README do: nothing new
    again = CliRunner().invoke(app, ["ingest-raw", "--data-dir", str(data)])
    assert again.exit_code == 0 and "store version" not in again.output, again.output
    assert again.output.count("unchanged: version") == 13, again.output
    wl = CliRunner().invoke(
        app,
        ["ingest", str(M6_WORKBOOK), "--org", "WL", "--fin-year", "2019-20", "--month", "6", "--data-dir", str(data)],
    )
    assert wl.exit_code == 0, wl.output
    assert f"unchanged: version {before[-1]} already holds these rows (2019-20 M6: WL 44 rows)" in wl.output
    assert [v.number for v in db.versions(data)] == before

    out = tmp_path / "reports"
    pack = [*run_args(data, out, org="all", notebook="all")]  # one worker: the warm kernel this process parked
    rendered_all = CliRunner().invoke(app, pack)
    assert rendered_all.exit_code == 0 and "10 rendered, 0 unchanged" in rendered_all.output, rendered_all.output
    kept = CliRunner().invoke(app, [*pack, "--changed-only"])
    assert "0 rendered, 10 unchanged" in kept.output, kept.output

    # ELR's return again with one scheme's forecast 10 lower (not 4.x, whose gap the WL adjustment is measured by)
    rows = db.load_returns(data).query("month == 6 and org == 'ELR'").copy()
    one = rows.index[~rows["scheme_no"].str.startswith("4.")][0]
    rows.loc[one, "fot"] -= 10
    corrected = tmp_path / "elr_corrected.xlsx"
    write_dashboard(corrected, {"ELR": rows}, about={"ELR": "published: corrected"})
    ingest_files([corrected], "2019-20", 6, data)
    assert len(db.versions(data)) == len(before) + 1
    changed = CliRunner().invoke(app, [*pack, "--changed-only"])
    assert changed.exit_code == 0, changed.output
    assert rendered(changed.output) == {
        "ELR monthly_position",
        "ELR under_delivery_drivers",
        "LLR monthly_position",
        "LLR under_delivery_drivers",
    }, changed.output  # LLR's RightCare report is illustrative: left out of the circulated pack
    assert "4 rendered, 6 unchanged" in changed.output
    manifest = json.loads((out / "2019-20" / "M06" / "manifest.json").read_text())
    status = {(e["org"], e["notebook"]): e["status"] for e in manifest["reports"]}
    assert status["DDCCG", "rightcare_opportunity"] == "unchanged" and status["LLR", "frp_bridge"] == "unchanged"
