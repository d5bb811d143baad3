"""The interface every network family implements, and which family a model is.

The rest of ffa-lab (attacks through :class:`ffa_lab.attacks.scorer.BankScorer`, the study, natural
mining, the CLI, the report and the app) uses a model only through :class:`AttributeModel`; a model
folder is loaded by :func:`ffa_lab.models.checkpoint.load_bank`, whose :class:`LoadedBank` adds the
per-attribute metadata (thresholds, validation metrics, training record) and the folder, and
:func:`ffa_lab.experiments.results.model_fingerprint` fingerprints the folder's files.

Families (docs/models.md):

- ``per-attribute``: :class:`ffa_lab.models.bank.AttributeBank`, G separate networks (the ICPR paper's).
- ``multi-task`` and ``resnet``: :class:`ffa_lab.models.shared.SharedTrunkNet`, one trunk, G outputs.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import torch

FAMILIES = ("per-attribute", "multi-task", "resnet")


@runtime_checkable
class AttributeModel(Protocol):
    """G real-valued attribute scores per image; prediction +1 where score ≥ 0 (attacks/criteria).

    - ``attributes``: the G CelebA names of the outputs, in order; ``groups`` = G.
    - ``arch``: architecture + preprocessing; the attacks read ``arch.crop`` (fractions left, top,
      right, bottom) and ``arch.input_size`` through :func:`ffa_lab.models.bank.crop_box`.
    - ``paired_input``: True when output g is a network of its own, so that a (B, G, 3, H, W) input
      (image g of each row to output g) costs one pass; False for a shared trunk, where BankScorer
      scores each sample with :meth:`output_scores` instead.
    - ``__call__(images, cropped=False)``: images (B, 3, H, W) in [0, 255], uint8 or float, any
      size with CelebA framing, preprocessing inside and differentiable → scores (B, G) float32.
      ``cropped``: the images are already cut to the crop box.
    - ``subset(indices)``: a model with only those outputs (eval mode, no gradients), the same
      function on them; attacking output k of a subset([k]) leaves the other outputs free.
    - ``fold_batchnorm()``: an inference-speed transform that keeps the function; returns the model.
    """

    attributes: list[str]
    arch: Any
    paired_input: bool
    training: bool

    @property
    def groups(self) -> int: ...

    def __call__(self, images: torch.Tensor, cropped: bool = False) -> torch.Tensor: ...

    def subset(self, indices: list[int]) -> AttributeModel: ...

    def fold_batchnorm(self) -> AttributeModel: ...

    def parameters(self, recurse: bool = True) -> Any: ...

    def to(self, *args: Any, **kwargs: Any) -> Any: ...  # nn.Module's

    def requires_grad_(self, requires_grad: bool = True) -> Any: ...  # nn.Module's

    def eval(self) -> Any: ...  # nn.Module's

    def train(self, mode: bool = True) -> Any: ...  # nn.Module's


def family_of(model: AttributeModel) -> str:
    """The family name of a model (a bank without a ``family`` attribute is ``per-attribute``)."""
    return getattr(model, "family", "per-attribute")
