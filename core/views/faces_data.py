"""Faces for the app: decode, align and score one face (no Streamlit here; core/ui/cache.py caches it).

A face is named by a *reference* string so that session state and the URL hold ids, never pixels:

- ``portrait:<name>``  a public-domain portrait shipped in an installed package (ffa_lab.data.portraits)
- ``dataset:<id>``     an image of the configured CelebA folder, e.g. ``dataset:000123.jpg``
- ``upload:<sha>`` / ``camera:<sha>``  an uploaded or camera picture, by the SHA-256 of its bytes

Dataset images are already CelebA-aligned and are used as they are (no detector runs); every other
picture is decoded (ffa_lab.data.images) and aligned to the CelebA template at 218x178 (ffa_lab.faces.align).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ffa_lab.data.attributes import ATTRIBUTE_INDEX
from ffa_lab.data.celeba import CelebA
from ffa_lab.data.images import decode_image
from ffa_lab.errors import AlignmentError, NoFaceError, UsageError
from ffa_lab.faces.align import align_face
from ffa_lab.faces.coverage import outside_fraction
from ffa_lab.models.bank import AttributeBank
from ffa_lab.models.evaluate import bank_scores
from ffa_lab.views.settings import ALIGNED_SIZE

FACE_KINDS = ("portrait", "dataset", "upload", "camera")


@dataclass(frozen=True)
class PreparedFace:
    """One face ready for the bank.

    ``photo`` is the picture as given (uint8 RGB (H, W, 3)); ``aligned`` is what the bank sees (CelebA
    framing, uint8 (H, W, 3)); ``landmarks`` are the 5 detected points (5, 2) in ``photo`` pixels and
    ``box`` the face box (x, y, w, h), both None for dataset images; ``faces`` holds (box, score) of
    every detected face, best first, ``chosen`` the one aligned (``face_n`` in the URL), ``rotation``
    the clockwise turn (degrees) under which the faces were found, ``missing`` a requested face number
    that did not exist (face 0 was used instead); ``labels`` (40,) int8 ±1 is the CelebA ground truth of
    dataset faces, else None; ``padded`` is the fraction of ``aligned`` that lies outside ``photo`` and
    was filled by reflecting it (ffa_lab.faces.coverage; 0 when no warp ran).
    """

    ref: str
    title: str
    photo: np.ndarray
    aligned: np.ndarray
    aligner: str
    coarse: bool = False
    landmarks: np.ndarray | None = None
    box: tuple[int, int, int, int] | None = None
    n_faces: int = 1
    labels: np.ndarray | None = None
    split: str | None = None
    padded: float = 0.0
    faces: tuple[tuple[tuple[float, float, float, float], float], ...] = ()
    chosen: int = 0
    rotation: int = 0
    missing: int | None = None

    @property
    def kind(self) -> str:
        return face_kind(self.ref)

    @property
    def from_dataset(self) -> bool:
        return self.labels is not None

    def labels_for(self, attributes: list[str] | tuple[str, ...]) -> np.ndarray | None:
        """Ground truth ±1 in the order of ``attributes`` (a bank's), or None for non-dataset faces."""
        if self.labels is None:
            return None
        return self.labels[[ATTRIBUTE_INDEX[a] for a in attributes]]


def face_kind(ref: str) -> str:
    """The source of a face reference ('portrait', 'dataset', 'upload', 'camera'); ValueError if malformed."""
    kind, sep, rest = ref.partition(":")
    if not sep or not rest or kind not in FACE_KINDS:
        raise ValueError(f"not a face reference: {ref!r} (expected e.g. 'portrait:astronaut' or 'dataset:000001.jpg')")
    return kind


def bytes_ref(kind: str, data: bytes) -> str:
    """Reference of uploaded/camera bytes: the kind and the first 16 hex digits of their SHA-256."""
    return f"{kind}:{hashlib.sha256(data).hexdigest()[:16]}"


def prepare_photo(
    ref: str, title: str, photo: np.ndarray, *, aligner: str = "auto", face_index: int = 0
) -> PreparedFace:
    """Align face ``face_index`` (of the ranked faces) of a photo to the CelebA frame; a number that does not
    exist falls back to face 0 (``missing`` says so). Raises ffa_lab.faces.align.NoFaceError without a face."""
    missing = None
    try:
        result = align_face(photo, aligner=aligner, output_size=ALIGNED_SIZE, face_index=face_index)
    except NoFaceError:
        raise
    except AlignmentError:
        if face_index == 0:
            raise
        missing, result = face_index, align_face(photo, aligner=aligner, output_size=ALIGNED_SIZE)
    face = result.faces[result.chosen] if result.faces else None
    return PreparedFace(
        ref=ref,
        title=title,
        photo=photo,
        aligned=np.ascontiguousarray(result.aligned, dtype=np.uint8),
        aligner=result.aligner,
        coarse=bool(result.coarse),
        landmarks=None if face is None else np.asarray(face.landmarks, dtype=np.float32),
        box=None if face is None else (int(face.box[0]), int(face.box[1]), int(face.box[2]), int(face.box[3])),
        n_faces=len(result.faces),
        padded=outside_fraction(result.transform, photo.shape, ALIGNED_SIZE),
        faces=tuple(((f.box[0], f.box[1], f.box[2], f.box[3]), float(f.score)) for f in result.faces),
        chosen=result.chosen,
        rotation=result.rotation,
        missing=missing,
    )


def prepare_bytes(kind: str, data: bytes, title: str, face_index: int = 0) -> PreparedFace:
    """Decode uploaded or camera bytes (ffa_lab.data.images.ImageDecodeError on bad files) and align face
    ``face_index`` of them."""
    return prepare_photo(bytes_ref(kind, data), title, decode_image(data), face_index=face_index)


def prepare_aligned_bytes(kind: str, data: bytes, title: str) -> PreparedFace:
    """A picture that is already a CelebA-framed crop: decoded and resized to 218x178, no detector.

    Raises UsageError (a ValueError) when its shape is far from CelebA's 178:218 (not an aligned crop).
    """
    photo = decode_image(data)
    height, width = photo.shape[:2]
    ratio = (width / height) / (ALIGNED_SIZE[1] / ALIGNED_SIZE[0])
    if not 0.85 <= ratio <= 1.15:
        raise UsageError(
            f"the picture is {width}x{height}; a CelebA-aligned crop is 178x218 (or the same shape), "
            "so let the app find and align the face instead"
        )
    resized = Image.fromarray(photo).resize((ALIGNED_SIZE[1], ALIGNED_SIZE[0]), Image.Resampling.LANCZOS)
    return PreparedFace(
        ref=bytes_ref(kind, data), title=title, photo=photo, aligned=np.asarray(resized, dtype=np.uint8), aligner="none"
    )


def dataset_id_problem(celeba: CelebA, image_id: str) -> str | None:
    """Why ``image_id`` (from a link, say) cannot be shown from ``celeba``, or None when it can."""
    try:
        celeba.image_path(image_id)
    except KeyError:
        return f"image {image_id!r} is not in the dataset at {celeba.root}"
    return None


def prepare_dataset_face(celeba: CelebA, image_id: str) -> PreparedFace:
    """A CelebA image as it is (already aligned) with its 40 labels and split."""
    problem = dataset_id_problem(celeba, image_id)
    if problem is not None:
        raise ValueError(problem)
    path = celeba.image_path(image_id)
    image = decode_image(path)
    split = {0: "train", 1: "val", 2: "test"}[celeba.partition[image_id]]
    return PreparedFace(
        ref=f"dataset:{image_id}",
        title=f"CelebA {image_id} ({split})",
        photo=image,
        aligned=image,
        aligner="celeba",
        labels=np.asarray(celeba.labels_for([image_id])[0], dtype=np.int8),
        split=split,
    )


def face_scores(bank: AttributeBank, aligned: np.ndarray) -> np.ndarray:
    """The bank's scores (G,) float32 of one aligned uint8 face (H, W, 3); prediction = sign, score >= 0 is +1."""
    return bank_scores(bank, aligned[None])[0]


def filter_dataset(
    celeba: CelebA, split: str, conditions: dict[int, int], search: str = "", limit: int = 500
) -> tuple[list[str], int]:
    """Ids of ``split`` whose labels match ``conditions`` {attribute index: ±1} and contain ``search``.

    Returns (the first ``limit`` ids, number of matches).
    """
    split_code = {"train": 0, "val": 1, "test": 2}[split]
    ids = celeba.table.ids
    keep = np.array([celeba.partition.get(i) == split_code for i in ids.tolist()], dtype=bool)
    for index, value in conditions.items():
        keep &= celeba.table.labels[:, index] == value
    if search.strip():
        keep &= np.char.find(ids.astype(str), search.strip()) >= 0
    matches = ids[keep].tolist()
    return matches[:limit], len(matches)


def matches_filters(celeba: CelebA, image_id: str, split: str, conditions: dict[int, int], search: str = "") -> bool:
    """Does ``image_id`` pass the same filters as :func:`filter_dataset` (split, label conditions, id search)?"""
    split_code = {"train": 0, "val": 1, "test": 2}[split]
    if celeba.partition.get(image_id) != split_code or search.strip() not in image_id:
        return False
    labels = celeba.labels_for([image_id])[0]
    return all(labels[index] == value for index, value in conditions.items())
