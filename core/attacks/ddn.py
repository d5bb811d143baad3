"""DDN, decoupled direction and norm (Rony et al., CVPR 2019), L2, for a single-score network.

Each step k (of ``steps``) on the integer iterate q_k = clip(round(x + δ_k)) (minimal.py):

    g   = ∇ₓ m(q_k) / ‖∇ₓ m(q_k)‖₂,      m = t · f the margin toward the goal sign t
    ε   ← ε (1 − γ) if q_k reaches the goal else ε (1 + γ),   at most ‖max(x, 255 − x)‖₂
    δ   ← ε · (δ + α_k g) / ‖δ + α_k g‖₂,  then clipped so that x + δ stays in [0, 255]

with α_k cosine-annealed from ``max_step`` to ``min_step`` and ε starting at ``init_norm``: the
direction follows the gradient while the norm is set apart, shrinking while the iterate is
adversarial and growing while it is not. For two classes the cross-entropy's gradient is a positive
multiple of −∇(y·f) = ∇m, so the normalised step is exactly the paper's. The result is the smallest
successful integer iterate, then bisected along (minimal.py). Defaults (grey levels): 50 steps,
γ = 0.05, ε₀ = 255, α from 255 to 2.55 — foolbox's DDNAttack (ε₀ = 1, α from 1 to 0.01 on [0, 1]
images) times 255, with 50 steps instead of its 100.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ffa_lab.attacks.minimal import MinimalNormParams, Path, cosine, norms, unit_l2


@dataclass(frozen=True)
class DDNParams(MinimalNormParams):
    """DDN's settings on top of the minimal-norm attacks' (grey levels)."""

    init_norm: float = 255.0  # ε₀, the first L2 budget

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.init_norm <= 0:
            raise ValueError("need init_norm > 0")


def ddn_path(path: Path, params: DDNParams) -> None:
    """Run DDN's steps on ``path`` (the best iterate is kept there)."""
    x = path.x
    delta = torch.zeros_like(x)
    eps = torch.full((len(x),), float(params.init_norm), device=x.device)
    worst = norms(torch.maximum(x, 255 - x), 2.0)
    for k in range(params.steps):
        _, grad, success = path.step(delta)
        delta = delta + cosine(k, params.steps, params.max_step, params.min_step) * unit_l2(grad)
        eps = torch.minimum(eps * torch.where(success, 1 - params.gamma, 1 + params.gamma), worst)
        size = norms(delta, 2.0)
        delta = delta * torch.where(size > 0, eps / size.clamp_min(1e-30), 0.0).reshape(-1, 1, 1, 1)
        delta = (x + delta).clamp_(0, 255) - x
