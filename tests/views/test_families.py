"""Which families the dashboard offers, the cache key of one, its mean |δ| maps and the studies caption."""

from __future__ import annotations

import os

import numpy as np

from ffa_lab.report.families import read_family
from ffa_lab.views import families as views
from tests.conftest import REPO
from tests.family_helpers import write_two_families


def test_choices_are_model_folders_with_a_finished_study(tmp_path):
    models, results = write_two_families(tmp_path)
    (models / "gamma").mkdir()
    (models / "gamma" / "evaluation.json").write_text("{}")  # no results folder
    (models / "delta").mkdir()
    (models / "delta" / "evaluation.json").write_text("{}")
    (results / "delta" / "study" / "parts").mkdir(parents=True)  # a study still running
    (models / "empty").mkdir()  # neither checkpoints nor an evaluation
    (results / "empty" / "study").mkdir(parents=True)
    choices = views.family_choices(models, results)
    assert [(c.label, c.models, c.results) for c in choices] == [
        (name, str(models / name), str(results / name)) for name in ("alpha", "beta")
    ]


def test_every_shipped_bank_with_results_is_offered():
    expected = [
        p.name
        for p in sorted((REPO / "assets" / "models").iterdir())
        if any(p.glob("*.safetensors")) and (REPO / "assets" / "results" / p.name / "study" / "summary.json").is_file()
    ]
    choices = views.family_choices()
    assert [c.label.split(" (")[0] for c in choices] == expected
    assert all(c.label.endswith(")") for c in choices)  # named with their family, as in the sidebar


def test_stamp_changes_with_the_study(tmp_path):
    models, results = write_two_families(tmp_path)
    choice = views.family_choices(models, results)[0]
    before = views.family_stamp(choice)
    summary = results / "alpha" / "study" / "summary.json"
    os.utime(summary, ns=(summary.stat().st_atime_ns, summary.stat().st_mtime_ns + 10**9))
    assert views.family_stamp(choice) != before


def test_delta_maps_and_caption(tmp_path):
    models, results = write_two_families(tmp_path)
    pair = [views.load_family(c) for c in views.family_choices(models, results)]
    maps = views.delta_maps(pair, "Y")
    assert list(maps) == ["alpha", "beta"] and np.all(maps["alpha"] == 2.0) and maps["beta"].shape == (6, 5)
    (results / "beta" / "study" / "mean_perturbation.npz").unlink()
    beta = read_family("beta", models / "beta", results / "beta")
    assert list(views.delta_maps([pair[0], beta], "Y")) == ["alpha"]  # a family without maps is left out
    assert list(views.delta_maps(pair, "nope")) == []
    caption = views.studies_caption(pair)
    assert caption == "alpha: `study/`, 10 test images · beta: `study/`, 1,000 test images, minimal/ too"
