"""YuNet face detection behind :mod:`ffa_lab.faces.align` (the Haar fallback is :mod:`ffa_lab.faces.haar`).

Detectors take a uint8 RGB image (H, W, 3) and return detections ``(box (x, y, w, h), score, landmarks
(5, 2))`` in input pixels, landmarks in CelebA's order (lefteye, righteye, nose, leftmouth,
rightmouth; "left" = the image's left). YuNet's points are the subject's right eye, left eye, nose,
right and left mouth corner — the subject's right is the image's left, so its order *is* CelebA's
(checked against ``list_landmarks_align_celeba.txt``).
"""

from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np

from ffa_lab.data.images import shrink_to_side, warp_source
from ffa_lab.faces.yunet_model import load_detector

Detection = tuple[tuple[float, float, float, float], float, np.ndarray]
MIRROR = [1, 0, 2, 4, 3]  # landmark order after a horizontal flip
FIRST_PASS_MAX_SIDE = 960  # detect on at most this size; big photos are area-downscaled first
REFINE_WIDTHS = (120, 160, 200)  # face widths (px) at which the chosen face's landmarks are re-measured
_lock = threading.Lock()  # a FaceDetectorYN holds its input size: one caller at a time


@lru_cache(maxsize=4)
def _yunet(path: str, mtime: float):
    return load_detector(path)


def _run_yunet(model: Path, bgr: np.ndarray) -> np.ndarray:
    """Raw YuNet rows (N, 15): x, y, w, h, 5 x (x, y), score."""
    detector = _yunet(str(model), model.stat().st_mtime)
    with _lock:
        detector.setInputSize((bgr.shape[1], bgr.shape[0]))
        _, rows = detector.detect(np.ascontiguousarray(bgr))
    return np.zeros((0, 15), np.float32) if rows is None else rows


def _rows_to_detections(rows: np.ndarray, scale: float, shift: float = 0.0) -> list[Detection]:
    out = []
    for row in rows:
        if not np.all(np.isfinite(row)) or min(row[2], row[3]) <= 1.0:
            continue  # degenerate output (seen on 1-2 px high images)
        # pixel centres: x_input = (x_small + 0.5) / scale - 0.5, minus any padding
        points = (row[4:14].reshape(5, 2).astype(np.float64) + 0.5) / scale - 0.5 - shift
        x, y = (row[:2].astype(np.float64) + 0.5) / scale - 0.5 - shift
        out.append(((x, y, row[2] / scale, row[3] / scale), float(row[14]), points))
    return out


def yunet_faces(image: np.ndarray, model: Path) -> list[Detection]:
    """All YuNet faces in ``image``; a face that fills the frame is retried on a padded copy."""
    bgr, scale = shrink_to_side(cv2.cvtColor(image, cv2.COLOR_RGB2BGR), FIRST_PASS_MAX_SIDE)
    found = _rows_to_detections(_run_yunet(model, bgr), scale)
    if not found:
        pad = max(bgr.shape[:2]) // 4
        padded = cv2.copyMakeBorder(bgr, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        found = _rows_to_detections(_run_yunet(model, padded), scale, shift=pad / scale)
    return found


def _upright_crop(
    image: np.ndarray, centre: np.ndarray, angle: float, side: float, out: int
) -> tuple[np.ndarray, np.ndarray]:
    """An out x out crop of ``side`` input pixels around ``centre``, rotated by -``angle`` (radians) so the eye
    line is level; zero outside the image. (crop, 2x3 matrix input -> crop)."""
    scale = out / side
    cos, sin = scale * np.cos(-angle), scale * np.sin(-angle)
    matrix = np.array([[cos, -sin, 0.0], [sin, cos, 0.0]])
    matrix[:, 2] = (out - 1) / 2 - matrix[:, :2] @ centre
    source, to_source = warp_source(image, scale)
    full = np.vstack([matrix, [0, 0, 1]]) @ np.linalg.inv(to_source)
    crop = cv2.warpAffine(source, full[:2], (out, out), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
    return crop, matrix


def _central(rows: np.ndarray, size: int) -> np.ndarray | None:
    if not len(rows):
        return None
    centres = rows[:, :2] + rows[:, 2:4] / 2
    return rows[np.argmin(np.linalg.norm(centres - size / 2, axis=1))]


def yunet_refine(
    image: np.ndarray, model: Path, box: tuple[float, float, float, float], landmarks: np.ndarray
) -> np.ndarray:
    """Landmarks (5, 2) of the face in ``box`` re-measured on upright crops at :data:`REFINE_WIDTHS` and their
    mirror images, averaged.

    YuNet's points jitter by a few pixels with scale, framing and in-plane rotation; levelling the eye
    line (from the first-pass ``landmarks``) and averaging 6 measurements cut the mean error on
    CelebA's 32 full-resolution images from 3.7 to under 3 px (benchmarks/alignment.py).
    """
    width = max(float(box[2]), 1.0)
    eyes = landmarks[1] - landmarks[0]
    angle = float(np.arctan2(eyes[1], eyes[0]))
    centre = np.array([box[0] + box[2] / 2, box[1] + box[3] / 2])
    side = 2.0 * max(box[2], box[3])
    measured = []
    for target in REFINE_WIDTHS:
        out = max(16, round(side * target / width))
        crop, matrix = _upright_crop(image, centre, angle, side, out)
        bgr = cv2.cvtColor(crop, cv2.COLOR_RGB2BGR)
        back = np.linalg.inv(np.vstack([matrix, [0, 0, 1]]))[:2]
        for mirrored in (False, True):
            row = _central(_run_yunet(model, bgr[:, ::-1] if mirrored else bgr), out)
            if row is None:
                continue
            points = row[4:14].reshape(5, 2).astype(np.float64)
            if mirrored:
                points = points[MIRROR]
                points[:, 0] = out - 1 - points[:, 0]
            measured.append(points @ back[:, :2].T + back[:, 2])
    return np.mean(measured, axis=0) if measured else np.asarray(landmarks, np.float64)
