"""Saliency maps: shapes and dtypes, agreement with autograd, completeness of gradient × input on a
positively homogeneous bank, the sign convention and Grad-CAM's location on hand-built networks."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch

from ffa_lab.explain.saliency import all_attribute_maps, saliency_maps
from ffa_lab.models.bank import ArchConfig, AttributeBank, crop_box
from ffa_lab.models.evaluate import bank_scores
from tests.conftest import TINY_ARCH

pytestmark = pytest.mark.usefixtures("torch_one_thread")
SIZE = (40, 34)  # (H, W): not a multiple of the networks' input size, so crop + area resize are non-trivial


def random_images(n: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, *SIZE, 3), dtype=np.uint8)


def state_bytes(bank: AttributeBank) -> bytes:
    buffer = io.BytesIO()
    torch.save(bank.state_dict(), buffer)
    return buffer.getvalue()


def test_shapes_dtypes_and_zero_outside_the_crop(tiny_bank):
    images = random_images(4)
    maps = saliency_maps(tiny_bank, images, ["Smiling", "Male", "Smiling", "Young"])
    y0, y1, x0, x1 = crop_box(*SIZE, tiny_bank.arch)
    assert maps.box == (y0, y1, x0, x1) and maps.scores.shape == (4,) and maps.scores.dtype == np.float32
    for array in (maps.gradient, maps.gradient_x_input, maps.grad_cam):
        assert array.shape == (4, *SIZE) and array.dtype == np.float32 and np.isfinite(array).all()
        outside = array.copy()
        outside[:, y0:y1, x0:x1] = 0
        assert not outside.any(), "pixels the networks never see carry evidence"
        assert np.abs(array[:, y0:y1, x0:x1]).max() > 0
    every = all_attribute_maps(tiny_bank, images)
    assert every.gradient.shape == (4, 3, *SIZE) and every.grad_cam.dtype == np.float32
    assert every.attributes == ("Smiling", "Male", "Young")


def test_batched_paths_agree_and_scores_are_the_banks(tiny_bank):
    """One attribute per image (single networks) and all attributes (paired mode) give the same maps."""
    images = random_images(3, seed=1)
    every = all_attribute_maps(tiny_bank, images)
    np.testing.assert_allclose(every.scores, bank_scores(tiny_bank, images), rtol=1e-4, atol=1e-5)
    for g, name in enumerate(tiny_bank.attributes):
        single = saliency_maps(tiny_bank, images, name)
        for key in ("gradient", "gradient_x_input", "grad_cam"):
            expected = getattr(single, key)
            np.testing.assert_allclose(getattr(every, key)[:, g], expected, atol=1e-5 * np.abs(expected).max())


def test_gradient_is_the_input_gradient_of_the_score(tiny_bank):
    images = random_images(2, seed=2)
    x = torch.from_numpy(images).permute(0, 3, 1, 2).float().requires_grad_(True)
    (grad,) = torch.autograd.grad(tiny_bank(x)[:, 1].sum(), x)
    maps = saliency_maps(tiny_bank, images, "Male")
    expected = grad.sum(dim=1).numpy()
    np.testing.assert_allclose(maps.gradient, expected, atol=1e-4 * np.abs(expected).max())
    mean = np.array(tiny_bank.arch.mean, np.float32).reshape(1, 3, 1, 1)
    expected_gxi = ((x.detach().numpy() - mean) * grad.numpy()).sum(axis=1)
    np.testing.assert_allclose(maps.gradient_x_input, expected_gxi, atol=1e-4 * np.abs(expected_gxi).max())


def test_the_callers_bank_is_left_as_it_was(tiny_bank):
    images = random_images(2, seed=3)
    before, scores = state_bytes(tiny_bank), bank_scores(tiny_bank, images)
    tiny_bank.train()
    all_attribute_maps(tiny_bank, images)
    saliency_maps(tiny_bank, images, "Young")
    assert tiny_bank.training and state_bytes(tiny_bank) == before
    assert not any(conv._forward_hooks for conv in tiny_bank.convs)
    np.testing.assert_array_equal(bank_scores(tiny_bank, images), scores)


def homogeneous_bank(seed: int = 0) -> AttributeBank:
    """A bank with every bias and BatchNorm shift zero: ReLU/max-pool networks, positively homogeneous
    in the normalised input z = (x − μ)/σ, so f(x) = Σ z·∇_z f exactly."""
    torch.manual_seed(seed)
    bank = AttributeBank(["Smiling", "Male"], TINY_ARCH)
    with torch.no_grad():
        for conv, norm in zip(bank.convs, bank.norms, strict=True):
            conv.bias.zero_()
            norm.weight.uniform_(0.5, 2.0)  # a positive per-channel scale, no shift
            norm.running_var.uniform_(0.5, 2.0)
        bank.fc1_bias.zero_()
        bank.fc2_bias.zero_()
    return bank.eval()


def test_gradient_x_input_is_complete_on_a_homogeneous_bank():
    bank = homogeneous_bank()
    images = random_images(5, seed=4)
    maps = all_attribute_maps(bank, images)
    totals = maps.gradient_x_input.sum(axis=(-2, -1))
    assert np.abs(maps.scores).min() > 1e-3, "degenerate test: a score is zero"
    np.testing.assert_allclose(totals, maps.scores, rtol=2e-4, atol=1e-6)
    with torch.no_grad():
        bank.fc2_bias.fill_(0.5)  # with a bias the sum misses it: completeness is not automatic
    biased = all_attribute_maps(bank, images)
    np.testing.assert_allclose(biased.gradient_x_input.sum(axis=(-2, -1)) + 0.5, biased.scores, rtol=2e-4)


def region_bank(fc_weight: torch.Tensor, signs: tuple[float, float]) -> AttributeBank:
    """Hand-built 2-network bank: channel 0 of every layer passes the (normalised) grey level through
    1x1 centre taps, everything else is zero; ``fc_weight`` (C*h*w of the last pooled grid) reads channel 0;
    network g's score is ``signs[g]`` x that read-out."""
    bank = AttributeBank(["Smiling", "Male"], TINY_ARCH)
    with torch.no_grad():
        for p in bank.parameters():
            p.zero_()
        for g in range(2):
            for i, conv in enumerate(bank.convs):
                c_out = TINY_ARCH.channels[i]
                if i == 0:
                    conv.weight[g * c_out, :, 1, 1] = 1.0 / 3.0
                else:
                    conv.weight[g * c_out, 0, 1, 1] = 1.0
            for norm in bank.norms:
                norm.weight.fill_(1.0)
            bank.fc1_weight[g, 0] = fc_weight
            bank.fc2_weight[g, 0, 0] = signs[g]
    return bank.eval()


def quadrant_share(maps: np.ndarray, box, bottom_right: bool) -> np.ndarray:
    """Share of Σ|map| inside the top-left (or bottom-right) quadrant of the crop box, one pixel of slack
    for the area resize's shared boundary pixels."""
    y0, y1, x0, x1 = box
    ym, xm = (y0 + y1) // 2, (x0 + x1) // 2
    rows, cols = (slice(ym - 1, y1), slice(xm - 1, x1)) if bottom_right else (slice(y0, ym + 1), slice(x0, xm + 1))
    mass = np.abs(maps)
    return mass[..., rows, cols].sum(axis=(-2, -1)) / mass.sum(axis=(-2, -1))


def test_sign_and_location_on_a_network_that_sees_one_region():
    """Both networks read only the top-left cell of the last 2x2 grid; Smiling with +1, Male with −1."""
    last = TINY_ARCH.channels[-1]
    read = torch.zeros(last * 4)
    read[0] = 1.0  # channel 0, pooled cell (0, 0)
    bank = region_bank(read, (1.0, -1.0))
    images = np.random.default_rng(5).integers(200, 256, (2, *SIZE, 3), dtype=np.uint8)  # above μ: ReLUs on
    maps = all_attribute_maps(bank, images)
    assert (maps.scores[:, 0] > 0).all() and (maps.scores[:, 1] < 0).all()
    for key in ("gradient", "gradient_x_input"):
        values = getattr(maps, key)
        assert (values[:, 0] >= 0).all() and values[:, 0].max() > 0, f"{key}: +1 evidence is not positive"
        assert (values[:, 1] <= 0).all() and values[:, 1].min() < 0, f"{key}: −1 evidence is not negative"
        assert (quadrant_share(values, maps.box, bottom_right=False) > 0.999).all(), key


def test_grad_cam_finds_the_bright_region_with_the_right_sign():
    """Networks summing channel 0 over the whole grid; only the bottom-right quadrant is above μ, so only
    there is the last convolution active: Grad-CAM lies there, positive for +1 and negative for −1."""
    last = TINY_ARCH.channels[-1]
    read = torch.zeros(last * 4)
    read[:4] = 1.0  # channel 0, all four pooled cells
    bank = region_bank(read, (1.0, -1.0))
    with torch.no_grad():  # dark cells: a negative pre-activation, which Grad-CAM's A = ReLU(Z) must drop
        bank.convs[-1].bias[[0, last]] = -0.1
    y0, y1, x0, x1 = crop_box(*SIZE, TINY_ARCH)
    images = np.zeros((1, *SIZE, 3), np.uint8)
    images[:, (y0 + y1) // 2 : y1, (x0 + x1) // 2 : x1] = 250
    maps = all_attribute_maps(bank, images)
    cam = maps.grad_cam[0]
    assert (cam[0] >= 0).all() and (cam[1] <= 0).all() and cam[0].max() > 0
    np.testing.assert_allclose(cam[1], -cam[0], atol=1e-6)
    assert (quadrant_share(cam, maps.box, bottom_right=True) > 0.8).all()
    peak = np.unravel_index(np.abs(cam[0]).argmax(), SIZE)
    assert peak[0] >= (y0 + y1) // 2 and peak[1] >= (x0 + x1) // 2, f"Grad-CAM peak at {peak}"


def test_bad_input_is_refused_with_a_message(tiny_bank):
    with pytest.raises(ValueError, match="no network for Bald"):
        saliency_maps(tiny_bank, random_images(1), "Bald")
    with pytest.raises(ValueError, match="one per image"):
        saliency_maps(tiny_bank, random_images(2), ["Male"])
    with pytest.raises(ValueError, match=r"\(B, H, W, 3\)"):
        saliency_maps(tiny_bank, random_images(1)[0], "Male")


def test_grad_cam_leaves_out_cells_the_last_pool_drops():
    """A 56x48 input gives a 7x6 last grid; the 2x2 pool drops row 7, whose cells never reach the score."""
    torch.manual_seed(1)
    arch = ArchConfig(channels=(4, 4, 4, 4), hidden=8)
    bank = AttributeBank(["Smiling"], arch).eval()
    images = random_images(2, seed=6)
    maps = saliency_maps(bank, images, "Smiling")
    y0, y1, x0, x1 = maps.box
    kept = y0 + round((y1 - y0) * 48 / 56)
    assert not maps.grad_cam[:, kept:].any(), "cells below the last pool's reach carry Grad-CAM"
    assert (np.abs(maps.grad_cam[:, y0:kept, x0:x1]).sum(axis=(1, 2)) > 0).all()
