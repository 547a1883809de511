"""The month-end batch: failures are isolated, runs never interleave, unchanged reports are kept,
and a Dask cluster renders exactly what the local pool renders.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from qipp_helpers.cli import app
from qipp_helpers.pack.catalogue import WARM_UP
from qipp_helpers.pack.runner import Job, run_jobs
from qipp_helpers.synthetic.cli import app as synthetic_app

from ..conftest import ROOT

NB = ROOT / "notebooks"


def _failing_notebook(folder: Path) -> Path:
    nb = nbformat.read(NB / "under_delivery_drivers.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell('raise RuntimeError("injected failure for the test")'))
    path = folder / "broken.ipynb"
    nbformat.write(nb, path)
    return path


def test_one_failing_report_leaves_the_others_good(demo_data_dir, tmp_path):
    """The failing report sits in the middle of five, so both workers' warm kernels run reports after it."""
    data = str(demo_data_dir.resolve())
    jobs = [
        Job(
            NB / f"{name}.ipynb",
            {"fin_year": "2019-20", "month": month, "org": org, "data_dir": data},
            tmp_path / f"M{month}" / org,
            name,
            f"{org} {name} M{month}",
        )
        for month, org, name in (
            (5, "ELR", "monthly_position"),
            (5, "ELR", "under_delivery_drivers"),
            (6, "LC", "monthly_position"),
            (6, "LLR", "under_delivery_drivers"),
        )
    ]
    jobs.insert(
        2,
        Job(
            _failing_notebook(tmp_path),
            {"fin_year": "2019-20", "month": 6, "org": "WL", "data_dir": data},
            tmp_path / "broken",
            "broken",
            "WL broken",
        ),
    )
    results = run_jobs(jobs, formats=("html", "xlsx"), workers=2, progress=False, warm_up=WARM_UP)
    ok = [r for r in results if r.status == "ok"]
    failed = [r for r in results if r.status != "ok"]
    assert len(ok) == 4 and [r.job.label for r in failed] == ["WL broken"]
    assert "RuntimeError: injected failure for the test" in failed[0].error
    executed = nbformat.read(failed[0].outputs["ipynb"], as_version=4)
    assert any(o.get("output_type") == "error" for c in executed.cells for o in c.get("outputs", []))
    assert not (tmp_path / "broken" / "broken.html").exists()
    for r in ok:  # the report after the failure ran in the same warm kernel and is complete
        assert Path(r.outputs["html"]).stat().st_size > 10_000 and Path(r.outputs["xlsx"]).exists()


def _run(args, data, out):
    return CliRunner().invoke(
        app,
        ["run", "--fin-year", "2019-20", "--data-dir", str(data), "--out", str(out), "--notebooks-dir", str(NB), *args],
    )


def test_failed_report_is_in_the_manifest_and_the_exit_code(demo_data_dir, tmp_path):
    nbs = tmp_path / "nbs"
    nbs.mkdir()
    shutil.copy(NB / "frp_bridge.ipynb", nbs)
    nb = nbformat.read(NB / "monthly_position.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell('assert org != "LC", "LC broke"'))
    nbformat.write(nb, nbs / "monthly_position.ipynb")
    res = CliRunner().invoke(
        app,
        [
            "run",
            "--fin-year",
            "2019-20",
            "--month",
            "6",
            "--data-dir",
            str(demo_data_dir),
            "--out",
            str(tmp_path / "r"),
            "--notebooks-dir",
            str(nbs),
            "--notebook",
            "monthly_position",
            "--org",
            "LC",
            "--org",
            "ELR",
            "--formats",
            "html",
        ],
    )
    assert res.exit_code == 1
    assert "FAILED LC monthly_position M6: AssertionError: LC broke" in res.output
    assert "1 rendered, 0 unchanged, 0 skipped, 1 failed" in res.output
    manifest = json.loads((tmp_path / "r" / "2019-20" / "M06" / "manifest.json").read_text())
    status = {r["org"]: (r["status"], r["error"]) for r in manifest["reports"]}
    assert status == {"ELR": ("ok", None), "LC": ("failed", "AssertionError: LC broke")}
    assert "failed: AssertionError: LC broke" in (tmp_path / "r" / "2019-20" / "M06" / "index.html").read_text()


def test_changed_only_rerenders_what_changed(demo_data_dir, tmp_path):
    nbs = tmp_path / "nbs"
    shutil.copytree(NB, nbs)
    args = ["--month", "6", "--org", "LLR", "--formats", "html", "--notebook", "all"]
    first = _run([*args], demo_data_dir, tmp_path / "r").output
    assert "3 rendered, 0 unchanged" in first  # LLR RightCare is illustrative: left out
    again = CliRunner().invoke(
        app,
        [
            "run",
            "--fin-year",
            "2019-20",
            "--data-dir",
            str(demo_data_dir),
            "--out",
            str(tmp_path / "r"),
            "--notebooks-dir",
            str(NB),
            *args,
            "--changed-only",
        ],
    )
    assert "0 rendered, 3 unchanged" in again.output, again.output
    nb = nbformat.read(nbs / "frp_bridge.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_markdown_cell("A note added this month."))
    nbformat.write(nb, nbs / "frp_bridge.ipynb")
    third = CliRunner().invoke(
        app,
        [
            "run",
            "--fin-year",
            "2019-20",
            "--data-dir",
            str(demo_data_dir),
            "--out",
            str(tmp_path / "r"),
            "--notebooks-dir",
            str(nbs),
            *args,
            "--changed-only",
        ],
    )
    assert "1 rendered, 2 unchanged" in third.output, third.output
    assert "rendered LLR frp_bridge M6" in third.output
    manifest = json.loads((tmp_path / "r" / "2019-20" / "M06" / "manifest.json").read_text())
    assert sorted(r["status"] for r in manifest["reports"]) == ["ok", "unchanged", "unchanged"]


def test_two_concurrent_runs_of_the_same_month_do_not_corrupt_each_other(demo_data_dir, tmp_path):
    out = tmp_path / "r"
    cmd = [
        sys.executable,
        "-m",
        "qipp_helpers.cli",
        "run",
        "--fin-year",
        "2019-20",
        "--month",
        "6",
        "--org",
        "LLR",
        "--notebook",
        "frp_bridge",
        "--data-dir",
        str(demo_data_dir),
        "--out",
        str(out),
        "--notebooks-dir",
        str(NB),
        "--jobs",
        "1",
    ]
    procs = [
        subprocess.Popen([*cmd, "--marking", m], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for m in ("RUN-A", "RUN-B")
    ]
    outputs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs), outputs
    folder = out / "2019-20" / "M06"
    manifest = json.loads((folder / "manifest.json").read_text())  # whole, valid JSON: one run's, not a mix
    marking = manifest["parameters"]["marking"]
    assert marking in ("RUN-A", "RUN-B")
    assert marking in (folder / "index.html").read_text()
    assert marking in (folder / "LLR" / "frp_bridge.html").read_text()  # the last run's report, whole
    assert not list(folder.rglob("*.tmp*")), "no temporary files left behind"


def test_dask_cluster_renders_what_the_local_pool_renders(demo_data_dir, tmp_path):
    distributed = pytest.importorskip("distributed")
    args = [
        "--month",
        "6",
        "--org",
        "LLR",
        "--org",
        "ELR",
        "--notebook",
        "under_delivery_drivers",
        "--formats",
        "html,xlsx",
    ]
    local = _run([*args, "--jobs", "2"], demo_data_dir, tmp_path / "local")
    assert local.exit_code == 0, local.output
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        dask = _run(
            [*args, "--executor", "dask", "--scheduler", cluster.scheduler_address], demo_data_dir, tmp_path / "dask"
        )
    assert dask.exit_code == 0, dask.output
    assert "2 rendered, 0 unchanged, 0 skipped, 0 failed" in dask.output

    def summary(root):
        m = json.loads((root / "2019-20" / "M06" / "manifest.json").read_text())
        return sorted((r["notebook"], r["org"], r["status"], r["input_hash"]) for r in m["reports"]), m["skipped"]

    assert summary(tmp_path / "local") == summary(tmp_path / "dask")
    for org in ("LLR", "ELR"):
        sheets = [
            {
                ws.title: list(ws.iter_rows(values_only=True))
                for ws in load_workbook(root / "2019-20" / "M06" / org / "under_delivery_drivers.xlsx")
            }
            for root in (tmp_path / "local", tmp_path / "dask")
        ]
        assert sheets[0]["drivers"] == sheets[1]["drivers"] and sheets[0]["fot_movement"] == sheets[1]["fot_movement"]


def test_demo_data_declares_its_organisations_and_renders(tmp_path):
    from qipp_helpers.core.orgs import use_organisations
    from qipp_helpers.store.db import load_returns

    data = tmp_path / "demo"
    runner = CliRunner()
    res = runner.invoke(synthetic_app, ["--data-dir", str(data), "--orgs", "3", "--schemes", "12", "--months", "2"])
    assert res.exit_code == 0 and "wrote 72 synthetic scheme-month rows" in res.output
    try:
        assert runner.invoke(app, ["ingest-raw", "--data-dir", str(data)]).exit_code == 0
        returns = load_returns(data)
        assert len(returns) == 72 and set(returns["org"]) == {"S001", "S002", "S003"}
        assert set(returns["provenance"]) == {
            "synthetic: python -m qipp_helpers.synthetic --orgs 3 --schemes 12 --months 2 --seed 20191017 "
            "(generated, not real returns)"
        }
        res = runner.invoke(
            app,
            [
                "run",
                "--fin-year",
                "2019-20",
                "--month",
                "2",
                "--notebook",
                "monthly_position",
                "--org",
                "S002",
                "--data-dir",
                str(data),
                "--out",
                str(tmp_path / "r"),
                "--notebooks-dir",
                str(NB),
                "--formats",
                "html",
                "--jobs",
                "1",
            ],
        )
        assert res.exit_code == 0, res.output
        html = (tmp_path / "r" / "2019-20" / "M02" / "S002" / "monthly_position.html").read_text()
        assert "Synthetic CCG 002" in html and "synthetic" in html
    finally:
        use_organisations(None)  # back to LLR for the other tests


def test_unknown_organisation_in_a_declared_registry_is_rejected(tmp_path):
    data = tmp_path / "d"
    CliRunner().invoke(synthetic_app, ["--data-dir", str(data), "--orgs", "2", "--schemes", "3", "--months", "1"])
    (data / "raw" / "2019-20" / "M01" / "S002.csv").rename(data / "raw" / "2019-20" / "M01" / "ELR.csv")
    try:
        res = CliRunner().invoke(app, ["ingest-raw", "--data-dir", str(data)])
        assert res.exit_code == 1
        assert "ELR.csv: a .csv holds one organisation: say which with --org" in res.output
    finally:
        from qipp_helpers.core.orgs import use_organisations

        use_organisations(None)
