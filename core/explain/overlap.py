"""How much of a perturbation δ falls where an attribute's evidence is (docs/saliency.md, "Overlap").

Both are compared over the pixels the networks see (the crop box; outside it evidence is 0 by
construction and the attacks change nothing, which would inflate any agreement):

- ``correlation``: Pearson r between |evidence| and |δ| (per pixel, |δ| = √Σ_c δ_c², grey levels);
- ``top_share``: the share of the perturbation's energy Σ_c δ_c² inside the ``top`` fraction of pixels
  with the largest |evidence|; ``chance`` is that pixel fraction itself (what an unrelated δ would get).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Overlap:
    """Agreement of one evidence map with one perturbation; NaN when δ or the evidence is all zero."""

    correlation: float
    top_share: float
    chance: float
    top: float
    pixels: int


def overlap(
    evidence: np.ndarray, delta: np.ndarray, box: tuple[int, int, int, int] | None = None, top: float = 0.1
) -> Overlap:
    """Compare ``evidence`` (H, W) with ``delta`` (H, W, 3) or (H, W), grey levels, inside ``box`` (y0, y1, x0, x1)."""
    if not 0 < top < 1:
        raise ValueError(f"top must be a fraction in (0, 1), not {top}")
    evidence = np.asarray(evidence, dtype=np.float64)
    delta = np.asarray(delta, dtype=np.float64)
    energy = (delta**2).sum(axis=2) if delta.ndim == 3 else delta**2
    if energy.shape != evidence.shape:
        raise ValueError(f"evidence {evidence.shape} and δ {delta.shape} are not the same image size")
    if box is not None:
        y0, y1, x0, x1 = box
        evidence, energy = evidence[y0:y1, x0:x1], energy[y0:y1, x0:x1]
    strength, energy = np.abs(evidence).ravel(), energy.ravel()
    k = max(1, math.ceil(top * strength.size))
    chance = k / strength.size
    if energy.sum() == 0 or strength.max() == 0:
        return Overlap(math.nan, math.nan, chance, top, strength.size)
    magnitude = np.sqrt(energy)
    correlation = float(np.corrcoef(strength, magnitude)[0, 1]) if magnitude.std() > 0 else math.nan
    strongest = np.argsort(-strength, kind="stable")[:k]
    return Overlap(correlation, float(energy[strongest].sum() / energy.sum()), chance, top, strength.size)


def overlap_sentence(result: Overlap, evidence_name: str, attack: str, attribute: str) -> str:
    """One plain sentence stating ``result`` (what the app and the docs say)."""
    if math.isnan(result.top_share):
        return f"No overlap to state: {attack} changed no pixel, or the {evidence_name} of {attribute} is zero."
    r = "undefined (|δ| is constant)" if math.isnan(result.correlation) else f"{result.correlation:+.2f}"
    return (
        f"{100 * result.top_share:.0f} % of {attack}'s perturbation energy lies in the {100 * result.chance:.0f} % "
        f"of pixels with the strongest {evidence_name} for {attribute} (an unrelated perturbation would put "
        f"{100 * result.chance:.0f} % there); the pixel-wise correlation between |{evidence_name}| and |δ| is {r}."
    )
