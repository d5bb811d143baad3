"""The one definition of "adversarial": the sign of the bank's score on the integer image.

A score ``f >= 0`` predicts +1, ``f < 0`` predicts −1 (the bank's convention). An attack succeeds on a
sample when the prediction on its saved uint8 image equals the goal sign: the opposite of the
original prediction for goal "flip", the true label for goal "correct". Works on numpy arrays and
torch tensors alike.
"""

from __future__ import annotations

GOALS: tuple[str, ...] = ("flip", "correct")


def prediction(score):
    """±1 prediction of a score array/tensor (score >= 0 -> +1)."""
    return (score >= 0) * 2 - 1


def is_success(score, goal_sign):
    """Bool array/tensor: does the score's prediction equal the goal sign (±1)?"""
    return (score >= 0) == (goal_sign > 0)
