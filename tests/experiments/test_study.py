"""The robustness study: what is attacked, what is recorded, side effects, resume without redoing work."""

from dataclasses import replace

import numpy as np
import pytest

import ffa_lab.experiments.study
from ffa_lab.cli.main import main
from ffa_lab.data.attributes import ATTRIBUTE_INDEX
from ffa_lab.data.imagecache import load_images
from ffa_lab.experiments.options import RunOptions
from ffa_lab.experiments.results import ResultsError
from ffa_lab.experiments.selection import quartiles, select_images
from ffa_lab.experiments.study import StudyConfig, run_study
from ffa_lab.experiments.study_summary import rank_attributes
from ffa_lab.experiments.units import PartStore
from ffa_lab.models.evaluate import bank_scores
from tests.study_helpers import ATTRS, make_inputs, open_inputs

pytestmark = pytest.mark.usefixtures("torch_one_thread")


CONFIG = StudyConfig(attacks=("ffa", "fgs", "fgv"), attributes=ATTRS, chunk_size=10)


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return make_inputs(tmp_path_factory.mktemp("study"))


@pytest.fixture(scope="module")
def study(inputs):
    loaded, data = open_inputs(inputs)
    return run_study(loaded, data, CONFIG, inputs["root"] / "full", options=RunOptions.quiet(inputs["cache"]))


def test_select_images_is_a_seeded_sorted_subset():
    a = select_images(100, 10, seed=3)
    assert a.tolist() == sorted(a.tolist()) and len(set(a.tolist())) == 10
    assert a.tolist() == select_images(100, 10, seed=3).tolist()
    assert a.tolist() != select_images(100, 10, seed=4).tolist()
    assert select_images(5, None, 0).tolist() == [0, 1, 2, 3, 4]


def test_quartiles_ignore_nan_and_empty():
    assert quartiles(np.array([1.0, np.nan, 2.0, 3.0, 4.0, 5.0]))["median"] == 3.0
    assert quartiles(np.array([np.nan])) is None


def test_only_correctly_classified_images_are_attacked_and_recorded(study, inputs):
    loaded, data = open_inputs(inputs)
    ids = data.split_ids("test")
    scores = bank_scores(loaded.bank, load_images(data, ids, inputs["cache"]))
    labels = data.labels_for(ids)
    samples = study.samples
    for g, name in enumerate(loaded.attributes):
        right = (scores[:, g] >= 0) == (labels[:, ATTRIBUTE_INDEX[name]] == 1)
        correct = {ids[i] for i in np.flatnonzero(right)}
        for method in CONFIG.attacks:
            rows = samples[(samples["attribute"] == name) & (samples["method"] == method)]
            assert set(rows["image_id"]) == correct
        entry = study.summary["attributes"][name]
        assert entry["n_attacked"] == len(correct)
        assert entry["clean_accuracy"] == pytest.approx(100.0 * len(correct) / len(ids))
    won = samples[samples["success"]]
    assert (np.sign(won["score_before"]) != np.sign(won["score_after"])).all()
    assert won[["scale", "l2", "linf", "pass"]].notna().all().all()
    assert samples.loc[~samples["success"], ["scale", "pass"]].isna().all().all()
    assert ((won["pass"] > 0) & (won["pass"] <= 1)).all()


def test_summary_rates_ranking_side_effects_and_maps(study):
    summary = study.summary
    for name, entry in summary["attributes"].items():
        rows = study.samples[(study.samples["attribute"] == name) & (study.samples["method"] == "ffa")]
        assert entry["success"]["ffa"] == pytest.approx(100.0 * rows["success"].sum() / max(len(rows), 1))
        under = (rows["success"] & (rows["pass"] >= 0.99)).sum()
        assert entry["success_pass99"]["ffa"] == pytest.approx(100.0 * under / max(len(rows), 1))
    assert summary["ranking"] == rank_attributes(summary["attributes"], CONFIG)
    assert sorted(summary["ranking"]) == sorted(ATTRS) and "PASS" in summary["ranking_criterion"]
    side = study.side_effects
    assert list(side.index) == list(ATTRS) and side.shape == (3, 3)
    for name in ATTRS:  # flipping A always changes A's own prediction (full bank = the single network)
        if summary["attributes"][name]["success"]["ffa"] > 0:
            assert side.loc[name, name] == pytest.approx(1.0)
    assert ((side.to_numpy() >= 0) & (side.to_numpy() <= 1)).all()
    assert study.mean_perturbation.shape == (3, 36, 30) and (study.mean_perturbation >= 0).all()


def test_interrupted_study_resumes_without_redoing_finished_units(study, inputs, monkeypatch):
    loaded, data = open_inputs(inputs)
    out = inputs["root"] / "cut"

    class Killed(Exception):
        pass

    def kill(done, total):
        if done >= total // 2:
            raise Killed

    with pytest.raises(Killed):
        run_study(loaded, data, CONFIG, out, options=RunOptions.quiet(inputs["cache"], progress=kill))
    finished = {p.stem for p in (out / "parts").glob("*.npz")}
    assert 0 < len(finished) < 9 and not (out / "summary.json").exists()
    real_unit, calls = ffa_lab.experiments.study.study_unit, []

    def counting_unit(ctx, attribute, positions, *, config):
        calls.append(attribute)
        return real_unit(ctx, attribute, positions, config=config)

    monkeypatch.setattr(ffa_lab.experiments.study, "study_unit", counting_unit)
    resumed = run_study(loaded, data, CONFIG, out, options=RunOptions.quiet(inputs["cache"]))
    assert len(calls) == 9 - len(finished)  # 3 attributes x 3 chunks of 10 of 24 images
    assert not (out / "parts").exists()
    assert resumed.samples.equals(study.samples)
    assert resumed.side_effects.equals(study.side_effects)
    assert np.array_equal(resumed.mean_perturbation, study.mean_perturbation)
    assert resumed.ranking == study.ranking
    calls.clear()
    run_study(loaded, data, CONFIG, out, options=RunOptions.quiet(inputs["cache"]))  # finished: nothing to do
    assert calls == []


def test_resume_with_other_settings_is_refused(inputs):
    loaded, data = open_inputs(inputs)
    out = inputs["root"] / "mixed"
    PartStore(out, {"something": "else"})
    with pytest.raises(ResultsError, match="different settings"):
        run_study(loaded, data, replace(CONFIG, limit=5), out, options=RunOptions.quiet(inputs["cache"]))


def test_cli_rejects_unknown_attack_and_attribute(inputs, capsys):
    base = [
        "study",
        "--models",
        str(inputs["models"]),
        "--celeba",
        str(inputs["celeba"]),
        "--out",
        str(inputs["root"] / "cli"),
    ]
    assert main([*base, "--attacks", "ffa,nope"]) == 2
    assert "unknown attack 'nope'" in capsys.readouterr().err
    assert main([*base, "--attributes", "Smiling,Nope"]) == 2
    assert "unknown attribute 'Nope'" in capsys.readouterr().err


def test_cli_runs_a_limited_study(inputs, capsys):
    out = inputs["root"] / "cli-run"
    code = main(
        [
            "study",
            "--models",
            str(inputs["models"]),
            "--celeba",
            str(inputs["celeba"]),
            "--out",
            str(out),
            "--limit",
            "8",
            "--attacks",
            "ffa",
            "--workers",
            "1",
            "--cache",
            str(inputs["cache"]),
        ]
    )
    assert code == 0
    assert "most robust" in capsys.readouterr().out
    assert (out / "summary.json").is_file() and not (out / "parts").exists()
