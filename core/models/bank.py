"""A bank of per-attribute CNNs run as one batched computation.

Each attribute has its own network f_k(x) -> a real score, prediction sign(f_k(x)) (the paper's
one-network-per-attribute design). The bank stacks G such networks: the first convolution is a
dense conv whose output channels are split G ways, later convolutions are grouped (groups=G) and the
two fully connected layers are batched matmuls over stacked weights. No parameter is shared, so the
score and input gradient of attribute k equal those of network k run alone (tests/test_bank.py).

Input: images in [0, 255], float or uint8, (B, 3, H, W) of any size with CelebA framing — every
network sees the same image — or (B, G, 3, H, W) "paired" — network g sees image g (attacking a
batch of images, each on its own attribute, in one pass). Output: (B, G) scores.
Preprocessing (crop by fractions of the frame, area resize, per-channel normalisation) happens
inside, differentiably, so attacks and heatmaps work on the dataset's own integer images.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn

from ffa_lab.data.attributes import ATTRIBUTE_INDEX, ATTRIBUTES
from ffa_lab.jsonable import JsonDataclass


@dataclass(frozen=True)
class InputPreprocessing(JsonDataclass):
    """How a CelebA-framed image becomes a network's input (:func:`crop_resize`): the crop as fractions
    of the frame, the size it is area-resized to, and the per-channel normalisation. Every family's
    architecture config starts with these fields."""

    input_size: tuple[int, int] = (56, 48)  # (H, W) after preprocessing
    crop: tuple[float, float, float, float] = (0.06, 0.08, 0.94, 0.96)  # left, top, right, bottom
    mean: tuple[float, float, float] = (128.0, 108.0, 96.0)  # grey levels
    std: tuple[float, float, float] = (76.0, 70.0, 70.0)


@dataclass(frozen=True)
class ArchConfig(InputPreprocessing):
    """Architecture and preprocessing of one attribute network (shared by a bank)."""

    name: str = "ffa-cnn"
    channels: tuple[int, ...] = (8, 16, 32, 48)
    hidden: int = 64
    dropout: float = 0.3

    def feature_size(self) -> int:
        h, w = self.input_size
        for _ in self.channels:
            h, w = h // 2, w // 2
        return self.channels[-1] * h * w


def crop_box(height: int, width: int, arch: ArchConfig) -> tuple[int, int, int, int]:
    """(y0, y1, x0, x1) of the part of a ``height`` x ``width`` frame the networks see; no pixel
    outside it reaches a score (its gradient is exactly zero)."""
    left, top, right, bottom = arch.crop
    return round(top * height), round(bottom * height), round(left * width), round(right * width)


def crop_resize(images: torch.Tensor, arch: ArchConfig, cropped: bool = False) -> torch.Tensor:
    """Crop (fractions of the frame) and area-resize to ``arch.input_size``; differentiable.

    ``cropped``: the images are already ``images[..., y0:y1, x0:x1]`` of :func:`crop_box` (the attacks'
    scale search perturbs only that part; a contiguous crop also resizes ~1.8x faster than a view)."""
    if not cropped:
        y0, y1, x0, x1 = crop_box(images.shape[-2], images.shape[-1], arch)
        images = images[..., y0:y1, x0:x1]
    return F.interpolate(images, size=arch.input_size, mode="area")


def max_pool_2x2(x: torch.Tensor) -> torch.Tensor:
    """``F.max_pool2d(x, 2)``: the same values (NaN included); only the sign of an exact-zero maximum can
    differ (max_pool2d keeps the first of -0.0 and +0.0 in its window, maximum may return the other), and the two
    zeros compare equal in every later layer and in sign(score).

    Without autograd it is two pairwise ``torch.maximum`` over strided views: on the CPU, NCHW
    max_pool2d is not vectorised and took more time than the convolutions (3.7 vs 0.2 ms on a
    32 x 8 x 56 x 48 batch), which the attacks' scale searches pay on every forward. When a gradient
    is being recorded it stays max_pool2d, whose gradient goes to one element of a tie (maximum's
    would split it), so training and attack directions are unchanged.
    """
    if torch.is_grad_enabled() and x.requires_grad:
        return F.max_pool2d(x, 2)
    h, w = x.shape[-2] // 2 * 2, x.shape[-1] // 2 * 2
    x = x[..., :h, :w]
    rows = torch.maximum(x[..., 0::2, :], x[..., 1::2, :])
    return torch.maximum(rows[..., 0::2], rows[..., 1::2])


class ImageScoreModule(nn.Module):
    """What every family's module shares: ``attributes`` (the G outputs), the in-module preprocessing
    (:func:`crop_resize`, then per-channel normalisation by ``arch.mean`` / ``arch.std``)."""

    attributes: list[str]
    arch: Any  # ArchConfig or shared.SharedArch: crop, input_size, mean, std

    @property
    def groups(self) -> int:
        return len(self.attributes)

    def _register_pixel_stats(self) -> None:
        self.register_buffer("pixel_mean", torch.tensor(self.arch.mean).view(1, 3, 1, 1))
        self.register_buffer("pixel_std", torch.tensor(self.arch.std).view(1, 3, 1, 1))

    def preprocess(self, images: torch.Tensor, cropped: bool = False) -> torch.Tensor:
        x = crop_resize(images.float(), self.arch, cropped)
        mean, std = cast(torch.Tensor, self.pixel_mean), cast(torch.Tensor, self.pixel_std)  # buffers
        return (x - mean) / std


class AttributeBank(ImageScoreModule):
    """G separate attribute networks evaluated together; ``attributes`` names them in order.

    A plain module (identity equality and hashing, as every nn.Module): two banks with the same
    attributes and architecture but different weights are different objects, never "equal".
    Implements :class:`ffa_lab.models.family.AttributeModel`.
    """

    family = "per-attribute"
    paired_input = True  # no parameter is shared: a (B, G, 3, H, W) input feeds image g to network g

    def __init__(self, attributes: list[str], arch: ArchConfig | None = None) -> None:
        super().__init__()
        self.attributes = list(attributes)
        self.arch = ArchConfig() if arch is None else arch
        groups, arch = len(self.attributes), self.arch
        convs, norms, c_in = [], [], 3
        for i, c_out in enumerate(arch.channels):
            convs.append(
                nn.Conv2d(c_in * (groups if i else 1), c_out * groups, 3, padding=1, groups=groups if i else 1)
            )
            norms.append(nn.BatchNorm2d(c_out * groups))
            c_in = c_out
        self.convs, self.norms = nn.ModuleList(convs), nn.ModuleList(norms)
        n_in = arch.feature_size()
        self.fc1_weight = nn.Parameter(torch.randn(groups, arch.hidden, n_in) * (2.0 / n_in) ** 0.5)
        self.fc1_bias = nn.Parameter(torch.zeros(groups, arch.hidden))
        self.fc2_weight = nn.Parameter(torch.randn(groups, 1, arch.hidden) * (1.0 / arch.hidden) ** 0.5)
        self.fc2_bias = nn.Parameter(torch.zeros(groups, 1))
        self._register_pixel_stats()
        self._folded = False

    # nn.ModuleList items are typed Module; these typed views say what they hold (Conv2d, BatchNorm2d)
    def _convs(self) -> list[nn.Conv2d]:
        return cast(list[nn.Conv2d], list(self.convs))

    def _norms(self) -> list[nn.BatchNorm2d]:
        return cast(list[nn.BatchNorm2d], list(self.norms))

    def _norm(self, i: int, x: torch.Tensor) -> torch.Tensor:
        return x if self._folded else self.norms[i](x)

    @torch.no_grad()
    def fold_batchnorm(self) -> AttributeBank:
        """Fold eval-mode BatchNorm into the convolutions (same function, faster inference).

        The norms are reset to the identity (weight 1, bias 0, mean 0, var 1 - eps), so the state
        dict keeps its shape and meaning; only call on a bank that will no longer be trained.
        """
        if self._folded:
            return self
        for conv, norm in zip(self._convs(), self._norms(), strict=True):
            mean, var, bias = norm.running_mean, norm.running_var, conv.bias
            assert mean is not None and var is not None and bias is not None  # running stats and biases exist
            scale = norm.weight / torch.sqrt(var + norm.eps)
            conv.weight.mul_(scale.view(-1, 1, 1, 1))
            bias.copy_((bias - mean) * scale + norm.bias)
            norm.weight.fill_(1.0)
            norm.bias.zero_()
            mean.zero_()
            var.fill_(1.0 - norm.eps)
        self._folded = True
        return self

    def forward(self, images: torch.Tensor, cropped: bool = False) -> torch.Tensor:
        """Scores (B, G); ``cropped``: images are already cut to :func:`crop_box` (see crop_resize)."""
        groups = self.groups
        paired = images.dim() == 5
        if paired:
            batch = images.shape[0]
            if images.shape[1] != groups:
                raise ValueError(f"paired input has {images.shape[1]} images per sample, bank has {groups}")
            x = self.preprocess(images.reshape(batch * groups, *images.shape[2:]), cropped)
            x = x.reshape(batch, groups * 3, *x.shape[-2:])
            first = self._convs()[0]
            x = F.conv2d(x, first.weight, first.bias, padding=1, groups=groups)
        else:
            x = self.convs[0](self.preprocess(images, cropped))
        # pool before ReLU: identical (ReLU is monotone) and 4x less work
        x = F.relu(max_pool_2x2(self._norm(0, x)))
        for i, conv in enumerate(self.convs[1:], start=1):
            x = F.relu(max_pool_2x2(self._norm(i, conv(x))))
        x = x.reshape(x.shape[0], groups, -1)
        x = torch.einsum("bgi,goi->bgo", x, self.fc1_weight) + self.fc1_bias
        x = F.relu(x)
        if self.training and self.arch.dropout > 0:
            x = x * self._dropout_mask(x)
        return (torch.einsum("bgi,goi->bgo", x, self.fc2_weight) + self.fc2_bias).squeeze(-1)

    def _dropout_mask(self, hidden: torch.Tensor) -> torch.Tensor:
        """Inverted-dropout mask, drawn as for the full 40-network bank, then this bank's rows.

        The full bank draws exactly what ``F.dropout`` does on the CPU (``empty_like`` — which keeps the
        hidden layer's network-major memory layout from the batched matmul — then bernoulli_(1 - p) and
        / (1 - p)), so the shipped bank's training is unchanged. A bank of any subset (one rank's share
        under torch.distributed) draws the same 40 x B x O block in that layout and keeps its rows: each
        network gets exactly the mask it gets in the full bank, whatever it is trained with.
        """
        keep = 1.0 - self.arch.dropout
        if self.attributes == list(ATTRIBUTES):
            return torch.empty_like(hidden).bernoulli_(keep).div_(keep)
        batch, _, width = hidden.shape
        full = hidden.new_empty(len(ATTRIBUTES), batch, width).bernoulli_(keep).div_(keep).transpose(0, 1)
        return full[:, [ATTRIBUTE_INDEX[a] for a in self.attributes]]

    @classmethod
    def initialised(cls, attributes: list[str], arch: ArchConfig, seed: int) -> AttributeBank:
        """Fresh networks whose initial weights depend only on (seed, attribute), not on the bank."""
        torch.manual_seed(seed)
        full = cls(list(ATTRIBUTES), arch)
        if list(attributes) == list(ATTRIBUTES):
            return full
        return cls.from_networks(attributes, arch, [full.network_state(ATTRIBUTE_INDEX[a]) for a in attributes])

    # --- splitting into and stacking from per-attribute networks -----------------------------
    def network_state(self, k: int) -> dict[str, torch.Tensor]:
        """The parameters of network k alone, as a G=1 bank's state dict (cloned)."""
        out = {}
        for name, tensor in self.state_dict().items():
            if name.startswith("pixel_") or name.endswith("num_batches_tracked"):
                out[name] = tensor.clone()
            elif name.startswith("fc"):
                out[name] = tensor[k : k + 1].clone()
            else:
                size = tensor.shape[0] // self.groups
                out[name] = tensor[k * size : (k + 1) * size].clone()
        return out

    @classmethod
    def from_networks(cls, attributes: list[str], arch: ArchConfig, states: list[dict]) -> AttributeBank:
        """Stack per-attribute state dicts (as from :meth:`network_state`) into one bank."""
        bank = cls(list(attributes), arch)
        merged = {}
        for name in bank.state_dict():
            parts = [s[name] for s in states]
            merged[name] = (
                parts[0] if name.startswith("pixel_") or name.endswith("num_batches_tracked") else torch.cat(parts, 0)
            )
        bank.load_state_dict(merged)
        return bank

    def subset(self, indices: list[int]) -> AttributeBank:
        """A smaller bank with the networks ``indices`` (same weights, eval mode)."""
        bank = AttributeBank.from_networks(
            [self.attributes[i] for i in indices], self.arch, [self.network_state(i) for i in indices]
        )
        return bank.eval().requires_grad_(False).fold_batchnorm()
