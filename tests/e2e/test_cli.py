"""The command line: --version, one-line errors, --debug, --param checked and passed to the notebook."""

from __future__ import annotations

from typer.testing import CliRunner

from qipp_helpers.cli import app

from ..conftest import ROOT, run_args

NOTEBOOKS = ROOT / "notebooks"


def test_version_and_one_line_errors(tmp_path):
    runner = CliRunner()
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.startswith("qipp-workbooks ")
    a_file = tmp_path / "not_a_folder"
    a_file.write_text("x")
    result = runner.invoke(app, ["ingest-raw", "--data-dir", str(a_file)])
    assert result.exit_code == 2 and "Traceback" not in result.output  # a command line that cannot be used
    assert result.output.count("\n") == 1 and "--data-dir names the folder" in result.output
    result = runner.invoke(
        app, ["run", "--fin-year", "2019-20", "--month", "6", "--formats", ",", "--data-dir", str(tmp_path)]
    )
    assert result.exit_code == 2 and "unknown format" in result.output and result.output.count("\n") == 1
    result = runner.invoke(
        app,
        ["run", "--fin-year", "2019-20", "--month", "6", "--param", "nonsense", "--data-dir", str(tmp_path)],
    )
    assert result.exit_code == 2 and "expected NAME=VALUE" in result.output


def test_a_parameter_no_notebook_declares_is_refused_before_anything_runs(demo_data_dir, tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "run",
            "--fin-year",
            "2019-20",
            "--month",
            "6",
            "--notebook",
            "monthly_position",
            "--param",
            "threshold=5",
            "--data-dir",
            str(demo_data_dir),
            "--out",
            str(tmp_path / "out"),
            "--notebooks-dir",
            str(NOTEBOOKS),
        ],
    )
    assert result.exit_code == 2 and "--param threshold: no notebook of this run declares it" in result.output
    assert not list((tmp_path / "out").rglob("*.html"))


def test_debug_shows_the_traceback(tmp_path):
    a_file = tmp_path / "f"
    a_file.write_text("x")
    result = CliRunner().invoke(app, ["--debug", "ingest-raw", "--data-dir", str(a_file)])
    assert result.exit_code == 2 and "Traceback" in result.output


def test_param_reaches_the_notebook(demo_data_dir, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        run_args(demo_data_dir, out, "--param", "threshold=5000", notebook="under_delivery_drivers", formats="xlsx"),
    )
    assert result.exit_code == 0, result.output
    import pandas as pd

    drivers = pd.read_excel(out / "2019-20" / "M06" / "ELR" / "under_delivery_drivers.xlsx", sheet_name="drivers")
    named = drivers.loc[drivers["Section"] == "Driver", "Scheme group"].tolist()
    assert named == ["Unidentified QIPP"]  # 6,166 is the only ELR driver above £2,020k (5,000 x ELR share)


def test_provenance_notes_and_odd_financial_years_are_one_line_or_the_same_year(tmp_path):
    """Issue 15: an empty or non-UTF-8 PROVENANCE.txt is one located line; a financial year typed with a trailing
    newline is the same year; one typed in Arabic-Indic or full-width digits is refused (never a second year)."""
    runner = CliRunner()
    data = tmp_path / "data"
    folder = data / "raw" / "2019-20" / "M06"
    folder.mkdir(parents=True)
    (folder / "ELR.csv").write_text("Scheme No,Scheme Name\n", encoding="utf-8")
    for content, says in [(b"  \n", "empty"), (b"Paper D \xa3000\n", "not UTF-8 text")]:
        (folder / "PROVENANCE.txt").write_bytes(content)
        result = runner.invoke(app, ["ingest-raw", "--data-dir", str(data)])
        assert result.exit_code == 1 and "Traceback" not in result.output, result.output
        assert result.output.count("\n") == 1 and "PROVENANCE.txt" in result.output and says in result.output
        assert not (data / "processed").exists() or not any((data / "processed").iterdir())
    for year in ["٢٠١٩-٢٠", "２０１９-２０"]:
        result = runner.invoke(app, ["run", "--fin-year", year, "--month", "6", "--data-dir", str(data)])
        assert result.exit_code != 0 and "financial year must look like 2019-20" in result.output, result.output
        assert "Traceback" not in result.output and not list(tmp_path.rglob("٢٠١٩-٢٠"))
    from qipp_helpers.core.periods import check_fin_year

    assert check_fin_year("2019-20\n") == check_fin_year(" 2019-20 ") == "2019-20"
