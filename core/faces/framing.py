"""Is a picture already CelebA-framed? The check behind ``ffa-lab score`` / ``attack`` without ``--align``.

A CelebA-aligned crop is 178x218 (or the same shape at another size) with the face where the template
(:data:`ffa_lab.faces.geometry.TEMPLATE`) puts it. :func:`framing_problem` measures that with the bundled
landmark network (no YuNet needed, a few milliseconds): starting from the template, the cascade finds
the face's points; on CelebA's own aligned images they lie a mean 3 px (at 178x218) from the template.
"""

from __future__ import annotations

import numpy as np

from ffa_lab.faces.geometry import CELEBA_SIZE, template_for

RATIO_TOLERANCE = 0.15  # aspect ratio within +-15 % of 178:218
MAX_OFFSET = 8.0  # mean landmark distance from the template, in 178x218 pixels (CelebA's own: ~3)
MIN_FACE_PROB = 0.5


def framing_problem(image: np.ndarray) -> str | None:
    """None when ``image`` (uint8 RGB (H, W, 3)) looks like a CelebA-aligned crop, else why not (one clause)."""
    height, width = image.shape[:2]
    ratio = (width / max(height, 1)) / (CELEBA_SIZE[1] / CELEBA_SIZE[0])
    if abs(ratio - 1.0) > RATIO_TOLERANCE:
        return f"it is {width}x{height}, not shaped like CelebA's 178x218 aligned crops"
    from ffa_lab.faces.landmarks import refine_landmarks

    template = template_for((height, width))
    points, prob = refine_landmarks(image, [template])[0]
    if prob < MIN_FACE_PROB:
        return "no face is where CelebA's template expects one"
    offset = float(np.linalg.norm(points - template, axis=1).mean()) * CELEBA_SIZE[1] / width
    if offset > MAX_OFFSET:
        return f"its face is {offset:.0f} px (at 178x218) away from where CelebA's template expects it"
    return None


def framing_warning(image: np.ndarray, name: str) -> str | None:
    """The stderr warning for scoring ``image`` (from file ``name``) as it is, or None when it looks aligned."""
    problem = framing_problem(image)
    if problem is None:
        return None
    return (
        f"warning: {name}: {problem}; the networks expect a CelebA-aligned face, so these numbers may mean "
        "little. Pass --align to detect and align the face first."
    )
