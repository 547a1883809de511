"""Paper D's printed commentary (under Tables 3 and 4, and the QAG items) as published reference data."""

from __future__ import annotations

from pathlib import Path

import pytest

from qipp_helpers.reference import paper_d_commentary, scheme_group, workstream_map

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT.parent / "shared" / "seeds" / "003_21db5d1601c7edad.txt"


@pytest.fixture(scope="module")
def commentary():
    return paper_d_commentary()


def one(commentary, group: str, kind: str) -> str:
    hit = commentary[(commentary["scheme_group"] == group) & (commentary["kind"] == kind)]
    assert len(hit) == 1, (group, kind, hit)
    return hit["text"].iloc[0]


def test_falls_diagnostics_and_sdec_verbatim(commentary):
    assert one(commentary, "1.5", "movement") == (
        "The year to date non elective activity relating to the cohort of patients expected to be impacted by "
        "the Steady Steps programme has shown an overall increase in activity in relation to the baseline, "
        "rather than a decrease. Having reviewed the data set further, it has been confirmed that this element "
        "of the scheme cannot demonstrate any delivery of QIPP as previously advised by the PMO."
    )
    assert one(commentary, "2.7", "movement") == (
        "The large reduction in the level of QIPP delivery is due to sickness absence of the project manager "
        "and amendment to the % reduction in activity achievable. The original assumption of a 43% reduction in "
        "activity has been deemed unrealistic and so has been amended to 10% accordingly. This level will be "
        "refined again once a decision is made as to the nature of the interventions (due for discussion at "
        "Planned Care Board in November)."
    )
    sdec = one(commentary, "1.1", "driver")
    assert sdec.startswith("The under delivery relates to all 3 areas of the project.")
    assert "it will now go live in January 2020 at the earliest" in sdec
    assert one(commentary, "1.1", "qag").startswith("the PMO will work with the Urgent Care team")


def test_items_labels_and_kinds_as_printed(commentary):
    items = commentary.drop_duplicates("order").sort_values("order")
    assert items["kind"].value_counts().to_dict() == {"driver": 11, "movement": 8, "qag": 3}
    assert list(items.loc[items["kind"] == "movement", "label"]) == [
        "Running Costs",
        "Continuing Health Care",
        "Community Services Redesign (CSR)",
        "Falls",
        "End of Life",
        "Diagnostics",
        "High Cost Drugs",
        "Medicines Management",
    ]
    shared = commentary[commentary["label"] == "Falls/Diagnostics/CSR/HCD/End of Life/"]
    assert sorted(shared["scheme_group"]) == ["1.2", "1.5", "1.6", "2.7", "3.2"]
    assert (commentary["org"] == "LLR").all() and (commentary["month"] == 6).all()
    assert commentary["provenance"].str.startswith("published: Paper D").all()


def test_scheme_groups_are_dashboard_groups(commentary):
    groups = {scheme_group(no) for no in workstream_map()}
    assert set(commentary["scheme_group"]) <= groups


def test_text_is_plain(commentary):
    for text in commentary["text"]:
        assert "**" not in text and "<" not in text and not text.startswith(("=", "+", "@"))


@pytest.mark.skipif(not SEED.exists(), reason="source paper text not present")
def test_every_item_is_verbatim_in_the_paper(commentary):
    paper = SEED.read_text(encoding="utf-8")
    for label, text in zip(commentary["label"], commentary["text"], strict=True):
        assert text in paper, label
        assert label in paper, label
