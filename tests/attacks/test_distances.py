"""L2, L∞ and PASS (ECC homography + Gaussian SSIM) on synthetic images."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from skimage.metrics import structural_similarity

from ffa_lab.attacks.distances import ecc_align, l2, linf, pass_score, ssim


def textured(seed: int = 0, size: tuple[int, int] = (109, 89), blur: float = 2.0) -> np.ndarray:
    """A smooth random texture: structure at a few pixels' scale, gradients everywhere (ECC needs them)."""
    rng = np.random.default_rng(seed)
    noise = cv2.GaussianBlur(rng.normal(0, 1, (*size, 3)), (0, 0), blur)
    return ((noise - noise.min()) / (noise.max() - noise.min()) * 235 + 10).astype(np.uint8)


def skimage_ssim(a: np.ndarray, b: np.ndarray) -> float:
    return structural_similarity(
        a, b, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255, channel_axis=2
    )


def noisy(image: np.ndarray, amplitude: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(image.astype(int) + rng.integers(-amplitude, amplitude + 1, image.shape), 0, 255).astype(np.uint8)


def test_l2_and_linf_in_grey_levels():
    a = np.zeros((2, 12, 12, 3), np.uint8)
    b = a.copy()
    b[0, 0, 0, 0], b[0, 1, 1, 2] = 3, 4
    b[1, 5, 5, 1] = 255
    np.testing.assert_allclose(l2(a, b), [5.0, 255.0])
    np.testing.assert_allclose(linf(b, a), [4.0, 255.0])
    assert l2(a[0], b[0]) == pytest.approx(5.0) and np.ndim(linf(a[0], b[0])) == 0


def test_pass_of_identical_images_is_one():
    x = np.stack([textured(0), textured(1)])
    result = pass_score(x, x.copy())
    np.testing.assert_allclose(result.score, 1.0)
    assert result.converged.all() and result.score.shape == (2,)
    np.testing.assert_allclose(result.warps, np.broadcast_to(np.eye(3), (2, 3, 3)))


def test_one_pixel_shift_is_nearly_invisible_to_pass_but_not_to_ssim():
    x = textured(3)
    shifted = np.concatenate([x[:, :1], x[:, :-1]], axis=1)  # content moves one pixel to the right
    plain = ssim(shifted, x)
    result = pass_score(shifted, x)
    assert result.converged
    assert result.score >= 0.95
    assert plain < 0.9 and result.score - plain > 0.05
    assert result.warps[0, 2] == pytest.approx(1.0, abs=0.2)  # ECC found the one-pixel translation


@pytest.mark.parametrize("amplitude", [2, 8, 30])
def test_ssim_agrees_with_scikit_image(amplitude):
    originals = np.stack([textured(s) for s in range(3)])
    perturbed = np.stack([noisy(x, amplitude, s) for s, x in enumerate(originals)])
    ours = ssim(perturbed, originals)
    theirs = [skimage_ssim(p, x) for p, x in zip(perturbed, originals, strict=True)]
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


@pytest.mark.parametrize("amplitude", [1, 8])
def test_pass_is_scikit_image_ssim_of_the_aligned_pair(amplitude):
    x = textured(5)
    adv = noisy(x, amplitude, 7)
    result = pass_score(adv, x)
    aligned, warp, converged = ecc_align(adv, x)
    assert result.converged and converged
    np.testing.assert_allclose(result.warps, warp)
    assert np.abs(warp - np.eye(3)).max() < 0.1  # additive noise needs (almost) no alignment
    assert result.score == pytest.approx(skimage_ssim(aligned, x), abs=1e-4)
    if amplitude == 1:  # ±1 grey level: ECC stays at the identity up to interpolation noise
        assert result.score == pytest.approx(skimage_ssim(adv, x), abs=1e-4)


def test_ecc_failure_falls_back_to_identity():
    x = textured(0)
    flat = np.full_like(x, 128)  # no gradients at all: ECC cannot converge
    result = pass_score(flat, x)
    assert not result.converged
    np.testing.assert_allclose(result.warps, np.eye(3))
    assert result.score == pytest.approx(max(0.0, skimage_ssim(flat, x)), abs=1e-4)


def test_batched_pass_equals_pair_by_pair():
    originals = np.stack([textured(s) for s in range(3)])
    perturbed = np.stack([noisy(x, 6, s) for s, x in enumerate(originals)])
    batched = pass_score(perturbed, originals)
    for i in range(3):
        single = pass_score(perturbed[i], originals[i])
        assert single.score == pytest.approx(batched.score[i], abs=1e-12)


def test_bad_inputs_are_refused():
    x = textured(0)
    with pytest.raises(ValueError, match="shape"):
        l2(x, x[:-1])
    with pytest.raises(ValueError, match="uint8"):
        pass_score(x.astype(np.float32), x.astype(np.float32))
    with pytest.raises(ValueError, match="too small"):
        ssim(x[:8, :8], x[:8, :8])
    with pytest.raises(ValueError, match="expected"):
        linf(x[..., 0], x[..., 0])
