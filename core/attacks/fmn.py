"""FMN, fast minimum-norm attacks (Pintor et al., NeurIPS 2021), L2 ("fmn") and L∞ ("fmn-linf").

Each step k (of ``steps``) on the integer iterate q_k = clip(round(x + δ_k)) (minimal.py), with
m = t · f the margin toward the goal sign t (−m is the two-class logit difference the paper uses):

    if q_k reaches the goal:      ε ← min(ε (1 − γ_k), ‖δ*‖_p)        (δ* the best iterate so far)
    elif one did before:          ε ← ε (1 + γ_k)
    else:                         ε ← ‖δ_k‖_p + |m(q_k)| / ‖∇m(q_k)‖_q   (linear estimate of the boundary,
                                                                        q the dual norm: 2 for L2, 1 for L∞)
    δ ← Π_ε(δ + α_k ∇m / ‖∇m‖₂),  then clipped so that x + δ stays in [0, 255]

(ε at most ‖max(x, 255 − x)‖_p). Π_ε projects onto the Lp ball of radius ε: for L2 a rescale when
‖δ‖₂ > ε, for L∞ a clip of every entry to [−ε, ε]. The gradient step is L2-normalised for both norms,
as in the paper (Algorithm 1) and its reference code. α_k and γ_k are cosine-annealed from
``max_step`` to ``min_step`` and from ``gamma`` to 0.001. The result is the smallest successful
integer iterate, then bisected along (minimal.py). Defaults (grey levels): 50 steps, γ₀ = 0.05, α from
255 to 2.55 — foolbox's L2FMNAttack / LInfFMNAttack (α from 1 to 0.01 on [0, 1] images) times 255,
with 50 steps instead of its 100.

Note on the reference: foolbox 3.3.4's ``L2FMNAttack.project`` divides the norm by itself, so it never
projects (its L2 attack then only tracks the smallest adversarial iterate of an unconstrained
ascent); ours projects, and benchmarks/minimal_norm.py checks against foolbox with that one line fixed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch

from ffa_lab.attacks.minimal import MinimalNormParams, Path, cosine, norms, unit_l2


@dataclass(frozen=True)
class FMNParams(MinimalNormParams):
    """FMN's settings (L2 and L∞ alike): the shared minimal-norm ones; the norm is the attack's."""


def fmn_path(path: Path, params: FMNParams) -> None:
    """Run FMN's steps on ``path`` in its norm ``path.p`` (2 or inf)."""
    x, p = path.x, path.p
    dual = 1.0 if math.isinf(p) else 2.0
    delta = torch.zeros_like(x)
    eps = torch.full((len(x),), math.inf, device=x.device)
    worst = norms(torch.maximum(x, 255 - x), p)
    found = torch.zeros(len(x), dtype=torch.bool, device=x.device)
    for k in range(params.steps):
        f, grad, success = path.step(delta)
        found |= success
        size = norms(delta, p)
        to_boundary = f.abs() / norms(grad, dual).clamp_min(1e-30)
        gamma = cosine(k, params.steps, params.gamma, 0.001)
        eps = torch.where(
            success,
            torch.minimum(eps * (1 - gamma), path.best_delta_norm),
            torch.where(found, eps * (1 + gamma), size + to_boundary),
        )
        eps = torch.minimum(eps, worst)
        delta = delta + cosine(k, params.steps, params.max_step, params.min_step) * unit_l2(grad)
        bound = eps.reshape(-1, 1, 1, 1)
        if math.isinf(p):
            delta = torch.maximum(torch.minimum(delta, bound), -bound)
        else:
            size = norms(delta, 2.0).reshape(-1, 1, 1, 1)
            delta = delta * torch.clamp(bound / size.clamp_min(1e-30), max=1.0)
        delta = (x + delta).clamp_(0, 255) - x
