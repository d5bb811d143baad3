"""Training data for scripts/train_landmarks.py: YuNet teacher labels, augmented crops, held-out metrics.

Shapes: CelebA images are grey uint8 (109, 89) (the shared half-size set); points (5, 2) float in
those pixels, CelebA order; crops uint8 (64, 64); targets (10,) float32 = (point - CANON) / TARGET_SCALE.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np

from ffa_lab.data.images import load_rgb
from ffa_lab.faces.geometry import TEMPLATE, apply_transform, template_for
from ffa_lab.faces.landmarks import (
    CANON,
    INPUT,
    MIRROR,
    TARGET_SCALE,
    LandmarkModel,
    crop_at,
    crop_matrix,
    refine_landmarks,
)

BORDERS = (cv2.BORDER_REPLICATE, cv2.BORDER_REFLECT_101, cv2.BORDER_CONSTANT)
NON_FACE_PICTURES = ("coffee", "rocket", "coins", "moon", "page", "horse", "hubble_deep_field", "text", "clock")
NON_FACE_PICTURES += ("grass", "gravel", "brick", "cell", "retina", "colorwheel", "immunohistochemistry")


@dataclasses.dataclass(frozen=True)
class AugmentConfig:
    """Perturbations of the start estimate (angles in degrees, scales as log, shifts in eye distances)."""

    negative_fraction: float = 0.2
    broad_fraction: float = 0.45  # of the positives; the rest are narrow
    broad_angle: float = 15.0
    broad_angle_max: float = 40.0
    broad_log_scale: float = 0.15
    broad_log_scale_max: float = 0.4
    broad_shift: float = 0.2
    broad_shift_max: float = 0.6
    narrow_angle: float = 4.0
    narrow_log_scale: float = 0.05
    narrow_shift: float = 0.06
    negative_shift: tuple[float, float] = (1.4, 3.0)
    negative_log_scale: tuple[float, float] = (1.0, 1.6)
    negative_angle_jitter: float = 30.0  # turned faces: 90/180/270 +- up to this


def teacher_labels(celeba: Path, yunet: Path, ids: list[int], cache: Path) -> dict[str, np.ndarray]:
    """YuNet's refined landmarks for each id (half-size pixels); ids with no face are left out. Cached."""
    if cache.is_file():
        with np.load(cache) as data:
            keep = np.isin(data["ids"], ids)
            return {k: data[k][keep] for k in data.files}
    from ffa_lab.faces.align import detect_faces

    found = {"ids": [], "points": [], "scores": []}
    centre = TEMPLATE.mean(0)
    for index in ids:
        image = cv2.resize(load_rgb(celeba / "img_align_celeba" / f"{index:06d}.jpg"), (178, 218), interpolation=2)
        faces = detect_faces(image, aligner="yunet", yunet_path=yunet, refine=None, turn=False).faces
        if not faces:
            continue
        # the face nearest the template centre (reflected padding can show mirrored faces)
        best = min(range(len(faces)), key=lambda k: np.linalg.norm(faces[k].landmarks.mean(0) - centre))
        faces = detect_faces(image, aligner="yunet", yunet_path=yunet, refine=best, turn=False).faces
        found["ids"].append(index)
        found["points"].append((faces[best].landmarks + 0.5) / 2 - 0.5)
        found["scores"].append(faces[best].score)
    labels = {"ids": np.array(found["ids"]), "points": np.array(found["points"], np.float32)}
    labels["scores"] = np.array(found["scores"], np.float32)
    np.savez(cache, **labels)
    return labels


def load_gray(celeba: Path, ids: np.ndarray) -> list[np.ndarray]:
    return [cv2.cvtColor(load_rgb(celeba / "img_align_celeba" / f"{i:06d}.jpg"), cv2.COLOR_RGB2GRAY) for i in ids]


def negative_pictures() -> list[np.ndarray]:
    """Grey non-face sample pictures that scikit-image ships (no download)."""
    import skimage.data

    out = []
    for name in NON_FACE_PICTURES:
        picture = np.asarray(getattr(skimage.data, name)())
        if picture.ndim == 3:
            picture = cv2.cvtColor(picture[..., :3].astype(np.uint8), cv2.COLOR_RGB2GRAY)
        out.append(np.ascontiguousarray(picture.astype(np.uint8)))
    return out


def _perturbed(rng: np.random.Generator, points: np.ndarray, angle: float, log_scale: float, shift) -> np.ndarray:
    """``points`` turned by ``angle`` degrees and scaled by e^``log_scale`` about their centre, then moved by
    ``shift`` eye distances: a start estimate that is that wrong."""
    centre = points.mean(0)
    eyes = float(np.linalg.norm(points[1] - points[0]))
    theta = np.deg2rad(angle)
    rotation = np.exp(log_scale) * np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    return (points - centre) @ rotation.T + centre + np.asarray(shift) * eyes


def _direction(rng: np.random.Generator, length: float) -> np.ndarray:
    angle = rng.uniform(0, 2 * np.pi)
    return length * np.array([np.cos(angle), np.sin(angle)])


def _start(rng: np.random.Generator, points: np.ndarray, kind: str, a: AugmentConfig) -> np.ndarray:
    if kind == "broad":
        angle = float(np.clip(rng.normal(0, a.broad_angle), -a.broad_angle_max, a.broad_angle_max))
        scale = float(np.clip(rng.normal(0, a.broad_log_scale), -a.broad_log_scale_max, a.broad_log_scale_max))
        shift = rng.normal(0, a.broad_shift, 2)
        length = np.linalg.norm(shift)
        shift = shift * min(1.0, a.broad_shift_max / max(length, 1e-9))
        return _perturbed(rng, points, angle, scale, shift)
    if kind == "narrow":
        shift = rng.normal(0, a.narrow_shift, 2)
        return _perturbed(rng, points, rng.normal(0, a.narrow_angle), rng.normal(0, a.narrow_log_scale), shift)
    if kind == "turned":
        angle = 90.0 * rng.integers(1, 4) + rng.uniform(-a.negative_angle_jitter, a.negative_angle_jitter)
        return _perturbed(rng, points, angle, rng.normal(0, a.broad_log_scale), rng.normal(0, a.broad_shift, 2))
    if kind == "far":
        return _perturbed(
            rng, points, rng.normal(0, a.broad_angle), 0.0, _direction(rng, rng.uniform(*a.negative_shift))
        )
    # "scale": far too large or too small an estimate
    scale = rng.uniform(*a.negative_log_scale) * rng.choice([-1.0, 1.0])
    return _perturbed(rng, points, rng.normal(0, a.broad_angle), scale, rng.normal(0, a.broad_shift, 2))


def _photometric(rng: np.random.Generator, crop: np.ndarray) -> np.ndarray:
    x = crop.astype(np.float32) / 255.0
    if rng.random() < 0.25:  # a lower-resolution source
        small = int(rng.integers(20, 48))
        x = cv2.resize(cv2.resize(x, (small, small), interpolation=cv2.INTER_AREA), (INPUT, INPUT))
    if rng.random() < 0.3:
        x = cv2.GaussianBlur(x, (0, 0), rng.uniform(0.3, 1.3))
    x = np.clip(x, 0, 1) ** np.exp(rng.normal(0, 0.25))
    x = (x - 0.5) * np.exp(rng.normal(0, 0.25)) + 0.5 + rng.normal(0, 0.12)
    if rng.random() < 0.3:
        x = x + rng.normal(0, rng.uniform(0.005, 0.03), x.shape).astype(np.float32)
    return np.clip(x * 255.0 + 0.5, 0, 255).astype(np.uint8)


def _non_face(rng: np.random.Generator, pictures: list[np.ndarray]) -> np.ndarray:
    picture = pictures[int(rng.integers(len(pictures)))]
    side = rng.uniform(0.15, 1.0) * min(picture.shape)
    centre = rng.uniform([0, 0], picture.shape[::-1])
    points = (CANON - (INPUT - 1) / 2) * (side / INPUT) + centre
    points = _perturbed(rng, points, rng.uniform(0, 360), 0.0, (0.0, 0.0))
    return crop_at(picture, crop_matrix(points), BORDERS[int(rng.integers(3))])


def sample_batch(rng, images, points, indices, pictures, batch: int, a: AugmentConfig):
    """(crops (B, 64, 64) uint8, targets (B, 10) float32, face (B,) float32 1/0) of random training crops."""
    crops = np.empty((batch, INPUT, INPUT), np.uint8)
    targets = np.zeros((batch, 10), np.float32)
    faces = np.zeros(batch, np.float32)
    for b in range(batch):
        i = int(indices[int(rng.integers(len(indices)))])
        truth = points[i].astype(np.float64)
        if rng.random() < a.negative_fraction:
            kind = ("turned", "turned", "far", "scale", "picture")[int(rng.integers(5))]
        else:
            kind = "broad" if rng.random() < a.broad_fraction else "narrow"
        if kind == "picture":
            crop = _non_face(rng, pictures)
            target = CANON.copy()
        else:
            matrix = crop_matrix(_start(rng, truth, kind, a))
            border = BORDERS[int(rng.integers(3))]
            crop = (
                crop_at(images[i], matrix, border) if border != cv2.BORDER_CONSTANT else _const(images[i], matrix, rng)
            )
            target = apply_transform(matrix, truth)
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
            target = target[MIRROR]
            target[:, 0] = INPUT - 1 - target[:, 0]
        crops[b] = _photometric(rng, crop)
        faces[b] = float(kind in ("broad", "narrow"))
        targets[b] = ((target - CANON) / TARGET_SCALE).reshape(-1)
    return crops, targets, faces


def _const(image: np.ndarray, matrix: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    value = int(rng.integers(0, 256))
    return cv2.warpAffine(image, matrix, (INPUT, INPUT), flags=cv2.INTER_LINEAR, borderValue=value)


def _errors(found: list, truth: np.ndarray) -> np.ndarray:
    return np.array([np.linalg.norm(p - t, axis=1).mean() for (p, _), t in zip(found, truth, strict=True)])


def val_errors(model: LandmarkModel, images, points, indices, limit: int = 300) -> dict[str, float]:
    """Held-out mean errors vs the teacher in full-size CelebA pixels (x2), from the template and from broad
    starts, and the mean face probability of those faces and of the same faces turned 90 degrees."""
    rng = np.random.default_rng(1)
    indices = indices[:limit]
    truth = points[indices].astype(np.float64)
    template = template_for((109, 89))
    from_template = [refine_landmarks(np.dstack([images[i]] * 3), [template], model=model)[0] for i in indices]
    starts = [_start(rng, t, "broad", AugmentConfig()) for t in truth]
    from_broad = [
        refine_landmarks(np.dstack([images[i]] * 3), [s], model=model)[0] for i, s in zip(indices, starts, strict=True)
    ]
    turned = [_start(rng, t, "turned", AugmentConfig()) for t in truth]
    negatives = [
        refine_landmarks(np.dstack([images[i]] * 3), [s], model=model, passes=1)[0]
        for i, s in zip(indices, turned, strict=True)
    ]
    return {
        "from_template_px": round(2 * float(_errors(from_template, truth).mean()), 3),
        "from_broad_start_px": round(2 * float(_errors(from_broad, truth).mean()), 3),
        "face_prob_faces": round(float(np.mean([p for _, p in from_template])), 3),
        "face_prob_turned": round(float(np.mean([p for _, p in negatives])), 3),
    }


def fullres_errors(model: LandmarkModel, folder: Path) -> dict[str, float]:
    """Re-detection error (px) on the 32 full-size benchmark images from the template start (evaluation only)."""
    lines = (folder / "list_landmarks_align_celeba.txt").read_text().split("\n")[2:]
    truth = {s[0]: np.array(s[1:], float).reshape(5, 2) for s in (line.split() for line in lines) if s}
    found = [refine_landmarks(load_rgb(folder / "img_align_celeba" / n), [TEMPLATE], model=model)[0] for n in truth]
    return {"redetect_from_template_px": round(float(_errors(found, np.array(list(truth.values()))).mean()), 3)}
