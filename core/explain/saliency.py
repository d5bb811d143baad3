"""Signed saliency of one attribute's score at image resolution (docs/saliency.md).

Network k of the bank maps a uint8 image x (H, W, 3), grey levels 0-255, to a score f_k(x); the
prediction is sign(f_k). Every map below is float32 (H, W) at the image's own resolution, taken through
the bank's own preprocessing (crop, area resize, per-channel normalisation), so pixels outside
``crop_box`` are exactly 0. **Sign convention: > 0 = evidence for +1 (attribute present), < 0 =
evidence for −1 (absent), 0 = neutral.** The maps are not normalised (units below); figures divide by
the largest |value| (ffa_lab.explain.display.signed_unit).

- ``gradient``: Σ_c ∂f/∂x_c — the score change per grey level when the pixel is brightened in all three
  channels (score per grey level).
- ``gradient_x_input``: Σ_c (x_c − μ_c) ∂f/∂x_c, μ = the bank's per-channel normalisation mean (the
  "neutral" colour the networks subtract): how much the pixel's departure from the neutral colour
  contributes to the score (score units). For a network that is positively homogeneous (ReLU, max
  pooling, no biases; crop and area resize are linear and keep a constant image constant) the map sums
  to f(x) exactly (completeness); with biases it is the first-order share of f(x) − f(μ).
- ``grad_cam``: Grad-CAM (Selvaraju et al. 2017) on the last convolution of network k, signed: A = the
  ReLU'd output of that convolution (after its folded BatchNorm; (C, h, w)), α_c = spatial mean of
  ∂f/∂Z_c taken at the convolution's output Z (ReLU-off units get 0), CAM = Σ_c α_c A_c without the
  final ReLU (single-score network: positive cells argue for +1, negative ones for −1), over the cells
  that reach the score (the following 2x2 pool drops an odd last row/column), resized bilinearly onto
  the part of the crop box those cells cover (score units per feature cell).

All maps come from one forward and one backward pass per (image, attribute) pair, batched through the
bank's paired mode (each network sees only its own copy of the image, so the gradient of the sum of the
scores is every pair's own gradient). The caller's bank is never modified: the maps are computed on an
eval-mode, BatchNorm-folded subset copy, where the last convolution is hooked for the duration of one call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import numpy as np
import torch
import torch.nn.functional as F

from ffa_lab.models.bank import AttributeBank, crop_box

MAX_PAIRS = 128  # image-network pairs per forward/backward: bounds memory (each holds its own image copy)


@dataclass(frozen=True)
class SaliencyMaps:
    """Maps of ``attributes[i]`` on image i (or of every attribute on every image: leading (B, A)).

    ``scores`` (…,) float32 are f_k(x) from the same forward; maps are float32 (…, H, W); see the module
    docstring for units and the sign convention; ``box`` is (y0, y1, x0, x1), the part the networks see.
    """

    attributes: tuple[str, ...]
    scores: np.ndarray
    gradient: np.ndarray
    gradient_x_input: np.ndarray
    grad_cam: np.ndarray
    box: tuple[int, int, int, int]


def saliency_maps(
    bank: AttributeBank, images: np.ndarray, attributes: str | Sequence[str], device: str = "cpu"
) -> SaliencyMaps:
    """Maps of attribute ``attributes[i]`` (one name for all) on uint8 image i of (B, H, W, 3); maps (B, H, W)."""
    images = _check_images(images)
    names = [attributes] * len(images) if isinstance(attributes, str) else list(attributes)
    if len(names) != len(images):
        raise ValueError(f"{len(names)} attribute names for {len(images)} images; give one per image or one for all")
    out = {key: np.zeros((len(images), *images.shape[1:3]), np.float32) for key in _MAP_KEYS}
    scores = np.zeros(len(images), np.float32)
    for name in dict.fromkeys(names):  # one single-network pass per distinct attribute
        rows = np.flatnonzero(np.asarray(names) == name)
        single = _eval_copy(bank, [name], device)
        for start in range(0, len(rows), MAX_PAIRS):
            take = rows[start : start + MAX_PAIRS]
            part = _maps(single, _to_tensor(images[take], device))
            scores[take] = part["scores"][:, 0]
            for key in _MAP_KEYS:
                out[key][take] = part[key][:, 0]
    return SaliencyMaps(tuple(names), scores, **out, box=crop_box(images.shape[1], images.shape[2], bank.arch))


def all_attribute_maps(
    bank: AttributeBank, images: np.ndarray, attributes: Sequence[str] | None = None, device: str = "cpu"
) -> SaliencyMaps:
    """Maps of every attribute in ``attributes`` (default: all the bank's) on every image: (B, A, H, W)."""
    images = _check_images(images)
    names = list(bank.attributes if attributes is None else attributes)
    subset = _eval_copy(bank, names, device)
    per_chunk = max(1, MAX_PAIRS // len(names))
    out = {key: np.zeros((len(images), len(names), *images.shape[1:3]), np.float32) for key in _MAP_KEYS}
    scores = np.zeros((len(images), len(names)), np.float32)
    for start in range(0, len(images), per_chunk):
        x = _to_tensor(images[start : start + per_chunk], device)
        part = _maps(subset, x[:, None].expand(-1, len(names), -1, -1, -1).contiguous())
        scores[start : start + len(x)] = part["scores"]
        for key in _MAP_KEYS:
            out[key][start : start + len(x)] = part[key]
    return SaliencyMaps(tuple(names), scores, **out, box=crop_box(images.shape[1], images.shape[2], bank.arch))


_MAP_KEYS = ("gradient", "gradient_x_input", "grad_cam")


def _check_images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected uint8 images (B, H, W, 3), got shape {images.shape}")
    return images


def _to_tensor(images: np.ndarray, device: str) -> torch.Tensor:
    return torch.from_numpy(np.array(images, dtype=np.float32)).to(device).permute(0, 3, 1, 2).contiguous()


def _eval_copy(bank: AttributeBank, names: Sequence[str], device: str) -> AttributeBank:
    """An eval-mode, folded copy of the networks ``names`` on ``device`` (the caller's bank is untouched)."""
    unknown = [n for n in names if n not in bank.attributes]
    if unknown:
        raise ValueError(f"the model bank has no network for {', '.join(unknown)}")
    if len(bank.arch.channels) < 2:
        raise ValueError("Grad-CAM needs a bank with at least two convolutions (the last one is hooked)")
    return bank.subset([bank.attributes.index(n) for n in names]).to(device)


def _maps(bank: AttributeBank, x: torch.Tensor) -> dict[str, np.ndarray]:
    """One forward + backward of (n, 3, H, W) on a G=1 bank or paired (n, G, 3, H, W): arrays (n, G[, H, W])."""
    captured: list[torch.Tensor] = []
    layer, cell, pooled = cam_layer(bank)
    hook = layer.register_forward_hook(lambda module, args, output: captured.append(output))
    try:
        with torch.enable_grad():
            x = x.detach().requires_grad_(True)
            scores = bank(x)
            grad_x, grad_z = torch.autograd.grad(scores.sum(), (x, captured[0]))
    finally:
        hook.remove()
    groups, (height, width) = bank.groups, x.shape[-2:]
    grad_x = grad_x.reshape(len(x), groups, 3, height, width)
    mean = cast(torch.Tensor, bank.pixel_mean).reshape(1, 1, 3, 1, 1)  # a buffer
    inputs = x.detach().reshape(len(x), groups, 3, height, width)
    z = captured[0].detach()
    z = z.reshape(len(x), groups, -1, *z.shape[-2:])
    alpha = grad_z.reshape(z.shape).mean(dim=(-2, -1), keepdim=True)
    cam = (alpha * z.clamp_min(0)).sum(dim=2)
    return {
        "scores": scores.detach().cpu().numpy().astype(np.float32),
        "gradient": grad_x.sum(dim=2).cpu().numpy().astype(np.float32),
        "gradient_x_input": ((inputs - mean) * grad_x).sum(dim=2).cpu().numpy().astype(np.float32),
        "grad_cam": _onto_image(cam, bank.arch, (height, width), cell, pooled),
    }


def cam_layer(bank) -> tuple[torch.nn.Module, int, bool]:
    """(module whose output Grad-CAM weighs, input pixels per cell of that output, whether a 2x2 pool
    follows it): the model's own ``grad_cam_layer()`` where it has one (the shared-trunk families,
    ffa_lab.models.shared), else the per-attribute bank's last convolution."""
    if hasattr(bank, "grad_cam_layer"):
        return bank.grad_cam_layer()
    return bank.convs[-1], 2 ** (len(bank.arch.channels) - 1), True


def _onto_image(cam: torch.Tensor, arch, size: tuple[int, int], cell: int, pooled: bool = True) -> np.ndarray:
    """(n, G, h, w) last-convolution maps -> (n, G, H, W) at image resolution, 0 where no cell reaches.

    The 2x2 max pool after the last convolution drops an odd last row/column: those cells never reach
    the score, so they are cut off; the cells that remain cover (h // 2 * 2) x 2^(L−1) of the networks'
    input rows (likewise columns), i.e. that share of the crop box, onto which they are resized bilinearly.
    """
    y0, y1, x0, x1 = crop_box(*size, arch)
    # cell: input pixels per hooked cell (one 2x2 pool per earlier layer); a pool after it drops an odd row
    rows, cols = (cam.shape[-2] // 2 * 2, cam.shape[-1] // 2 * 2) if pooled else cam.shape[-2:]
    y1 = y0 + round((y1 - y0) * min(1.0, rows * cell / arch.input_size[0]))
    x1 = x0 + round((x1 - x0) * min(1.0, cols * cell / arch.input_size[1]))
    n, groups = cam.shape[:2]
    kept = cam[..., :rows, :cols].reshape(n * groups, 1, rows, cols)
    resized = F.interpolate(kept, size=(y1 - y0, x1 - x0), mode="bilinear")
    out = torch.zeros(n, groups, *size, dtype=cam.dtype, device=cam.device)
    out[..., y0:y1, x0:x1] = resized.reshape(n, groups, y1 - y0, x1 - x0)
    return out.cpu().numpy().astype(np.float32)
