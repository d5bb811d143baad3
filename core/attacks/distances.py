"""Perturbation sizes between an image and its adversarial: L2, L∞ and PASS, in grey levels.

All three take uint8 images, batched (B, H, W, 3) or single (H, W, 3), and compare ``a[i]`` with
``b[i]``; L2 and L∞ return float64 (B,) (a scalar array for single images).

PASS (Rozsa, Rudd and Boult 2016, "Adversarial Diversity and Hard Positive Generation"; method
notes §6) is ``SSIM(ψ(x̃, x), x)``: align the adversarial x̃ onto the original x with the ECC
homography, then compare with SSIM. Our choices, documented in docs/attacks.md:

- ECC (OpenCV ``findTransformECC``, ``MOTION_HOMOGRAPHY``) runs on the grey images (ITU-R BT.601
  luma, OpenCV's ``COLOR_RGB2GRAY``), starting from the identity, at most ``ECC_ITERATIONS``
  iterations or until the correlation gains less than ``ECC_EPS``. If OpenCV reports that ECC did
  not converge, or it returns a non-finite warp, the identity is used and ``converged`` is False.
  Identical pairs skip ECC: the identity is then the exact optimum, so the result (PASS = 1) is
  the same as running it.
- The warp uses bilinear interpolation with replicated borders (no black frame leaks into SSIM).
- SSIM is computed on each RGB channel and averaged (scikit-image's ``channel_axis`` convention):
  adversarial perturbations are per channel, and a grey-only SSIM would miss pure colour changes.
  Gaussian window 11x11, σ = 1.5, C1 = (0.01·255)², C2 = (0.03·255)², population (not sample)
  covariances, and the mean over all pixels at least 5 pixels from the border (Wang et al.'s
  'valid' window, as scikit-image does), so the number matches ``structural_similarity(...,
  gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=255)``.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import cv2
import numpy as np

SSIM_SIGMA = 1.5
SSIM_RADIUS = 5  # 11x11 window: int(3.5 * 1.5 + 0.5), scikit-image's truncation
C1 = (0.01 * 255) ** 2
C2 = (0.03 * 255) ** 2
SSIM_CHUNK = 4
ECC_ITERATIONS = 50  # ECC converges in a few iterations on attack pairs; a cap, not a budget
ECC_EPS = 1e-4  # PASS moves < 1e-5 against (100, 1e-6) on FFA pairs, at half the CPU time


@dataclass(frozen=True)
class PassResult:
    """PASS per pair (B,) in [0, 1] (1 = identical) and whether ECC converged (B,) bool.

    ``warps`` (B, 3, 3) float64 are the homographies used to align the adversarial onto the original.
    """

    score: np.ndarray
    converged: np.ndarray
    warps: np.ndarray


def _batched(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        raise ValueError(f"images differ in shape: {a.shape} vs {b.shape}")
    if a.ndim not in (3, 4) or a.shape[-1] != 3:
        raise ValueError(f"expected uint8 images (B, H, W, 3) or (H, W, 3), got shape {a.shape}")
    single = a.ndim == 3
    return (a[None], b[None], True) if single else (a, b, False)


def _unbatch(values: np.ndarray, single: bool) -> np.ndarray:
    return values[0] if single else values


def l2(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Euclidean distance over all pixels and channels, in grey levels; (B,) float64."""
    a, b, single = _batched(a, b)
    diff = a.astype(np.float64) - b.astype(np.float64)
    return _unbatch(np.sqrt((diff.reshape(len(diff), -1) ** 2).sum(axis=1)), single)


def linf(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Largest absolute change of any pixel channel, in grey levels; (B,) float64."""
    a, b, single = _batched(a, b)
    diff = np.abs(a.astype(np.int16) - b.astype(np.int16))
    return _unbatch(diff.reshape(len(diff), -1).max(axis=1).astype(np.float64), single)


def ssim(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Mean Gaussian SSIM over RGB channels and the 'valid' interior, per pair; (B,) float64.

    Vectorised: a few images at a time are stacked vertically into one tall image and blurred once;
    the 5-pixel border dropped from each image is exactly the window radius, so no window that is
    kept ever reaches into a neighbouring image. Chunks of ``SSIM_CHUNK`` images keep the working
    set in cache (2-3x less CPU than one big stack).
    """
    a, b, single = _batched(a, b)
    height, width = a.shape[1:3]
    if height <= 2 * SSIM_RADIUS or width <= 2 * SSIM_RADIUS:
        raise ValueError(f"images of {height}x{width} pixels are too small for an 11x11 SSIM window")
    out = np.concatenate(
        [_ssim_chunk(a[i : i + SSIM_CHUNK], b[i : i + SSIM_CHUNK]) for i in range(0, len(a), SSIM_CHUNK)]
    )
    return _unbatch(out, single)


def _ssim_chunk(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    batch, height, width, _ = a.shape
    # float32 on grey levels centred at 128: the variance terms uxx - ux² then cancel at most
    # 128² instead of 255², keeping the error below 1e-5 of SSIM (tested against scikit-image)
    x = a.reshape(batch * height, width, 3).astype(np.float32) - 128.0
    y = b.reshape(batch * height, width, 3).astype(np.float32) - 128.0
    stacked = np.concatenate([x, y, x * x, y * y, x * y], axis=2)
    size = 2 * SSIM_RADIUS + 1
    blurred = cv2.GaussianBlur(stacked, (size, size), SSIM_SIGMA, borderType=cv2.BORDER_REFLECT)
    ux, uy, uxx, uyy, uxy = (blurred[..., 3 * i : 3 * i + 3] for i in range(5))
    vx, vy, vxy = uxx - ux * ux, uyy - uy * uy, uxy - ux * uy
    ux, uy = ux + 128.0, uy + 128.0  # the luminance term needs the true means
    s = ((2 * ux * uy + C1) * (2 * vxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2))
    s = s.reshape(batch, height, width, 3)[:, SSIM_RADIUS:-SSIM_RADIUS, SSIM_RADIUS:-SSIM_RADIUS]
    return s.reshape(batch, -1).mean(axis=1, dtype=np.float64)


def _grey(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY).astype(np.float32)


def ecc_align(adversarial: np.ndarray, original: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Warp one uint8 (H, W, 3) ``adversarial`` onto ``original``: (aligned, 3x3 warp, converged)."""
    identity = np.eye(3, dtype=np.float32)
    if np.array_equal(adversarial, original):
        return adversarial, identity.astype(np.float64), True
    criteria = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, ECC_ITERATIONS, ECC_EPS)
    try:
        _, warp = cv2.findTransformECC(
            _grey(original), _grey(adversarial), identity.copy(), cv2.MOTION_HOMOGRAPHY, criteria, None, 5
        )  # type: ignore[call-overload]  # OpenCV takes inputMask=None; its stubs only list a Mat there
    except cv2.error:  # "the algorithm stopped before its convergence": fall back to the identity
        return adversarial, identity.astype(np.float64), False
    if not np.isfinite(warp).all() or abs(float(np.linalg.det(warp))) < 1e-6:
        return adversarial, identity.astype(np.float64), False
    height, width = original.shape[:2]
    aligned = cv2.warpPerspective(
        adversarial,
        warp,
        (width, height),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )
    return aligned, warp.astype(np.float64), True


def _pass_chunk(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    aligned = [ecc_align(x, y) for x, y in zip(a, b, strict=True)]
    score = _ssim_chunk(np.stack([item[0] for item in aligned]), b)
    converged = np.array([item[2] for item in aligned], dtype=bool)
    return score, converged, np.stack([item[1] for item in aligned])


def pass_score(a: np.ndarray, b: np.ndarray, *, workers: int | None = None) -> PassResult:
    """PASS(a[i], b[i]) = SSIM(ψ(a[i], b[i]), b[i]): a = adversarials, b = originals, uint8.

    Chunks of ``SSIM_CHUNK`` pairs (ECC per pair, then one SSIM for the chunk) run in a thread pool
    of ``workers`` (default: the CPU count); OpenCV releases the GIL. Single images (H, W, 3) give
    0-d arrays in the result.
    """
    a, b, single = _batched(a, b)
    if a.dtype != np.uint8 or b.dtype != np.uint8:
        raise ValueError(f"PASS expects uint8 images, got {a.dtype} and {b.dtype}")
    height, width = a.shape[1:3]
    if height <= 2 * SSIM_RADIUS or width <= 2 * SSIM_RADIUS:
        raise ValueError(f"images of {height}x{width} pixels are too small for an 11x11 SSIM window")
    starts = range(0, len(a), SSIM_CHUNK)
    workers = min(workers or os.cpu_count() or 1, len(starts))
    chunks = [(a[i : i + SSIM_CHUNK], b[i : i + SSIM_CHUNK]) for i in starts]
    if workers > 1:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            parts = list(pool.map(lambda pair: _pass_chunk(*pair), chunks))
    else:
        parts = [_pass_chunk(*pair) for pair in chunks]
    score = np.clip(np.concatenate([p[0] for p in parts]), 0.0, 1.0)
    converged = np.concatenate([p[1] for p in parts])
    warps = np.concatenate([p[2] for p in parts])
    return PassResult(_unbatch(score, single), _unbatch(converged, single), _unbatch(warps, single))
