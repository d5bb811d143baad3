"""Face alignment onto CelebA's 5-point template, for any photo.

Pipeline: detect faces (YuNet, or OpenCV's bundled Haar cascades as a coarse fallback), choose the
largest (or ``face_index``), and warp it with the least-squares similarity transform (rotation,
uniform scale, shift; Umeyama 1991) that maps its 5 landmarks onto the template. The template is
the mean landmark position of CelebA's aligned set in the 178x218 image (docs/alignment.md, "What it does"), in the
landmark file's order lefteye, righteye, nose, leftmouth, rightmouth, where "left" is the *image's*
left. Borders are reflected, as in ``img_align_celeba``. Shapes: images are uint8 RGB (H, W, 3);
points are (x, y) in pixels, pixel centres at integers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ffa_lab.data.images import warp_source
from ffa_lab.errors import AlignmentError, NoFaceError
from ffa_lab.faces import haar, yunet
from ffa_lab.faces.yunet_model import YuNetModelError, find_yunet

LANDMARK_NAMES = ("lefteye", "righteye", "nose", "leftmouth", "rightmouth")
CELEBA_SIZE = (218, 178)  # (H, W) of img_align_celeba
TEMPLATE = np.array([[69, 111], [108, 111], [88, 136], [72, 152], [105, 152]], dtype=np.float64)
ALIGNERS = ("auto", "yunet", "haar")


@dataclass(frozen=True)
class Face:
    """One detected face: ``box`` (x, y, w, h), detector ``score``, ``landmarks`` (5, 2) in input pixels, CelebA order."""

    box: tuple[float, float, float, float]
    score: float
    landmarks: np.ndarray

    def to_json(self) -> dict:
        return {
            "box": [round(float(v), 2) for v in self.box],
            "score": round(float(self.score), 4),
            "landmarks": [[round(float(x), 2), round(float(y), 2)] for x, y in self.landmarks],
        }


@dataclass(frozen=True)
class AlignmentResult:
    """``aligned`` uint8 (H, W, 3); ``faces`` largest first; ``chosen`` indexes ``faces``;
    ``transform`` the 2x3 similarity matrix from input pixels to aligned pixels; ``coarse`` True
    when landmarks were estimated (Haar fallback) rather than detected."""

    aligned: np.ndarray
    aligner: str
    coarse: bool
    chosen: int
    faces: list[Face]
    transform: np.ndarray

    def to_json(self) -> dict:
        """The ``ffa-lab align --json`` document."""
        return {
            "aligner": self.aligner,
            "coarse": self.coarse,
            "chosen": self.chosen,
            "faces": [face.to_json() for face in self.faces],
        }


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


def warp_to_template(
    image: np.ndarray, landmarks: np.ndarray, output_size: tuple[int, int] = CELEBA_SIZE
) -> tuple[np.ndarray, np.ndarray]:
    """Warp ``image`` so ``landmarks`` land on :func:`template_for` ``(output_size)``; (aligned, 2x3 matrix)."""
    matrix = similarity_transform(landmarks, template_for(output_size))
    height, width = output_size
    scale = float(np.sqrt(abs(np.linalg.det(matrix[:, :2]))))
    source, to_source = warp_source(image, scale)
    full = np.vstack([matrix, [0, 0, 1]]) @ np.linalg.inv(to_source)
    aligned = cv2.warpAffine(
        np.ascontiguousarray(source), full[:2], (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
    )
    return aligned, matrix


def detect_faces(
    image: np.ndarray, *, aligner: str = "auto", yunet_path: str | Path | None = None, refine: int | None = 0
) -> tuple[str, bool, list[Face]]:
    """Faces in ``image`` (uint8 RGB), largest first: (aligner used, coarse, faces).

    ``aligner``: "yunet" (needs a model, see :func:`ffa_lab.faces.yunet_model.find_yunet`), "haar" (bundled, coarse),
    or "auto" (YuNet when a model is available, else Haar). ``refine``: index of the face whose YuNet
    landmarks are re-measured at several scales and mirrored (more precise), or None.
    """
    image = _check_image(image)
    if aligner not in ALIGNERS:
        raise AlignmentError(f"unknown aligner {aligner!r}; choose one of {', '.join(ALIGNERS)}")
    model = None
    if aligner in ("auto", "yunet"):
        model = find_yunet(yunet_path)
        if model is None and aligner == "yunet":
            raise YuNetModelError(
                "no YuNet model found: pass --yunet PATH, set FFA_LAB_YUNET, or run `ffa-lab models download`"
            )
    if model is not None:
        faces = _largest_first(yunet.yunet_faces(image, model))
        if faces and refine is not None and 0 <= refine < len(faces):
            landmarks = yunet.yunet_refine(image, model, faces[refine].box, faces[refine].landmarks)
            faces[refine] = Face(faces[refine].box, faces[refine].score, landmarks)
        return "yunet", False, faces
    return "haar", True, _largest_first(haar.haar_faces(image))


def align_face(
    image: np.ndarray,
    *,
    aligner: str = "auto",
    yunet_path: str | Path | None = None,
    face_index: int | None = None,
    output_size: tuple[int, int] = CELEBA_SIZE,
) -> AlignmentResult:
    """Detect faces in ``image`` (uint8 RGB (H, W, 3)) and warp one onto CelebA's template.

    The largest face is chosen unless ``face_index`` (into the largest-first list) is given; the
    output is ``output_size`` (H, W), 218x178 by default. Raises :class:`NoFaceError` when no face is
    found (the caller may then use the image as already aligned) and :class:`AlignmentError` for a
    bad ``face_index``/``output_size``.
    """
    height, width = _check_size(output_size)
    name, coarse, faces = detect_faces(image, aligner=aligner, yunet_path=yunet_path, refine=face_index or 0)
    if not faces:
        tried = "YuNet" if name == "yunet" else "OpenCV's Haar cascades (no YuNet model available)"
        raise NoFaceError(
            f"no face found in the image (detector: {tried}); if it is already a CelebA-style aligned crop, "
            "use it as it is"
        )
    chosen = 0 if face_index is None else face_index
    if not 0 <= chosen < len(faces):
        raise AlignmentError(f"face {chosen} does not exist: {len(faces)} face(s) found, numbered from 0")
    aligned, matrix = warp_to_template(np.asarray(image), faces[chosen].landmarks, (height, width))
    return AlignmentResult(aligned=aligned, aligner=name, coarse=coarse, chosen=chosen, faces=faces, transform=matrix)


def _largest_first(found: list[yunet.Detection]) -> list[Face]:
    faces = []
    for box, score, points in found:
        x, y, w, h = (float(v) for v in box)
        faces.append(Face((x, y, w, h), float(score), np.asarray(points, np.float64)))
    return sorted(faces, key=lambda face: -face.box[2] * face.box[3])


def _check_image(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise AlignmentError(f"expected a uint8 RGB image (H, W, 3), got {image.dtype} {image.shape}")
    return np.ascontiguousarray(image)


def _check_size(output_size: tuple[int, int]) -> tuple[int, int]:
    try:
        height, width = (int(v) for v in output_size)
    except (TypeError, ValueError):
        raise AlignmentError(f"output size must be (height, width), not {output_size!r}") from None
    if not (16 <= height <= 4096 and 16 <= width <= 4096):
        raise AlignmentError(f"output size {height}x{width} is outside 16..4096 pixels")
    return height, width
