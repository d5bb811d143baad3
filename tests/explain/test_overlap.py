"""Overlap of evidence and perturbation: the top-10 % energy share, the correlation, chance and edge cases."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ffa_lab.explain.display import signed_unit
from ffa_lab.explain.overlap import overlap, overlap_sentence


def evidence_map(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(20, 10)).astype(np.float32)


def test_a_perturbation_on_the_strongest_evidence_scores_one():
    evidence = evidence_map()
    strongest = np.abs(evidence) >= np.quantile(np.abs(evidence), 0.9)
    delta = np.zeros((20, 10, 3), np.int16)
    delta[strongest] = 3
    result = overlap(evidence, delta)
    assert result.top_share == pytest.approx(1.0) and result.chance == pytest.approx(0.1)
    assert result.correlation > 0.5 and result.pixels == 200


def test_a_perturbation_proportional_to_the_evidence_correlates_perfectly():
    evidence = evidence_map(1)
    delta = np.abs(evidence)[..., None] * np.array([1.0, 0.0, 0.0])
    assert overlap(evidence, delta).correlation == pytest.approx(1.0)


def test_an_unrelated_perturbation_is_near_chance():
    rng = np.random.default_rng(2)
    evidence = rng.normal(size=(200, 200))
    result = overlap(evidence, rng.normal(size=(200, 200, 3)))
    assert abs(result.top_share - result.chance) < 0.01 and abs(result.correlation) < 0.02


def test_only_the_crop_box_counts():
    evidence = np.zeros((20, 10))
    evidence[5:15, 2:8] = evidence_map(3)[5:15, 2:8]
    delta = np.ones((20, 10))
    inside = overlap(evidence, delta, box=(5, 15, 2, 8))
    assert inside.pixels == 60 and inside.chance == pytest.approx(6 / 60)
    assert inside.top_share == pytest.approx(0.1) and math.isnan(inside.correlation)  # |δ| constant: r undefined
    assert overlap(evidence, delta).top_share == pytest.approx(20 / 200)


def test_nothing_to_compare_gives_nan_and_a_sentence():
    result = overlap(evidence_map(), np.zeros((20, 10, 3)))
    assert math.isnan(result.top_share) and math.isnan(result.correlation)
    assert overlap_sentence(result, "evidence", "FFA", "Smiling").startswith("No overlap to state")
    full = overlap_sentence(overlap(evidence_map(), np.ones((20, 10, 3))), "evidence", "FFA", "Smiling")
    assert "10 % of pixels with the strongest evidence for Smiling" in full


def test_bad_shapes_and_fractions_are_refused():
    with pytest.raises(ValueError, match="same image size"):
        overlap(np.zeros((4, 4)), np.zeros((4, 5, 3)))
    with pytest.raises(ValueError, match="fraction"):
        overlap(np.zeros((4, 4)), np.zeros((4, 4)), top=1.5)


def test_signed_unit_keeps_sign_and_zero():
    values = np.array([[-2.0, 0.0], [1.0, 4.0]])
    np.testing.assert_allclose(signed_unit(values), [[-0.5, 0.0], [0.25, 1.0]])
    assert not signed_unit(np.zeros((2, 2))).any() and signed_unit(values).dtype == np.float32


def test_signed_unit_at_a_quantile_saturates_the_few_largest():
    values = np.concatenate([np.linspace(-1, 1, 101), [50.0], np.zeros(10)])
    scaled = signed_unit(values, quantile=0.9)
    assert scaled.max() == 1.0 and scaled.min() >= -1.0 and (scaled[-10:] == 0).all()
    assert np.sign(scaled[:101]).tolist() == np.sign(values[:101]).tolist()
    assert (np.abs(scaled) == 1).sum() > 1, "the outlier and the quantile's top share saturate"
