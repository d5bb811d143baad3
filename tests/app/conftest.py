"""Fixtures for the app tests: which model bank, which results, the shared data, clean caches.

- Models: ``assets/models/default`` when it holds checkpoints, else ``$FFA_LAB_TEST_MODELS`` (e.g. a
  development bank); otherwise the tests skip.
- Results: the committed ``assets/results/default/study`` and ``natural`` where they exist, else a small
  study / natural run computed once per session on a tiny synthetic CelebA with a tiny random bank (the
  pages only need the format).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import streamlit as st
import torch

from ffa_lab.data.attributes import ATTRIBUTES
from ffa_lab.data.celeba import load_celeba
from ffa_lab.experiments.options import RunOptions
from ffa_lab.models.bank import AttributeBank
from ffa_lab.models.checkpoint import load_bank, save_bank
from tests.conftest import REPO, TINY_ARCH, shared_dir, write_celeba

PAGES = (
    "app.py",
    "pages/1_Inspect_Face.py",
    "pages/2_Flip_Attribute.py",
    "pages/3_Compare_Attacks.py",
    "pages/4_Natural_Adversarials.py",
    "pages/5_Robustness_Dashboard.py",
)


def models_folder() -> Path | None:
    """The bank the app tests run on (see module docstring), or None."""
    default = REPO / "assets" / "models" / "default"
    if any(default.glob("*.safetensors")):
        return default
    fallback = os.environ.get("FFA_LAB_TEST_MODELS")
    if fallback and any(Path(fallback).glob("*.safetensors")):
        return Path(fallback)
    return None


@pytest.fixture(scope="session")
def app_models() -> Path:
    folder = models_folder()
    if folder is None:
        pytest.skip("no model bank: assets/models/default is empty and $FFA_LAB_TEST_MODELS is not set")
    return folder


def _tiny_results(root: Path, kinds: tuple[str, ...] = ("study", "natural")) -> None:
    """A real study and/or natural run (tiny bank, tiny synthetic data) in ``root/<kind>``: the format."""
    from ffa_lab.experiments.natural import NaturalConfig, run_natural
    from ffa_lab.experiments.study import StudyConfig, run_study

    work = root.parent / f"{root.name}-work"
    torch.manual_seed(0)
    bank = AttributeBank(list(ATTRIBUTES), TINY_ARCH)
    bank.train()
    with torch.no_grad():
        bank(torch.rand(16, 3, 36, 30) * 255)
    save_bank(work / "models", bank.eval(), {})
    loaded = load_bank(work / "models")
    data = load_celeba(write_celeba(work / "celeba", n_train=24, n_test=12))
    names = ("Smiling", "Male", "Young", "Eyeglasses")
    quiet = RunOptions.quiet(work / "cache")
    if "study" in kinds:
        run_study(loaded, data, StudyConfig(limit=12, attributes=names), root / "study", options=quiet)
    if "natural" in kinds:
        for split in ("train", "test"):
            run_natural(
                loaded, data, NaturalConfig(split=split, attributes=names, limit=12), root / "natural", options=quiet
            )


@pytest.fixture(scope="session")
def app_results(tmp_path_factory) -> Path:
    """A results root with ``study/`` and ``natural/``: the committed folders where they exist (linked),
    tiny computed ones for the others."""
    committed = REPO / "assets" / "results" / "default"
    root = tmp_path_factory.mktemp("app-results") / "results"
    root.mkdir()
    missing = []
    for kind in ("study", "natural"):
        if (committed / kind / "summary.json").is_file():
            (root / kind).symlink_to(committed / kind, target_is_directory=True)
        else:
            missing.append(kind)
    if missing:
        _tiny_results(root, tuple(missing))
    return root


@pytest.fixture
def celeba_dir(shared: Path) -> Path:
    return shared / "celeba"


@pytest.fixture(autouse=True)
def app_env(monkeypatch, app_models, app_results):
    """Point the app at the test bank and results, no dataset, and start every test with empty caches."""
    monkeypatch.setenv("FFA_LAB_MODELS", str(app_models))
    monkeypatch.setenv("FFA_LAB_RESULTS", str(app_results))
    monkeypatch.delenv("FFA_LAB_CELEBA", raising=False)
    shared = shared_dir()
    yunet = shared / "models" / "yunet" / "face_detection_yunet_2026may.onnx" if shared else None
    if yunet is not None and yunet.is_file():
        monkeypatch.setenv("FFA_LAB_YUNET", str(yunet))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
