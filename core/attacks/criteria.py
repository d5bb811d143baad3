"""The one definition of "adversarial": the sign of the bank's score on the integer image.

A score ``f >= 0`` predicts +1, ``f < 0`` predicts −1 (the bank's convention, defined once in
:func:`ffa_lab.models.metrics.predicts_positive` and re-exported here so that the attacks and every layer
above them read it from one place). An attack succeeds on a sample when the prediction on its saved
uint8 image equals the goal sign: the opposite of the original prediction for goal "flip", the true
label for goal "correct". Works on numpy arrays and torch tensors alike.
"""

from __future__ import annotations

from ffa_lab.models.metrics import prediction, predicts_positive

GOALS: tuple[str, ...] = ("flip", "correct")


def is_success(score, goal_sign):
    """Bool array/tensor: does the score's prediction equal the goal sign (±1)?"""
    return predicts_positive(score) == (goal_sign > 0)


def flip_goal(score):
    """The goal sign of goal "flip": the opposite of the current prediction (−1 where score >= 0)."""
    return -prediction(score)


def is_misclassified(score, label):
    """Bool array: the prediction differs from the true label (±1)."""
    return ~is_success(score, label)


def changed_prediction(before, after):
    """Bool array (or bool for scalars): the prediction differs between two scores."""
    return predicts_positive(before) != predicts_positive(after)


__all__ = [
    "GOALS",
    "changed_prediction",
    "flip_goal",
    "is_misclassified",
    "is_success",
    "prediction",
    "predicts_positive",
]
