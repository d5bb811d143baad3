"""Face alignment onto CelebA's 5-point template, for any photo.

Pipeline: detect faces with 5 landmarks, rank them (:mod:`ffa_lab.faces.choice`: confidence, size and
centrality together), take the best (or ``face_index``), and warp it with the least-squares similarity
transform (rotation, uniform scale, shift; Umeyama 1991) that maps its landmarks onto the template
(:mod:`ffa_lab.faces.geometry`). Detectors, by ``aligner``:

- ``yunet``: the YuNet ONNX detector, when the user has it (``ffa-lab models download``); preferred.
- ``landmarks``: the network bundled with ffa-lab (:mod:`ffa_lab.faces.landmarks`) on OpenCV's Haar face
  boxes; needs no download. ``auto`` uses it when no YuNet model is found.
- ``haar``: OpenCV's Haar cascades alone (coarse landmarks estimated from face and eye boxes).

When the upright photo gives no confident face, its three right-angle turns are tried too and the most
confident wins (a phone photo without its EXIF orientation tag); ``rotation`` reports the turn.
Borders are reflected, as in ``img_align_celeba``. Images are uint8 RGB (H, W, 3); points are (x, y) in
the input's pixels, pixel centres at integers.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ffa_lab.data.images import warp_source
from ffa_lab.errors import AlignmentError, NoFaceError
from ffa_lab.faces import choice, haar, yunet
from ffa_lab.faces.geometry import (  # noqa: F401  (re-exported: the alignment API)
    CELEBA_SIZE,
    LANDMARK_NAMES,
    TEMPLATE,
    apply_transform,
    similarity_transform,
    template_for,
)
from ffa_lab.faces.yunet_model import YuNetModelError, find_yunet

ALIGNERS = ("auto", "yunet", "landmarks", "haar")
# A best face scoring at least this needs no turned retry (YuNet's confidence, the network's face probability).
CONFIDENT = {"yunet": 0.8, "landmarks": 0.9, "haar": 0.0}
VERIFY_PROB = 0.8  # the landmark network's face probability that confirms a YuNet face as upright


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
    """``aligned`` uint8 (H, W, 3); ``faces`` best first (:func:`ffa_lab.faces.choice.rank`); ``chosen``
    indexes ``faces``; ``transform`` the 2x3 similarity matrix from input pixels to aligned pixels;
    ``aligner`` the detector used ("yunet", "landmarks" or "haar"); ``coarse`` True when landmarks were
    estimated from boxes (Haar) rather than measured; ``rotation`` the clockwise turn (0, 90, 180, 270
    degrees) under which the faces were found (landmarks are in the input's own pixels either way)."""

    aligned: np.ndarray
    aligner: str
    coarse: bool
    chosen: int
    faces: list[Face]
    transform: np.ndarray
    rotation: int = 0

    def to_json(self) -> dict:
        """The ``ffa-lab align --json`` document."""
        return {
            "aligner": self.aligner,
            "coarse": self.coarse,
            "rotation": self.rotation,
            "chosen": self.chosen,
            "faces": [face.to_json() for face in self.faces],
        }


@dataclass(frozen=True)
class Detections:
    """What :func:`detect_faces` found: the detector used, whether its landmarks are coarse, the faces best
    first, and the clockwise turn (degrees) of the photo under which they were found."""

    aligner: str
    coarse: bool
    faces: list[Face]
    rotation: int = 0


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
    image: np.ndarray,
    *,
    aligner: str = "auto",
    yunet_path: str | Path | None = None,
    refine: int | None = 0,
    turn: bool = True,
) -> Detections:
    """Faces in ``image`` (uint8 RGB), ranked best first (:func:`ffa_lab.faces.choice.rank`).

    ``aligner``: "yunet" (needs a model, see :func:`ffa_lab.faces.yunet_model.find_yunet`), "landmarks"
    (bundled network), "haar" (bundled, coarse), or "auto" (YuNet when a model is available, else the
    network). ``refine``: index (into the ranked list) of the face whose YuNet landmarks are re-measured at
    several scales and mirrored (more precise), or None. ``turn``: when the upright photo shows no
    confident upright face, also search it turned by 90, 180 and 270 degrees (see :func:`_search`); the
    turn used is ``Detections.rotation``, the faces are in ``image``'s own pixels either way.
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
    name = "yunet" if model is not None else ("haar" if aligner == "haar" else "landmarks")
    quarter, faces = _search(image, name, model, turn)
    if name == "yunet" and model is not None and faces and refine is not None and 0 <= refine < len(faces):
        landmarks = yunet.yunet_refine(image, model, faces[refine].box, faces[refine].landmarks)
        faces[refine] = Face(faces[refine].box, faces[refine].score, landmarks)
    return Detections(name, name == "haar", faces, 90 * quarter)


def _detect(image: np.ndarray, name: str, model: Path | None, upright: bool = True) -> list[yunet.Detection]:
    """Raw detections (box, score, landmarks) of detector ``name``; the landmark path's second, permissive
    Haar search (slower, more false faces) runs on the upright view only."""
    if name == "yunet" and model is not None:
        return yunet.yunet_faces(image, model)
    if name == "haar":
        return haar.haar_faces(image)
    from ffa_lab.faces.landmarks import landmark_faces

    return landmark_faces(image, permissive=upright)


def _search(image: np.ndarray, name: str, model: Path | None, turn: bool) -> tuple[int, list[Face]]:
    """(quarter turns, ranked faces in ``image``'s pixels): upright first; when its best face is not
    confident (:data:`CONFIDENT`; for YuNet also confirmed by the landmark network) or lies on its side
    (eye line tilted over 45 degrees), the photo turned by 90, 180 and 270 degrees too, stopping at the
    first good view. A good view wins over a merely more confident one."""
    found: list[tuple[bool, float, int, list[Face]]] = []
    for quarter in (0, 1, 2, 3) if turn else (0,):
        view = choice.turned(image, quarter)
        faces = choice.rank(_faces(_detect(view, name, model, quarter == 0)), view.shape)
        good = bool(faces) and faces[0].score >= CONFIDENT[name] and _upright(faces[0].landmarks)
        if good and name == "yunet":  # YuNet also fires on sideways heads; the network checks uprightness
            good = _verified(view, faces[0])
        if quarter:
            faces = [
                Face(
                    choice.unturn_box(f.box, quarter, image.shape),
                    f.score,
                    choice.unturn_points(f.landmarks, quarter, image.shape),
                )
                for f in faces
            ]
        found.append((good, faces[0].score if faces else -1.0, quarter, faces))
        if good or (name == "haar" and faces):  # Haar's scores say little: any upright face will do
            break
    good, _, quarter, faces = max(found, key=lambda item: (item[0], item[1], -item[2]))
    return quarter, faces


def _verified(image: np.ndarray, face: Face) -> bool:
    """Is ``face`` an upright face? Its eyes must span a quarter of its box at least (YuNet squeezes the
    points of a sideways head) and the bundled landmark network must agree (:data:`VERIFY_PROB`)."""
    from ffa_lab.faces.landmarks import refine_landmarks

    if np.linalg.norm(face.landmarks[1] - face.landmarks[0]) < 0.25 * face.box[2]:
        return False
    try:
        return refine_landmarks(image, [face.landmarks], passes=1)[0][1] >= VERIFY_PROB
    except AlignmentError:  # the network's file is missing: trust the detector
        return True


def _upright(landmarks: np.ndarray) -> bool:
    """True when the eye line is within 45 degrees of level and the eyes are in image-left/right order."""
    eyes = np.asarray(landmarks[1]) - np.asarray(landmarks[0])
    return bool(eyes[0] > abs(eyes[1]))


def align_face(
    image: np.ndarray,
    *,
    aligner: str = "auto",
    yunet_path: str | Path | None = None,
    face_index: int | None = None,
    output_size: tuple[int, int] = CELEBA_SIZE,
) -> AlignmentResult:
    """Detect faces in ``image`` (uint8 RGB (H, W, 3)) and warp one onto CelebA's template.

    The best-ranked face is chosen unless ``face_index`` (into the ranked list) is given; the output is
    ``output_size`` (H, W), 218x178 by default. Raises :class:`NoFaceError` when no face is found (the
    caller may then use the image as already aligned) and :class:`AlignmentError` for a bad
    ``face_index``/``output_size``.
    """
    height, width = _check_size(output_size)
    found = detect_faces(image, aligner=aligner, yunet_path=yunet_path, refine=face_index or 0)
    if not found.faces:
        tried = {
            "yunet": "YuNet",
            "landmarks": "the bundled landmark network on OpenCV's Haar face boxes (no YuNet model available)",
            "haar": "OpenCV's Haar cascades",
        }[found.aligner]
        raise NoFaceError(
            f"no face found in the image (detector: {tried}); if it is already a CelebA-style aligned crop, "
            "use it as it is"
        )
    chosen = 0 if face_index is None else face_index
    if not 0 <= chosen < len(found.faces):
        raise AlignmentError(f"face {chosen} does not exist: {len(found.faces)} face(s) found, numbered from 0")
    aligned, matrix = warp_to_template(np.asarray(image), found.faces[chosen].landmarks, (height, width))
    return AlignmentResult(
        aligned=aligned,
        aligner=found.aligner,
        coarse=found.coarse,
        chosen=chosen,
        faces=found.faces,
        transform=matrix,
        rotation=found.rotation,
    )


def _faces(found: list) -> list[Face]:
    """Detections (box, score, points) or Faces as Faces with float boxes and (5, 2) float64 landmarks."""
    out = []
    for item in found:
        box, score, points = (item.box, item.score, item.landmarks) if isinstance(item, Face) else item
        x, y, w, h = (float(v) for v in box)
        out.append(Face((x, y, w, h), float(score), np.asarray(points, np.float64)))
    return out


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
