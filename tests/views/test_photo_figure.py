"""The photo behind the detected faces is sent as a JPEG in the photo's own pixel coordinates (issue 12:
raw pixel values were 1.3 MB of JSON per upload)."""

from __future__ import annotations

import base64
import io

import numpy as np
from PIL import Image

from ffa_lab.views.plots import PHOTO_SIDE, landmarks_figure, photo_trace


def _decoded(trace) -> np.ndarray:
    header, payload = trace.source.split(",", 1)
    assert header == "data:image/jpeg;base64"
    return np.asarray(Image.open(io.BytesIO(base64.b64decode(payload))).convert("RGB"))


def test_a_small_photo_is_sent_whole_with_pixel_centres_at_integers():
    photo = np.zeros((60, 40, 3), np.uint8)
    photo[:, 20:] = 255
    trace = photo_trace(photo)
    shown = _decoded(trace)
    assert shown.shape == photo.shape and trace.z is None
    assert (trace.x0, trace.y0, trace.dx, trace.dy) == (0.0, 0.0, 1.0, 1.0)
    assert np.abs(shown.astype(int) - photo).mean() < 4  # JPEG, quality 90


def test_a_large_photo_is_downscaled_but_keeps_its_coordinates():
    photo = np.random.default_rng(0).integers(0, 256, (3000, 2000, 3), dtype=np.uint8)
    trace = photo_trace(photo)
    shown = _decoded(trace)
    assert max(shown.shape[:2]) == PHOTO_SIDE
    # the shown image spans the photo's extent: first pixel's left edge at -0.5, last pixel's right edge at W - 0.5
    assert trace.x0 - trace.dx / 2 == -0.5 and abs(trace.x0 + (shown.shape[1] - 0.5) * trace.dx - 1999.5) < 1e-9
    assert trace.y0 - trace.dy / 2 == -0.5 and abs(trace.y0 + (shown.shape[0] - 0.5) * trace.dy - 2999.5) < 1e-9


def test_the_landmarks_figure_is_small():
    photo = np.random.default_rng(1).integers(0, 256, (600, 512, 3), dtype=np.uint8)
    figure = landmarks_figure(photo, np.full((5, 2), 100.0), (50, 50, 200, 200), "t")
    assert len(figure.to_json()) < 400_000  # raw pixels: 1.3 MB; noise is JPEG's worst case
    assert figure.data[0].type == "image" and figure.data[0].source.startswith("data:image/jpeg;base64,")
