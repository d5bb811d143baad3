"""How numbers are written for people: one format for scores everywhere (app pages, CLI tables, report).

A score is the bank's real-valued output; its sign is the prediction (>= 0: attribute present,
ffa_lab.attacks.criteria), so the sign must always show and a score must never read as a sign-less or
wrongly-signed zero. Scores are written in fixed point with 3 decimals; a score that would round to
0.000 keeps one significant digit instead (``-0.00006``, ``+0.0003``), never scientific notation,
so two scores side by side always compare by eye.
"""

from __future__ import annotations

import math

MAX_DECIMALS = 8  # below 1e-8 a score is written as "+<0.00000001" / "-<0.00000001"


def _finite(value: float | None) -> bool:
    return value is not None and math.isfinite(float(value))


def score_text(score: float | None) -> str:
    """A signed score: ``+0.708``, ``-1.237``, ``-0.00006``, ``+0.000`` (exactly zero); '—' for nan/None."""
    if score is None or not _finite(score):
        return "—"
    score = float(score)
    if score == 0.0:
        return "+0.000"  # also -0.0: its prediction is "present" (score >= 0)
    if round(abs(score), 3) >= 0.001:
        return f"{score:+.3f}"
    decimals = -math.floor(math.log10(abs(score)))
    if decimals > MAX_DECIMALS:
        return f"{'+' if score > 0 else '-'}<0.{'0' * (MAX_DECIMALS - 1)}1"
    text = f"{score:+.{decimals}f}"
    if float(text) == 0.0 or abs(float(text)) >= 10.0 ** (1 - decimals):  # 9.6e-5 rounds up to 0.0001
        text = f"{score:+.{decimals - 1}f}"
    return text


def score_change_text(before: float, after: float) -> str:
    """The change after - before as a signed score (``-1.416``): starts with '-' exactly when it went down."""
    if not (_finite(before) and _finite(after)):
        return "—"
    return score_text(float(after) - float(before))


def prediction_text(score: float) -> str:
    """'yes' when the score predicts the attribute present (>= 0), else 'no'."""
    return "yes" if float(score) >= 0 else "no"


def fmt(value: float | None, digits: int = 2, unit: str = "") -> str:
    """A non-score number (scale, L2, L∞, PASS, %) with ``digits`` decimals; '—' for nan/None."""
    if value is None or not _finite(value):
        return "—"
    return f"{float(value):.{digits}f}{unit}"
