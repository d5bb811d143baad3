"""The one perturbation picture (ffa_lab.attacks.run.amplified_perturbation) the report and the pages show."""

import numpy as np
import pytest

from ffa_lab.attacks.run import amplified_perturbation


def test_unchanged_image_is_flat_grey():
    original = np.full((4, 4, 3), 100, np.uint8)
    same, gain = amplified_perturbation(original, original)
    assert (same == 128).all() and gain == 1.0


def test_largest_change_reaches_the_ends_and_half_levels_round_alike():
    original = np.full((4, 4, 3), 100, np.uint8)
    changed = original.copy()
    changed[0, 0, 0], changed[1, 1, 1], changed[2, 2, 2] = 102, 98, 99
    shown, gain = amplified_perturbation(original, changed)
    assert gain == pytest.approx(63.5)
    # 128 ± 127 at the peak; δ = −1 gives 128 − 63.5 → 64 (round half to even), as the report always showed
    assert shown[0, 0, 0] == 255 and shown[1, 1, 1] == 1 and shown[2, 2, 2] == 64 and shown[3, 3, 0] == 128


def test_picture_is_exact_for_every_delta():
    rng = np.random.default_rng(0)
    original = rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)
    adversarial = np.clip(original.astype(int) + rng.integers(-9, 10, original.shape), 0, 255).astype(np.uint8)
    shown, gain = amplified_perturbation(original, adversarial)
    delta = adversarial.astype(np.int64) - original.astype(np.int64)
    assert gain == 127 / np.abs(delta).max()
    expected = [[[int(np.clip(128 + round(float(d) * gain), 0, 255)) for d in px] for px in row] for row in delta]
    assert shown.tolist() == expected
