"""The registry, the vocabulary, input-layout routing, notebook signatures and the command line's errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from qipp_helpers.core.errors import UsageError
from qipp_helpers.core.orgs import builtin, organisations, read_organisations, using_organisations
from qipp_helpers.core.periods import check_fin_year, parse_months
from qipp_helpers.ingest.layouts import recognise
from qipp_helpers.pack.catalogue import CATALOGUE, STANDARD_PARAMETERS, check_parameters, signature

from ..conftest import FRP_WORKBOOK, M6_WORKBOOK, RIGHTCARE_DIR

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"


def test_one_registry_answers_for_qipp_frp_and_rightcare():
    reg = builtin()
    assert reg.ccgs == ("ELR", "WL", "LC") and reg.groups == {"LLR": ("ELR", "WL", "LC")}
    assert reg.systems == {"LLR": ("UHL", "LPT", "LC", "ELR", "WL")}
    assert reg.rightcare_groups == {"DDCCG": ("ER", "HW", "ND", "SD"), "LLR": ("ELR", "WL", "LC")}
    assert reg.rightcare_members("SD") == ("SD",)
    assert reg.label("DDCCG") == (
        "NHS Derby and Derbyshire CCG (Erewash, Hardwick, North Derbyshire and Southern Derbyshire CCGs)"
    )
    assert reg.name("UHL") == "University Hospitals of Leicester"
    # the FRP report's title names the system as the file says (no organisation's name in the report's code)
    assert reg.system_name("LLR") == "Leicester, Leicestershire & Rutland system"
    assert reg.system_name("ELR") == "East Leicestershire & Rutland CCG" and reg.system_name("ZZ") == "ZZ"
    assert reg.all_codes[:4] == ("ELR", "WL", "LC", "LLR") and "DDCCG" in reg.all_codes


def test_a_data_folder_declares_its_own_organisations_without_touching_the_environment(tmp_path, monkeypatch):
    (tmp_path / "organisations.csv").write_text("code,name,members\nA1,Alpha,\nB2,Beta,\nG,Both,A1 B2\n")
    before = dict(__import__("os").environ)
    with using_organisations(tmp_path) as reg:
        assert organisations() is reg and reg.codes == ("A1", "B2", "G") and reg.members("G") == ("A1", "B2")
    assert organisations().ccgs == ("ELR", "WL", "LC")
    assert dict(__import__("os").environ) == before


def test_a_bad_organisations_file_names_the_row_and_column(tmp_path):
    path = tmp_path / "organisations.csv"
    path.write_text("code,name,members\nA1,Alpha,\nbad code,Beta,\n")
    with pytest.raises(ValueError, match=r"organisations.csv, row 3, column 'code'"):
        read_organisations(path)
    path.write_text("code,name,members\nA1,Alpha,\nG,Group,A1 ZZ\n")
    with pytest.raises(ValueError, match="G lists ZZ, which are not in the file"):
        read_organisations(path)


@pytest.mark.parametrize("text", ["2019-20", " 2019-20\n"])
def test_financial_years_are_ascii_after_stripping(text):
    assert check_fin_year(text) == "2019-20"


@pytest.mark.parametrize("text", ["２０１９-２０", "٢٠١٩-٢٠", "2019-21", "2019/20", ""])
def test_other_years_are_refused(text):
    with pytest.raises(ValueError, match="financial year must look like 2019-20"):
        check_fin_year(text)


def test_months():
    assert parse_months("1-3,6") == [1, 2, 3, 6]
    with pytest.raises(ValueError):
        parse_months("٦")


def test_each_input_layout_is_recognised_from_its_sheets(tmp_path):
    assert recognise(M6_WORKBOOK).name == "dashboard"
    assert recognise(FRP_WORKBOOK).name == "frp"
    assert recognise(next(RIGHTCARE_DIR.glob("*.xlsx"))).name == "rightcare"
    csv = tmp_path / "ELR.csv"
    csv.write_text("x\n")
    assert recognise(csv).name == "dashboard"


@pytest.mark.parametrize("name", list(CATALOGUE))
def test_every_pack_notebook_declares_typed_standard_parameters(name):
    sig = signature(NOTEBOOKS / f"{name}.ipynb")
    assert set(STANDARD_PARAMETERS) <= set(sig)
    assert sig["month"]["inferred_type_name"] == "int" and sig["fin_year"]["inferred_type_name"] == "str"
    assert all(p["help"] for p in sig.values()), "every parameter carries a comment"


def test_parameters_are_checked_against_the_notebook_and_converted():
    nb = NOTEBOOKS / "under_delivery_drivers.ipynb"
    assert check_parameters(nb, {"threshold": "500", "month": 6}) == {"threshold": 500.0, "month": 6}
    with pytest.raises(UsageError, match=r"notebook under_delivery_drivers, parameter 'threshold': 'lots'"):
        check_parameters(nb, {"threshold": "lots"})
    with pytest.raises(UsageError, match=r"notebook monthly_position has no parameter 'threshold'"):
        check_parameters(NOTEBOOKS / "monthly_position.ipynb", {"threshold": "500"})


@pytest.mark.slow  # every notebook's plan for every organisation: make test, not make test-fast
def test_org_all_reports_what_each_notebook_leaves_out_as_naming_the_org_would(demo_data_dir, tmp_path):
    from qipp_helpers.pack.batch import held
    from qipp_helpers.pack.catalogue import ILLUSTRATIVE_REASON
    from qipp_helpers.pack.plan import grouped_skips, plan

    notebooks = {n: NOTEBOOKS / f"{n}.ipynb" for n in CATALOGUE}
    common = dict(
        fin_year="2019-20",
        months=[6],
        notebooks=notebooks,
        data_dir=demo_data_dir,
        out=tmp_path,
        held=held(demo_data_dir),
    )
    every = plan(orgs=None, **common)
    named = plan(orgs=["ELR"], **common)
    frp_all = [s for s in every.skipped if s["notebook"] == "frp_bridge" and s["org"] == "ELR"]
    frp_named = [s for s in named.skipped if s["notebook"] == "frp_bridge"]
    assert frp_all == frp_named  # the same line, whichever form of --org
    assert {(r.notebook, r.org) for r in every.reports} >= {("rightcare_opportunity", "DDCCG"), ("frp_bridge", "LLR")}
    # ELR's RightCare figures are all synthetic: illustrative, so only --include-illustrative renders it (issue 25)
    assert ("rightcare_opportunity", "ELR") not in {(r.notebook, r.org) for r in named.reports}
    with_illustrative = plan(orgs=["ELR"], include_illustrative=True, **common)
    assert ("rightcare_opportunity", "ELR") in {(r.notebook, r.org) for r in with_illustrative.reports}
    lines = {(g["notebook"], g["reason"]): g["org"] for g in grouped_skips(every.skipped)}
    assert lines[("frp_bridge", "the FRP is held for the system (LLR), not for a single organisation")] == (
        "ELR, WL, LC, DDCCG"
    )
    assert lines[("rightcare_opportunity", ILLUSTRATIVE_REASON)] == "ELR, WL, LC, LLR"
    every_illustrative = plan(orgs=None, include_illustrative=True, **common)
    lines = {(g["notebook"], g["reason"]): g["org"] for g in grouped_skips(every_illustrative.skipped)}
    assert lines[
        ("rightcare_opportunity", "not in the default pack: LLR's report shows it (render it alone with --org)")
    ] == ("ELR, WL, LC")
