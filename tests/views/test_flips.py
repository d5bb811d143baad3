"""The flip view's numbers and images (core/views/flips.py), on a tiny random bank: no Streamlit."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from ffa_lab.attacks.criteria import is_success
from ffa_lab.data.images import decode_image
from ffa_lab.models.evaluate import bank_scores
from ffa_lab.report.numbers import score_text
from ffa_lab.views import flips
from ffa_lab.views.compare import comparison_table
from ffa_lab.views.flip_all import flip_all_view


@pytest.fixture
def face() -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.integers(30, 220, (40, 34, 3), dtype=np.uint8)


@pytest.fixture
def bank(tiny_bank, face):
    """The tiny random bank with its last biases moved so every score of ``face`` is ±0.02: near the
    boundary, so a small perturbation flips it (a random network is otherwise hard to flip)."""
    scores = torch.from_numpy(bank_scores(tiny_bank, face[None])[0])
    with torch.no_grad():
        tiny_bank.fc2_bias -= (scores - 0.02 * torch.sign(scores)).view(-1, 1)
    return tiny_bank


@pytest.fixture
def view(bank, face) -> flips.FlipView:
    return flips.flip_view(bank, face, "Smiling", "ffa")


def test_flip_view_is_consistent_with_the_bank(bank, face, view):
    assert view.numbers.success, "FFA flips a random network on a random image"
    assert (view.numbers.score_before >= 0) != (view.numbers.score_after >= 0)
    k = bank.attributes.index("Smiling")
    rescored = bank_scores(bank, view.adversarial[None])[0, k]
    assert rescored == pytest.approx(view.numbers.score_after, abs=1e-4)
    assert np.array_equal(view.image_at(1.0), view.adversarial), "strength 1.0 reproduces the found adversarial"
    assert np.array_equal(view.image_at(0.0), face)
    assert view.score_at(0.0) == pytest.approx(view.numbers.score_before, abs=1e-4)
    assert view.score_at(1.0) == pytest.approx(view.numbers.score_after, abs=1e-4)
    assert view.all_before.shape == (3,) and view.all_after[k] == pytest.approx(view.numbers.score_after, abs=1e-4)


def test_png_download_is_still_adversarial(bank, view):
    decoded = decode_image(view.png)
    assert np.array_equal(decoded, view.adversarial), "PNG is lossless"
    k = bank.attributes.index("Smiling")
    score = bank_scores(bank, decoded[None])[0, k]
    goal = -1 if view.numbers.score_before >= 0 else 1
    assert view.goal_sign == goal == int(view.result.target[0])
    assert bool(is_success(np.array([score]), np.array([goal]))[0]) == view.png_verified is True


def test_numbers_json_and_side_effects(view):
    doc = json.loads(flips.numbers_json(view, "portrait:astronaut", "models"))
    assert doc["attribute"] == "Smiling" and doc["success"] is True
    assert set(doc["scores_after"]) == {"Smiling", "Male", "Young"}
    rows = flips.side_effects(view)
    assert [r["attribute"] for r in rows if r["attribute"] == "Smiling"] == []
    flipped = [r["flipped"] for r in rows]
    assert flipped == sorted(flipped, reverse=True), "flipped predictions come first"


def test_flip_all_and_comparison(bank, face):
    grid = flip_all_view(bank, face, "ffa", compute_pass=False)
    assert grid.attributes == ("Smiling", "Male", "Young") and grid.adversarial.shape == (3, 40, 34, 3)
    assert np.isnan(grid.result.pass_or_nan).all() and grid.result.success.dtype == bool
    views = {m: flips.flip_view(bank, face, "Male", m, compute_pass=False) for m in ("ffa", "fgs")}
    table = comparison_table(views, {"ffa": "FFA", "fgs": "FGS"})
    assert list(table.columns) == ["FFA", "FGS"] and list(table.loc["PASS"]) == ["—", "—"]  # no PASS computed
    assert table.loc["score before", "FFA"] == score_text(views["ffa"].numbers.score_before)


def test_unknown_attribute_is_a_clear_error(bank, face):
    with pytest.raises(ValueError, match="no network for Bald"):
        flips.flip_view(bank, face, "Bald")
