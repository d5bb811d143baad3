"""FGV, the fast gradient value attack (Rozsa, Rudd and Boult, CVPRW 2016; docs/attacks.md, "One direction per attack").

Direction: ascend the loss of the current label y = sign(f(x)) with the raw gradient,

    d = ∇ₓ J(x, y) = (f(x) − y) ∇ₓ f(x),

normalised to unit L∞ by the search so the scale reads in grey levels (the paper's FGV keeps the
gradient's relative magnitudes; the normalisation only fixes the units). With the squared loss,
(f − y) changes sign at |f| = 1: an image whose score overshoots its label (|f| > 1) gets a
direction that pushes the score further from the boundary, so FGV cannot flip it (FFA can).
Both goals use the current prediction as y: in a single-score network, correcting a misclassified
image *is* flipping its prediction, and the targeted variant (descending J(x, t)) is FFA itself.
"""

from __future__ import annotations

import torch

from ffa_lab.attacks.criteria import prediction
from ffa_lab.attacks.scorer import BankScorer
from ffa_lab.attacks.search import SearchParams


def fgv_direction(scorer: BankScorer, x: torch.Tensor, target: torch.Tensor, score_before, params: SearchParams):
    """∇ₓ ½(f(x) − y)², y the current prediction; (direction, forward passes, backward passes)."""
    y = prediction(score_before).to(x.dtype)
    _, grad = scorer.gradient(x, lambda f: 0.5 * (f - y) ** 2)
    return grad, len(x), len(x)
