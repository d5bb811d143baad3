"""The family comparison's logic: Spearman with ties, which study folder is read, and the tables' numbers
on the hand-written families of tests/family_helpers.py."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from ffa_lab.experiments.results import ResultsError
from ffa_lab.report.families import (
    average_ranks,
    families_from_results,
    find_study_folder,
    rank_correlations,
    ranking_correlation,
    read_family,
    spearman,
)
from ffa_lab.report.family_markdown import families_markdown
from ffa_lab.report.family_tables import (
    attribute_table,
    measures,
    minimal_methods,
    overview_table,
    ratio_label,
    side_effect_mean,
)
from tests.family_helpers import ALPHA, BETA, write_study, write_two_families


@pytest.fixture
def roots(tmp_path):
    return write_two_families(tmp_path)


@pytest.fixture
def pair(roots):
    models, results = roots
    return [read_family(name, models / name, results / name) for name in ("alpha", "beta")]


def test_average_ranks_share_ties():
    assert average_ranks([10, 20, 20, 30]).tolist() == [1.0, 2.5, 2.5, 4.0]
    assert average_ranks([3, 1, 3, 3]).tolist() == [3.0, 1.0, 3.0, 3.0]


def test_spearman_by_hand_with_a_tie():
    # ranks (1, 2.5, 2.5, 4) and (1, 3, 2, 4): centred products 4.5, squares 4.5 and 5 -> 4.5 / sqrt(22.5)
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(3 / math.sqrt(10))
    assert spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3])) and math.isnan(spearman([1], [2]))
    with pytest.raises(ValueError):
        spearman([1, 2], [1, 2, 3])


def test_spearman_matches_scipy_on_tied_data():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(0)
    for _ in range(20):
        x, y = rng.integers(0, 5, 30), rng.integers(0, 5, 30)  # many ties
        assert spearman(x, y) == pytest.approx(stats.spearmanr(x, y).statistic, abs=1e-12)


def test_rankings_correlate_over_their_common_attributes(pair):
    alpha, beta = pair
    assert ranking_correlation(alpha, beta) == (pytest.approx(0.5), 3)
    matrix = rank_correlations(pair)
    assert matrix.loc["alpha", "beta"] == matrix.loc["beta", "alpha"] == pytest.approx(0.5)
    assert matrix.loc["alpha", "alpha"] == 1.0


def test_overview_numbers(pair):
    table = overview_table(pair).set_index("family")
    alpha, beta = table.loc["alpha"], table.loc["beta"]
    assert (alpha["test accuracy %"], alpha["balanced accuracy %"]) == (80.0, 70.0)  # stored means
    assert (beta["test accuracy %"], beta["balanced accuracy %"]) == (80.0, 70.0)  # means over attributes
    assert alpha["FFA %"] == pytest.approx(60.0) and alpha["FGS %"] == pytest.approx(50.0)
    assert alpha["FFA PASS≥τ %"] == pytest.approx(30.0) and beta["FFA %"] == pytest.approx(75.0)
    assert alpha["side effects %"] == pytest.approx(20.0) and beta["side effects %"] == pytest.approx(100 / 6)
    assert (alpha["images"], beta["images"], alpha["study"]) == (10, 1000, "study")
    assert (alpha["most robust"], alpha["most vulnerable"]) == ("Z", "X")
    assert math.isnan(alpha["FFA / DDN ratio (mean of medians)"])  # alpha has no minimal/ study
    assert beta["FFA / DDN ratio (mean of medians)"] == pytest.approx(2.0)
    assert side_effect_mean(pair[0]) == pytest.approx(20.0)


def test_attribute_tables(pair):
    assert minimal_methods(pair) == ["ddn"] and ratio_label(pair, "ddn") == "FFA / DDN L2 ratio (median)"
    assert "FFA / DDN L2 ratio (median)" in measures(pair)
    ranks = attribute_table(pair, "robustness rank (1 = most robust)").set_index("attribute")
    assert list(ranks.index) == ALPHA["ranking"]  # the first family's order
    assert ranks["beta"].to_dict() == {"Z": 2.0, "Y": 1.0, "X": 3.0}
    ffa = attribute_table(pair, "FFA success with PASS≥τ %").set_index("attribute")
    assert ffa.loc["X"].tolist() == [ALPHA["pass99"]["X"], BETA["pass99"]["X"]]
    accuracy = attribute_table(pair, "test accuracy %").set_index("attribute")
    assert accuracy.loc["X", "beta"] == 90.0 and np.isnan(accuracy.loc["Z", "beta"])  # beta's evaluation lacks Z
    side = attribute_table(pair, "side effects %").set_index("attribute")
    assert side.loc["Y", "alpha"] == pytest.approx(15.0)  # row Y: 0.3 and 0.0 off the diagonal
    ratios = attribute_table(pair, "FFA / DDN L2 ratio (median)").set_index("attribute")
    assert ratios.loc["Y", "beta"] == 2.5 and np.isnan(ratios.loc["Z", "beta"]) and ratios["alpha"].isna().all()


def test_study_folder_choice(tmp_path):
    results = tmp_path / "r"
    assert find_study_folder(results) is None
    (results / "study" / "parts").mkdir(parents=True)  # an unfinished run
    write_study(results / "study20", {**ALPHA, "n_images": 20}, None)
    write_study(results / "study1000", {**ALPHA, "n_images": 1000}, None)
    assert find_study_folder(results) == results / "study1000"  # the largest while study/ is unfinished
    write_study(results / "study", ALPHA, None)
    assert find_study_folder(results) == results / "study"
    assert find_study_folder(results / "study20") == results / "study20"  # a study folder itself
    with pytest.raises(ResultsError, match="no finished study"):
        read_family("x", None, tmp_path / "nothing")


def test_a_minimal_study_without_ratios_is_not_used(roots):
    models, results = roots
    path = results / "beta" / "minimal" / "summary.json"
    summary = json.loads(path.read_text())
    for entry in summary["attributes"].values():
        entry.pop("ffa_to_minimal", None)
    path.write_text(json.dumps(summary))
    assert read_family("beta", models / "beta", results / "beta").minimal is None


def test_families_from_results_find_their_recorded_models(roots):
    _, results = roots
    found = families_from_results([results / "alpha", results / "beta", results / "alpha"])
    assert [f.label for f in found] == ["alpha", "beta", "alpha #2"]
    assert found[0].evaluation is not None and found[0].evaluation["mean_accuracy"] == 80.0


def test_markdown_section(pair):
    text = "\n".join(families_markdown(pair))
    assert "Spearman ρ = 0.500 over 3 common attributes" in text
    assert "different numbers of images (10, 1,000)" in text
    assert "| alpha | 80.00 | 70.00 | study | 10 | 60.00 |" in text
    assert "| Z | 1 | 30.00 | 0.00 | 2 | 75.00 | 20.00 |" in text
    assert "beta: FFA / DDN L2 ratio (median)" in text and "| **mean** | 2.00 |" in text
