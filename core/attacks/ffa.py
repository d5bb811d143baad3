"""FFA, the fast flipping attribute attack (Rozsa et al., ICPR 2016; docs/attacks.md, "One direction per attack").

Direction: descend the Euclidean loss toward the goal sign t,

    d = −∇ₓ J(x, t),  J(x, t) = ½ (f(x) − t)²,  so  d = −(f(x) − t) ∇ₓ f(x).

For goal "flip" t = −sign(f(x)): then −(f − t) = −(f + y) has the sign of −y whatever |f| is, so d
always lowers y·f — toward the boundary — even when the score overshoots its target (|f| > 1),
where FGS and FGV point the other way. For goal "correct" t is the true label. The paper states
the idea (the gradient toward the flipped attribute, then a scale search); the exact loss and the
search are our reconstruction (docs/attacks.md). One forward and one backward per sample.
"""

from __future__ import annotations

import torch

from ffa_lab.attacks.scorer import BankScorer
from ffa_lab.attacks.search import SearchParams


def ffa_direction(scorer: BankScorer, x: torch.Tensor, target: torch.Tensor, score_before, params: SearchParams):
    """−∇ₓ ½(f(x) − t)² per sample; (direction (B, 3, H, W), forward passes, backward passes)."""
    t = target.to(x.dtype)
    _, grad = scorer.gradient(x, lambda f: 0.5 * (f - t) ** 2)
    return -grad, len(x), len(x)
