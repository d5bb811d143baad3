"""Training a shared-trunk network (families ``multi-task`` and ``resnet``): all 40 outputs at once.

Loss (MOON, Rudd et al. 2016, our reading; docs/models.md): a squared loss per attribute to ±1
targets, J = Σ_k w_k(t_k) · ½ (f_k(x) − t_k)², with MOON's domain-adaptive re-weighting toward a
balanced target distribution: for attribute k with training frequency p_k of its minority class, the
minority class keeps weight 1 and the majority class gets p_min / p_maj, so the weighted classes are
equally frequent (``balance="moon"``; ``"full"`` is the per-attribute bank's 0.5/p weighting, ``"none"``
plain). Unlike the bank's, the loss sums over outputs of one network, so attributes share gradients.

Like the bank (ffa_lab.models.train): AdamW (no decay on biases and BatchNorm), linear warm-up then
cosine learning rate, mirror flips (and optional random translation), a seeded 10 % validation
hold-out on which each output's operating point is calibrated and folded into its bias; resumable
(``OUT/.train/``, one state per epoch); randomness from (seed, epoch).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from ffa_lab.data.attributes import ATTRIBUTE_INDEX, ATTRIBUTES
from ffa_lab.data.celeba import CelebA
from ffa_lab.data.imagecache import load_images
from ffa_lab.errors import UsageError
from ffa_lab.experiments.options import RunOptions
from ffa_lab.files import write_json
from ffa_lab.jsonable import JsonDataclass
from ffa_lab.models import train_state
from ffa_lab.models.checkpoint_shared import save_shared
from ffa_lab.models.evaluate import bank_scores, evaluate_scores
from ffa_lab.models.metrics import calibrate_threshold
from ffa_lab.models.shared import SharedArch, SharedTrunkNet
from ffa_lab.models.train import _learning_rate, channel_stats, class_weights, split_train_val

FAMILY_ARCHS = {
    "multi-task": SharedArch(name="moon-cnn-4", channels=(32, 64, 128, 256), blocks=(1, 1, 1, 1), hidden=256),
    "resnet": SharedArch(name="resnet-10", trunk="resnet", channels=(32, 64, 128, 256), blocks=(1, 1, 1, 1), hidden=0),
}


@dataclass(frozen=True)
class SharedTrainConfig(JsonDataclass):
    """Hyper-parameters of a shared-trunk run (defaults: the shipped ``multi-task`` model)."""

    family: str = "multi-task"
    attributes: tuple[str, ...] = ATTRIBUTES
    epochs: int = 6
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 5e-4
    warmup_steps: int = 100
    balance: str = "moon"  # moon | full | none
    hflip: bool = True
    shift: int = 0  # random translation of up to ±shift pixels per image (0: none)
    val_fraction: float = 0.1
    balance_weight: float = 0.5  # calibration objective: accuracy + w * balanced accuracy
    seed: int = 0
    limit: int | None = None
    arch: SharedArch = field(default_factory=SharedArch)


def moon_weights(labels: np.ndarray, balance: str) -> torch.Tensor:
    """(2, G) loss weights for targets −1 (row 0) and +1 (row 1) of ±1 ``labels`` (N, G)."""
    if balance != "moon":
        return class_weights(labels, balance)
    p = np.clip((labels == 1).mean(axis=0), 1e-3, 1 - 1e-3)
    minority = np.minimum(p, 1 - p)
    w = np.stack([np.where(p > 0.5, 1.0, minority / (1 - p)), np.where(p > 0.5, minority / p, 1.0)])
    return torch.tensor(w, dtype=torch.float32)


def _make_optimizer(model: SharedTrunkNet, config: SharedTrainConfig) -> torch.optim.AdamW:
    no_decay = [p for p in model.parameters() if p.dim() <= 1]  # biases, BatchNorm, the head's biases
    decay = [p for p in model.parameters() if p.dim() > 1]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.lr,
    )


def augment(x: torch.Tensor, config: SharedTrainConfig) -> torch.Tensor:
    """Mirror half the images; translate each by a uniform integer shift in [−shift, shift]² (edge
    pixels replicated). Draws from torch's global generator (seeded per epoch)."""
    if config.hflip:
        flip = torch.rand(len(x), device=x.device) < 0.5
        x = torch.where(flip[:, None, None, None], x.flip(-1), x)
    if config.shift > 0:
        s = config.shift
        padded = torch.nn.functional.pad(x, (s, s, s, s), mode="replicate")
        offsets = torch.randint(0, 2 * s + 1, (len(x), 2)).tolist()
        h, w = x.shape[-2:]
        x = torch.stack([padded[i, :, dy : dy + h, dx : dx + w] for i, (dy, dx) in enumerate(offsets)])
    return x


def train_shared_epoch(
    model, optimizer, images, order, labels_t, weights, config, lr_at, device="cpu", progress=None, adversary=None
):
    """One pass over ``images[order]`` (uint8 NHWC): the weighted squared loss summed over outputs.
    ``adversary(x, target) -> x`` may replace images of each augmented batch (adversarial fine-tuning,
    :mod:`ffa_lab.models.train_adversarial`). Returns the mean loss per output (float)."""
    model.train()
    steps, total = math.ceil(len(order) / config.batch_size), 0.0
    for step in range(steps):
        batch = order[step * config.batch_size : (step + 1) * config.batch_size]
        x = torch.from_numpy(images[batch.numpy()]).to(device).permute(0, 3, 1, 2).float()
        x = augment(x, config)
        target = labels_t[batch]
        if adversary is not None:
            x = adversary(x, target)
        x = x.contiguous(memory_format=torch.channels_last)
        w = torch.where(target > 0, weights[1], weights[0])
        loss = (w * 0.5 * (model(x) - target) ** 2).mean(0).sum()
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += float(loss.detach()) / model.groups
        if progress is not None:
            progress(step + 1, steps)
    return total / steps


def training_data(config: SharedTrainConfig, data: CelebA, cache_dir: Path | None = None):
    """(images uint8 NHWC, ±1 labels (N, G) in ``config.attributes`` order, train indices, validation indices):
    the train partition (its first ``config.limit`` images) and the seeded validation hold-out."""
    ids = data.split_ids("train")[: config.limit] if config.limit else data.split_ids("train")
    images = load_images(data, ids, cache_dir)
    labels = data.labels_for(ids)[:, [ATTRIBUTE_INDEX[a] for a in config.attributes]]
    train_idx, val_idx = split_train_val(ids, config.val_fraction, config.seed)
    return images, labels, train_idx, val_idx


def train_shared(
    config: SharedTrainConfig, data: CelebA, out: Path, *, resume: bool = False, options: RunOptions = RunOptions()
) -> dict:
    """Train on ``data``'s train partition, write ``out/model.safetensors``; return a summary."""
    cache_dir, log, progress, dist = options.cache_dir, options.log, options.progress, options.dist
    device = options.device
    if dist.enabled:
        raise UsageError(
            f"training the {config.family} family under torchrun is not supported (one network: run one process)"
        )
    out = Path(out)
    folder = train_state.state_dir(out, dist)
    images, labels, train_idx, val_idx = training_data(config, data, cache_dir)
    mean, std = channel_stats(images[train_idx])
    config = replace(config, arch=replace(config.arch, mean=mean, std=std))  # type: ignore[arg-type]  # 3 channels
    model = SharedTrunkNet.initialised(list(config.attributes), config.arch, config.seed, config.family).to(device)
    model = model.to(memory_format=torch.channels_last)  # type: ignore[call-overload]  # Module.to takes it; stubs omit it
    optimizer = _make_optimizer(model, config)
    history: list[dict] = []
    if resume:
        saved = train_state.saved_epochs(folder)
        if saved:
            epoch = max(saved)
            path, document = saved[epoch]
            if replace(SharedTrainConfig.from_json(document["config"]), balance_weight=config.balance_weight) != config:
                raise UsageError(
                    f"{folder}: the saved run used a different configuration (same flags needed to resume)"
                )
            train_state.restore(path, model, optimizer, device)
            history = document["history"]
            log(f"resuming after epoch {epoch} of {config.epochs}")
    weights = moon_weights(labels[train_idx], config.balance).to(device)
    labels_t = torch.from_numpy(labels.astype(np.float32)).to(device)
    steps_per_epoch = math.ceil(len(train_idx) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    for epoch in range(len(history), config.epochs):
        torch.manual_seed(config.seed * 1009 + epoch)
        order = torch.from_numpy(train_idx)[torch.randperm(len(train_idx))]
        started = time.time()
        lr_at = lambda step, e=epoch: _learning_rate(config, e * steps_per_epoch + step, total_steps)  # type: ignore[arg-type]  # reads the fields both configs share
        report = None if progress is None else lambda s, n, e=epoch: progress(e, s, n)
        loss = train_shared_epoch(model, optimizer, images, order, labels_t, weights, config, lr_at, device, report)
        seconds = time.time() - started
        val = evaluate_scores(
            list(config.attributes), bank_scores(model, images[val_idx], device=device), labels[val_idx]
        )
        history.append(
            {
                "epoch": epoch + 1,
                "loss": loss,
                "val_accuracy": val.mean_accuracy,
                "val_balanced_accuracy": val.mean_balanced_accuracy,
                "seconds": seconds,
            }
        )
        log(
            f"epoch {epoch + 1}/{config.epochs}: loss {loss:.4f}  val acc {val.mean_accuracy:.2f}%"
            f"  val balanced {val.mean_balanced_accuracy:.2f}%  ({seconds:.0f} s)"
        )
        train_state.save_state(
            folder, model, optimizer, {"epoch": epoch + 1, "history": history, "config": config.to_json()}
        )
    return finalize_shared(model, config, data, out, images[val_idx], labels[val_idx], history, log)


def finalize_shared(model, config, data, out, val_images, val_labels, history, log, training_extra=None) -> dict:
    """Calibrate each output's threshold on validation, fold it into ``head_bias``, write the file;
    ``training_extra`` (a dict) is recorded beside the configuration in the file's ``training``."""
    model = model.eval().to(memory_format=torch.contiguous_format)
    device = str(model.head_bias.device)
    scores = bank_scores(model, val_images, device=device)
    thresholds = [
        calibrate_threshold(scores[:, g], val_labels[:, g], config.balance_weight) for g in range(model.groups)
    ]
    with torch.no_grad():
        model.head_bias -= torch.tensor(thresholds, device=model.head_bias.device)
    calibrated = evaluate_scores(config.attributes, bank_scores(model, val_images, device=device), val_labels)
    seconds = [h["seconds"] for h in history]
    document = {
        "training": config.to_json() | {"epochs_completed": len(history)} | (training_extra or {}),
        "training_time": {
            "seconds_per_epoch": seconds,
            "mean_seconds_per_epoch": float(np.mean(seconds)) if seconds else None,
            "total_seconds": float(np.sum(seconds)),
        },
        "data_fingerprint": data.fingerprint(),
        "thresholds": dict(zip(config.attributes, thresholds, strict=True)),
        "metrics": {"val": calibrated.to_json(), "n_val": int(len(val_labels))},
    }
    save_shared(Path(out) / "model.safetensors", model.cpu(), document)
    log(
        f"calibrated on validation: acc {calibrated.mean_accuracy:.2f}%  "
        f"balanced {calibrated.mean_balanced_accuracy:.2f}%"
    )
    summary = {
        "family": config.family,
        "history": history,
        "val": calibrated.to_json(),
        "thresholds": document["thresholds"],
        "training_time": document["training_time"],
    }
    write_json(Path(out) / "training_summary.json", summary)
    return summary
