"""Saliency maps on the shared-trunk families: shapes, zero outside the crop, autograd agreement, and the
paired (all attributes) path equal to one output at a time."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from ffa_lab.explain.saliency import all_attribute_maps, saliency_maps
from ffa_lab.models.bank import crop_box
from tests.explain.test_saliency import SIZE, random_images
from tests.models.test_shared import NAMES, TINY, tiny_model

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.mark.parametrize("family", sorted(TINY))
def test_maps_of_one_output_of_a_shared_trunk(family):
    model = tiny_model(family)
    images = random_images(3, seed=4)
    maps = saliency_maps(model, images, "Male")
    y0, y1, x0, x1 = crop_box(*SIZE, model.arch)
    for array in (maps.gradient, maps.gradient_x_input, maps.grad_cam):
        assert array.shape == (3, *SIZE) and np.isfinite(array).all()
        outside = array.copy()
        outside[:, y0:y1, x0:x1] = 0
        assert not outside.any() and np.abs(array).max() > 0
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float().requires_grad_(True)
    (grad,) = torch.autograd.grad(model(x)[:, NAMES.index("Male")].sum(), x)
    np.testing.assert_allclose(maps.gradient, grad.sum(1).numpy(), atol=1e-4 * grad.abs().max().item())
    every = all_attribute_maps(model, images)
    g = NAMES.index("Male")
    for key in ("gradient", "grad_cam"):
        expected = getattr(maps, key)
        np.testing.assert_allclose(getattr(every, key)[:, g], expected, atol=1e-4 * np.abs(expected).max())
