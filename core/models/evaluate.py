"""Scoring many images with a bank, and the evaluation table (accuracy, balanced accuracy)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ffa_lab.models.bank import AttributeBank
from ffa_lab.models.family import AttributeModel
from ffa_lab.models.metrics import attribute_metrics, calibrate_threshold


def bank_scores(
    bank: AttributeModel, images: np.ndarray, *, batch_size: int = 32, device: str = "cpu", progress=None
) -> np.ndarray:
    """Scores (N, G) float32 of uint8 images (N, H, W, 3) — no gradients, eval mode."""
    was_training = bank.training
    bank.eval()
    out = np.empty((len(images), bank.groups), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, len(images), batch_size):
            chunk = torch.from_numpy(np.array(images[start : start + batch_size])).to(device)
            out[start : start + len(chunk)] = bank(chunk.permute(0, 3, 1, 2)).float().cpu().numpy()
            if progress is not None:
                progress(len(chunk))
    bank.train(was_training)
    return out


def fold_thresholds(bank: AttributeBank, scores: np.ndarray, labels: np.ndarray, balance_weight: float) -> list[float]:
    """Calibrate each network's threshold t_g on held-out ``scores`` / ``labels`` (N, G), ±1 labels
    (:func:`ffa_lab.models.metrics.calibrate_threshold`), and fold it into the last bias in place, so that
    sign(f(x) − t_g) becomes the prediction sign(f(x)); returns the G thresholds (training and extra epochs)."""
    thresholds = [calibrate_threshold(scores[:, g], labels[:, g], balance_weight) for g in range(bank.groups)]
    with torch.no_grad():
        bank.fc2_bias.sub_(torch.tensor(thresholds, device=bank.fc2_bias.device).view(-1, 1))
    return thresholds


@dataclass(frozen=True)
class Evaluation:
    """Per-attribute metrics in % and their means; JSON form as in the CLI contract."""

    attributes: list[str]
    accuracy: np.ndarray
    balanced_accuracy: np.ndarray
    n: int
    positives: np.ndarray

    @property
    def mean_accuracy(self) -> float:
        return float(self.accuracy.mean())

    @property
    def mean_balanced_accuracy(self) -> float:
        return float(self.balanced_accuracy.mean())

    def to_json(self) -> dict:
        return {
            "mean_accuracy": round(self.mean_accuracy, 3),
            "mean_balanced_accuracy": round(self.mean_balanced_accuracy, 3),
            "n": self.n,
            "attributes": {
                name: {
                    "accuracy": round(float(self.accuracy[g]), 3),
                    "balanced_accuracy": round(float(self.balanced_accuracy[g]), 3),
                    "n": self.n,
                    "positives": int(self.positives[g]),
                }
                for g, name in enumerate(self.attributes)
            },
        }


def evaluate_scores(attributes: list[str], scores: np.ndarray, labels: np.ndarray) -> Evaluation:
    metrics = attribute_metrics(scores, labels)
    return Evaluation(
        attributes=list(attributes),
        accuracy=metrics["accuracy"],
        balanced_accuracy=metrics["balanced_accuracy"],
        n=int(len(labels)),
        positives=(labels == 1).sum(axis=0),
    )
