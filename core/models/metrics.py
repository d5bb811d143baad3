"""Accuracy and balanced accuracy of ±1 predictions, per attribute; threshold calibration."""

from __future__ import annotations

import numpy as np


def predicts_positive(score):
    """The bank's one sign rule: a score ``f >= 0`` predicts +1 (bool array/tensor, numpy or torch).

    Every caller goes through here or through ffa_lab.attacks.criteria, which builds "adversarial" on it."""
    return score >= 0


def prediction(score):
    """±1 prediction (int) of a score array/tensor: +1 where :func:`predicts_positive`, else −1."""
    return predicts_positive(score) * 2 - 1


def attribute_metrics(scores: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """scores (N, G) real, labels (N, G) ±1 -> accuracy, balanced accuracy, TPR, TNR (G,), in %."""
    pred = prediction(scores)
    pos, neg = labels == 1, labels == -1
    tpr = ((pred == 1) & pos).sum(axis=0) / np.maximum(pos.sum(axis=0), 1)
    tnr = ((pred == -1) & neg).sum(axis=0) / np.maximum(neg.sum(axis=0), 1)
    return {
        "accuracy": 100.0 * (pred == labels).mean(axis=0),
        "balanced_accuracy": 100.0 * (tpr + tnr) / 2.0,
        "tpr": 100.0 * tpr,
        "tnr": 100.0 * tnr,
    }


def calibrate_threshold(scores: np.ndarray, labels: np.ndarray, balance_weight: float = 1.0) -> float:
    """Threshold t maximising accuracy + balance_weight * balanced accuracy on held-out data.

    Our choice (documented in docs/method.md): networks are trained class-balanced, then each
    operating point is picked on the validation split; ``sign(f(x) - t)`` becomes the prediction by
    folding -t into the last bias. scores (N,), labels (N,) ±1.
    """
    order = np.argsort(scores)
    sorted_scores, sorted_labels = scores[order], labels[order]
    n_pos, n_neg = (labels == 1).sum(), (labels == -1).sum()
    if n_pos == 0 or n_neg == 0:
        return 0.0
    # threshold between sorted_scores[i-1] and sorted_scores[i]: predict +1 for indices >= i
    neg_below = np.concatenate([[0], np.cumsum(sorted_labels == -1)])  # true negatives
    pos_below = np.concatenate([[0], np.cumsum(sorted_labels == 1)])  # false negatives
    tnr = neg_below / n_neg
    tpr = (n_pos - pos_below) / n_pos
    acc = (neg_below + n_pos - pos_below) / len(scores)
    objective = acc + balance_weight * (tpr + tnr) / 2
    best = int(np.argmax(objective))
    if best == 0:
        return float(sorted_scores[0] - 1e-3)
    if best == len(scores):
        return float(sorted_scores[-1] + 1e-3)
    return float((sorted_scores[best - 1] + sorted_scores[best]) / 2)
