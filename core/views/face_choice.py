"""Several faces in one photo: the numbered overview and the labels of the face chooser (no Streamlit).

Faces are numbered as :func:`ffa_lab.faces.align.align_face` ranks them (best first: confident, large,
central); the number is what ``--face N`` takes on the command line and ``face_n`` in a share link.
"""

from __future__ import annotations

import cv2
import numpy as np

from ffa_lab.views.faces_data import PreparedFace

CHOSEN, OTHER = (250, 176, 5), (77, 171, 247)  # RGB: amber for the aligned face, blue for the others
MAX_SIDE = 720  # the overview is drawn at most this large


def numbered_photo(face: PreparedFace) -> np.ndarray:
    """``face.photo`` (downscaled to :data:`MAX_SIDE`) with every detected face's box and number drawn on it."""
    photo = face.photo
    scale = min(1.0, MAX_SIDE / max(photo.shape[:2]))
    canvas = cv2.resize(photo, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA) if scale < 1 else photo.copy()
    canvas = np.ascontiguousarray(canvas)
    thick = max(2, round(max(canvas.shape[:2]) / 300))
    for number, (box, _) in enumerate(face.faces):
        x, y, w, h = (v * scale for v in box)
        colour = CHOSEN if number == face.chosen else OTHER
        cv2.rectangle(canvas, (round(x), round(y)), (round(x + w), round(y + h)), colour, thick)
        size = max(0.6, w / 60)
        label_y = round(y) - 6 if y > 30 * size else round(y + h) + round(26 * size)
        cv2.putText(canvas, str(number), (round(x), label_y), cv2.FONT_HERSHEY_SIMPLEX, size, (0, 0, 0), thick + 2)
        cv2.putText(canvas, str(number), (round(x), label_y), cv2.FONT_HERSHEY_SIMPLEX, size, colour, thick)
    return canvas


def face_labels(face: PreparedFace) -> list[str]:
    """One line per detected face for the chooser: number, score, width in pixels, and which is aligned."""
    labels = []
    for number, (box, score) in enumerate(face.faces):
        chosen = " (aligned)" if number == face.chosen else ""
        labels.append(f"Face {number}{chosen}: score {score:.2f}, {box[2]:.0f} px wide at x={box[0]:.0f}")
    return labels


def faces_caption(face: PreparedFace) -> str | None:
    """What the page says about the detection: several faces, a missing face number, a turned photo."""
    parts = []
    if len(face.faces) > 1:
        parts.append(f"{len(face.faces)} faces were found, numbered best first (confident, large, central)")
    if face.missing is not None:
        parts.append(f"there is no face {face.missing}, so face 0 is used")
    if face.rotation:
        parts.append(f"the face was found with the photo turned {face.rotation}° clockwise")
    if not parts:
        return None
    text = "; ".join(parts) + "."
    return text[0].upper() + text[1:]
