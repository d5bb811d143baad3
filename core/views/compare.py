"""The Compare page's table (no Streamlit here): one row per measure, one column per attack.

Measures are rows so that the table stays as narrow as the number of attacks (five columns fit any
page width; eleven measure columns did not). Every cell is text in the app's one number format
(ffa_lab.report.numbers): scores signed, '—' where a value does not exist.
"""

from __future__ import annotations

import math

import pandas as pd

from ffa_lab.report.numbers import fmt, score_text
from ffa_lab.views.flips import FlipView

MEASURES = (
    "flipped",
    "score before",
    "score after",
    "scale (grey levels)",
    "L2",
    "L∞ (grey levels)",
    "PASS",
    "adversarial after PNG",
    "forward passes",
    "backward passes",
    "seconds",
)


def _cells(view: FlipView) -> list[str]:
    return [
        "yes" if view.numbers.success else "no",
        score_text(view.numbers.score_before),
        score_text(view.numbers.score_after),
        fmt(view.numbers.scale, 3) if math.isfinite(view.numbers.scale) else "— (not flipped)",
        fmt(view.numbers.l2, 2),
        fmt(view.numbers.linf, 1),
        fmt(view.numbers.pass_score, 5),
        "yes" if view.png_verified else "no",
        str(view.forward_passes),
        str(view.backward_passes),
        fmt(view.seconds, 3),
    ]


def short_labels(labels: dict[str, str]) -> dict[str, str]:
    """Column names from registry labels: the part before " (" ("Iterative FFA"); where two attacks would
    share one ("FMN"), each gets the last item of its parenthesis ("FMN L2", "FMN L∞"), else its name."""
    first = {name: label.split(" (")[0] for name, label in labels.items()}
    short = dict(first)
    for name, label in labels.items():
        if list(first.values()).count(first[name]) > 1:
            detail = label.rstrip(")").split(",")[-1].strip() if "," in label else name
            short[name] = f"{first[name]} {detail}"
    return short


def comparison_table(views: dict[str, FlipView], labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Measures (:data:`MEASURES`, the index, named 'measure') x attacks (columns named by ``labels`` or
    the registry name in capitals), all text."""
    labels = labels or {}
    columns = {labels.get(method, method.upper()): _cells(view) for method, view in views.items()}
    return pd.DataFrame(columns, index=pd.Index(MEASURES, name="measure"))
