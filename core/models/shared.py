"""Shared-trunk attribute networks: one trunk, G outputs (the ``multi-task`` and ``resnet`` families).

Where the per-attribute bank (:mod:`ffa_lab.models.bank`) runs G separate networks, a
:class:`SharedTrunkNet` computes one feature vector per image and G linear outputs on it, as MOON
(Rudd et al. 2016) does on VGG-16 and AFFACT (Günther et al. 2017) on ResNet-50; prediction is
sign(score), as for the bank. Two trunks (docs/models.md):

- ``cnn`` (family ``multi-task``): per stage ``blocks[i]`` × (3×3 conv, BatchNorm, ReLU), then 2×2
  max-pooling — a small VGG.
- ``resnet`` (family ``resnet``): a 3×3 stem with max-pooling, then per stage ``blocks[i]`` basic
  residual blocks (two 3×3 convs with BatchNorm, identity or 1×1 projection shortcut), stride 2 from
  the second stage on.

Both end in flatten → [linear ``hidden`` → ReLU → dropout] → linear G. Input and preprocessing are the
bank's (:func:`ffa_lab.models.bank.crop_resize`: crop by fractions of the frame, area resize,
per-channel normalisation, all inside the module and differentiable): images in [0, 255], float or
uint8, (B, 3, H, W) → scores (B, G). The last layer's weights and biases are ``head_weight`` (G, O)
and ``head_bias`` (G,), so :meth:`subset` and the threshold fold only select or shift rows.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, cast

import torch
import torch.nn.functional as F
from torch import nn

from ffa_lab.models.bank import ImageScoreModule, InputPreprocessing, max_pool_2x2

TRUNKS = ("cnn", "resnet")


@dataclass(frozen=True)
class SharedArch(InputPreprocessing):
    """Architecture and preprocessing of a shared-trunk network (JSON in its checkpoint)."""

    name: str = "moon-cnn"
    trunk: str = "cnn"  # cnn | resnet
    channels: tuple[int, ...] = (32, 64, 128, 192)
    blocks: tuple[int, ...] = (1, 1, 1, 1)  # cnn: conv layers per stage; resnet: residual blocks per stage
    hidden: int = 256  # 0: the outputs sit directly on the flattened features
    dropout: float = 0.3

    def __post_init__(self) -> None:
        if self.trunk not in TRUNKS:
            raise ValueError(f"trunk must be one of {', '.join(TRUNKS)}, not {self.trunk!r}")
        if len(self.channels) != len(self.blocks) or not self.channels or min(self.blocks) < 1:
            raise ValueError("channels and blocks need one positive entry per stage")

    def feature_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of the trunk's last feature map."""
        h, w = self.input_size
        if self.trunk == "cnn":
            for _ in self.channels:
                h, w = h // 2, w // 2
        else:
            h, w = h // 2, w // 2  # stem pooling
            for _ in self.channels[1:]:
                h, w = (h + 1) // 2, (w + 1) // 2  # stride-2 3x3 conv, padding 1
        return self.channels[-1], h, w


class ConvStage(nn.Module):
    """``n`` × (3×3 conv, BatchNorm, ReLU), then 2×2 max-pooling (the VGG-style trunk's stage)."""

    def __init__(self, c_in: int, c_out: int, n: int) -> None:
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(c_in if i == 0 else c_out, c_out, 3, padding=1) for i in range(n))
        self.norms = nn.ModuleList(nn.BatchNorm2d(c_out) for _ in range(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms, strict=True)):
            x = norm(conv(x))
            # the last layer pools before its ReLU: identical (ReLU is monotone), 4x less work
            x = F.relu(max_pool_2x2(x)) if i == len(self.convs) - 1 else F.relu(x)
        return x


class BasicBlock(nn.Module):
    """He et al. 2016's basic residual block: relu(bn(conv(relu(bn(conv(x))))) + shortcut(x))."""

    def __init__(self, c_in: int, c_out: int, stride: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride=stride, padding=1, bias=False)
        self.norm1 = nn.BatchNorm2d(c_out)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1, bias=False)
        self.norm2 = nn.BatchNorm2d(c_out)
        self.project = None
        if stride != 1 or c_in != c_out:
            self.project = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=stride, bias=False), nn.BatchNorm2d(c_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.norm2(self.conv2(F.relu(self.norm1(self.conv1(x)))))
        return F.relu(y + (x if self.project is None else self.project(x)))


def build_trunk(arch: SharedArch) -> nn.Sequential:
    """The trunk of ``arch``: (B, 3, H, W) normalised images → (B, *arch.feature_shape())."""
    layers: list[nn.Module] = []
    if arch.trunk == "cnn":
        c_in = 3
        for c_out, n in zip(arch.channels, arch.blocks, strict=True):
            layers.append(ConvStage(c_in, c_out, n))
            c_in = c_out
        return nn.Sequential(*layers)
    layers += [nn.Conv2d(3, arch.channels[0], 3, padding=1, bias=False), nn.BatchNorm2d(arch.channels[0])]
    layers += [nn.ReLU(), nn.MaxPool2d(2)]
    c_in = arch.channels[0]
    for stage, (c_out, n) in enumerate(zip(arch.channels, arch.blocks, strict=True)):
        for i in range(n):
            layers.append(BasicBlock(c_in, c_out, 2 if stage > 0 and i == 0 else 1))
            c_in = c_out
    return nn.Sequential(*layers)


class SharedTrunkNet(ImageScoreModule):
    """One trunk with one linear output per attribute; ``attributes`` names the outputs in order.

    Implements :class:`ffa_lab.models.family.AttributeModel`. ``family`` is recorded in the
    checkpoint (``multi-task`` or ``resnet``); the trunk is the same code for both.
    """

    paired_input = False  # one trunk serves every output: BankScorer scores each sample's own output

    def __init__(self, attributes: list[str], arch: SharedArch | None = None, family: str = "multi-task") -> None:
        super().__init__()
        self.attributes = list(attributes)
        self.arch = SharedArch() if arch is None else arch
        self.family = family
        self.trunk = build_trunk(self.arch)
        c, h, w = self.arch.feature_shape()
        n_in = c * h * w
        self.hidden = nn.Linear(n_in, self.arch.hidden) if self.arch.hidden else None
        width = self.arch.hidden or n_in
        self.head_weight = nn.Parameter(torch.randn(len(self.attributes), width) * (1.0 / width) ** 0.5)
        self.head_bias = nn.Parameter(torch.zeros(len(self.attributes)))
        self._register_pixel_stats()

    def features(self, images: torch.Tensor, cropped: bool = False) -> torch.Tensor:
        """(B, O) the vector every output reads (after the hidden layer and dropout)."""
        x = self.trunk(self.preprocess(images, cropped)).flatten(1)
        if self.hidden is not None:
            x = F.relu(self.hidden(x))
        return F.dropout(x, self.arch.dropout, self.training) if self.arch.dropout > 0 else x

    def forward(self, images: torch.Tensor, cropped: bool = False) -> torch.Tensor:
        """Scores (B, G) of images (B, 3, H, W); a "paired" (B, G, 3, H, W) input scores image g with
        output g (G trunk passes per row: :class:`ffa_lab.attacks.scorer.BankScorer` avoids it)."""
        if images.dim() == 5:
            batch, groups = images.shape[:2]
            if groups != self.groups:
                raise ValueError(f"paired input has {groups} images per sample, the model has {self.groups} outputs")
            every = self(images.reshape(batch * groups, *images.shape[2:]), cropped).view(batch, groups, groups)
            return every.diagonal(dim1=1, dim2=2)
        return self.features(images, cropped) @ self.head_weight.t() + self.head_bias

    def output_scores(self, images: torch.Tensor, outputs: torch.Tensor, cropped: bool = False) -> torch.Tensor:
        """(n,) score of image i under output ``outputs[i]`` only: one trunk pass per image."""
        return (self.features(images, cropped) * self.head_weight[outputs]).sum(1) + self.head_bias[outputs]

    def grad_cam_layer(self) -> tuple[nn.Module, int, bool]:
        """Where Grad-CAM looks (ffa_lab.explain.saliency.cam_layer): (module, input pixels per cell of its
        output, whether a 2x2 pool follows). cnn: the last convolution, before the last pool; resnet: the
        last residual block (stem pool and one stride 2 per later stage)."""
        last = self.trunk[-1]
        if self.arch.trunk == "cnn":
            return (
                cast(Any, last).convs[-1],
                2 ** (len(self.arch.channels) - 1),
                True,
            )  # a CNN block (ModuleList typing)
        return last, 2 ** len(self.arch.channels), False

    def fold_batchnorm(self) -> SharedTrunkNet:
        """Kept for the interface: eval-mode BatchNorm stays a module here (its cost is small next to
        the dense convolutions); returns ``self`` unchanged."""
        return self

    def subset(self, indices: list[int]) -> SharedTrunkNet:
        """A copy with the outputs ``indices`` only (same trunk weights, eval mode, no gradients):
        attacking output k leaves every other output free."""
        model = copy.deepcopy(self)
        model.attributes = [self.attributes[i] for i in indices]
        rows = torch.as_tensor(indices, dtype=torch.long, device=self.head_bias.device)
        model.head_weight = nn.Parameter(self.head_weight.detach()[rows].clone())
        model.head_bias = nn.Parameter(self.head_bias.detach()[rows].clone())
        return model.eval().requires_grad_(False)

    @classmethod
    def initialised(cls, attributes: list[str], arch: SharedArch, seed: int, family: str) -> SharedTrunkNet:
        """Fresh weights from ``seed`` (PyTorch's default init for convolutions and linear layers)."""
        torch.manual_seed(seed)
        return cls(list(attributes), arch, family)
