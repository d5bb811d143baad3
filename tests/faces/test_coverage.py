"""The fraction of an aligned crop that lies outside its photo (ffa_lab.faces.coverage)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ffa_lab.faces.align import warp_to_template
from ffa_lab.faces.coverage import outside_fraction


def test_inside_outside_and_half():
    identity = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    assert outside_fraction(identity, (100, 100, 3), (50, 40)) == 0.0
    shifted = np.array([[1.0, 0, 20], [0, 1.0, 0]])  # crop x = photo x + 20: its left 20 columns are outside
    assert outside_fraction(shifted, (50, 40, 3), (50, 40)) == pytest.approx(0.5)
    far = np.array([[1.0, 0, -500], [0, 1.0, 0]])
    assert outside_fraction(far, (50, 40, 3), (50, 40)) == 1.0


def test_matches_a_constant_border_warp_of_the_same_face():
    """A face at the photo's left edge: warping an all-ones mask with a zero border (instead of the
    reflection) leaves zeros exactly where the fraction says the crop leaves the photo."""
    photo = np.full((200, 160, 3), 120, np.uint8)
    landmarks = np.array([[10, 90], [40, 90], [25, 110], [12, 125], [38, 125]], dtype=np.float64)
    _aligned, matrix = warp_to_template(photo, landmarks, (218, 178))
    fraction = outside_fraction(matrix, photo.shape, (218, 178))
    mask = cv2.warpAffine(
        np.ones(photo.shape[:2], np.uint8), matrix, (178, 218), flags=cv2.INTER_NEAREST, borderValue=0
    )
    assert 0.2 < fraction < 0.5
    assert fraction == pytest.approx(float((mask == 0).mean()), abs=0.01)
