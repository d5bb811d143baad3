"""Plain sentences (ffa_lab.views.sentences), the Compare table (views.compare), the flip-all files
(views.exports) and the Home page's accuracy provenance (views.bankinfo)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import numpy as np
import pytest

from ffa_lab.data.images import decode_image
from ffa_lab.models.checkpoint import load_bank, save_bank
from ffa_lab.views import bankinfo, exports, flip_all, sentences
from ffa_lab.views.compare import MEASURES, comparison_table, short_labels
from tests.views.test_flips import bank, face, view  # noqa: F401  (fixtures: a tiny bank near its boundary)


def changed(flip_view, **numbers):
    """``flip_view`` with some numbers of its one-sample AttackResult replaced (FlipView reads them from it)."""
    return replace(flip_view, result=replace(flip_view.result, **{k: np.array([v]) for k, v in numbers.items()}))


def test_flip_sentence_says_what_changed_in_words(view):  # noqa: F811
    flipped = changed(view, success=True, score_before=0.708, score_after=-0.21, linf=7.0, pass_score=0.9991)
    text = sentences.flip_sentence(flipped, "FFA")
    assert "said *smiling* (score +0.708) and now says *not smiling* (score -0.210)" in text
    assert "differ by at most 7 grey levels" in text and "look identical (PASS 0.9991" in text
    visible = sentences.flip_sentence(changed(flipped, pass_score=0.93), "FFA")
    assert "differ visibly (PASS 0.9300)" in visible
    failed = sentences.flip_sentence(changed(view, success=False, score_before=-2.0, score_after=-1.5, linf=64.0))
    assert "could not change the network's answer: it still says *not smiling*" in failed and "64 grey levels" in failed


def test_score_metric_delta_points_down_when_the_score_went_down(view):  # noqa: F811
    value, delta = sentences.score_metric(changed(view, score_before=0.708, score_after=-0.002))
    assert value == "-0.002" and delta == "-0.710 from +0.708", "Streamlit draws ↓ for a delta starting with '-'"
    _, up = sentences.score_metric(changed(view, score_before=-0.3, score_after=0.01))
    assert up.startswith("+0.310")


def test_identical_attacks_are_explained(view):  # noqa: F811
    views = {
        "ffa": view,
        "fgs": changed(view, l2=view.numbers.l2 + 5),
        "fgv": view,
        "deepfool": changed(view, scale=9.9),
    }
    groups = sentences.identical_groups(views)
    assert groups == [["ffa", "fgv"]]
    text = sentences.identical_sentence(groups[0])
    assert text.startswith("FFA and FGV gave identical numbers.")
    assert "multiples of the same gradient ∇f(x)" in text and "|f(x)| < 1" in text and "|f(x)| > 1" in text
    assert "DeepFool" in sentences.identical_sentence(["ffa", "fgv", "deepfool"])
    assert sentences.identical_groups({"ffa": view, "fgs": changed(view, linf=view.numbers.linf + 1)}) == []


def test_padding_note_and_natural_intro():
    assert sentences.padding_note(0.0) is None and sentences.padding_note(0.005) is None
    assert sentences.padding_note(0.23).startswith("23 % of the aligned crop lies outside the photo")
    assert "Hendrycks" in sentences.NATURAL_INTRO and "different idea" in sentences.NATURAL_INTRO


def test_comparison_table_has_one_column_per_attack(view):  # noqa: F811
    table = comparison_table({"ffa": view, "fgs": changed(view, success=False, scale=float("nan"))})
    assert list(table.columns) == ["FFA", "FGS"] and tuple(table.index) == MEASURES
    assert table.loc["flipped", "FGS"] == "no" and table.loc["scale (grey levels)", "FGS"].startswith("—")
    assert all(isinstance(v, str) for v in table.to_numpy().ravel()), "one text format, no mixed dtypes"


def test_short_labels_are_unique():
    labels = {
        "iffa": "Iterative FFA (our extension)",
        "fmn": "FMN (fast minimum-norm, L2)",
        "fmn-linf": "FMN (fast, L∞)",
    }
    assert short_labels(labels) == {"iffa": "Iterative FFA", "fmn": "FMN L2", "fmn-linf": "FMN L∞"}
    assert sentences.identical_sentence(["ddn", "fmn"]).endswith(
        "returned the same adversarial image (all results are whole grey levels)."
    )


def test_flip_all_downloads(bank, face):  # noqa: F811
    grid = flip_all.flip_all_view(bank, face, "ffa", compute_pass=False)
    order = exports.display_order(grid)
    png = decode_image(exports.flip_all_png(grid, columns=2))
    height, width = face.shape[:2]
    assert png.shape == (2 * (height + exports.LABEL_HEIGHT), 2 * width, 3)
    assert np.array_equal(png[:height, :width], grid.adversarial[order[0]]), "tiles are the exact adversarials"
    rows = list(csv.DictReader(io.StringIO(exports.flip_all_csv(grid))))
    assert [r["attribute"] for r in rows] == [grid.attributes[i] for i in order]
    assert tuple(rows[0]) == exports.CSV_COLUMNS and rows[0]["pass"] == ""  # PASS not computed here
    assert float(rows[0]["score_before"]) == pytest.approx(grid.result.score_before[order[0]], abs=1e-6)


def test_headline_accuracy_is_the_test_evaluation(tiny_bank, tmp_path):
    meta = {"metrics": {"val_accuracy": 88.5, "val_balanced_accuracy": 79.7, "n_val": 1000}}
    save_bank(tmp_path, tiny_bank, {name: meta for name in tiny_bank.attributes})
    loaded = load_bank(tmp_path)
    only = bankinfo.evaluations(loaded)  # a folder without evaluation.json is fine
    assert [d.source for d in only] == ["checkpoint metadata"]
    assert only[0].label == "validation split, measured during training, 1,000 images (checkpoint metadata)"
    summary = {"val": {"mean_accuracy": 88.5, "n": 1000, "attributes": {"Smiling": {"accuracy": 88.5}}}}
    (tmp_path / "training_summary.json").write_text(json.dumps(summary))
    test = {"mean_accuracy": 86.5, "mean_balanced_accuracy": 76.1, "n": 5000, "split": "test"}
    (tmp_path / "evaluation.json").write_text(json.dumps(test | {"attributes": {"Smiling": {"accuracy": 86.5}}}))
    docs = bankinfo.evaluations(load_bank(tmp_path))  # the loader does not take the JSON for a checkpoint
    assert docs[0].label == "test split, 5,000 images (evaluation.json)" and docs[0].mean_accuracy == 86.5
    assert [d.source for d in docs[1:]] == ["training_summary.json"], "the checkpoints' copy is not repeated"
