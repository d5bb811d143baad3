"""What every attack returns: the frozen :class:`AttackResult` (its fields below; docs/attacks.md, "The registry" and "Batching")."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SearchTrace:
    """One sample's scale search: every scale tried (grey levels, ascending, 0 = the original image)
    and the attacked network's score on the integer image at that scale."""

    scales: np.ndarray
    scores: np.ndarray

    def as_rows(self) -> list[tuple[float, float]]:
        return [(float(s), float(f)) for s, f in zip(self.scales, self.scores, strict=True)]


@dataclass(frozen=True)
class AttackSample:
    """One sample of an :class:`AttackResult` as Python numbers (what a one-face view shows); ``scale`` is
    NaN where the attack failed and ``pass_score`` NaN where PASS was not computed."""

    attribute: str
    success: bool
    scale: float
    score_before: float
    score_after: float
    l2: float
    linf: float
    pass_score: float


@dataclass(frozen=True)
class AttackResult:
    """B attacked samples (an image and the attribute attacked on it).

    - ``adversarial`` uint8 (B, H, W, 3) = clip(round(x + scale * direction), 0, 255); for a failed
      sample the strongest image tried (the maximum scale), for a zero gradient the original.
    - ``success`` bool (B,): the bank's prediction on ``adversarial`` equals ``target``
      (:func:`ffa_lab.attacks.criteria.is_success`), re-scored on the final uint8 image.
    - ``scale`` float (B,) the smallest flipping scale found, grey levels (NaN where failed).
    - ``score_before`` / ``score_after`` (B,): the attacked attribute's score on the original and on
      ``adversarial``; ``l2`` / ``linf`` (B,) grey levels; ``pass_score`` (B,) or None.
    - ``forward_passes`` / ``backward_passes``: single-image, single-network evaluations (one image
      through one attribute network counts one), summed over samples.
    - ``trace`` per sample; ``direction`` float32 (B, H, W, 3) with unit L∞ (0 for a zero gradient).
    - added beyond the contract: ``target`` (B,) the goal sign ±1, ``pass_converged`` (B,) or None
      (False where ECC fell back to the identity), ``seconds`` wall time of the attack.
    """

    method: str
    goal: str
    attributes: tuple[str, ...]
    adversarial: np.ndarray
    success: np.ndarray
    scale: np.ndarray
    score_before: np.ndarray
    score_after: np.ndarray
    l2: np.ndarray
    linf: np.ndarray
    pass_score: np.ndarray | None
    forward_passes: int
    backward_passes: int
    trace: tuple[SearchTrace, ...] | None
    direction: np.ndarray | None
    target: np.ndarray | None = None
    pass_converged: np.ndarray | None = None
    seconds: float = 0.0

    def __len__(self) -> int:
        return len(self.success)

    @property
    def success_rate(self) -> float:
        """Percentage of samples flipped to their goal sign."""
        return 100.0 * float(self.success.mean()) if len(self.success) else float("nan")

    @property
    def pass_or_nan(self) -> np.ndarray:
        """float64 (B,) PASS scores, NaN everywhere when PASS was not computed."""
        if self.pass_score is None:
            return np.full(len(self), np.nan)
        return np.asarray(self.pass_score, dtype=np.float64)

    def sample(self, i: int) -> AttackSample:
        """Sample i's attribute and numbers as Python scalars."""
        return AttackSample(
            attribute=self.attributes[i],
            success=bool(self.success[i]),
            scale=float(self.scale[i]),
            score_before=float(self.score_before[i]),
            score_after=float(self.score_after[i]),
            l2=float(self.l2[i]),
            linf=float(self.linf[i]),
            pass_score=float("nan") if self.pass_score is None else float(self.pass_score[i]),
        )

    def row(self, i: int) -> dict:
        """Sample i as the CLI's JSON record (``scale`` null where failed, ``pass`` null when not computed)."""
        sample = self.sample(i)
        return {
            "attribute": sample.attribute,
            "method": self.method,
            "goal": self.goal,
            "success": sample.success,
            "score_before": sample.score_before,
            "score_after": sample.score_after,
            "scale": None if np.isnan(sample.scale) else sample.scale,
            "l2": sample.l2,
            "linf": sample.linf,
            "pass": None if self.pass_score is None else sample.pass_score,
        }
