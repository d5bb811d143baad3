"""Several faces in one photo, for the app (issue 12): numbered overview, chooser labels, face_n."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ffa_lab.data.portraits import bundled_portraits
from ffa_lab.views import face_choice
from ffa_lab.views.faces_data import prepare_photo


@pytest.fixture(autouse=True)
def _no_yunet(monkeypatch, tmp_path):
    monkeypatch.delenv("FFA_LAB_YUNET", raising=False)
    monkeypatch.setenv("FFA_LAB_CACHE", str(tmp_path / "empty-cache"))


@pytest.fixture(scope="module")
def two_faces() -> np.ndarray:
    portrait = bundled_portraits()["Astronaut (scikit-image)"]()
    canvas = np.full((600, 1000, 3), 200, np.uint8)
    canvas[40:552, 20:532] = portrait
    canvas[200:456, 650:906] = cv2.resize(portrait, (256, 256), interpolation=cv2.INTER_AREA)
    return canvas


def test_the_chosen_face_number_is_aligned_and_every_face_listed(two_faces):
    first = prepare_photo("upload:aa", "two", two_faces)
    second = prepare_photo("upload:aa", "two", two_faces, face_index=1)
    assert len(first.faces) == len(second.faces) == 2 and (first.chosen, second.chosen) == (0, 1)
    assert second.box[0] > 600 > first.box[0] and not np.array_equal(first.aligned, second.aligned)
    assert second.missing is None and "2 faces were found" in face_choice.faces_caption(second)


def test_a_face_number_that_does_not_exist_falls_back_to_face_0(two_faces):
    face = prepare_photo("upload:aa", "two", two_faces, face_index=7)
    assert (face.chosen, face.missing) == (0, 7)
    assert "there is no face 7" in face_choice.faces_caption(face)


def test_numbered_overview_draws_every_face_and_labels_them(two_faces):
    face = prepare_photo("upload:aa", "two", two_faces, face_index=1)
    overview = face_choice.numbered_photo(face)
    assert overview.shape[1] <= face_choice.MAX_SIDE and overview.dtype == np.uint8
    for colour in (face_choice.CHOSEN, face_choice.OTHER):
        assert np.all(overview == colour, axis=2).sum() > 100
    labels = face_choice.face_labels(face)
    assert len(labels) == 2 and "(aligned)" in labels[1] and "(aligned)" not in labels[0]


def test_one_face_needs_no_caption():
    face = prepare_photo("portrait:astronaut", "a", bundled_portraits()["Astronaut (scikit-image)"]())
    assert len(face.faces) == 1 and face_choice.faces_caption(face) is None
