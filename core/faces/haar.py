"""The alignment fallback that needs no download: OpenCV 4.x's bundled Haar cascades (coarse landmarks).

Faces are searched upright and, when no upright face shows two eyes, at a few in-plane rotations
(the frontal-face cascade only tolerates about ±10°); in each face the eye cascade looks for a plausible pair of eyes. With both eyes, nose and
mouth are put where CelebA's template puts them relative to the eyes; otherwise all five points come
from the face box (:data:`HAAR_REL`). Landmarks are therefore *estimated*, and results are marked
``coarse``. Detections: ``(box (x, y, w, h), score, landmarks (5, 2))`` in input pixels, CelebA order.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from ffa_lab.data.images import shrink_to_side
from ffa_lab.faces.geometry import TEMPLATE as _TEMPLATE

MAX_SIDE = 480  # the cascades run on at most this size (area-downscaled)
EYE_FACE_WIDTH = 200  # faces narrower than this (px) are enlarged for the eye search
ANGLES = (0.0, -15.0, 15.0, -30.0, 30.0)  # degrees; detections at several angles are merged, best weight wins
# Landmark = box_xy + HAAR_REL * box_wh for the box of the frontal-face cascade (alt2). Fitted by
# `python benchmarks/alignment.py --calibrate-haar` (YuNet landmarks as the teacher on CelebA images
# 001001-001400 of ../shared/celeba upscaled x2, disjoint from the 32 evaluation images; medians over
# 388 faces). The eye cascade's box centres were unbiased there (< 0.03 eye widths).
HAAR_REL = np.array([[0.302, 0.381], [0.688, 0.381], [0.489, 0.612], [0.330, 0.780], [0.661, 0.779]])


@lru_cache(maxsize=2)
def cascade(name: str) -> cv2.CascadeClassifier:
    """One of OpenCV's bundled cascades (``cv2.data.haarcascades``; opencv-python-headless < 5)."""
    folder = getattr(getattr(cv2, "data", None), "haarcascades", "")
    classifier = cv2.CascadeClassifier(str(Path(folder) / name))
    if classifier.empty():
        raise RuntimeError(f"OpenCV's bundled cascade {name} is missing; install opencv-python-headless<5")
    return classifier


def _eyes(gray: np.ndarray, box: np.ndarray) -> np.ndarray | None:
    """The two eye centres (2, 2) in face ``box`` (image left first), or None without a plausible pair."""
    x, y, w, h = (int(v) for v in box)
    x0, y0 = max(0, x), max(0, y)
    top = gray[y0 : max(0, y + int(0.6 * h)), x0 : max(0, x + w)]
    if top.size == 0:
        return None
    # the eye cascade's window is 20x20 px: small faces are enlarged so their eyes can be seen
    zoom = max(1.0, EYE_FACE_WIDTH / w)
    if zoom > 1.0:
        top = cv2.resize(top, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_LINEAR)
    size = int(w * zoom)
    eyes = np.asarray(  # (n, 4) boxes; OpenCV returns an empty tuple when it finds none
        cascade("haarcascade_eye.xml").detectMultiScale(
            top, scaleFactor=1.05, minNeighbors=4, minSize=(max(20, size // 10),) * 2, maxSize=(size // 2, size // 2)
        )
    )
    if len(eyes) < 2:
        return None
    centres = (eyes[:, :2] + eyes[:, 2:] / 2 + 0.5) / zoom - 0.5 + [x0, y0]
    expected = np.array([x, y]) + HAAR_REL[:2] * [w, h]
    best, best_cost = None, np.inf
    for left in centres:
        for right in centres:
            distance = right[0] - left[0]
            if not 0.25 * w < distance < 0.6 * w or abs(right[1] - left[1]) > 0.4 * distance:
                continue
            cost = float(np.linalg.norm(left - expected[0]) + np.linalg.norm(right - expected[1]))
            if cost < best_cost:
                best, best_cost = np.array([left, right]), cost
    # a pair far from where the box puts the eyes is more likely eyebrows, nostrils or glasses
    return best if best is not None and best_cost < 0.35 * w else None


def _from_eyes(eyes: np.ndarray) -> np.ndarray:
    """Five points: the template carried by the similarity that puts its eyes on ``eyes``."""
    src, dst = _TEMPLATE[:2], eyes
    d_src, d_dst = src[1] - src[0], dst[1] - dst[0]
    # complex-number form of a 2-point similarity: z -> a z + b
    a = complex(*d_dst) / complex(*d_src)
    b = complex(*dst[0]) - a * complex(*src[0])
    points = [a * complex(*p) + b for p in _TEMPLATE]
    return np.array([[z.real, z.imag] for z in points])


def _rotated(gray: np.ndarray, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """``gray`` rotated by ``angle`` degrees on a canvas that keeps every pixel; (image, 2x3 matrix)."""
    height, width = gray.shape
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
    new_w, new_h = int(np.ceil(width * cos + height * sin)), int(np.ceil(width * sin + height * cos))
    matrix[:, 2] += [new_w / 2 - width / 2, new_h / 2 - height / 2]
    return cv2.warpAffine(gray, matrix, (new_w, new_h), flags=cv2.INTER_LINEAR, borderValue=0), matrix


PERMISSIVE = ("haarcascade_frontalface_default.xml", 3)  # (cascade, minNeighbors) for haar_faces(permissive=True)


def _candidates(
    gray: np.ndarray, angle: float, name: str = "haarcascade_frontalface_alt2.xml", neighbours: int = 5
) -> list[tuple[bool, float, np.ndarray, np.ndarray]]:
    """(eyes found, weight, box corners (4, 2), landmarks (5, 2)) in ``gray``'s pixels, searched at ``angle``
    with cascade ``name`` needing ``neighbours`` overlapping hits."""
    side = max(24, int(0.08 * min(gray.shape)))
    rotated, matrix = _rotated(gray, angle) if angle else (gray, np.eye(3)[:2])
    boxes, _, weights = cascade(name).detectMultiScale3(
        rotated, scaleFactor=1.05, minNeighbors=neighbours, minSize=(side, side), outputRejectLevels=True
    )
    back = np.linalg.inv(np.vstack([matrix, [0, 0, 1]]))[:2]
    found = []
    for box, weight in zip(np.asarray(boxes).reshape(-1, 4), np.asarray(weights).reshape(-1), strict=True):
        eyes = _eyes(rotated, box)
        points = _from_eyes(eyes) if eyes is not None else box[:2] + HAAR_REL * box[2:]
        x, y, w, h = box
        corners = np.array([[x, y], [x + w, y], [x + w, y + h], [x, y + h]], np.float64)
        found.append(
            (eyes is not None, float(weight), corners @ back[:, :2].T + back[:, 2], points @ back[:, :2].T + back[:, 2])
        )
    return found


def _search(gray: np.ndarray) -> list[tuple[bool, float, np.ndarray, np.ndarray]]:
    """Upright first; tilted searches only when no upright face shows two eyes (they cost 4x more and find
    more false faces). Same-face duplicates across angles are merged by the caller."""
    found = _candidates(gray, ANGLES[0])
    if not any(has_eyes for has_eyes, *_ in found):
        for angle in ANGLES[1:]:
            found += _candidates(gray, angle)
    return found


def haar_faces(
    image: np.ndarray, *, permissive: bool = False, angles: tuple[float, ...] | None = None
) -> list[tuple[tuple[float, float, float, float], float, np.ndarray]]:
    """Faces in ``image`` (uint8 RGB). The box is the upright bounding box of the (possibly rotated) cascade box;
    the score is the cascade's level weight squashed to (0, 1) by a logistic — a relative confidence,
    not comparable with YuNet's. ``permissive``: OpenCV's default frontal cascade with fewer neighbours
    (:data:`PERMISSIVE`) at every angle of :data:`ANGLES` — more faces and more false ones, for a caller
    that checks them (the landmark network); its landmarks are estimated from alt2-fitted positions.
    ``angles``: search exactly these angles (degrees; e.g. ``(0.0,)`` for a caller with another way to confirm
    a face) instead of upright-then-tilted."""
    gray, scale = shrink_to_side(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), MAX_SIDE)
    gray = cv2.equalizeHist(gray)
    if permissive:
        found = [c for angle in angles or ANGLES for c in _candidates(gray, angle, *PERMISSIVE)]
    elif angles is not None:
        found = [c for angle in angles for c in _candidates(gray, angle)]
    else:
        found = _search(gray)
    kept: list[tuple[bool, float, np.ndarray, np.ndarray]] = []
    for candidate in sorted(found, key=lambda c: (not c[0], -c[1])):
        # the same face found at two angles: keep the one with eyes, then the stronger
        size = np.linalg.norm(candidate[2][1] - candidate[2][0])
        if all(np.linalg.norm(candidate[3].mean(0) - other[3].mean(0)) > 0.5 * size for other in kept):
            kept.append(candidate)
    out = []
    for _, weight, corners, points in kept:
        low, high = (corners.min(0) + 0.5) / scale - 0.5, (corners.max(0) + 0.5) / scale - 0.5
        box = (float(low[0]), float(low[1]), float(high[0] - low[0]), float(high[1] - low[1]))
        out.append((box, float(1.0 / (1.0 + np.exp(-weight))), (points + 0.5) / scale - 0.5))
    return out
