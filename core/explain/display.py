"""The one diverging colour scale of every saliency figure, and the normalisation it is drawn with.

Evidence for +1 (attribute present) is green — the colour of a "present" bar in the score chart —,
evidence for −1 (absent) is magenta, zero (neutral) is white. Magenta rather than red keeps the two ends
apart for red-green colour-blind readers. Maps are drawn on [−1, 1] after :func:`signed_unit`.
"""

from __future__ import annotations

import numpy as np

EVIDENCE_COLORSCALE: list[list] = [
    [0.0, "#a61e4d"],
    [0.25, "#f783ac"],
    [0.5, "#ffffff"],
    [0.75, "#8ce99a"],
    [1.0, "#2b8a3e"],
]
EVIDENCE_LEGEND = "green = evidence for +1 (present), magenta = evidence for −1 (absent), white = neutral"
EVIDENCE_TICKS = {"tickvals": [-1, 0, 1], "ticktext": ["−1 (absent)", "0", "+1 (present)"]}


def signed_unit(values: np.ndarray, quantile: float = 1.0) -> np.ndarray:
    """``values`` / q in [−1, 1], q = the ``quantile`` of |values| over the non-zero entries (1.0 = the
    largest |value|; below 1 the few larger values saturate at ±1, so sparse maps stay visible); float32,
    sign kept, zeros stay zeros (all zeros when every value is)."""
    values = np.asarray(values, dtype=np.float32)
    magnitude = np.abs(values[values != 0])
    if not magnitude.size:
        return np.zeros_like(values)
    peak = float(magnitude.max() if quantile >= 1 else np.quantile(magnitude, quantile))
    return np.clip(values / peak, -1.0, 1.0) if peak > 0 else np.zeros_like(values)
