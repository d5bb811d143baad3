"""Training the bank: every attribute network at once, each with its own class-balanced loss.

Loss (docs/method.md, "The networks"; our reconstruction of the paper's Caffe setup): Euclidean loss to ±1
targets, J_k = w_k(t) · ½ (f_k(x) − t)², with class weights w_k(+1) = 0.5/p_k, w_k(−1) = 0.5/(1−p_k)
("full" balance; "sqrt" uses their square roots, "none" is plain). The bank's loss is the sum over
attributes, so each network receives exactly the gradient it would get trained alone on the same
batches (no parameter is shared). After training, each network's operating point is chosen on the
held-out validation part (:func:`ffa_lab.models.metrics.calibrate_threshold`) and folded into its last bias.

Resumable: after every epoch the bank, the optimiser and the history are written atomically to
``OUT/.train/``; ``resume=True`` continues from there. Randomness is derived from (seed, epoch), so
an interrupted and resumed run equals an uninterrupted one on the CPU.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path

import numpy as np
import torch

from ffa_lab.data.attributes import ATTRIBUTE_INDEX, ATTRIBUTES
from ffa_lab.data.celeba import CelebA
from ffa_lab.data.imagecache import load_images
from ffa_lab.errors import UsageError
from ffa_lab.experiments.distributed import SINGLE, Distributed, block
from ffa_lab.experiments.options import RunOptions
from ffa_lab.files import write_json
from ffa_lab.jsonable import JsonDataclass
from ffa_lab.models import train_state
from ffa_lab.models.bank import ArchConfig, AttributeBank
from ffa_lab.models.checkpoint import save_bank
from ffa_lab.models.evaluate import bank_scores, evaluate_scores, fold_thresholds


@dataclass(frozen=True)
class TrainConfig(JsonDataclass):
    """Training hyper-parameters (defaults train the shipped bank)."""

    attributes: tuple[str, ...] = ATTRIBUTES
    epochs: int = 12
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 5e-4
    warmup_steps: int = 150
    balance: str = "full"  # full | sqrt | none
    hflip: bool = True  # our deviation from the paper (no augmentation): 16x less data here
    val_fraction: float = 0.1
    balance_weight: float = 0.5  # calibration objective: accuracy + w * balanced accuracy
    seed: int = 0
    limit: int | None = None  # use only the first N training images (tests, smoke runs)
    arch: ArchConfig = field(default_factory=ArchConfig)


def _epoch_progress(progress: Callable[[int, int, int], None], epoch: int, step: int, total: int) -> None:
    """``progress(epoch, step, total)`` from the per-step ``(step, total)`` callback of one epoch."""
    progress(epoch, step, total)


def split_train_val(ids: list[str], fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Seeded hold-out of ``fraction`` of the training partition for validation (indices)."""
    order = np.random.default_rng(seed).permutation(len(ids))
    n_val = max(1, int(round(len(ids) * fraction)))
    return np.sort(order[n_val:]), np.sort(order[:n_val])


def class_weights(labels: np.ndarray, balance: str) -> torch.Tensor:
    """(2, G) weights for targets −1 (row 0) and +1 (row 1)."""
    p = np.clip((labels == 1).mean(axis=0), 1e-3, 1 - 1e-3)
    w = np.stack([0.5 / (1 - p), 0.5 / p])
    if balance == "sqrt":
        w = np.sqrt(w) / np.sqrt(w).mean(axis=0, keepdims=True)
    elif balance == "none":
        w = np.ones_like(w)
    elif balance != "full":
        raise ValueError(f"balance must be full, sqrt or none, not {balance!r}")
    return torch.tensor(w, dtype=torch.float32)


def _learning_rate(config: TrainConfig, step: int, total: int) -> float:
    if step < config.warmup_steps:
        return config.lr * (step + 1) / config.warmup_steps
    progress = (step - config.warmup_steps) / max(1, total - config.warmup_steps)
    return config.lr * 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))


def channel_stats(images: np.ndarray) -> tuple[tuple[float, ...], tuple[float, ...]]:
    sample = images[:: max(1, len(images) // 2000)].reshape(-1, 3).astype(np.float64)
    return tuple(np.round(sample.mean(0), 2).tolist()), tuple(np.round(sample.std(0), 2).tolist())


def make_optimizer(bank: AttributeBank, config: TrainConfig) -> torch.optim.AdamW:
    """AdamW with weight decay on weights only (no decay on biases and batch-norm parameters)."""
    no_decay = [p for n, p in bank.named_parameters() if n.endswith("bias") or ".norms." in f".{n}"]
    decay = [p for n, p in bank.named_parameters() if not any(p is q for q in no_decay)]
    return torch.optim.AdamW(
        [{"params": decay, "weight_decay": config.weight_decay}, {"params": no_decay, "weight_decay": 0.0}],
        lr=config.lr,
    )


def train_epoch(
    bank: AttributeBank,
    optimizer: torch.optim.Optimizer,
    images: np.ndarray,
    order: torch.Tensor,
    labels_t: torch.Tensor,
    weights: torch.Tensor,
    config: TrainConfig,
    lr_at: Callable[[int], float],
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """One pass over ``images[order]`` in batches of ``config.batch_size``: the class-balanced Euclidean
    loss step (optional mirror flips), learning rate ``lr_at(step)``. Returns each network's summed batch
    losses (G,) float64 (per network, so ranks that train different networks can be merged exactly)."""
    bank.train()
    loss_sums, steps = np.zeros(bank.groups), math.ceil(len(order) / config.batch_size)
    for step in range(steps):
        batch = order[step * config.batch_size : (step + 1) * config.batch_size]
        x = torch.from_numpy(images[batch.numpy()]).to(device).permute(0, 3, 1, 2).float()
        if config.hflip:
            flip = torch.rand(len(batch), device=device) < 0.5
            x = torch.where(flip[:, None, None, None], x.flip(-1), x)
        x = x.contiguous(memory_format=torch.channels_last)
        target = labels_t[batch]
        w = torch.where(target > 0, weights[1], weights[0])
        terms = w * 0.5 * (bank(x) - target) ** 2
        loss = terms.mean(0).sum()
        for group in optimizer.param_groups:
            group["lr"] = lr_at(step)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        # per network, exactly rounded (math.fsum): vectorised sums pick their order from the array's
        # shape, and a network's logged loss must not depend on how many networks share its bank
        values = terms.detach().double().cpu().numpy()
        loss_sums += np.array([math.fsum(values[:, g]) for g in range(values.shape[1])]) / len(batch)
        if progress is not None:
            progress(step + 1, steps)
    return loss_sums


def train_epochs(
    bank: AttributeBank,
    images: np.ndarray,
    labels: np.ndarray,
    config: TrainConfig,
    epochs: int,
    *,
    lr: float,
    seed: int = 0,
    device: str = "cpu",
    progress: Callable[[int, int, int], None] | None = None,
) -> list[float]:
    """Continue training ``bank`` in place for ``epochs`` more epochs on ``images`` (uint8 NHWC) with ±1
    ``labels`` (N, G): the same step as :func:`train_bank` (class weights from ``labels``, ``config``'s
    batch size, flips and weight decay), a fresh AdamW at the constant learning rate ``lr``.
    Randomness from (seed, epoch). Returns the mean loss per attribute of each epoch; leaves eval mode."""
    bank.to(device).requires_grad_(True)
    bank = bank.to(memory_format=torch.channels_last)  # type: ignore[call-overload]  # Module.to takes it; stubs omit it
    optimizer = make_optimizer(bank, config)
    weights = class_weights(labels, config.balance).to(device)
    labels_t = torch.from_numpy(labels.astype(np.float32)).to(device)
    losses = []
    for epoch in range(epochs):
        torch.manual_seed(seed * 1009 + epoch)
        order = torch.randperm(len(images))
        report = None if progress is None else lambda s, n, e=epoch: progress(e, s, n)
        total = train_epoch(bank, optimizer, images, order, labels_t, weights, config, lambda _: lr, device, report)
        losses.append(float(total.sum()) / math.ceil(len(images) / config.batch_size) / bank.groups)
    bank.eval().requires_grad_(False)
    return losses


def train_bank(
    config: TrainConfig, data: CelebA, out: Path, *, resume: bool = False, options: RunOptions = RunOptions()
) -> dict:
    """Train the bank on ``data``'s train partition; write checkpoints into ``out``; return a summary.

    Under torch.distributed (``dist``, see core/experiments/distributed.py) rank r trains its contiguous block of
    ``config.attributes`` on all the data, resumes from its own ``.train/shard-R-of-N/`` and writes its
    own checkpoints; the per-epoch history and ``training_summary.json`` are assembled from every rank's
    per-network numbers. Each network's training does not depend on the others in its bank (init,
    dropout masks and batches come from (seed, attribute, epoch)), so the merged folder equals a
    single-process run's on the CPU.
    """
    cache_dir, log, progress, dist = options.cache_dir, options.log, options.progress, options.dist
    device = options.device
    out = Path(out)
    if dist.world_size > len(config.attributes):
        raise UsageError(f"{dist.world_size} ranks but only {len(config.attributes)} attribute networks to train")
    mine = block(config.attributes, dist.rank, dist.world_size)
    folder = train_state.state_dir(out, dist)
    if resume:
        train_state.check_layout(out, dist)
    ids = data.split_ids("train")[: config.limit] if config.limit else data.split_ids("train")
    with dist.main_first():  # rank 0 decodes into the cache, the others memory-map it
        images = load_images(data, ids, cache_dir)
    labels_all = data.labels_for(ids)[:, [ATTRIBUTE_INDEX[a] for a in config.attributes]]
    labels_mine = labels_all[:, [config.attributes.index(a) for a in mine]]
    train_idx, val_idx = split_train_val(ids, config.val_fraction, config.seed)
    mean, std = channel_stats(images[train_idx])
    config = replace(config, arch=replace(config.arch, mean=mean, std=std))  # type: ignore[arg-type]  # 3 channels
    bank = AttributeBank.initialised(mine, config.arch, config.seed).to(device)
    bank = bank.to(memory_format=torch.channels_last)  # type: ignore[call-overload]  # Module.to takes it; stubs omit it
    optimizer = make_optimizer(bank, config)
    history: list[dict] = []
    start_epoch = 0
    if resume:
        history, start_epoch = _resume(folder, bank, optimizer, config, device, dist, log)
    weights = class_weights(labels_mine[train_idx], config.balance).to(device)
    labels_t = torch.from_numpy(labels_mine.astype(np.float32)).to(device)
    steps_per_epoch = math.ceil(len(train_idx) / config.batch_size)
    total_steps = steps_per_epoch * config.epochs
    for epoch in range(start_epoch, config.epochs):
        torch.manual_seed(config.seed * 1009 + epoch)
        order = torch.from_numpy(train_idx)[torch.randperm(len(train_idx))]
        started = time.time()
        lr_at = lambda step, e=epoch: _learning_rate(config, e * steps_per_epoch + step, total_steps)
        loss_sums = train_epoch(
            bank,
            optimizer,
            images,
            order,
            labels_t,
            weights,
            config,
            lr_at,
            device,
            progress=None if progress is None else partial(_epoch_progress, progress, epoch),
        )
        loss_sums = gather_columns(dist, loss_sums)
        val_scores = gather_columns(dist, bank_scores(bank, images[val_idx], device=device))
        val = evaluate_scores(list(config.attributes), val_scores, labels_all[val_idx])
        history.append(
            {
                "epoch": epoch + 1,
                "loss": float(loss_sums.sum()) / steps_per_epoch / len(config.attributes),
                "val_accuracy": val.mean_accuracy,
                "val_balanced_accuracy": val.mean_balanced_accuracy,
                "seconds": time.time() - started,
            }
        )
        dist.log(
            f"epoch {epoch + 1}/{config.epochs}: loss {history[-1]['loss']:.4f}  val acc {val.mean_accuracy:.2f}%"
            f"  val balanced {val.mean_balanced_accuracy:.2f}%  ({history[-1]['seconds']:.0f} s)",
            log,
        )
        train_state.save_state(
            folder, bank, optimizer, {"epoch": epoch + 1, "history": history, "config": config.to_json()}
        )
    return finalize(bank, config, data, out, images[val_idx], labels_all[val_idx], history, log, dist)


def _resume(folder: Path, bank, optimizer, config: TrainConfig, device: str, dist: Distributed, log):
    """(history, epochs done) after loading the newest epoch that every rank saved (a collective)."""
    saved = train_state.saved_epochs(folder)
    epoch = train_state.common_epoch(saved, dist)
    if epoch is None:
        if saved:
            log(f"{folder}: no epoch was saved by every rank; starting over")
        return [], 0
    path, document = saved[epoch]
    # the operating point is chosen after training: resuming may re-calibrate with another weight
    if replace(TrainConfig.from_json(document["config"]), balance_weight=config.balance_weight) != config:
        raise UsageError(f"{folder}: the saved run used a different configuration (same flags needed to resume)")
    train_state.restore(path, bank, optimizer, device)
    log(f"resuming after epoch {epoch} of {config.epochs}")
    return document["history"], epoch


def gather_columns(dist: Distributed, array: np.ndarray) -> np.ndarray:
    """Every rank's per-network columns (last axis) side by side in rank order = attribute order."""
    return np.concatenate(dist.all_gather(np.asarray(array)), axis=-1)


def finalize(bank, config, data, out, val_images, val_labels, history, log, dist: Distributed = SINGLE) -> dict:
    """Calibrate each network's threshold on validation, fold it into the bias, write checkpoints.

    ``val_labels`` has a column per attribute of ``config``; ``bank`` holds this rank's networks."""
    bank = bank.eval().to(memory_format=torch.contiguous_format)
    device = str(next(bank.parameters()).device)  # scored where it was trained (cuda:R under torchrun)
    columns = [config.attributes.index(a) for a in bank.attributes]
    scores = bank_scores(bank, val_images, device=device)
    thresholds = fold_thresholds(bank, scores, val_labels[:, columns], config.balance_weight)
    after = bank_scores(bank, val_images, device=device)
    mine = evaluate_scores(bank.attributes, after, val_labels[:, columns])
    meta = {}
    for g, name in enumerate(bank.attributes):
        meta[name] = {
            "threshold": thresholds[g],
            "training": config.to_json() | {"epochs_completed": len(history)},
            "data_fingerprint": data.fingerprint(),
            "metrics": {
                "val_accuracy": float(mine.accuracy[g]),
                "val_balanced_accuracy": float(mine.balanced_accuracy[g]),
                "n_val": int(len(val_labels)),
            },
        }
    save_bank(out, bank.cpu(), meta)
    calibrated = evaluate_scores(config.attributes, gather_columns(dist, after), val_labels)
    thresholds = [t for share in dist.all_gather(thresholds) for t in share]
    dist.log(
        f"calibrated on validation: acc {calibrated.mean_accuracy:.2f}%  balanced {calibrated.mean_balanced_accuracy:.2f}%",
        log,
    )
    summary = {
        "history": history,
        "val": calibrated.to_json(),
        "thresholds": dict(zip(config.attributes, thresholds, strict=True)),
    }
    if dist.is_main:
        write_json(out / "training_summary.json", summary)
    dist.barrier()  # every rank's checkpoints and the summary exist when any rank returns
    return summary
