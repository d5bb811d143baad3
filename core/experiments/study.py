"""The robustness study (Rozsa et al. 2016, §§ 4-5): every attack on every attribute's network.

For a seeded subset of ``limit`` images of one split (the same images for every attribute), each
attribute's network is attacked on the images it classifies correctly, with every method in
``attacks`` (goal "flip"). Recorded per image x attribute x method: success, scale, L2, L∞ (grey
levels), PASS (successes only) and the attacked score before/after. Per attribute: clean accuracy,
number attacked, success rates (all, and under PASS >= ``tau``), distance quartiles. Side effects
(extension paper 1801.02480): every FFA adversarial (up to ``side_effect_limit`` per chunk) is scored
by the full bank; row A of the matrix is the fraction of A's flips that changed attribute B's
prediction. The mean |δ| map per attribute (FFA successes, mean over colour channels) shows where on the
face each network is attacked.

Work is split into (attribute, chunk) units stored in ``parts/`` (core/experiments/units.py); a killed run
resumes without redoing finished units, and the merged result equals an uninterrupted run.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path

import numpy as np

from ffa_lab.attacks.criteria import is_success, predicts_positive
from ffa_lab.attacks.run import attack_batch
from ffa_lab.data.attributes import ATTRIBUTES
from ffa_lab.data.celeba import CelebA
from ffa_lab.experiments.options import RunOptions
from ffa_lab.experiments.results import (
    ResultsError,
    StudyResults,
    model_fingerprint,
    read_study,
)
from ffa_lab.experiments.selection import UnitContext, select_split
from ffa_lab.experiments.study_summary import write_study
from ffa_lab.experiments.units import PartStore, run_units, unit_key
from ffa_lab.models.checkpoint import LoadedBank
from ffa_lab.models.evaluate import bank_scores


@dataclass(frozen=True)
class StudyConfig:
    """Settings of one study run (defaults: the acceptance run minus ``limit``)."""

    split: str = "test"
    limit: int | None = None  # seeded subset of the split; None = all images
    attacks: tuple[str, ...] = ("ffa", "fgs", "fgv")
    attributes: tuple[str, ...] = ATTRIBUTES
    seed: int = 0
    chunk_size: int = 500  # images per (attribute, chunk) unit; also the attack batch size
    tau: float = 0.99  # PASS threshold for "imperceptible"
    side_effect_limit: int | None = 100  # FFA successes per chunk scored by all networks (None = all): the
    # full-bank scoring of every flip costs ~15 % of the study; 200 per attribute: 95 % intervals <= ~±7 points
    device: str = "cpu"

    def to_json(self) -> dict:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items() if k != "device"}


def _ids_digest(ids: list[str]) -> str:
    return hashlib.sha256("\n".join(ids).encode()).hexdigest()[:16]


def study_unit(
    ctx: UnitContext, attribute: str, positions: np.ndarray, *, config: StudyConfig
) -> dict[str, np.ndarray]:
    """Attack ``attribute``'s network on the chosen images ``positions`` (all correctly classified) with
    every method; the arrays of one part (per-sample rows, side-effect counts, |δ| sums)."""
    bank = ctx.bank
    images = ctx.images(positions)
    if not len(positions):
        return _empty_part(bank.groups, ctx.split.all_images.shape[1:3])
    _, single = ctx.network(attribute)
    clean_positive = ctx.positive
    rows: dict[str, list[np.ndarray]] = {
        k: [] for k in ("method", "success", "scale", "l2", "linf", "pass", "score_before", "score_after")
    }
    se_sum, se_n = np.zeros(bank.groups, np.int64), 0
    delta_sum, delta_n = np.zeros(images.shape[1:3], np.float64), 0
    for m, method in enumerate(config.attacks):
        result = attack_batch(single, images, attribute, method=method, goal="flip", device=ctx.device)
        for key in rows:
            rows[key].append(np.full(len(images), m, np.int8) if key == "method" else result[key])
        if method != "ffa" or not result["success"].any():
            continue
        won = np.flatnonzero(result["success"])
        delta = np.abs(result["adversarial"][won].astype(np.int16) - images[won].astype(np.int16))
        delta_sum += delta.mean(axis=3).sum(axis=0)
        delta_n += len(won)
        scored = won[: config.side_effect_limit] if config.side_effect_limit else won
        after = predicts_positive(bank_scores(bank, result["adversarial"][scored], device=ctx.device))
        se_sum += (after != clean_positive[positions[scored]]).sum(axis=0)
        se_n += len(scored)
    out: dict = {k: np.concatenate(v) for k, v in rows.items()}  # arrays, and numpy scalars for the counts
    out["position"] = np.tile(positions.astype(np.int32), len(config.attacks))
    out.update(se_sum=se_sum, se_n=np.int64(se_n), delta_sum=delta_sum, delta_n=np.int64(delta_n))
    return out


def run_study(
    loaded: LoadedBank, data: CelebA, config: StudyConfig, out: str | Path, *, options: RunOptions = RunOptions()
) -> StudyResults:
    """Run (or resume) the study into ``out`` and return the merged results.

    A finished folder with the same settings and models is returned as is unless ``options.force``. Under
    torch.distributed (``dist``) the ranks share the (attribute, chunk) units (ffa_lab.experiments.units).

    ``progress(done, total)`` is called after every finished unit with attacks done / total; an
    exception raised from it (or anywhere) leaves the finished units in ``out/parts`` for the next run.
    """
    cache_dir, log, progress, dist = options.cache_dir, options.log, options.progress, options.dist
    out, bank = Path(out), loaded.bank
    with dist.main_first():  # rank 0 fills the image cache, the others memory-map it
        split = select_split(bank, data, config, cache_dir)
    ids, labels = split.ids, split.labels
    correct = is_success(split.scores, labels)  # the pairs the study attacks
    settings = {
        **config.to_json(),
        "n_images": len(ids),
        "image_ids_sha": _ids_digest(ids),
        "model_fingerprint": model_fingerprint(loaded.folder),
        "data_fingerprint": data.fingerprint(),
        "bank_attributes": list(bank.attributes),
    }
    if dist.from_main(not options.force and finished_settings(out) == settings):  # one decision for all ranks
        log(f"{out} already holds this study (same settings and models); nothing to do")
        return read_study(out)
    with dist.main_first():  # rank 0 checks or writes the store's settings first
        store = PartStore(out, settings)
    units = [(a, c) for a in config.attributes for c in range(0, len(ids), config.chunk_size)]
    work = []
    for attribute, start in units:
        positions = start + np.flatnonzero(correct[start : start + config.chunk_size, bank.attributes.index(attribute)])
        work.append((unit_key(attribute, start), (attribute, positions), len(positions) * len(config.attacks)))
    if any(store.has(key) for key, _, _ in work):
        dist.log(
            f"resuming: {sum(store.has(key) for key, _, _ in work)}/{len(work)} units already done in {store.folder}",
            log,
        )
    started = time.time()
    context = UnitContext(bank, split, config.device)
    run_units(store, work, partial(study_unit, config=config), context, progress=progress, dist=dist)
    seconds = time.time() - started
    if dist.is_main:  # every rank's parts are in the store: rank 0 merges them
        parts = {u: store.load(unit_key(*u)) for u in units}
        write_study(out, config, settings, loaded, ids, labels, correct, parts, seconds, data.root)
        store.remove()
    dist.barrier()
    return read_study(out)


def finished_settings(out: Path) -> dict | None:
    """The run settings of a finished study folder (without the folder paths), or None."""
    try:
        settings = dict(read_study(out).summary["settings"])
    except ResultsError:
        return None
    settings.pop("models", None)
    settings.pop("celeba", None)
    return settings


def _empty_part(groups: int, shape: tuple[int, int]) -> dict[str, np.ndarray]:
    part: dict = {k: np.zeros(0, np.float32) for k in ("scale", "l2", "linf", "pass", "score_before", "score_after")}
    part.update(method=np.zeros(0, np.int8), success=np.zeros(0, bool), position=np.zeros(0, np.int32))
    part.update(se_sum=np.zeros(groups, np.int64), se_n=np.int64(0), delta_sum=np.zeros(shape), delta_n=np.int64(0))
    return part
