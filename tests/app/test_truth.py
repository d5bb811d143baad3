"""AppTest: numbers and words a new user can trust (issue 12): the score metric's arrow, one score
format, the test accuracy as Home's headline with its provenance, plain sentences under results, the
Natural page's intro, the flip-all downloads, the transposed Compare table, the reflection-padding note
and a dataset filter that drops a face it excludes."""

from __future__ import annotations

import re

import pytest
from streamlit.proto.Metric_pb2 import Metric

from ffa_lab.attacks import REGISTRY
from ffa_lab.data.images import encode_png
from ffa_lab.views.compare import short_labels
from tests.app.test_pages import DATASET_FACE, metric, page, problems
from tests.conftest import REPO

SCORE = re.compile(r"^[+-]\d+\.\d+$")  # the one score format: signed fixed point, never 1e-05


def test_home_headline_is_the_test_evaluation(app_models):
    shipped = app_models.resolve() == (REPO / "assets" / "models" / "default").resolve()
    if not shipped and not (app_models / "evaluation.json").is_file():
        pytest.skip(f"the test bank {app_models} has no evaluation.json")
    assert (app_models / "evaluation.json").is_file(), "the default bank ships its test evaluation"
    at = page("app.py").run()
    assert problems(at) == []
    assert metric(at, "Mean test accuracy").value == "86.5 %"
    assert metric(at, "Mean test balanced accuracy").value == "76.1 %"
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Headline: test split, 5,000 images (evaluation.json)") for c in captions)
    other = next(c for c in captions if c.startswith("Other accuracy figures"))
    assert "88.5 % on the validation split, measured during training, 1,000 images" in other


def test_flip_metric_arrow_follows_the_score_and_a_sentence_explains_it():
    at = page("pages/2_Flip_Attribute.py", face="portrait:astronaut", attr="Smiling", attack="ffa").run()
    assert problems(at) == []
    score = metric(at, "Score before → after")
    change, before = score.delta.split(" from ")
    after = float(score.value)
    assert SCORE.match(score.value) and SCORE.match(change) and SCORE.match(before)
    assert change.startswith("-") == (after < float(before)), f"{score.delta} for {before} -> {after}"
    assert float(change) == pytest.approx(after - float(before), abs=2e-3)
    arrow = Metric.MetricDirection.DOWN if after < float(before) else Metric.MetricDirection.UP
    assert score.proto.direction == arrow, "the arrow Streamlit draws follows the score"
    assert metric(at, "After PNG save").proto.direction == Metric.MetricDirection.NONE, "a score, not a change"
    was, now = ("smiling", "not smiling") if float(before) >= 0 else ("not smiling", "smiling")
    sentences = [m.value for m in at.markdown if m.value.startswith("The network said")]
    assert sentences and f"said *{was}*" in sentences[0] and f"now says *{now}*" in sentences[0]
    assert "grey level" in sentences[0] and "PASS" in sentences[0]


def test_flip_all_grid_is_downloadable():
    at = page("pages/2_Flip_Attribute.py", face="portrait:astronaut", attr="Smiling", attack="ffa").run()
    at.button(key="flip_all_button").click().run()
    assert problems(at) == []
    keys = {b.key for b in at.download_button}
    assert {"flip_all_png", "flip_all_csv"} <= keys, keys


def test_compare_shows_every_attack_as_a_column_with_sentences():
    at = page("pages/3_Compare_Attacks.py", face="portrait:astronaut", attr="Smiling").run()
    assert problems(at) == []
    table = at.dataframe[0].value
    assert list(table.columns) == list(short_labels({n: s.label for n, s in REGISTRY.items()}).values())
    assert len(set(table.columns)) == len(REGISTRY) and "Iterative FFA" in table.columns, "one column per attack"
    assert "PASS" in table.index and "score after" in table.index
    sentences = [m.value for m in at.markdown if m.value.startswith(("The network said", "FFA could not"))]
    assert len(sentences) >= 1
    ffa, fgv = table["FFA"], table["FGV"]
    explained = [i.value for i in at.info if "gave identical numbers" in i.value]
    if (ffa.drop("seconds") == fgv.drop("seconds")).all():
        assert explained and "multiples of the same gradient" in explained[0], "identical numbers are explained"


def test_natural_page_starts_with_an_intro():
    at = page("pages/4_Natural_Adversarials.py").run()
    assert problems(at) == []
    intro = at.markdown[0].value
    assert "natural adversarial sample" in intro and "Hendrycks" in intro


def test_dashboard_says_where_its_accuracy_comes_from():
    at = page("pages/5_Robustness_Dashboard.py").run()
    assert problems(at) == []
    assert any("measured on the study's" in c.value and "-image" in c.value for c in at.caption)
    assert "clean accuracy % (study subset)" in at.dataframe[0].value.columns


def test_inspect_notes_reflection_padding():
    """A photo cropped tight around the face: the CelebA framing reaches past it, so the crop is padded."""
    from skimage import data

    tight = encode_png(data.astronaut()[40:240, 150:300])
    at = page("pages/1_Inspect_Face.py")
    at.session_state["shared_uploads"] = {"upload:00000000000000aa": (tight, "tight.png", False)}
    at.session_state["shared_face"] = "upload:00000000000000aa"
    at.run()
    assert problems(at) == []
    notes = [w.value for w in at.warning if "lies outside the photo" in w.value]
    assert notes and int(notes[0].split(" %")[0]) >= 20, notes


def test_no_padding_note_for_a_dataset_face(monkeypatch, celeba_dir):
    monkeypatch.setenv("FFA_LAB_CELEBA", str(celeba_dir))
    at = page("pages/1_Inspect_Face.py", face=DATASET_FACE).run()
    assert problems(at) == []
    assert not [w.value for w in at.warning if "lies outside the photo" in w.value]


def test_dataset_filter_drops_a_face_that_does_not_match(monkeypatch, celeba_dir):
    monkeypatch.setenv("FFA_LAB_CELEBA", str(celeba_dir))
    at = page("pages/1_Inspect_Face.py", face=DATASET_FACE).run()  # 182638.jpg wears no eyeglasses
    assert at.selectbox(key="inspect_image").value == DATASET_FACE.split(":")[1]
    at.multiselect(key="inspect_has").set_value(["Eyeglasses"]).run()
    assert problems(at) == []
    shown = at.selectbox(key="inspect_image").value
    assert shown != DATASET_FACE.split(":")[1], "a face the filter excludes is not kept on show"
    assert at.session_state["shared_face"] == f"dataset:{shown}"
    assert any("does not match these filters" in c.value for c in at.caption)
