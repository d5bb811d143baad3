"""Path safety: a typed folder outside the allowed roots is refused before anything is read."""

import os
from pathlib import Path

import pytest

from ffa_lab.views.settings import REPO_ROOT, FolderNotAllowedError, allowed_roots, resolve_folder


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    for name in ("FFA_LAB_ROOTS", "FFA_LAB_MODELS", "FFA_LAB_CELEBA", "FFA_LAB_RESULTS", "FFA_SHARED"):
        monkeypatch.delenv(name, raising=False)


def test_repository_folders_are_allowed_and_relative_paths_start_there():
    assert resolve_folder("assets/models/default") == (REPO_ROOT / "assets/models/default").resolve()
    assert resolve_folder(str(REPO_ROOT / "assets")) == (REPO_ROOT / "assets").resolve()


@pytest.mark.parametrize("typed", ["/etc", "/", "../../../../etc", "assets/../../..", "~", "/tmp/../etc/ssh"])
def test_folders_outside_are_refused(typed):
    with pytest.raises(FolderNotAllowedError, match="outside the folders this server may read"):
        resolve_folder(typed)


def test_the_message_does_not_say_whether_the_folder_exists(tmp_path):
    messages = []
    for typed in (str(tmp_path), str(tmp_path / "no-such-folder")):
        with pytest.raises(FolderNotAllowedError) as info:
            resolve_folder(typed)
        messages.append(str(info.value).replace(typed, "X"))
    assert messages[0] == messages[1]


def test_a_symlink_inside_an_allowed_root_cannot_lead_outside(tmp_path, monkeypatch):
    allowed, outside = tmp_path / "allowed", tmp_path / "outside"
    allowed.mkdir()
    outside.mkdir()
    (allowed / "escape").symlink_to(outside)
    monkeypatch.setenv("FFA_LAB_ROOTS", str(allowed))
    assert resolve_folder(str(allowed / "models")) == (allowed / "models").resolve()
    with pytest.raises(FolderNotAllowedError):
        resolve_folder(str(allowed / "escape"))
    with pytest.raises(FolderNotAllowedError):
        resolve_folder(str(allowed) + "-sibling")  # a common prefix is not containment


def test_configured_folders_and_the_open_setting(tmp_path, monkeypatch):
    monkeypatch.setenv("FFA_LAB_CELEBA", str(tmp_path / "celeba"))
    assert resolve_folder(str(tmp_path / "celeba")) == (tmp_path / "celeba").resolve()
    with pytest.raises(FolderNotAllowedError):
        resolve_folder(str(tmp_path))
    monkeypatch.setenv("FFA_LAB_ROOTS", f"{tmp_path}{os.pathsep}{tmp_path / 'other'}")
    assert (tmp_path / "other").resolve() in allowed_roots()
    assert resolve_folder(str(tmp_path)) == tmp_path.resolve()
    monkeypatch.setenv("FFA_LAB_ROOTS", "*")
    assert allowed_roots() is None
    assert resolve_folder("/etc") == Path("/etc").resolve()


def test_model_choices_list_shipped_and_configured_folders_by_family(monkeypatch, tmp_path):
    import torch

    from ffa_lab.models.checkpoint_shared import SHARED_FILE, save_shared
    from ffa_lab.models.shared import SharedTrunkNet
    from ffa_lab.views.settings import DEFAULT_MODELS, chosen_model, model_choices
    from tests.models.test_shared import TINY

    torch.manual_seed(0)
    save_shared(tmp_path / "mine" / SHARED_FILE, SharedTrunkNet(["Male"], TINY["resnet"], "resnet"), {})
    monkeypatch.setenv("FFA_LAB_MODELS", str(tmp_path / "mine"))
    choices = model_choices()
    assert choices[-1] == ("mine (resnet)", str(tmp_path / "mine"))
    if any(DEFAULT_MODELS.glob("*.safetensors")):
        assert ("default (per-attribute)", str(DEFAULT_MODELS)) in choices
        assert chosen_model(choices, "assets/models/default") == "default (per-attribute)"  # relative to the repo
    assert chosen_model(choices, str(tmp_path)) is None
    monkeypatch.setenv("FFA_LAB_MODELS", str(DEFAULT_MODELS))  # configured = shipped: listed once
    assert [folder for _, folder in model_choices()].count(str(DEFAULT_MODELS)) <= 1
