"""Score many (image, attribute) samples in one pass through the bank's paired mode.

Sample i is image i seen by the network of attribute ``attributes[i]``. The samples are packed into
a (R, G', 3, H, W) tensor — G' the distinct attributes, R the most samples any of them has — so
that each network sees only its own samples, and one forward (and one backward) serves the whole
batch. Empty slots hold a zero image whose score is ignored; their gradient is never asked for.
Because no parameter is shared between networks and BatchNorm runs in eval mode, a sample's score
and input gradient do not depend on what else is in the batch.

A shared-trunk model (``paired_input`` False, ffa_lab.models.family) needs no packing: sample i goes
once through the trunk and is scored by output ``attributes[i]`` alone; the other outputs are free.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
import torch

from ffa_lab.models.bank import crop_box
from ffa_lab.models.family import AttributeModel

# image-network evaluations per forward: bounds memory on the gradient pass; on a CPU, cache-sized
MAX_PAIRS = {"cpu": 160}
MAX_PAIRS_OTHER = 4096


class BankScorer:
    """Per-sample attacked-attribute scores f_i(x_i); device-agnostic (the bank's copy lives there).

    Never mutates the caller's bank: a bank in training mode, on another device, or with other
    attributes is replaced by an eval-mode subset copy.
    """

    def __init__(self, bank: AttributeModel, attributes: Sequence[str], device: str | torch.device = "cpu") -> None:
        unknown = sorted(set(attributes) - set(bank.attributes))
        if unknown:
            raise ValueError(f"the model bank has no network for {', '.join(unknown)}")
        names = list(dict.fromkeys(attributes))  # distinct, in order of first use
        self.device = torch.device(device)
        on_device = next(bank.parameters()).device == self.device
        if names == list(bank.attributes) and not bank.training and on_device:
            self.bank = bank
        else:
            self.bank = bank.subset([bank.attributes.index(a) for a in names]).to(self.device)
        self.bank.requires_grad_(False)
        self.attributes = tuple(attributes)
        slot_of = {a: k for k, a in enumerate(names)}
        self.max_pairs = MAX_PAIRS.get(self.device.type, MAX_PAIRS_OTHER)
        self.slots = torch.tensor([slot_of[a] for a in attributes], dtype=torch.long, device=self.device)

    def __len__(self) -> int:
        return len(self.attributes)

    def _layout(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, int]:
        """Rows and slots of the samples ``index`` in the packed tensor, and the row count R."""
        slots = self.slots[index]
        order = torch.argsort(slots, stable=True)
        counts = torch.bincount(slots, minlength=self.bank.groups)
        starts = torch.cumsum(counts, 0) - counts
        rows = torch.empty_like(slots)
        rows[order] = torch.arange(len(slots), device=slots.device) - starts[slots[order]]
        return rows, slots, int(counts.max())

    def crop_box(self, height: int, width: int) -> tuple[int, int, int, int]:
        """(y0, y1, x0, x1): the part of a frame the networks see (ffa_lab.models.bank.crop_box)."""
        return crop_box(height, width, self.bank.arch)

    def scores(self, images: torch.Tensor, index: torch.Tensor | None = None, cropped: bool = False) -> torch.Tensor:
        """(n,) scores of float images (n, 3, H, W) in [0, 255] for samples ``index`` (default all);
        ``cropped``: the images are already cut to :meth:`crop_box`.

        Differentiable with respect to ``images``; chunked to at most ``max_pairs`` packed slots.
        """
        if index is None:
            index = torch.arange(len(self.attributes), device=self.device)
        if not self.bank.paired_input:
            slots = self.slots[index]
            return torch.cat(
                [
                    cast(Any, self.bank).output_scores(chunk, outputs, cropped)  # shared-trunk models only
                    for chunk, outputs in zip(images.split(self.max_pairs), slots.split(self.max_pairs), strict=True)
                ]
            )
        if self.bank.groups == 1:
            return torch.cat([self.bank(chunk, cropped)[:, 0] for chunk in images.split(self.max_pairs)])
        rows, slots, n_rows = self._layout(index)
        rows_per_chunk = max(1, self.max_pairs // self.bank.groups)
        pieces = []
        for first in range(0, n_rows, rows_per_chunk):
            take = ((rows >= first) & (rows < first + rows_per_chunk)).nonzero().squeeze(1)
            packed = images.new_zeros((min(rows_per_chunk, n_rows - first), self.bank.groups, *images.shape[1:]))
            packed = packed.index_put((rows[take] - first, slots[take]), images[take])
            pieces.append((take, self.bank(packed, cropped)[rows[take] - first, slots[take]]))
        takes = torch.cat([p[0] for p in pieces])
        values = torch.cat([p[1] for p in pieces])
        return images.new_zeros(len(index)).index_put((takes,), values)

    def gradient(self, images: torch.Tensor, weights_fn, index: torch.Tensor | None = None):
        """(scores (n,), ∇ₓ Σ_i L_i (n, 3, H, W)) where L = weights_fn(scores) per sample.

        Each sample's image only reaches its own network, so the gradient of the sum is the
        per-sample gradient of L_i.
        """
        x = images.detach().requires_grad_(True)
        with torch.enable_grad():
            scores = self.scores(x, index)
            (grad,) = torch.autograd.grad(weights_fn(scores).sum(), x)
        return scores.detach(), grad


def to_nchw(images: np.ndarray, device: torch.device) -> torch.Tensor:
    """uint8 (B, H, W, 3) numpy -> float32 (B, 3, H, W) on ``device``."""
    images = np.ascontiguousarray(images)
    if not images.flags.writeable:  # a broadcast view: torch.from_numpy wants writable memory
        images = images.copy()
    return torch.from_numpy(images).to(device).permute(0, 3, 1, 2).float().contiguous()


def to_nhwc(images: torch.Tensor) -> np.ndarray:
    """float/uint8 (B, 3, H, W) integer-valued tensor -> uint8 (B, H, W, 3) numpy."""
    return images.detach().round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
