"""Which face to align, and which way up the photo is: ranking detections and right-angle turns.

Ranking (:func:`rank`): a face's *rank* is ``score x sqrt(area / largest area) x centrality`` where
``centrality = 1 - 0.5 (d / half diagonal)^2`` falls from 1 at the image centre to 0.5 in a corner.
So a confident, large, central face wins; a big false face with a low score, a small face in the
background, or a mirrored half-face at the border of a reflected-padding crop loses. Scores are the
detector's own (YuNet's confidence, the landmark network's face probability), each in (0, 1].

Turns (:func:`turned`, :func:`unturn_points`): ``quarter`` k in 0..3 means the photo was turned
clockwise by k x 90 degrees (``np.rot90(image, -k)``) before detection; points found there are mapped
back to the photo's own pixels, so alignment (a similarity fit) undoes the turn by itself.
"""

from __future__ import annotations

import numpy as np


def rank_key(box: tuple[float, float, float, float], score: float, largest_area: float, shape) -> float:
    """The rank of one face (higher is better); ``shape`` is the image's (H, W, ...)."""
    height, width = shape[:2]
    area = max(box[2] * box[3], 1e-9)
    size = float(np.sqrt(area / max(largest_area, area)))
    centre = np.array([box[0] + box[2] / 2, box[1] + box[3] / 2])
    half_diagonal = max(0.5 * float(np.hypot(width, height)), 1e-9)
    distance = min(1.0, float(np.linalg.norm(centre - [(width - 1) / 2, (height - 1) / 2])) / half_diagonal)
    return float(score) * size * (1.0 - 0.5 * distance**2)


def rank(faces: list, shape) -> list:
    """``faces`` (objects with ``box`` and ``score``) best first by :func:`rank_key`; ties keep their order."""
    if not faces:
        return []
    largest = max(face.box[2] * face.box[3] for face in faces)
    keys = [rank_key(face.box, face.score, largest, shape) for face in faces]
    order = sorted(range(len(faces)), key=lambda i: -keys[i])
    return [faces[i] for i in order]


def turned(image: np.ndarray, quarter: int) -> np.ndarray:
    """``image`` turned clockwise by ``quarter`` x 90 degrees (contiguous)."""
    return np.ascontiguousarray(np.rot90(image, -quarter)) if quarter % 4 else image


def unturn_points(points: np.ndarray, quarter: int, shape) -> np.ndarray:
    """Points (N, 2) found in :func:`turned` ``(image, quarter)`` mapped back to ``image``'s pixels (``shape``)."""
    height, width = shape[:2]
    points = np.asarray(points, np.float64)
    x, y = points[:, 0], points[:, 1]
    quarter %= 4
    if quarter == 0:
        return points.copy()
    if quarter == 1:  # turned clockwise: x' = H-1-y, y' = x
        return np.stack([y, height - 1 - x], axis=1)
    if quarter == 2:
        return np.stack([width - 1 - x, height - 1 - y], axis=1)
    return np.stack([width - 1 - y, x], axis=1)  # quarter 3: x' = y, y' = W-1-x


def unturn_box(box: tuple[float, float, float, float], quarter: int, shape) -> tuple[float, float, float, float]:
    """A box (x, y, w, h) found in the turned image, as the upright box in ``image``'s pixels."""
    x, y, w, h = box
    corners = unturn_points(np.array([[x, y], [x + w, y + h]]), quarter, shape)
    low, high = corners.min(0), corners.max(0)
    return float(low[0]), float(low[1]), float(high[0] - low[0]), float(high[1] - low[1])
