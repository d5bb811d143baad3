"""Additional epochs after natural-adversarial mining (Rozsa et al. 2016, § 6; docs/study.md, "Additional epochs").

The bank is trained K more epochs on the unchanged training images (the part of the train split it was
trained on, not its validation hold-out), with :func:`ffa_lab.models.train.train_epochs` at a constant
learning rate ``lr_factor`` x the original peak rate, then recalibrated on the same hold-out as in
training. Reported per attribute: how many of the training-set natural adversarial samples (from the
natural folder, ffa_lab.experiments.natural) are still misclassified by the retrained network.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from ffa_lab.attacks.criteria import is_misclassified
from ffa_lab.data.attributes import ATTRIBUTES
from ffa_lab.data.celeba import CelebA
from ffa_lab.data.imagecache import load_images
from ffa_lab.errors import UsageError
from ffa_lab.experiments.options import RunOptions
from ffa_lab.experiments.results import FORMAT_VERSION, ResultsError, model_fingerprint, read_natural
from ffa_lab.files import write_json
from ffa_lab.models.checkpoint import LoadedBank
from ffa_lab.models.evaluate import bank_scores, fold_thresholds
from ffa_lab.models.train import TrainConfig, split_train_val, train_epochs


def training_setup(loaded: LoadedBank) -> TrainConfig:
    """The training configuration recorded in the bank's checkpoints (same for all networks)."""
    meta = loaded.metadata[loaded.attributes[0]].get("training")
    if not isinstance(meta, dict) or "arch" not in meta:
        raise ResultsError(f"{loaded.folder}: the checkpoints do not record their training configuration")
    known = {k: v for k, v in meta.items() if k in TrainConfig.__dataclass_fields__}
    return TrainConfig.from_json(known)


def run_extra_epochs(
    loaded: LoadedBank,
    data: CelebA,
    natural_folder: str | Path,
    epochs: int,
    *,
    lr_factor: float = 0.1,
    options: RunOptions = RunOptions(),
) -> dict:
    """Train a copy of the bank ``epochs`` more epochs; count the train-split natural adversarial samples
    (of the images it trains on) that it still misclassifies. Writes and returns ``extra_epochs.json``.
    ``options.progress(epoch, step, total)`` follows the training."""
    cache_dir, log, progress, device = options.cache_dir, options.log, options.progress, options.device
    if epochs <= 0:
        raise UsageError(f"extra epochs must be positive, not {epochs}")
    if loaded.family != "per-attribute":
        raise UsageError(
            f"{loaded.folder}: --extra-epochs trains per-attribute banks only; this folder holds a {loaded.family} network"
        )
    folder = Path(natural_folder)
    natural = read_natural(folder)
    if "train" not in natural.summary["splits"]:
        raise ResultsError(f"{folder}: no train split yet; run `ffa-lab natural --split train` first")
    if natural.summary["model_fingerprint"] != model_fingerprint(loaded.folder):
        raise ResultsError(f"{folder}: its results were computed with other models than {loaded.folder}")
    config = training_setup(loaded)
    ids = data.split_ids("train")[: config.limit] if config.limit else data.split_ids("train")
    train_idx, val_idx = split_train_val(ids, config.val_fraction, config.seed)
    images = load_images(data, ids, cache_dir)
    names = [a for a in loaded.attributes if a in natural.summary["splits"]["train"]["attributes"]]
    labels = data.labels_for(ids)[:, [ATTRIBUTES.index(a) for a in names]]
    bank = loaded.bank.subset([loaded.attributes.index(a) for a in names]).to(device)  # a copy: trained below
    lr = config.lr * lr_factor
    started = time.time()
    losses = train_epochs(
        bank,
        np.ascontiguousarray(images[train_idx]),
        labels[train_idx],
        config,
        epochs,
        lr=lr,
        seed=config.seed + 1,
        device=device,
        progress=progress,
    )
    val_scores = bank_scores(bank, images[val_idx], device=device)
    fold_thresholds(bank, val_scores, labels[val_idx], config.balance_weight)
    seconds = time.time() - started
    trained = set(np.asarray(ids, dtype=object)[train_idx].tolist())
    rows = natural.samples[(natural.samples["split"] == "train") & natural.samples["image_id"].isin(trained)]
    position = {image_id: i for i, image_id in enumerate(ids)}
    unique = sorted(set(rows["image_id"]))  # each image once: an image is often wrong on several attributes
    scored = bank_scores(bank, images[[position[i] for i in unique]], device=device) if unique else None
    slot = {image_id: k for k, image_id in enumerate(unique)}
    after = scored[[slot[i] for i in rows["image_id"]]] if scored is not None else None
    per_attribute = {}
    for g, attribute in enumerate(names):
        mask = (rows["attribute"] == attribute).to_numpy()
        still = is_misclassified(after[mask, g], rows["label"].to_numpy()[mask]) if after is not None else np.zeros(0)
        is_natural = rows["natural"].to_numpy(dtype=bool)[mask]
        per_attribute[attribute] = {
            "natural_before": int(is_natural.sum()),
            "natural_still_misclassified": int(still[is_natural].sum()),
            "misclassified_before": int(mask.sum()),
            "misclassified_still": int(still.sum()),
        }
    document = {
        "format_version": FORMAT_VERSION,
        "kind": "extra_epochs",
        "K": epochs,
        "lr": lr,
        "lr_factor": lr_factor,
        "epoch_losses": losses,
        "seconds": round(seconds, 1),
        "model_fingerprint": natural.summary["model_fingerprint"],
        "training_images": len(train_idx),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "totals": {k: sum(v[k] for v in per_attribute.values()) for k in next(iter(per_attribute.values()))},
        "attributes": per_attribute,
    }
    write_json(folder / "extra_epochs.json", document)
    log(f"extra epochs: {epochs} in {seconds:.0f} s")
    return document
