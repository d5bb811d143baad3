"""DeepFool for a single-score network (Moosavi-Dezfooli et al., CVPR 2016; docs/attacks.md, "One direction per attack").

For a binary classifier sign(f(x)) the smallest L2 step to the linearised boundary is closed-form:

    r = −f(x) ∇ₓf(x) / ‖∇ₓf(x)‖²,

iterated from the current point until the prediction changes, with the accumulated step pushed
(1 + overshoot) past the boundary. Our adaptation to integer images: every iterate is scored on
clip(round(x + δ), 0, 255) (so the loop stops exactly when the saved image would flip) while δ stays
real-valued; then the shared scale search runs along δ normalised to unit L∞ (its scale is the
L∞ of the final perturbation, and it can only shorten an overshooting δ). The reference method for
minimal L2 perturbations; not part of the paper.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ffa_lab.attacks.scorer import BankScorer
from ffa_lab.attacks.search import SearchParams, iterate_steps


@dataclass(frozen=True)
class DeepFoolParams(SearchParams):
    """DeepFool's settings on top of the scale search's."""

    overshoot: float = 0.02  # push the accumulated step this much past the boundary
    max_iterations: int = 20  # linearised steps at most

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_iterations < 1 or self.overshoot < 0:
            raise ValueError("need max_iterations >= 1 and overshoot >= 0")


def deepfool_direction(scorer: BankScorer, x: torch.Tensor, target: torch.Tensor, score_before, params: DeepFoolParams):
    """The accumulated DeepFool perturbation δ; (direction, forward passes, backward passes)."""

    def step(f: torch.Tensor, grad: torch.Tensor, t: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
        norm2 = grad.flatten(1).pow(2).sum(dim=1).clamp_min(1e-20).reshape(-1, 1, 1, 1)
        return delta - (1 + params.overshoot) * f.reshape(-1, 1, 1, 1) * grad / norm2

    return iterate_steps(scorer, x, target, score_before, params.max_iterations, step)
