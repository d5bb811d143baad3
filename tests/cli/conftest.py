"""Fixtures of the CLI tests."""

from __future__ import annotations

import pytest

from ffa_lab.data.images import encode_png
from ffa_lab.models.checkpoint import save_bank
from tests.attacks.test_attacks import make_bank, make_images


@pytest.fixture
def setup(tmp_path):
    """(a saved two-network bank folder, a face PNG path, the face as uint8 H x W x 3)."""
    models = tmp_path / "models"
    save_bank(models, make_bank(), {})
    image = make_images(1, seed=3)[0]
    path = tmp_path / "face.png"
    path.write_bytes(encode_png(image))
    return models, path, image
