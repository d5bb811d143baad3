"""The bundled 5-point landmark network: precise landmarks with no download (the path used without YuNet).

A small CNN (:class:`LandmarkNet`, 0.34 M parameters, weights in ``assets/landmarks/``, trained by
``scripts/train_landmarks.py`` with YuNet as the teacher on CelebA train images) looks at a 64x64
grey crop taken where a *start estimate* of the 5 points says the face is, and predicts where the
points really are in that crop, plus a logit saying whether the crop shows an upright face at about
the expected place and scale. Applied as a cascade (:func:`refine_landmarks`): each pass re-crops at
the previous estimate, levelled and scaled onto the canonical frame, and averages the crop with its
mirror image. Start estimates come from OpenCV's Haar boxes (:mod:`ffa_lab.faces.haar`) or, for a
picture shaped like a CelebA crop, from the template itself.

Points are (x, y) input pixels, pixel centres at integers, in CelebA's order (lefteye, righteye,
nose, leftmouth, rightmouth; "left" = the image's left). Images are uint8 RGB (H, W, 3).
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
import torch
from torch import nn

from ffa_lab.data.images import warp_source
from ffa_lab.errors import AlignmentError
from ffa_lab.faces.geometry import TEMPLATE as _TEMPLATE
from ffa_lab.faces.geometry import apply_transform, similarity_transform

FORMAT = "ffa-lab-landmarks"
FORMAT_VERSION = 1
INPUT = 64  # crop side (px) the network sees
CROP_CENTRE = np.array([88.5, 132.0])  # centre of the crop in CelebA's 178x218 frame...
CROP_SIDE = 120.0  # ...and its side there: brows to chin, cheek to cheek
# The template in crop pixels: where the network expects the points when the start estimate is exact.
CANON = (_TEMPLATE - CROP_CENTRE) * (INPUT / CROP_SIDE) + (INPUT - 1) / 2
TARGET_SCALE = 0.1 * INPUT  # network outputs are (point - CANON) / TARGET_SCALE
MIRROR = [1, 0, 2, 4, 3]  # point order after a horizontal flip
FACE_BOX = np.array([[38.0, 78.0], [138.0, 198.0]])  # the face's box (corners) in CelebA's frame, for Face.box
ENV_WEIGHTS = "FFA_LAB_LANDMARKS"  # another weights file (e.g. a retrained one)
DEFAULT_WEIGHTS = Path(__file__).resolve().parents[2] / "assets" / "landmarks" / "landmarks5.safetensors"
PASSES = 3  # cascade passes
_lock = threading.Lock()


class LandmarkNet(nn.Module):
    """Grey (N, 1, 64, 64) float in [0, 1] -> (N, 11): 10 point offsets (x0, y0, x1, ...) and a face logit."""

    def __init__(self, channels: tuple[int, ...] = (24, 32, 32, 64, 64, 128), hidden: int = 96) -> None:
        super().__init__()
        strides = (2, 2, 1, 2, 1, 2)
        layers: list[nn.Module] = []
        previous = 1
        for width, stride in zip(channels, strides, strict=True):
            layers += [nn.Conv2d(previous, width, 3, stride, 1, bias=False), nn.BatchNorm2d(width), nn.ReLU()]
            previous = width
        self.features = nn.Sequential(*layers)
        side = INPUT // 16
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(previous * side * side, hidden), nn.ReLU())
        self.out = nn.Linear(hidden, 11)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.head(self.features(x - 0.5)))


@dataclass(frozen=True)
class LandmarkModel:
    """A loaded network (eval mode, never mutate) and its metadata (the JSON in the file's header)."""

    net: LandmarkNet
    meta: dict
    path: Path


def save_landmark_model(net: LandmarkNet, meta: dict, path: str | Path) -> None:
    """Write ``net``'s tensors as safetensors with ``meta`` (JSON) under the header key ``ffa_lab``."""
    from safetensors.torch import save_file

    document = {"format": FORMAT, "format_version": FORMAT_VERSION, **meta}
    tensors = {k: v.detach().cpu().contiguous() for k, v in net.state_dict().items()}
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(path), metadata={"ffa_lab": json.dumps(document)})


def load_landmark_model(path: str | Path | None = None) -> LandmarkModel:
    """The network in ``path``, else ``$FFA_LAB_LANDMARKS``, else the bundled
    ``assets/landmarks/landmarks5.safetensors``; read without pickle, cached.

    Raises :class:`AlignmentError` when the file is missing, of another format or of a newer version."""
    path = Path(path or os.environ.get(ENV_WEIGHTS) or DEFAULT_WEIGHTS)
    if not path.is_file():
        raise AlignmentError(f"the landmark network {path} is missing (reinstall ffa-lab)")
    return _load(str(path.resolve()), path.stat().st_mtime)


@lru_cache(maxsize=2)
def _load(path: str, mtime: float) -> LandmarkModel:
    from safetensors import safe_open
    from safetensors.torch import load_file

    with safe_open(path, framework="pt") as handle:
        header = (handle.metadata() or {}).get("ffa_lab")
    meta = json.loads(header) if header else {}
    if meta.get("format") != FORMAT or int(meta.get("format_version", 0)) > FORMAT_VERSION:
        raise AlignmentError(f"{path} is not an ffa-lab landmark network of format version <= {FORMAT_VERSION}")
    arch = meta.get("architecture", {})
    if arch.get("name") != "LandmarkNet" or "channels" not in arch or "hidden" not in arch:
        raise AlignmentError(f"{path} does not describe a LandmarkNet architecture")
    if arch.get("input") != INPUT:
        raise AlignmentError(f"{path} expects {arch.get('input')} px crops; this ffa-lab crops {INPUT} px")
    net = LandmarkNet(tuple(arch["channels"]), int(arch["hidden"]))
    net.load_state_dict(load_file(path))
    return LandmarkModel(net.eval(), meta, Path(path))


def crop_matrix(points: np.ndarray) -> np.ndarray:
    """The 2x3 similarity taking input pixels to crop pixels that puts ``points`` (5, 2) on :data:`CANON`."""
    return similarity_transform(points, CANON)


def crop_at(image: np.ndarray, matrix: np.ndarray, border: int = cv2.BORDER_REPLICATE) -> np.ndarray:
    """The INPUT x INPUT crop of ``image`` (uint8, (H, W) or (H, W, 3)) through ``matrix``, anti-aliased."""
    scale = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
    source, to_source = warp_source(image, scale)
    full = np.vstack([matrix, [0, 0, 1]]) @ np.linalg.inv(to_source)
    return cv2.warpAffine(source, full[:2], (INPUT, INPUT), flags=cv2.INTER_LINEAR, borderMode=border)


def decode_outputs(out: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Network rows (N, 11) -> (points (N, 5, 2) in crop pixels, face probability (N,))."""
    points = CANON + out[:, :10].reshape(-1, 5, 2) * TARGET_SCALE
    return points, 1.0 / (1.0 + np.exp(-out[:, 10]))


def _predict(model: LandmarkModel, crops: np.ndarray) -> np.ndarray:
    """Network outputs (N, 11) of grey crops (N, 64, 64), on one thread: for a network this small, torch's
    thread pool only costs time, and on a busy machine very much (seen: 0.2 s instead of 2 ms)."""
    batch = torch.from_numpy(np.ascontiguousarray(crops, np.float32) / 255.0)[:, None]
    with _lock, torch.no_grad():  # one caller at a time: the thread setting is process-wide
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            return model.net(batch).numpy().astype(np.float64)
        finally:
            torch.set_num_threads(threads)


def refine_landmarks(
    image: np.ndarray,
    starts: list[np.ndarray],
    *,
    model: LandmarkModel | None = None,
    passes: int = PASSES,
    mirror: bool = True,
) -> list[tuple[np.ndarray, float]]:
    """Each start estimate (5, 2) refined by the cascade: [(points (5, 2) in input pixels, face probability)].

    The probability is the lowest over the passes (each the mean over the crop and, with ``mirror``, its
    mirror image; the points are averaged the same way): a
    start on something that is not a face is not rescued by the cascade drifting onto a face-like
    patch. Under ~0.5 a crop did not look like an upright face near its estimate."""
    if not starts:
        return []
    model = model or load_landmark_model()
    gray = cv2.cvtColor(np.ascontiguousarray(image), cv2.COLOR_RGB2GRAY)
    current = [np.asarray(s, np.float64) for s in starts]
    probs = np.ones(len(current))
    for _ in range(passes):
        matrices = [crop_matrix(points) for points in current]
        crops = np.stack([crop_at(gray, m) for m in matrices])
        n = len(current)
        if mirror:
            crops = np.concatenate([crops, crops[:, :, ::-1]])
        out = np.concatenate([_predict(model, crops[i : i + 512]) for i in range(0, len(crops), 512)])
        points, prob = decode_outputs(out)
        averaged, mean_prob = points[:n], prob[:n]
        if mirror:
            mirrored = points[n:][:, MIRROR]
            mirrored[..., 0] = INPUT - 1 - mirrored[..., 0]
            averaged, mean_prob = (points[:n] + mirrored) / 2, (prob[:n] + prob[n:]) / 2
        probs = np.minimum(probs, mean_prob)
        for i, matrix in enumerate(matrices):
            back = np.linalg.inv(np.vstack([matrix, [0, 0, 1]]))[:2]
            current[i] = averaged[i] @ back[:, :2].T + back[:, 2]
    return [(points, float(p)) for points, p in zip(current, probs, strict=True)]


def face_box(points: np.ndarray) -> tuple[float, float, float, float]:
    """The face's upright box (x, y, w, h) in input pixels: :data:`FACE_BOX` carried by the fit of ``points``."""
    to_input = similarity_transform(_TEMPLATE, points)
    (x0, y0), (x1, y1) = FACE_BOX
    corners = apply_transform(to_input, np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]]))
    low, high = corners.min(0), corners.max(0)
    return float(low[0]), float(low[1]), float(high[0] - low[0]), float(high[1] - low[1])


MIN_FACE_PROB = 0.5  # candidates the network does not believe are dropped
SURE_FACE_PROB = 0.9  # an upright-search face this probable needs no tilted Haar search
FRAME_RATIO = (0.85, 1.15)  # a picture this close to 178:218 is also tried as a CelebA-framed crop


def landmark_faces(image: np.ndarray, *, model: LandmarkModel | None = None, permissive: bool = True) -> list:
    """Faces in ``image`` (uint8 RGB) with the network's landmarks: [(box, face probability, points (5, 2))].

    Start estimates: every Haar face (its coarse landmarks) and, for a picture shaped like a CelebA
    crop, the template scaled to the picture. Haar's upright search comes first; its tilted searches
    (:data:`ffa_lab.faces.haar.ANGLES`) only when no start became a face of :data:`SURE_FACE_PROB`; when none of them is a face and ``permissive``, the faces of a
    permissive Haar search (``haar_faces(permissive=True)``: it finds faces the first misses, e.g. small
    tilted ones, and more false faces, which the network removes). Estimates that converge on the same face are merged (the
    most probable kept); faces under :data:`MIN_FACE_PROB` are dropped. Boxes come from :func:`face_box`."""
    from ffa_lab.faces import haar
    from ffa_lab.faces.geometry import template_for

    height, width = image.shape[:2]
    framed = []
    ratio = (width / max(height, 1)) / (178 / 218)
    if FRAME_RATIO[0] <= ratio <= FRAME_RATIO[1] and min(height, width) >= 24:
        framed.append(template_for((height, width)))
    # the upright Haar search first; its tilted searches (4x the cost) only when no start became a sure face
    upright = [np.asarray(points, np.float64) for _, _, points in haar.haar_faces(image, angles=haar.ANGLES[:1])]
    refined = refine_landmarks(image, upright + framed, model=model)
    kept = _distinct(refined)
    if not any(prob >= SURE_FACE_PROB for _, prob in kept):
        tilted = [np.asarray(points, np.float64) for _, _, points in haar.haar_faces(image, angles=haar.ANGLES[1:])]
        kept = _distinct(refined + refine_landmarks(image, tilted, model=model))
    if not kept and permissive:
        boxes = haar.haar_faces(image, permissive=True)
        kept = _distinct(refine_landmarks(image, [np.asarray(p, np.float64) for _, _, p in boxes], model=model))
    return [(face_box(points), prob, points) for points, prob in kept]


def _distinct(found: list[tuple[np.ndarray, float]]) -> list[tuple[np.ndarray, float]]:
    """Probable faces, most probable first, one per face (estimates that converged on it are merged)."""
    kept: list[tuple[np.ndarray, float]] = []
    for points, prob in sorted(found, key=lambda item: -item[1]):
        eyes = float(np.linalg.norm(points[1] - points[0]))
        if prob < MIN_FACE_PROB or not np.all(np.isfinite(points)) or eyes < 4.0:
            continue
        if all(np.linalg.norm(points - other, axis=1).mean() > 0.3 * eyes for other, _ in kept):
            kept.append((points, prob))
    return kept
