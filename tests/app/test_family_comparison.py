"""AppTest: the dashboard's "Compare families" tab on two hand-written families (tests/family_helpers.py)."""

from __future__ import annotations

import pytest

from ffa_lab.report.colors import DELTA_COLORSCALE
from ffa_lab.views import families as views
from tests.app.test_pages import page, problems
from tests.app.test_saliency_panel import array, charts
from tests.family_helpers import write_two_families


@pytest.fixture
def two_families(monkeypatch, tmp_path):
    models, results = write_two_families(tmp_path)
    monkeypatch.setattr(views, "MODELS_ROOT", models)
    monkeypatch.setattr(views, "RESULTS_ROOT", results)
    monkeypatch.setenv("FFA_LAB_RESULTS", str(tmp_path / "no-study"))  # the first tab: just its hint
    return models, results


def _frame(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def test_family_tab_compares_two_families(two_families):
    at = page("pages/5_Robustness_Dashboard.py").run()
    assert problems(at) == []
    assert [t.label for t in at.tabs] == ["This study", "Compare families"]
    assert at.multiselect(key="fam_pick").options == ["alpha", "beta"]
    overview = _frame(at, "family").set_index("family")
    assert overview.loc["alpha", "FFA %"] == 60.0 and overview.loc["beta", "FFA %"] == 75.0
    assert overview.loc["alpha", "FFA PASS≥τ %"] == 30.0 and overview.loc["alpha", "side effects %"] == 20.0
    assert overview.loc["beta", "test accuracy %"] == 80.0 and overview.loc["beta", "images"] == 1000
    assert overview.loc["beta", "FFA / DDN ratio (mean of medians)"] == 2.0
    assert any("Spearman ρ = 0.500 over 3 attributes" in m.value for m in at.markdown)
    assert any("different numbers of images" in w.value for w in at.warning)
    assert any("10 test images" in c.value and "1,000 test images" in c.value for c in at.caption)
    ranks = _frame(at, "attribute")
    assert list(ranks["attribute"]) == ["Z", "Y", "X"]  # first measure: the robustness rank, alpha's order
    assert list(ranks["beta"]) == [2.0, 1.0, 3.0]
    at.selectbox(key="fam_measure").set_value("FGS success %").run()
    assert problems(at) == []
    assert list(_frame(at, "attribute").set_index("attribute").loc["X"]) == [80.0, 90.0]
    assert any("FFA / DDN L2 ratio (median)" in m.value and "mean 2.00" in m.value for m in at.markdown)
    delta = next(f for key, f in charts(at).items() if "fam_mean_delta" in key)
    assert [list(stop) for stop in delta.layout.coloraxis.colorscale] == DELTA_COLORSCALE
    assert len(delta.data) == 2
    assert array(delta.data[0].z).max() == 1.0 and delta.layout.coloraxis.cmax == 1.0  # X's maps: all 1.0


def test_one_family_has_no_correlation(two_families):
    at = page("pages/5_Robustness_Dashboard.py").run()
    at.multiselect(key="fam_pick").set_value(["alpha"]).run()
    assert problems(at) == []
    assert list(_frame(at, "family")["family"]) == ["alpha"]
    assert any("Choose two families or more" in c.value for c in at.caption)
    assert any("minimal/" in c.value and "ffa-lab study" in c.value for c in at.caption)  # alpha has no ratios


def test_no_family_with_results_says_how_to_compute_one(monkeypatch, tmp_path):
    monkeypatch.setattr(views, "MODELS_ROOT", tmp_path / "models")
    monkeypatch.setattr(views, "RESULTS_ROOT", tmp_path / "results")
    at = page("pages/5_Robustness_Dashboard.py").run()
    assert problems(at) == []
    assert any("ffa-lab study --models assets/models/<name>" in i.value for i in at.info)
