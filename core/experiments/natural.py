"""Natural adversarial samples (Rozsa et al. 2016, § 6; docs/study.md, "Natural adversarial samples").

For every image of a split and every attribute its network gets wrong, FFA is aimed at the *true*
label (goal "correct"): the smallest correcting perturbation along the FFA direction. The image is a
natural adversarial sample when a correction exists and PASS >= ``tau`` (default 0.99): an
imperceptible change makes the network right. Results per split go into one natural folder
(core/experiments/results.py); running another split adds to it. Additional epochs on the training
images, counting the training-set samples still misclassified: ffa_lab.experiments.extra_epochs
(:func:`run_extra_epochs`, re-exported here).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ffa_lab.attacks.criteria import is_misclassified
from ffa_lab.attacks.run import attack_batch
from ffa_lab.data.attributes import ATTRIBUTES
from ffa_lab.data.celeba import CelebA
from ffa_lab.experiments.extra_epochs import run_extra_epochs as run_extra_epochs  # re-exported
from ffa_lab.experiments.options import RunOptions
from ffa_lab.experiments.progress import Stages, Step
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
from ffa_lab.experiments.scorecache import attribute_scores, score_key
from ffa_lab.experiments.selection import UnitContext, quartiles, select_images, select_split
from ffa_lab.experiments.units import PartStore, run_units, unit_key
from ffa_lab.files import remove_temporaries, write_json
from ffa_lab.models.checkpoint import LoadedBank

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


STAGES = ("Reading the images", "Scoring the images", "Correcting misclassified faces")


def natural_settings(loaded: LoadedBank, data: CelebA, config: NaturalConfig) -> dict:
    """What a finished split records as its settings; cheap (no image is read or scored), so a finished
    run is recognised before any work (the app's repeated live mining, docs/app.md)."""
    n_images = len(select_images(len(data.split_ids(config.split)), config.limit, config.seed))
    return {
        **config.to_json(),
        "n_images": n_images,
        "model_fingerprint": model_fingerprint(loaded.folder),
        "data_fingerprint": data.fingerprint(),
    }


def finished_natural(out: str | Path, settings: dict, split: str) -> NaturalResults | None:
    """The results in ``out`` when they hold ``split`` computed with exactly ``settings``, else None."""
    if _finished_split_settings(Path(out), split) != settings:
        return None
    return read_natural(out)


def run_natural(
    loaded: LoadedBank,
    data: CelebA,
    config: NaturalConfig,
    out: str | Path,
    *,
    options: RunOptions = RunOptions(),
    score_cache: Path | None = None,
    steps: Callable[[Step], None] | None = None,
) -> NaturalResults:
    """Mine natural adversarial samples of ``config.split`` into ``out`` (resumable); return the folder.

    A split already in ``out`` with the same settings and models is kept as is unless ``options.force`` (checked
    before any image is read). An image is misclassified for an attribute when that attribute's own
    network (``bank.subset([g])``, the one FFA attacks) gets its sign wrong; ``score_cache`` keeps those
    scores on disk for later runs (ffa_lab.experiments.scorecache). ``progress(done, total)`` counts the
    misclassified pairs attacked; ``steps`` gets every stage of :data:`STAGES` as
    ffa_lab.experiments.progress.Step events (images read, scored, pairs corrected, with ETA). Under
    torch.distributed (``dist``) the ranks share the (attribute, chunk) units (ffa_lab.experiments.units)."""
    cache_dir, log, progress, dist = options.cache_dir, options.log, options.progress, options.dist
    out, bank = Path(out), loaded.bank
    settings = natural_settings(loaded, data, config)
    fingerprint = settings["model_fingerprint"]
    if dist.from_main(not options.force and _finished_split_settings(out, config.split) == settings):
        log(f"{out} already holds the {config.split} split with these settings and models; nothing to do")
        return read_natural(out)
    stages = Stages(STAGES, steps or (lambda _step: None))
    with dist.main_first():  # rank 0 fills the image cache, the others memory-map it
        split = select_split(bank, data, config, cache_dir, score=False, progress=stages.counter(STAGES[0]))
    stages.finish(STAGES[0], len(split.all_images))
    ids, chosen, all_images, labels = split.ids, split.chosen, split.all_images, split.labels
    key = score_key(fingerprint, data, config.split, config.device) if score_cache is not None else None
    scores = attribute_scores(
        bank,
        all_images,
        chosen,
        config.attributes,
        folder=score_cache,
        key=key,
        device=config.device,
        progress=stages.counter(STAGES[1]),
    )
    stages.finish(STAGES[1])
    wrong = is_misclassified(scores, labels)  # columns of attributes not asked for are never read
    with dist.main_first():  # rank 0 checks or writes the store's settings first
        store = PartStore(out, settings, name=f"parts-{config.split}")
    units = []
    for attribute in config.attributes:
        positions = np.flatnonzero(wrong[:, bank.attributes.index(attribute)])
        units += [
            (attribute, k, positions[k : k + config.chunk_size]) for k in range(0, len(positions), config.chunk_size)
        ]
    finished = sum(store.has(unit_key(a, k)) for a, k, _ in units)
    if finished:
        dist.log(f"resuming: {finished}/{len(units)} units already done in {store.folder}", log)
    started = time.time()
    work = [(unit_key(a, k), (a, positions), len(positions)) for a, k, positions in units]
    attacked = stages.counter(STAGES[2])
    attacked(sum(n for name, _, n in work if store.has(name)), sum(n for _, _, n in work))

    def unit_done(done: int, total: int) -> None:
        attacked(done, total)
        if progress is not None:
            progress(done, total)

    run_units(store, work, natural_unit, UnitContext(bank, split, config.device), progress=unit_done, dist=dist)
    stages.finish(STAGES[2])
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
        part = store.load(unit_key(attribute, k))
        frame = pd.DataFrame({f: part[f] for f in PART_FIELDS})
        frame.insert(0, "attribute", attribute)
        frames.append(frame)
    samples = _split_samples(frames, ids, labels, bank.attributes, config)
    split_summary = summarize_split(samples, wrong, labels, bank.attributes, config)
    split_summary.update(model_fingerprint=fingerprint, settings=settings, seconds_last_session=round(seconds, 1))
    _merge_into_folder(out, config.split, samples, split_summary, settings, loaded, data, log)
    store.remove()


def natural_unit(ctx: UnitContext, attribute: str, positions: np.ndarray) -> dict[str, np.ndarray]:
    """FFA toward the true label of ``attribute`` on the chosen images ``positions`` (all misclassified)."""
    g, single = ctx.network(attribute)
    labels = ctx.split.labels[positions, g]
    result = attack_batch(
        single, ctx.images(positions), attribute, method="ffa", goal="correct", labels=labels, device=ctx.device
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
    remove_temporaries(out)  # a killed earlier session's half-written files: never read, now deleted
    extra = out / "extra_epochs.json"
    if split == "train" and extra.is_file():
        extra.unlink()  # it counted the previous train-split samples
