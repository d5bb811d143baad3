"""AppTest over every page: renders without an exception with and without a dataset; the flip flow
flips; links, bad uploads, missing folders and dataset-only parts give messages, not tracebacks."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import PAGES
from tests.conftest import REPO

TIMEOUT = 120  # the CPU is shared with training runs; a cold flip with PASS takes a few seconds
DATASET_FACE = "dataset:182638.jpg"  # the first test-partition image of the shared CelebA subset


def page(path: str, **query) -> AppTest:
    at = AppTest.from_file(str(REPO / path), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    return at


def problems(at: AppTest) -> list[str]:
    """Exceptions and error boxes on the page (both mean the page is broken for the user)."""
    return [e.value for e in at.exception] + [e.value for e in at.error]


def metric(at: AppTest, label: str):
    return next(m for m in at.metric if m.label == label)


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_without_dataset(path):
    at = page(path).run()
    assert problems(at) == []
    assert at.title, "every page has a title"


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_with_shared_celeba(path, monkeypatch, celeba_dir):
    monkeypatch.setenv("FFA_LAB_CELEBA", str(celeba_dir))
    at = page(path, face=DATASET_FACE, attr="Male").run()
    assert problems(at) == []
    assert any("labelled images" in s.value for s in at.sidebar.success)


def test_flip_flow_flips_the_sign():
    """Home -> flip page -> pick a portrait, an attribute and an attack -> the reported score flips sign."""
    at = page("app.py").run()
    at.switch_page("pages/2_Flip_Attribute.py").run()
    at.radio(key="flip_source").set_value("portrait").run()
    at.selectbox(key="flip_portrait").set_value("grace_hopper").run()
    at.selectbox(key="flip_attr").set_value("Smiling").run()
    at.selectbox(key="flip_attack").set_value("ffa").run()
    assert problems(at) == []
    score = metric(at, "Score before → after")
    before, after = float(score.delta.split(" from ")[1]), float(score.value)
    assert (before >= 0) != (after >= 0), f"score {before} -> {after} did not change sign"
    assert metric(at, "After PNG save").value == "yes"
    assert at.query_params["face"] == "portrait:grace_hopper" and at.query_params["attr"] == "Smiling"


def test_strength_slider_and_flip_all():
    at = page("pages/2_Flip_Attribute.py", face="portrait:astronaut", attr="Smiling", attack="ffa").run()
    at.select_slider(key="flip_strength").set_value(0.0).run()
    assert any(c.value.startswith("At ×0.00") and "not flipped" in c.value for c in at.caption)
    at.select_slider(key="flip_strength").set_value(1.0).run()
    assert any(c.value.startswith("At ×1.00") and "flipped" in c.value for c in at.caption)
    at.button(key="flip_all_button").click().run()
    assert problems(at) == []
    assert any("attributes flipped" in c.value for c in at.caption)


def test_link_opens_the_same_view():
    at = page("pages/3_Compare_Attacks.py", face="portrait:grace_hopper", attr="Male").run()
    assert problems(at) == []
    assert at.selectbox(key="compare_attr").value == "Male"
    assert at.selectbox(key="compare_portrait").value == "grace_hopper"


def test_bad_upload_is_a_message_not_a_traceback():
    at = page("pages/1_Inspect_Face.py")
    at.session_state["shared_uploads"] = {"upload:0123456789abcdef": (b"<html>not a photo</html>", "x.jpg", False)}
    at.session_state["shared_face"] = "upload:0123456789abcdef"
    at.run()
    assert not at.exception
    assert any("web page" in e.value for e in at.error)


def test_missing_model_folder_is_a_message(monkeypatch, tmp_path):
    monkeypatch.setenv("FFA_LAB_MODELS", str(tmp_path / "nowhere"))
    for path in PAGES[:3]:
        at = page(path).run()
        assert not at.exception
        assert any("model folder not found" in e.value for e in at.error)


def test_dataset_face_without_dataset_says_how_to_configure():
    at = page("pages/1_Inspect_Face.py", face=DATASET_FACE).run()
    assert problems(at) == []
    assert any("FFA_LAB_CELEBA" in i.value for i in at.info)


def test_gallery_opens_a_face_in_the_flip_view(monkeypatch, celeba_dir):
    monkeypatch.setenv("FFA_LAB_CELEBA", str(celeba_dir))
    at = page("app.py").run()
    at.switch_page("pages/4_Natural_Adversarials.py").run()  # st.switch_page needs the real entry point
    assert problems(at) == []
    opens = [b for b in at.button if b.key and b.key.startswith("gallery_open_")]
    assert opens, "the gallery shows faces with an 'Open in flip view' button"
    _split, image_id, attribute = opens[0].key.removeprefix("gallery_open_").split("_", 2)
    opens[0].click().run()
    assert problems(at) == []
    assert at.session_state["shared_face"] == f"dataset:{image_id}"
    assert at.session_state["shared_attr"] == attribute


def test_gallery_mines_one_attribute_live(monkeypatch, celeba_dir):
    monkeypatch.setenv("FFA_LAB_CELEBA", str(celeba_dir))
    at = page("pages/4_Natural_Adversarials.py").run()
    at.radio(key="gallery_source").set_value("live").run()
    at.selectbox(key="gallery_attr").set_value("Smiling").run()
    at.button(key="gallery_mine").click().run()
    assert problems(at) == []
    assert any("corrected misclassifications match" in m.value for m in at.markdown)
    stored = at.session_state["gallery_mined"]
    assert stored[0][2:] == ("Smiling", "test", 100)
    assert set(stored[1].samples["attribute"]) <= {"Smiling"}


def test_missing_results_say_how_to_compute_them(monkeypatch, tmp_path):
    monkeypatch.setenv("FFA_LAB_RESULTS", str(tmp_path))
    for path, command in (
        ("pages/4_Natural_Adversarials.py", "ffa-lab natural"),
        ("pages/5_Robustness_Dashboard.py", "ffa-lab study"),
    ):
        at = page(path).run()
        assert problems(at) == []
        assert any(command in i.value for i in at.info)
