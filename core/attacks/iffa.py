"""Iterative FFA: FFA's direction re-derived after every small step (our extension, not the paper's).

Step k: d_k = −∇ₓ ½(f(x_k) − t)², normalised to unit L∞, and x_{k+1} = clip(x_k + α d_k, 0, 255)
with α = ``step_size`` grey levels, for at most ``steps`` steps; each x_k is scored on its integer
image and a sample stops as soon as that image reaches the goal sign. The shared scale search then
runs along the accumulated perturbation x_K − x_0, which shortens it to the smallest flipping
multiple. Where one FFA step follows a curved boundary badly, the re-derived steps bend with it —
the basic iterative method of Kurakin et al. (2017) with FFA's raw-gradient direction instead of
the sign.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ffa_lab.attacks.scorer import BankScorer
from ffa_lab.attacks.search import SearchParams, iterate_steps, unit_linf


@dataclass(frozen=True)
class IterativeFFAParams(SearchParams):
    """Iterative FFA's settings on top of the scale search's."""

    steps: int = 10  # gradient steps at most
    step_size: float = 1.0  # L∞ of each step, grey levels

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.steps < 1 or self.step_size <= 0:
            raise ValueError("need steps >= 1 and step_size > 0")


def iffa_direction(scorer: BankScorer, x: torch.Tensor, target: torch.Tensor, score_before, params: IterativeFFAParams):
    """The accumulated iterative-FFA perturbation; (direction, forward passes, backward passes)."""

    def step(f: torch.Tensor, grad: torch.Tensor, t: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
        return delta + params.step_size * unit_linf(-(f - t).reshape(-1, 1, 1, 1) * grad)

    return iterate_steps(scorer, x, target, score_before, params.steps, step)
