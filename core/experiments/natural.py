"""Natural adversarial samples (Rozsa et al. 2016, § 6; method notes § 7) and additional epochs.

For every image of a split and every attribute its network gets wrong, FFA is aimed at the *true*
label (goal "correct"): the smallest correcting perturbation along the FFA direction. The image is a
natural adversarial sample when a correction exists and PASS >= ``tau`` (default 0.99): an
imperceptible change makes the network right. Results per split go into one natural folder
(core/experiments/results.py); running another split adds to it.

Additional epochs (:func:`run_extra_epochs`): the bank is trained K more epochs on the unchanged
training images (the part of the train split it was trained on, not its validation hold-out), with
:func:`ffa_lab.models.train.train_epochs` at a constant learning rate ``lr_factor`` x the original peak rate,
then recalibrated on the same hold-out as in training. Reported per attribute: how many of the
training-set natural adversarial samples are still misclassified by the retrained network.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from ffa_lab.attacks.criteria import is_misclassified
from ffa_lab.attacks.run import attack_batch
from ffa_lab.data.attributes import ATTRIBUTES
from ffa_lab.data.celeba import CelebA, load_celeba
from ffa_lab.data.imagecache import load_images
from ffa_lab.errors import UsageError
from ffa_lab.experiments.distributed import SINGLE, Distributed
from ffa_lab.experiments.results import (
    FORMAT_VERSION,
    NATURAL_COLUMNS,
    SAMPLES_FILE,
    NaturalResults,
    ResultsError,
    model_fingerprint,
    read_natural,
    write_csv,
)
from ffa_lab.experiments.selection import quartiles, select_split
from ffa_lab.experiments.units import PartStore, run_units
from ffa_lab.files import write_json
from ffa_lab.models.checkpoint import LoadedBank, load_bank
from ffa_lab.models.evaluate import bank_scores
from ffa_lab.models.metrics import calibrate_threshold
from ffa_lab.models.train import TrainConfig, split_train_val, train_epochs

PART_FIELDS = ("position", "success", "scale", "l2", "linf", "pass", "score_before", "score_after")


@dataclass(frozen=True)
class NaturalConfig:
    """Settings of one natural-adversarial run over one split."""

    split: str = "train"
    tau: float = 0.99
    attributes: tuple[str, ...] = ATTRIBUTES
    limit: int | None = None  # seeded subset of the split (quick runs, tests); None = all
    seed: int = 0
    chunk_size: int = 500  # misclassified images per (attribute, chunk) unit = attack batch
    device: str = "cpu"

    def to_json(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items() if k != "device"}


def run_natural(
    loaded: LoadedBank,
    data: CelebA,
    config: NaturalConfig,
    out: str | Path,
    *,
    cache_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    log: Callable[[str], None] = print,
    force: bool = False,
    workers: int = 1,
    dist: Distributed = SINGLE,
) -> NaturalResults:
    """Mine natural adversarial samples of ``config.split`` into ``out`` (resumable); return the folder.

    A split already in ``out`` with the same settings and models is kept as is unless ``force``;
    ``workers`` > 1 runs the (attribute, chunk) units in that many processes."""
    out, bank = Path(out), loaded.bank
    with dist.main_first():  # rank 0 fills the image cache, the others memory-map it
        split = select_split(bank, data, config, cache_dir)
    ids, chosen, all_images, labels, scores = split.ids, split.chosen, split.all_images, split.labels, split.scores
    wrong = is_misclassified(scores, labels)
    fingerprint = model_fingerprint(loaded.folder)
    settings = {
        **config.to_json(),
        "n_images": len(ids),
        "model_fingerprint": fingerprint,
        "data_fingerprint": data.fingerprint(),
    }
    if dist.from_main(not force and _finished_split_settings(out, config.split) == settings):
        log(f"{out} already holds the {config.split} split with these settings and models; nothing to do")
        return read_natural(out)
    with dist.main_first():  # rank 0 checks or writes the store's settings first
        store = PartStore(out, settings, name=f"parts-{config.split}")
    units = []
    for attribute in config.attributes:
        positions = np.flatnonzero(wrong[:, bank.attributes.index(attribute)])
        units += [
            (attribute, k, positions[k : k + config.chunk_size]) for k in range(0, len(positions), config.chunk_size)
        ]
    finished = sum(store.has(f"{a}__{k:06d}") for a, k, _ in units)
    if finished:
        dist.log(f"resuming: {finished}/{len(units)} units already done in {store.folder}", log)
    started = time.time()
    work = [(f"{a}__{k:06d}", (a, positions), len(positions)) for a, k, positions in units]
    context = {"bank": bank, "images": all_images, "chosen": chosen, "labels": labels, "config": config}
    builder_args = (str(loaded.folder), str(data.root), cache_dir and str(cache_dir), chosen, labels, config)
    run_units(
        store,
        work,
        natural_unit,
        context,
        workers=workers,
        builder=natural_context,
        builder_args=builder_args,
        progress=progress,
        dist=dist,
    )
    if dist.is_main:  # every rank's parts are in the store: rank 0 merges them
        _merge_parts(
            store,
            units,
            ids,
            labels,
            wrong,
            bank,
            config,
            out,
            settings,
            fingerprint,
            loaded,
            data,
            time.time() - started,
            log,
        )
    dist.barrier()
    return read_natural(out)


def _merge_parts(
    store, units, ids, labels, wrong, bank, config, out, settings, fingerprint, loaded, data, seconds, log
) -> None:
    frames = []
    for attribute, k, _ in units:
        part = store.load(f"{attribute}__{k:06d}")
        frame = pd.DataFrame({f: part[f] for f in PART_FIELDS})
        frame.insert(0, "attribute", attribute)
        frames.append(frame)
    samples = _split_samples(frames, ids, labels, bank.attributes, config)
    split_summary = summarize_split(samples, wrong, labels, bank.attributes, config)
    split_summary.update(model_fingerprint=fingerprint, settings=settings, seconds_last_session=round(seconds, 1))
    _merge_into_folder(out, config.split, samples, split_summary, settings, loaded, data, log)
    store.remove()


def natural_context(
    models: str, celeba_root: str, cache_dir: str | None, chosen: np.ndarray, labels: np.ndarray, config: NaturalConfig
) -> dict:
    """What a worker process needs for :func:`natural_unit`."""
    data = load_celeba(celeba_root, check_images=False)
    images = load_images(data, data.split_ids(config.split), Path(cache_dir) if cache_dir else None)
    return {"bank": load_bank(models).bank, "images": images, "chosen": chosen, "labels": labels, "config": config}


def natural_unit(ctx: dict, attribute: str, positions: np.ndarray) -> dict[str, np.ndarray]:
    """FFA toward the true label of ``attribute`` on the chosen images ``positions`` (all misclassified)."""
    bank, config = ctx["bank"], ctx["config"]
    g = bank.attributes.index(attribute)
    images = np.ascontiguousarray(ctx["images"][ctx["chosen"][positions]])
    result = attack_batch(
        bank.subset([g]),
        images,
        attribute,
        method="ffa",
        goal="correct",
        labels=ctx["labels"][positions, g],
        device=config.device,
    )
    return {"position": positions.astype(np.int32), **{f: result[f] for f in PART_FIELDS[1:]}}


def _finished_split_settings(out: Path, split: str) -> dict | None:
    try:
        return read_natural(out).summary["splits"].get(split, {}).get("settings")
    except ResultsError:
        return None


def _split_samples(
    frames: list[pd.DataFrame], ids: list[str], labels: np.ndarray, names: list[str], config: NaturalConfig
) -> pd.DataFrame:
    columns = ["attribute", *PART_FIELDS]
    samples = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    position = samples.pop("position").to_numpy(dtype=np.int64)
    g = np.array([names.index(a) for a in samples["attribute"]], dtype=np.int64)
    samples.insert(0, "image_id", np.asarray(ids, dtype=object)[position])
    samples.insert(0, "split", config.split)
    samples.insert(3, "label", labels[position, g].astype(np.int8) if len(position) else np.zeros(0, np.int8))
    samples["success"] = samples["success"].astype(bool)
    samples["natural"] = samples["success"] & (samples["pass"].to_numpy(dtype=np.float64) >= config.tau)
    samples = samples[list(NATURAL_COLUMNS)]
    return samples.sort_values(["attribute", "image_id"], kind="stable").reset_index(drop=True)


def summarize_split(
    samples: pd.DataFrame, wrong: np.ndarray, labels: np.ndarray, names: list[str], config: NaturalConfig
) -> dict:
    """Per attribute: misclassified, corrected, natural counts, rates (%) and distance quartiles."""
    per_attribute = {}
    for attribute in config.attributes:
        rows = samples[samples["attribute"] == attribute]
        won = rows[rows["success"]]
        n_wrong, n_natural = int(wrong[:, names.index(attribute)].sum()), int(rows["natural"].sum())
        per_attribute[attribute] = {
            "misclassified": n_wrong,
            "corrected": len(won),
            "natural": n_natural,
            "rate": 100.0 * n_natural / max(n_wrong, 1),
            "rate_of_images": 100.0 * n_natural / len(labels),
            **{f: quartiles(won[f].to_numpy()) for f in ("linf", "l2", "pass", "scale")},
        }
    return {"n_images": len(labels), "tau": config.tau, "limit": config.limit, "attributes": per_attribute}


def _merge_into_folder(
    out: Path,
    split: str,
    samples: pd.DataFrame,
    split_summary: dict,
    settings: dict,
    loaded: LoadedBank,
    data: CelebA,
    log: Callable[[str], None],
) -> None:
    """Replace ``split``'s rows and summary in ``out``; keep other splits of the same models."""
    splits, others = {}, []
    try:
        previous = read_natural(out)
    except ResultsError:
        previous = None
    if previous is not None:
        for name, entry in previous.summary["splits"].items():
            if name == split:
                continue
            if entry.get("model_fingerprint") != settings["model_fingerprint"]:
                log(f"dropping the {name} split from {out}: it was computed with other models")
                continue
            splits[name] = entry
            others.append(previous.samples[previous.samples["split"] == name])
    splits[split] = split_summary
    table = pd.concat([*others, samples], ignore_index=True) if others else samples
    write_csv(out / SAMPLES_FILE, table)
    summary = {
        "format_version": FORMAT_VERSION,
        "kind": "natural",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "model_fingerprint": settings["model_fingerprint"],
        "method": "ffa",
        "goal": "correct",
        "settings": {"models": str(loaded.folder), "celeba": str(data.root), "data_fingerprint": data.fingerprint()},
        "splits": dict(sorted(splits.items())),
    }
    write_json(out / "summary.json", summary)
    extra = out / "extra_epochs.json"
    if split == "train" and extra.is_file():
        extra.unlink()  # it counted the previous train-split samples


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
    device: str = "cpu",
    cache_dir: Path | None = None,
    progress: Callable[[int, int, int], None] | None = None,
    log: Callable[[str], None] = print,
) -> dict:
    """Train a copy of the bank ``epochs`` more epochs; count the train-split natural adversarial samples
    (of the images it trains on) that it still misclassifies. Writes and returns ``extra_epochs.json``."""
    if epochs <= 0:
        raise UsageError(f"extra epochs must be positive, not {epochs}")
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
    thresholds = [
        calibrate_threshold(val_scores[:, g], labels[val_idx, g], config.balance_weight) for g in range(bank.groups)
    ]
    with torch.no_grad():
        bank.fc2_bias -= torch.tensor(thresholds, device=bank.fc2_bias.device).view(-1, 1)
    seconds = time.time() - started
    trained = set(np.asarray(ids, dtype=object)[train_idx].tolist())
    rows = natural.samples[(natural.samples["split"] == "train") & natural.samples["image_id"].isin(trained)]
    position = {image_id: i for i, image_id in enumerate(ids)}
    unique = sorted(set(rows["image_id"]))  # each image once: an image is often wrong on several attributes
    scored = bank_scores(bank, images[[position[i] for i in unique]], device=device) if unique else None
    slot = {image_id: k for k, image_id in enumerate(unique)}
    after = scored[[slot[i] for i in rows["image_id"]]] if unique else None
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
