"""CelebA's 5-point template and the similarity-transform helpers every aligner shares.

The template is the mean landmark position of CelebA's aligned set in the 178x218 image (method notes
§2), in the landmark file's order lefteye, righteye, nose, leftmouth, rightmouth, where "left" is the
*image's* left. Points are (x, y) in pixels, pixel centres at integers.
"""

from __future__ import annotations

import numpy as np

from ffa_lab.errors import AlignmentError

LANDMARK_NAMES = ("lefteye", "righteye", "nose", "leftmouth", "rightmouth")
CELEBA_SIZE = (218, 178)  # (H, W) of img_align_celeba
TEMPLATE = np.array([[69, 111], [108, 111], [88, 136], [72, 152], [105, 152]], dtype=np.float64)


def template_for(output_size: tuple[int, int] = CELEBA_SIZE) -> np.ndarray:
    """The 5-point template (5, 2) for an output of ``output_size`` (H, W): CelebA's, scaled per axis."""
    height, width = output_size
    # Scale about pixel centres so that a 109x89 output is exactly the half-size CelebA framing.
    scale = np.array([width / CELEBA_SIZE[1], height / CELEBA_SIZE[0]])
    return (TEMPLATE + 0.5) * scale - 0.5


def similarity_transform(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares similarity (Umeyama) mapping points ``src`` (N, 2) onto ``dst`` (N, 2): a 2x3 matrix."""
    src, dst = np.asarray(src, np.float64), np.asarray(dst, np.float64)
    src_mean, dst_mean = src.mean(0), dst.mean(0)
    src_c, dst_c = src - src_mean, dst - dst_mean
    covariance = dst_c.T @ src_c / len(src)
    u, sigma, vt = np.linalg.svd(covariance)
    sign = np.eye(2)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:  # a reflection would mirror the face: forbid it
        sign[1, 1] = -1
    rotation = u @ sign @ vt
    variance = (src_c**2).sum() / len(src)
    if variance <= 1e-12:
        raise AlignmentError("the face landmarks coincide; cannot compute an alignment")
    scale = np.trace(np.diag(sigma) @ sign) / variance
    matrix = np.empty((2, 3))
    matrix[:, :2] = scale * rotation
    matrix[:, 2] = dst_mean - matrix[:, :2] @ src_mean
    return matrix


def apply_transform(matrix: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Map points (N, 2) through a 2x3 affine matrix."""
    points = np.asarray(points, np.float64)
    return points @ matrix[:, :2].T + matrix[:, 2]
