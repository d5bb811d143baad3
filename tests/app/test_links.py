"""AppTest: links reproduce the view (docs/app.md, "Shareable views").

Every control that changes what is shown is in the query string and a link sets it; values a link gets wrong
are named, not silently replaced; a link to another session's upload says so; a typed dataset folder survives
a reload; the "link to this view" box holds the query string; the model-folder error is said once.
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.app.conftest import PAGES
from tests.app.test_pages import page, problems


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def share_link(at: AppTest) -> str:
    """The text of the page's 'link to this view' box (a code block; relative under AppTest)."""
    codes = [c.value for c in at.code]
    assert len(codes) == 1, f"one link box expected, found {codes}"
    return codes[0]


def test_flip_link_sets_strength_and_flip_all_and_the_url_follows_the_slider():
    at = page(
        "pages/2_Flip_Attribute.py", face="portrait:grace_hopper", attr="Male", attack="fgs", strength="0.5", all="1"
    ).run()
    assert problems(at) == []
    assert at.select_slider(key="flip_strength").value == 0.5
    assert any(c.startswith("At ×0.50") for c in captions(at))
    assert at.selectbox(key="flip_attr").value == "Male" and at.selectbox(key="flip_attack").value == "fgs"
    assert any("attributes flipped" in c for c in captions(at)), "all=1 opens with the flip-all grid"
    assert at.query_params["strength"] == "0.5" and at.query_params["all"] == "1"
    link = share_link(at)
    assert link.startswith("?face=portrait:grace_hopper&attr=Male&attack=fgs") and "strength=0.5" in link

    at.select_slider(key="flip_strength").set_value(0.25).run()
    assert at.query_params["strength"] == "0.25"
    assert "strength=0.25" in share_link(at)
    at.select_slider(key="flip_strength").set_value(1.0).run()
    assert "strength" not in at.query_params, "the default strength needs no key"
    at.selectbox(key="flip_attack").set_value("ffa").run()
    assert "all" not in at.query_params, "the grid belongs to the attack it was computed for"


def test_invalid_link_values_are_named_then_defaults_are_used():
    at = page("pages/2_Flip_Attribute.py", attr="Smiles", attack="xyz", face="portrait:nobody", strength="7").run()
    assert not at.exception
    warnings = [w.value for w in at.warning if "could not be understood" in w.value]
    assert len(warnings) == 1, [w.value for w in at.warning]
    for bad in ("attr=Smiles", "attack=xyz", "face=portrait:nobody", "strength=7"):
        assert f"`{bad}`" in warnings[0], f"{bad} is not named in {warnings[0]!r}"
    assert "did you mean Smiling" in warnings[0]
    assert at.selectbox(key="flip_attr").value == "Smiling"
    assert at.selectbox(key="flip_attack").value == "ffa"
    assert at.selectbox(key="flip_portrait").value == "astronaut"
    assert at.select_slider(key="flip_strength").value == 1.0
    at.selectbox(key="flip_attr").set_value("Male").run()
    assert not any("could not be understood" in w.value for w in at.warning), "the warning goes once the user acts"


def test_link_to_an_upload_from_another_session_says_so():
    for path in ("pages/2_Flip_Attribute.py", "pages/1_Inspect_Face.py"):
        at = page(path, face="upload:0123456789abcdef", attr="Smiling").run()
        assert problems(at) == []
        assert any("uploaded in another browser session" in w.value for w in at.warning), path
        assert at.query_params["face"] == "upload:0123456789abcdef", "the link is kept for a re-upload"


def test_typed_dataset_folder_survives_a_reload(celeba_dir):
    at = page("pages/1_Inspect_Face.py").run()
    at.text_input(key="_w_dataset").input(str(celeba_dir)).run()
    assert any("labelled images" in s.value for s in at.sidebar.success)
    assert at.query_params["data"] == str(celeba_dir)
    reloaded = page("pages/1_Inspect_Face.py", data=str(celeba_dir)).run()  # a new session with the same URL
    assert problems(reloaded) == []
    assert reloaded.text_input(key="_w_dataset").value == str(celeba_dir)
    assert any("labelled images" in s.value for s in reloaded.sidebar.success)


def test_gallery_and_dashboard_controls_round_trip(celeba_dir):
    at = page("pages/4_Natural_Adversarials.py", attrs="Smiling,male", min_pass="0.99", sort="highest PASS").run()
    assert problems(at) == []
    assert at.multiselect(key="gallery_attributes").value == ["Smiling", "Male"]
    assert at.select_slider(key="gallery_min_pass").value == 0.99
    assert at.selectbox(key="gallery_sort").value == "highest PASS"
    at.checkbox(key="gallery_natural_only").check().run()
    assert at.query_params["natural"] == "1" and at.query_params["attrs"] == "Smiling,Male"
    assert "natural=1" in share_link(at)
    live = page("pages/4_Natural_Adversarials.py", data=str(celeba_dir), results="live", split="train", limit="500")
    live.run()
    assert live.radio(key="gallery_source").value == "live"
    assert live.radio(key="gallery_split").value == "train" and live.select_slider(key="gallery_limit").value == 500

    dash = page("pages/5_Robustness_Dashboard.py").run()
    assert "maps" not in dash.query_params, "the default choice of maps needs no key"
    dash = page("pages/5_Robustness_Dashboard.py", maps="Smiling,Male").run()
    assert problems(dash) == []
    assert dash.multiselect(key="dash_maps").value == ["Smiling", "Male"]


def test_compare_page_has_the_link_box():
    at = page("pages/3_Compare_Attacks.py", face="portrait:grace_hopper", attr="Young").run()
    assert problems(at) == []
    assert share_link(at) == "?face=portrait:grace_hopper&attr=Young"  # Compare runs every attack


def test_missing_model_folder_is_said_once(monkeypatch, tmp_path):
    monkeypatch.setenv("FFA_LAB_MODELS", str(tmp_path / "nowhere"))
    for path in PAGES[:4]:
        at = page(path).run()
        assert not at.exception
        said = [e.value for e in at.error if "model folder not found" in e.value]
        assert len(said) == 1, f"{path}: {said}"


def test_home_is_the_first_navigation_entry():
    """The sidebar's navigation starts with Home (app.py stays the entry point) and links every page."""
    at = page("app.py").run()
    for path in ("app.py", "pages/2_Flip_Attribute.py"):
        if path != "app.py":
            at.switch_page(path).run()
        assert problems(at) == []
        links = [(link.proto.label, link.proto.page) for link in at.sidebar.get("page_link")]
        assert links[0][0] == "Home", links
        assert [label for label, _ in links] == [
            "Home",
            "Inspect a face",
            "Flip an attribute",
            "Compare attacks",
            "Natural adversarials",
            "Robustness dashboard",
        ]
