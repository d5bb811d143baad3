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


def signed_unit(values: np.ndarray) -> np.ndarray:
    """``values`` / max |values| in [−1, 1] (float32; all zeros stay zeros): sign and relative size kept."""
    values = np.asarray(values, dtype=np.float32)
    peak = float(np.abs(values).max()) if values.size else 0.0
    return values / peak if peak > 0 else np.zeros_like(values)
