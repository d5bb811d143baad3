"""Adversarial fine-tuning of a shared-trunk model (``ffa-lab train --adversarial``; issue 14, "can robustness
be trained?"; docs/adversarial-training.md).

Starting from a trained model folder (``init``), training continues with the same loss, augmentation,
optimiser and schedule as :mod:`ffa_lab.models.train_shared`, except that in every batch a ``fraction`` of
the images is replaced by an adversarial copy made on the fly against the current weights: for each such
image one attribute k is drawn at random and the image is moved by projected gradient sign steps (PGD,
Madry et al. 2018; one step = FGS, Goodfellow et al. 2015) of total L∞ size ``eps`` grey levels in the
direction that pushes output k across its decision boundary (towards the wrong label), then rounded to
integer grey levels in [0, 255] (the study's integer-image criterion). The copy keeps all 40 clean labels:
the perturbation is too small to change what the face shows. Thresholds are re-calibrated on the same
seeded validation hold-out at the end (:func:`ffa_lab.models.train_shared.finalize_shared`).

Only the shared-trunk families (``multi-task``, ``resnet``): one network, so one adversarial step costs
one backward pass per batch; the per-attribute bank would need 40.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from ffa_lab.data.celeba import CelebA
from ffa_lab.errors import UsageError
from ffa_lab.experiments.options import RunOptions
from ffa_lab.models.checkpoint_shared import read_shared
from ffa_lab.models.evaluate import bank_scores, evaluate_scores
from ffa_lab.models.shared import SharedTrunkNet
from ffa_lab.models.train import _learning_rate
from ffa_lab.models.train_shared import (
    SharedTrainConfig,
    _make_optimizer,
    finalize_shared,
    moon_weights,
    train_shared_epoch,
    training_data,
)


@dataclass(frozen=True)
class AdversarialConfig:
    """What the fine-tuning adds to the initial model's own training configuration."""

    init: str  # model folder whose model.safetensors is fine-tuned
    epochs: int = 2
    lr: float = 5e-4  # peak learning rate of the fine-tuning's warm-up + cosine schedule
    eps: float = 4.0  # L∞ size of the adversarial perturbation, grey levels (of 255)
    steps: int = 1  # PGD steps (1 = FGS)
    fraction: float = 0.5  # share of every batch replaced by adversarial copies

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.steps < 1 or not 0.0 < self.fraction <= 1.0 or not 0.0 < self.eps <= 64.0:
            raise UsageError(
                "adversarial fine-tuning needs --epochs >= 1, --adv-steps >= 1, 0 < --adv-fraction <= 1, "
                "0 < --adv-eps <= 64"
            )


def adversarial_copies(model: SharedTrunkNet, x: torch.Tensor, labels: torch.Tensor, config: AdversarialConfig):
    """Integer-valued adversarial copies of ``x`` (B, 3, H, W float in [0, 255]) and the output each attacks.

    Output k_i is drawn per image; PGD moves image i by ``eps / steps`` per step along
    −t_ik · sign(∇ f_k(x_i)) (t = ±1 label), projected onto the L∞ ball of radius ``eps`` and [0, 255]."""
    outputs = torch.randint(0, model.groups, (len(x),), device=x.device)
    sign = labels[torch.arange(len(x), device=x.device), outputs]
    was_training = model.training
    model.eval()  # BatchNorm statistics are not updated by the attack's forward passes
    adversarial = x.detach().clone()
    step = config.eps / config.steps
    for _ in range(config.steps):
        adversarial.requires_grad_(True)
        scores = model.output_scores(adversarial, outputs)
        (grad,) = torch.autograd.grad(scores.sum(), adversarial)
        with torch.no_grad():
            adversarial = adversarial - step * sign[:, None, None, None] * grad.sign()
            adversarial = torch.minimum(torch.maximum(adversarial, x - config.eps), x + config.eps).clamp(0, 255)
    model.train(was_training)
    return adversarial.detach().round(), outputs


class BatchMixer:
    """``adversary`` for :func:`ffa_lab.models.train_shared.train_shared_epoch`: replaces the first
    ``fraction`` of each batch by adversarial copies and counts how many of them flip their output against
    the weights they were made for (before the step learns from them)."""

    def __init__(self, model: SharedTrunkNet, config: AdversarialConfig) -> None:
        self.model, self.config, self.flipped, self.attacked = model, config, 0, 0

    def __call__(self, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        n_adv = max(1, round(self.config.fraction * len(x)))
        adversarial, outputs = adversarial_copies(self.model, x[:n_adv], target[:n_adv], self.config)
        with torch.no_grad():
            after = self.model.eval().output_scores(adversarial, outputs)
        self.model.train()
        wanted = target[:n_adv].gather(1, outputs[:, None])[:, 0] > 0
        self.flipped += int(((after >= 0) != wanted).sum())
        self.attacked += n_adv
        return torch.cat([adversarial, x[n_adv:]])

    @property
    def flip_rate(self) -> float:
        return 100.0 * self.flipped / max(self.attacked, 1)


def train_adversarial(
    config: AdversarialConfig, data: CelebA, out: Path, *, options: RunOptions = RunOptions()
) -> dict:
    """Fine-tune ``config.init``'s model on ``data``'s train partition; write ``out/model.safetensors``."""
    cache_dir, log, progress, device = options.cache_dir, options.log, options.progress, options.device
    path = Path(config.init) / "model.safetensors"
    if not path.is_file():
        raise UsageError(
            f"--init {config.init}: no model.safetensors there; adversarial fine-tuning needs a shared-trunk "
            "model folder (multi-task or resnet), not a per-attribute bank"
        )
    meta, model = read_shared(path)
    base = SharedTrainConfig.from_json(meta["training"])
    train_config = SharedTrainConfig(
        **{**asdict(base), "arch": model.arch, "epochs": config.epochs, "lr": config.lr, "warmup_steps": 20}
    )
    model = model.requires_grad_(True).to(device).to(memory_format=torch.channels_last)  # type: ignore[call-overload]
    images, labels, train_idx, val_idx = training_data(base, data, cache_dir)  # the initial model's hold-out
    weights = moon_weights(labels[train_idx], base.balance).to(device)
    labels_t = torch.from_numpy(labels.astype(np.float32)).to(device)
    optimizer = _make_optimizer(model, train_config)
    steps_per_epoch = math.ceil(len(train_idx) / train_config.batch_size)
    history: list[dict] = []
    for epoch in range(config.epochs):
        torch.manual_seed(base.seed * 7919 + epoch)
        order = torch.from_numpy(train_idx)[torch.randperm(len(train_idx))]
        started = time.time()
        lr_at = lambda s, e=epoch: _learning_rate(  # noqa: E731
            train_config,  # type: ignore[arg-type]  # reads the fields both configs share
            e * steps_per_epoch + s,
            steps_per_epoch * config.epochs,
        )
        report = None if progress is None else lambda s, n, e=epoch: progress(e, s, n)
        mixer = BatchMixer(model, config)
        loss = train_shared_epoch(
            model, optimizer, images, order, labels_t, weights, train_config, lr_at, device, report, mixer
        )
        flip_rate = mixer.flip_rate
        seconds = time.time() - started
        model.eval()
        val = evaluate_scores(
            list(model.attributes), bank_scores(model, images[val_idx], device=device), labels[val_idx]
        )
        history.append(
            {
                "epoch": epoch + 1,
                "loss": loss,
                "adversarial_flip_rate": flip_rate,
                "val_accuracy": val.mean_accuracy,
                "val_balanced_accuracy": val.mean_balanced_accuracy,
                "seconds": seconds,
            }
        )
        log(
            f"adversarial epoch {epoch + 1}/{config.epochs}: loss {loss:.4f}  copies flipped {flip_rate:.1f}%  "
            f"val acc {val.mean_accuracy:.2f}%  val balanced {val.mean_balanced_accuracy:.2f}%  ({seconds:.0f} s)"
        )
    extra = {
        "adversarial": asdict(config) | {"init_training": meta.get("training"), "init_metrics": meta.get("metrics")}
    }
    model = model.requires_grad_(False)
    return finalize_shared(model, train_config, data, out, images[val_idx], labels[val_idx], history, log, extra)
