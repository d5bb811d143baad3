"""The Inspect page with a photo of several faces (issue 12): faces numbered, one picked, ``face_n`` in the link."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from ffa_lab.data.images import encode_png
from ffa_lab.data.portraits import bundled_portraits
from ffa_lab.views.faces_data import bytes_ref
from tests.conftest import REPO

TIMEOUT = 120


@pytest.fixture(autouse=True)
def _no_yunet(monkeypatch, tmp_path):
    monkeypatch.delenv("FFA_LAB_YUNET", raising=False)
    monkeypatch.setenv("FFA_LAB_CACHE", str(tmp_path / "empty-cache"))


def two_face_upload() -> tuple[str, bytes]:
    portrait = bundled_portraits()["Astronaut (scikit-image)"]()
    canvas = np.full((600, 1000, 3), 200, np.uint8)
    canvas[40:552, 20:532] = portrait
    canvas[200:456, 650:906] = cv2.resize(portrait, (256, 256), interpolation=cv2.INTER_AREA)
    data = encode_png(canvas)
    return bytes_ref("upload", data), data


def inspect(ref: str, data: bytes, **query) -> AppTest:
    at = AppTest.from_file(str(REPO / "pages/1_Inspect_Face.py"), default_timeout=TIMEOUT)
    at.query_params["face"] = ref
    for key, value in query.items():
        at.query_params[key] = value
    at.session_state["shared_uploads"] = {ref: (data, "two.png", False)}
    return at


def test_a_link_with_face_n_opens_that_face_and_the_chooser_changes_it():
    ref, data = two_face_upload()
    at = inspect(ref, data, face_n="1").run()
    assert not at.exception and not at.error
    chooser = at.selectbox(key="inspect_face_n")
    assert chooser.value == 1 and len(chooser.options) == 2
    assert any("Face 1 of 2 is aligned" in c.value for c in at.caption)
    chooser.select(0).run()
    assert not at.exception
    assert at.query_params.get("face_n", "0") == "0" and at.selectbox(key="inspect_face_n").value == 0


def test_a_bad_face_n_in_a_link_is_ignored():
    ref, data = two_face_upload()
    at = inspect(ref, data, face_n="lots").run()
    assert not at.exception and not at.error
    assert at.selectbox(key="inspect_face_n").value == 0


def test_the_shared_picker_numbers_the_faces_on_other_pages_too():
    ref, data = two_face_upload()
    at = AppTest.from_file(str(REPO / "pages/3_Compare_Attacks.py"), default_timeout=TIMEOUT)
    at.query_params["face"] = ref
    at.query_params["face_n"] = "1"
    at.session_state["shared_uploads"] = {ref: (data, "two.png", False)}
    at.run()
    assert not at.exception and not at.error
    assert at.selectbox(key="compare_face_n").value == 1
    assert any("numbered best first" in c.value for c in at.caption)
