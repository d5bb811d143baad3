"""Which face (confidence, size and centrality together) and which way up (right-angle turns), issue 12."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from ffa_lab.data.portraits import bundled_portraits
from ffa_lab.errors import AlignmentError
from ffa_lab.faces import choice
from ffa_lab.faces.align import TEMPLATE, Face, align_face, apply_transform
from tests.conftest import REPO, shared_dir
from tests.faces.test_align import PORTRAIT_EYES, mean_error

ALIGNERS = ["landmarks", "yunet"]


@pytest.fixture(autouse=True)
def _no_model_env(monkeypatch):
    monkeypatch.delenv("FFA_LAB_YUNET", raising=False)


@pytest.fixture(scope="module")
def yunet_model():
    path = (shared_dir() or REPO.parent / "shared") / "models" / "yunet" / "face_detection_yunet_2026may.onnx"
    return path if path.is_file() else None


def _aligner(name: str, yunet_model):
    if name == "yunet" and yunet_model is None:
        pytest.skip("needs the YuNet model in ../shared/models/yunet (or $FFA_SHARED)")
    return {"aligner": name, "yunet_path": yunet_model}


def face(x, y, w, score) -> Face:
    return Face((x, y, w, w), score, np.zeros((5, 2)))


def test_rank_weighs_confidence_size_and_centrality_not_size_alone():
    shape = (600, 800, 3)
    big_doubtful = face(0, 0, 300, 0.3)  # the largest box, but a weak detection in a corner
    central = face(300, 200, 200, 0.95)
    small_background = face(650, 20, 60, 0.99)
    ranked = choice.rank([big_doubtful, small_background, central], shape)
    assert ranked[0] is central and ranked[-1] is small_background
    # equal confidence and size: the central one wins over a copy at the border (reflected padding)
    border_copy, middle = face(0, 250, 200, 0.9), face(300, 250, 200, 0.9)
    assert choice.rank([border_copy, middle], shape)[0] is middle


@pytest.mark.parametrize("quarter", [1, 2, 3])
def test_unturn_points_inverts_rot90(quarter):
    image = np.zeros((50, 80), np.uint8)
    image[7, 31] = 255  # (x, y) = (31, 7)
    turned = choice.turned(image, quarter)
    np.testing.assert_array_equal(turned, np.rot90(image, -quarter))
    y, x = np.argwhere(turned == 255)[0]
    np.testing.assert_allclose(choice.unturn_points(np.array([[x, y]]), quarter, image.shape), [[31, 7]])
    box = choice.unturn_box((x - 1.0, y - 2.0, 2.0, 4.0), quarter, image.shape)
    assert box[0] <= 31 <= box[0] + box[2] and box[1] <= 7 <= box[1] + box[3]


@pytest.mark.parametrize("name", ALIGNERS)
def test_several_faces_best_first_and_selectable(name, yunet_model):
    kwargs = _aligner(name, yunet_model)
    portrait = bundled_portraits()["Astronaut (scikit-image)"]()
    canvas = np.full((600, 1000, 3), 200, np.uint8)
    canvas[40:552, 20:532] = portrait
    canvas[200:456, 650:906] = cv2.resize(portrait, (256, 256), interpolation=cv2.INTER_AREA)
    result = align_face(canvas, **kwargs)
    assert len(result.faces) == 2 and result.chosen == 0
    assert result.faces[0].box[0] < 500 and result.faces[1].box[0] > 600
    other = align_face(canvas, face_index=1, **kwargs)
    assert other.chosen == 1 and other.faces[1].box[0] > 600
    assert mean_error(apply_transform(other.transform, other.faces[1].landmarks), TEMPLATE) < 5
    with pytest.raises(AlignmentError, match="face 5 does not exist: 2 face"):
        align_face(canvas, face_index=5, **kwargs)


@pytest.mark.parametrize("name", ALIGNERS)
def test_reflected_padding_copies_do_not_win(name, yunet_model):
    """A tight crop padded by reflection shows mirrored half-faces at its borders: the real face is chosen."""
    kwargs = _aligner(name, yunet_model)
    portrait = bundled_portraits()["Grace Hopper (matplotlib)"]()[100:420, 120:420]  # a tight face crop
    padded = cv2.copyMakeBorder(portrait, 40, 40, 260, 260, cv2.BORDER_REFLECT)
    result = align_face(padded, **kwargs)
    eyes = apply_transform(result.transform, PORTRAIT_EYES["Grace Hopper (matplotlib)"] - [120, 100] + [260, 40])
    assert np.linalg.norm(eyes - TEMPLATE[:2], axis=1).max() <= 6.0, (len(result.faces), eyes)


@pytest.mark.parametrize("name", ALIGNERS)
@pytest.mark.parametrize("quarter", [1, 3])
def test_a_sideways_photo_is_turned_and_the_turn_reported(name, quarter, yunet_model):
    kwargs = _aligner(name, yunet_model)
    portrait = bundled_portraits()["Astronaut (scikit-image)"]()
    sideways = np.ascontiguousarray(np.rot90(portrait, quarter))  # turned anticlockwise, no EXIF tag
    result = align_face(sideways, **kwargs)
    assert result.rotation == 90 * quarter  # turning it back clockwise makes it upright
    eyes = choice.unturn_points(PORTRAIT_EYES["Astronaut (scikit-image)"], quarter, sideways.shape)
    aligned_eyes = apply_transform(result.transform, eyes)
    assert np.linalg.norm(aligned_eyes - TEMPLATE[:2], axis=1).max() <= 5.0, aligned_eyes
    assert align_face(portrait, **kwargs).rotation == 0
