"""FGS, the fast gradient sign attack (Goodfellow, Shlens and Szegedy, ICLR 2015; docs/attacks.md, "One direction per attack").

Direction: the sign of the gradient of the current label's loss, ascended,

    d = sign(∇ₓ J(x, y)) = sign((f(x) − y) ∇ₓ f(x)),  y = sign(f(x)),

already unit L∞ (every pixel channel moves by the scale, except where the gradient is exactly 0).
As for FGV, the factor (f − y) points away from the boundary when |f| > 1, so FGS cannot flip
images whose score overshoots its label; both goals use the current prediction as y (see fgv.py).
"""

from __future__ import annotations

import torch

from ffa_lab.attacks.criteria import prediction
from ffa_lab.attacks.scorer import BankScorer
from ffa_lab.attacks.search import SearchParams


def fgs_direction(scorer: BankScorer, x: torch.Tensor, target: torch.Tensor, score_before, params: SearchParams):
    """sign(∇ₓ ½(f(x) − y)²), y the current prediction; (direction, forward passes, backward passes)."""
    y = prediction(score_before).to(x.dtype)
    _, grad = scorer.gradient(x, lambda f: 0.5 * (f - y) ** 2)
    return torch.sign(grad), len(x), len(x)
