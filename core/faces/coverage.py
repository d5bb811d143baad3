"""How much of an aligned crop lies outside the photo it was cut from (and is therefore reflected padding).

:func:`ffa_lab.faces.align.warp_to_template` fills crop pixels whose source falls outside the photo by
reflecting the photo at its border (``cv2.BORDER_REFLECT``, as CelebA's own crops were made), so a face
near the edge of a photo gets mirrored copies of itself in the crop. The fraction is computed from the
warp alone: every crop pixel centre is mapped back through the inverse of the 2x3 similarity transform
(input pixels -> crop pixels) and counted when it lands outside the photo's pixel area
[-0.5, W - 0.5] x [-0.5, H - 0.5] (pixel centres at integers).
"""

from __future__ import annotations

import numpy as np


def outside_fraction(transform: np.ndarray, source_shape: tuple[int, ...], output_size: tuple[int, int]) -> float:
    """Fraction in [0, 1] of the ``output_size`` (H, W) crop whose source lies outside a photo of
    ``source_shape`` (H, W, ...), for the 2x3 ``transform`` from photo pixels to crop pixels."""
    matrix = np.vstack([np.asarray(transform, dtype=np.float64), [0.0, 0.0, 1.0]])
    inverse = np.linalg.inv(matrix)[:2]
    height, width = (int(v) for v in output_size)
    ys, xs = np.mgrid[0:height, 0:width]
    points = np.stack([xs.ravel(), ys.ravel(), np.ones(xs.size)], axis=0).astype(np.float64)
    sx, sy = inverse @ points
    src_h, src_w = int(source_shape[0]), int(source_shape[1])
    outside = (sx < -0.5) | (sx > src_w - 0.5) | (sy < -0.5) | (sy > src_h - 0.5)
    return float(outside.mean())
