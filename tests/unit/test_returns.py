"""Safety of what returns feed into: workbook cells never become formulas, paths never leave reports/."""

from __future__ import annotations

import pytest

from qipp_helpers.core.files import inside, safe_code
from qipp_helpers.core.text import safe_cell
from qipp_helpers.pack.plan import org_dir


def test_safe_cell_neutralises_formulas_not_numbers():
    for text in ("=1+2", "+44 116", "-2+3", "@SUM(A1)", "\t=1", "\r=1", '=HYPERLINK("http://x")'):
        assert safe_cell(text) == "'" + text
    assert safe_cell(-250.0) == -250.0 and safe_cell(-3) == -3 and safe_cell("SDEC") == "SDEC"


def test_paths_built_from_inputs_stay_inside_reports(tmp_path):
    assert org_dir(tmp_path, "2019-20", 7, "ELR") == tmp_path / "2019-20" / "M07" / "ELR"
    for org in ("../ELR", "ELR/../../x", "/etc", ".."):
        assert not safe_code(org)
        with pytest.raises(ValueError):
            org_dir(tmp_path, "2019-20", 7, org)
    with pytest.raises(ValueError, match="outside"):
        inside(tmp_path, tmp_path / ".." / "x")
    with pytest.raises(ValueError):
        org_dir(tmp_path, "../2019-20", 7, "ELR")
