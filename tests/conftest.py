"""Shared fixtures: the shared data folder (or a skip), a tiny synthetic CelebA, a tiny bank."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from ffa_lab.data.attributes import ATTRIBUTES
from ffa_lab.models.bank import ArchConfig, AttributeBank

REPO = Path(__file__).resolve().parents[1]
TINY_ARCH = ArchConfig(channels=(4, 6, 8, 8), hidden=8, input_size=(32, 32))


def shared_dir() -> Path | None:
    """$FFA_SHARED, else ../shared beside the repository; None when absent."""
    candidate = Path(os.environ.get("FFA_SHARED") or REPO.parent / "shared")
    return candidate if (candidate / "celeba").is_dir() else None


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_dir()
    if path is None:
        pytest.skip("needs the shared CelebA data: set $FFA_SHARED or put it at ../shared beside the repo")
    return path


@pytest.fixture(scope="session")
def default_models() -> Path:
    path = REPO / "assets" / "models" / "default"
    if not any(path.glob("*.safetensors")):
        pytest.skip("the default model bank is not in assets/models/default")
    return path


def write_celeba(
    root: Path, n_train: int = 48, n_test: int = 16, size: tuple[int, int] = (36, 30), seed: int = 0
) -> Path:
    """A small CelebA-layout folder: JPEG images whose brightness carries attribute 0's label."""
    rng = np.random.default_rng(seed)
    (root / "img_align_celeba").mkdir(parents=True)
    n = n_train + n_test
    labels = np.where(rng.random((n, 40)) < 0.4, 1, -1)
    ids = [f"{i + 1:06d}.jpg" for i in range(n)]
    for i, image_id in enumerate(ids):
        base = 150 if labels[i, 0] == 1 else 80
        pixels = np.clip(base + rng.normal(0, 20, (*size, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(root / "img_align_celeba" / image_id, quality=95)
    rows = [f"{image_id} " + " ".join(f"{v:2d}" for v in labels[i]) for i, image_id in enumerate(ids)]
    (root / "list_attr_celeba.txt").write_text(f"{n}\n{' '.join(ATTRIBUTES)}\n" + "\n".join(rows) + "\n")
    parts = [f"{image_id} {0 if i < n_train else 2}" for i, image_id in enumerate(ids)]
    (root / "list_eval_partition.txt").write_bytes(("\r\n".join(parts) + "\r\n").encode())
    return root


@pytest.fixture
def tiny_celeba(tmp_path: Path) -> Path:
    return write_celeba(tmp_path / "celeba")


@pytest.fixture
def tiny_bank() -> AttributeBank:
    """A randomly initialised 3-attribute bank with non-trivial BatchNorm statistics, eval mode."""
    torch.manual_seed(0)
    bank = AttributeBank(["Smiling", "Male", "Young"], TINY_ARCH)
    bank.train()
    with torch.no_grad():
        bank(torch.rand(16, 3, 40, 34) * 255)
    return bank.eval()


@pytest.fixture(autouse=True)
def _cache_dir(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("FFA_LAB_CACHE", str(tmp_path_factory.getbasetemp() / "ffa-cache"))


@contextmanager
def one_thread():
    """Torch on one thread: small convolutions on a loaded 2-ffa_lab machine are ~10x faster than on two."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def torch_one_thread():
    """A whole test module on one torch thread (use with ``pytest.mark.usefixtures``)."""
    with one_thread():
        yield
