"""The per-family, per-attribute attack table (issue 14's docs comparison table) on the hand-written
families of tests/family_helpers.py: beta has a main study (FFA, FGS, FGV on 1,000 images) and a minimal/
study (FFA, DDN with FFA/DDN ratios 1.5 for X and 2.5 for Y)."""

from __future__ import annotations

from ffa_lab.report.attack_tables import attack_cell, attack_tables_markdown, family_attack_table
from ffa_lab.report.families import read_family
from tests.family_helpers import write_two_families


def _beta(tmp_path):
    models, results = write_two_families(tmp_path)
    return read_family("beta", models / "beta", results / "beta")


def test_a_cell_reads_success_and_the_three_medians():
    entry = {"success": {"ddn": 97.5}, "l2": {"ddn": {"median": 65.59}}, "linf": {"ddn": {"median": 6.0}}}
    entry["pass"] = {"ddn": {"median": 0.99961}}
    assert attack_cell(entry, "ddn") == "97.5 · 65.6 · 6 · 0.9996"
    assert attack_cell(entry, "fgs") == "—"
    assert attack_cell({"success": {"fgs": 50.0}}, "fgs") == "50.0 · — · — · —"


def test_each_attack_once_main_study_first_with_its_image_count_and_the_ratio_column(tmp_path):
    lines = family_attack_table(_beta(tmp_path))
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header == [
        "attribute",
        "FFA (1,000 img)",
        "FGS (1,000 img)",
        "FGV (1,000 img)",
        "DDN (1,000 img)",
        "FFA / DDN L2 ratio",
    ]
    rows = {r.split("|")[1].strip(): [c.strip() for c in r.strip("|").split("|")] for r in lines[2:]}
    assert list(rows) == ["X", "Y", "Z", "**mean**"]
    # X: FFA success 100 (main study), FGS 90, FGV 80; DDN from minimal/ (second attack there: 100 - 10)
    assert rows["X"][1].startswith("100.0 · — · 2 · 0.9900") and rows["X"][2].startswith("90.0")
    assert rows["X"][4].startswith("90.0") and rows["X"][5] == "1.50"
    assert rows["Z"][5] == "—"  # no pair measured
    assert rows["**mean**"][1].startswith("75.0 · — · 3 ·")  # (100 + 50 + 75) / 3, L∞ medians 2, 3, 4
    assert rows["**mean**"][5] == "2.00"  # mean of the two measured ratios


def test_the_section_has_one_table_per_family(tmp_path):
    models, results = write_two_families(tmp_path)
    families = [read_family(name, models / name, results / name) for name in ("alpha", "beta")]
    text = "\n".join(attack_tables_markdown(families))
    assert text.count("#### ") == 2 and "FFA / DDN" in text and text.count("**mean**") == 2
