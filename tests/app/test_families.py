"""AppTest: the sidebar lists the shipped and configured model folders and switches between families."""

from __future__ import annotations

import pytest
import torch

from ffa_lab.data.attributes import ATTRIBUTES
from ffa_lab.models.checkpoint_shared import SHARED_FILE, save_shared
from ffa_lab.models.shared import SharedTrunkNet
from tests.app.test_pages import page, problems
from tests.conftest import REPO
from tests.models.test_shared import TINY


def _multi_task_folder(root):
    torch.manual_seed(0)
    model = SharedTrunkNet.initialised(list(ATTRIBUTES), TINY["multi-task"], 0, "multi-task").eval()
    save_shared(root / "mt-test" / SHARED_FILE, model, {"training": {"epochs": 1}})
    return root / "mt-test"


def _loaded_line(at) -> str:
    return next(s.value for s in at.sidebar.success if "loaded" in s.value)


def test_sidebar_switches_between_families(monkeypatch, tmp_path, app_models):
    folder = _multi_task_folder(tmp_path)
    monkeypatch.setenv("FFA_LAB_MODELS", str(folder))  # a configured folder beside the shipped ones
    at = page("app.py").run()
    pick = at.sidebar.selectbox(key="_w_model_pick")
    assert pick.value == "mt-test (multi-task)"
    assert "default (per-attribute)" in pick.options and pick.options[-1] == "Other folder…"
    assert problems(at) == [] and "40 outputs of one multi-task network loaded" in _loaded_line(at)
    assert any("multi-task: tiny-cnn" in m.value for m in at.markdown)
    at.sidebar.selectbox(key="_w_model_pick").set_value("default (per-attribute)").run()
    assert problems(at) == [] and "attribute networks loaded" in _loaded_line(at)
    assert any("(per-attribute: ffa-cnn" in m.value for m in at.markdown)
    at.switch_page("pages/2_Flip_Attribute.py").run()  # the choice survives a page switch
    assert at.sidebar.selectbox(key="_w_model_pick").value == "default (per-attribute)"
    assert problems(at) == []


def test_a_typed_folder_is_other_and_a_listed_one_is_recognised(monkeypatch, tmp_path):
    folder = _multi_task_folder(tmp_path)
    monkeypatch.setenv("FFA_LAB_ROOTS", str(tmp_path) + ":" + str(REPO))
    at = page("app.py").run()
    assert at.sidebar.selectbox(key="_w_model_pick").value == "default (per-attribute)"
    at.sidebar.text_input(key="_w_models").set_value(str(folder)).run()  # the free-text folder still works
    assert at.sidebar.selectbox(key="_w_model_pick").value == "Other folder…"
    assert problems(at) == [] and "multi-task network loaded" in _loaded_line(at)
    at.sidebar.text_input(key="_w_models").set_value("assets/models/default").run()
    assert at.sidebar.selectbox(key="_w_model_pick").value == "default (per-attribute)"


@pytest.mark.parametrize("family", ["multi-task", "resnet"])
def test_inspect_and_flip_work_on_each_shipped_family(monkeypatch, family):
    folder = REPO / "assets" / "models" / family
    if not (folder / SHARED_FILE).is_file():
        pytest.skip(f"{folder} is not shipped")
    monkeypatch.setenv("FFA_LAB_MODELS", str(folder))
    at = page("pages/1_Inspect_Face.py").run()
    assert problems(at) == [] and f"outputs of one {family} network loaded" in _loaded_line(at)
    at = page("pages/2_Flip_Attribute.py").run()
    at.radio(key="flip_source").set_value("portrait").run()
    at.selectbox(key="flip_portrait").set_value("grace_hopper").run()
    at.selectbox(key="flip_attr").set_value("Smiling").run()
    at.selectbox(key="flip_attack").set_value("ffa").run()
    assert problems(at) == []
    assert at.sidebar.selectbox(key="_w_model_pick").value == f"{family} ({family})"
