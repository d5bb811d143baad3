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
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd

from ffa_lab.attacks.criteria import predicts_positive
from ffa_lab.attacks.run import attack_batch
from ffa_lab.data.attributes import ATTRIBUTES
from ffa_lab.data.celeba import CelebA, load_celeba
from ffa_lab.data.imagecache import load_images
from ffa_lab.experiments.distributed import SINGLE, Distributed
from ffa_lab.experiments.results import (
    FORMAT_VERSION,
    SAMPLES_FILE,
    ResultsError,
    StudyResults,
    model_fingerprint,
    read_study,
    write_csv,
    write_npz,
)
from ffa_lab.experiments.selection import quartiles, select_split
from ffa_lab.experiments.units import PartStore, run_units
from ffa_lab.files import write_json
from ffa_lab.models.checkpoint import LoadedBank, load_bank
from ffa_lab.models.evaluate import bank_scores

RANKING_CRITERION = (
    "FFA success rate under PASS >= {tau} (lower = more robust); ties broken by the median L-infinity "
    "of FFA's successful perturbations (larger = more robust)"
)


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


def study_context(
    models: str,
    celeba_root: str,
    cache_dir: str | None,
    split: str,
    chosen: np.ndarray,
    clean_pred: np.ndarray,
    config: StudyConfig,
) -> dict:
    """What a worker process needs for :func:`study_unit` (the bank, the split's images, predictions)."""
    data = load_celeba(celeba_root, check_images=False)
    images = load_images(data, data.split_ids(split), Path(cache_dir) if cache_dir else None)
    return {
        "bank": load_bank(models).bank,
        "images": images,
        "chosen": chosen,
        "clean_pred": clean_pred,
        "config": config,
    }


def study_unit(ctx: dict, attribute: str, positions: np.ndarray) -> dict[str, np.ndarray]:
    """Attack ``attribute``'s network on the chosen images ``positions`` (all correctly classified) with
    every method; the arrays of one part (per-sample rows, side-effect counts, |δ| sums)."""
    bank, config = ctx["bank"], ctx["config"]
    images = np.ascontiguousarray(ctx["images"][ctx["chosen"][positions]])
    if not len(positions):
        return _empty_part(bank.groups, ctx["images"].shape[1:3])
    g = bank.attributes.index(attribute)
    single = bank.subset([g])
    rows: dict[str, list[np.ndarray]] = {
        k: [] for k in ("method", "success", "scale", "l2", "linf", "pass", "score_before", "score_after")
    }
    se_sum, se_n = np.zeros(bank.groups, np.int64), 0
    delta_sum, delta_n = np.zeros(images.shape[1:3], np.float64), 0
    for m, method in enumerate(config.attacks):
        result = attack_batch(single, images, attribute, method=method, goal="flip", device=config.device)
        for key in rows:
            rows[key].append(np.full(len(images), m, np.int8) if key == "method" else result[key])
        if method != "ffa" or not result["success"].any():
            continue
        won = np.flatnonzero(result["success"])
        delta = np.abs(result["adversarial"][won].astype(np.int16) - images[won].astype(np.int16))
        delta_sum += delta.mean(axis=3).sum(axis=0)
        delta_n += len(won)
        scored = won[: config.side_effect_limit] if config.side_effect_limit else won
        after = predicts_positive(bank_scores(bank, result["adversarial"][scored], device=config.device))
        se_sum += (after != ctx["clean_pred"][positions[scored]]).sum(axis=0)
        se_n += len(scored)
    out = {k: np.concatenate(v) for k, v in rows.items()}
    out["position"] = np.tile(positions.astype(np.int32), len(config.attacks))
    out.update(se_sum=se_sum, se_n=np.int64(se_n), delta_sum=delta_sum, delta_n=np.int64(delta_n))
    return out


def run_study(
    loaded: LoadedBank,
    data: CelebA,
    config: StudyConfig,
    out: str | Path,
    *,
    cache_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    log: Callable[[str], None] = print,
    force: bool = False,
    workers: int = 1,
    dist: Distributed = SINGLE,
) -> StudyResults:
    """Run (or resume) the study into ``out`` and return the merged results.

    A finished folder with the same settings and models is returned as is unless ``force``. ``workers``
    > 1 runs the (attribute, chunk) units in that many processes (ffa_lab.experiments.units.run_units).

    ``progress(done, total)`` is called after every finished unit with attacks done / total; an
    exception raised from it (or anywhere) leaves the finished units in ``out/parts`` for the next run.
    """
    out, bank = Path(out), loaded.bank
    with dist.main_first():  # rank 0 fills the image cache, the others memory-map it
        split = select_split(bank, data, config, cache_dir)
    ids, chosen, all_images, labels, clean_scores = (
        split.ids,
        split.chosen,
        split.all_images,
        split.labels,
        split.scores,
    )
    clean_pred = predicts_positive(clean_scores)
    correct = clean_pred == (labels == 1)
    settings = {
        **config.to_json(),
        "n_images": len(ids),
        "image_ids_sha": _ids_digest(ids),
        "model_fingerprint": model_fingerprint(loaded.folder),
        "data_fingerprint": data.fingerprint(),
        "bank_attributes": list(bank.attributes),
    }
    if dist.from_main(not force and finished_settings(out) == settings):  # one decision for all ranks
        log(f"{out} already holds this study (same settings and models); nothing to do")
        return read_study(out)
    with dist.main_first():  # rank 0 checks or writes the store's settings first
        store = PartStore(out, settings)
    units = [(a, c) for a in config.attributes for c in range(0, len(ids), config.chunk_size)]
    work = []
    for attribute, start in units:
        positions = start + np.flatnonzero(correct[start : start + config.chunk_size, bank.attributes.index(attribute)])
        work.append((_key(attribute, start), (attribute, positions), len(positions) * len(config.attacks)))
    if any(store.has(key) for key, _, _ in work):
        dist.log(
            f"resuming: {sum(store.has(key) for key, _, _ in work)}/{len(work)} units already done in {store.folder}",
            log,
        )
    started = time.time()
    context = {"bank": bank, "images": all_images, "chosen": chosen, "clean_pred": clean_pred, "config": config}
    builder_args = (
        str(loaded.folder),
        str(data.root),
        cache_dir and str(cache_dir),
        config.split,
        chosen,
        clean_pred,
        config,
    )
    run_units(
        store,
        work,
        study_unit,
        context,
        workers=workers,
        builder=study_context,
        builder_args=builder_args,
        progress=progress,
        dist=dist,
    )
    seconds = time.time() - started
    if dist.is_main:  # every rank's parts are in the store: rank 0 merges them
        parts = {u: store.load(_key(*u)) for u in units}
        _write_study(out, config, settings, loaded, ids, labels, correct, parts, seconds, data.root)
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


def _key(attribute: str, start: int) -> str:
    return f"{attribute}__{start:06d}"


def _empty_part(groups: int, shape: tuple[int, int]) -> dict[str, np.ndarray]:
    part = {k: np.zeros(0, np.float32) for k in ("scale", "l2", "linf", "pass", "score_before", "score_after")}
    part.update(method=np.zeros(0, np.int8), success=np.zeros(0, bool), position=np.zeros(0, np.int32))
    part.update(se_sum=np.zeros(groups, np.int64), se_n=np.int64(0), delta_sum=np.zeros(shape), delta_n=np.int64(0))
    return part


def _write_study(
    out: Path,
    config: StudyConfig,
    settings: dict,
    loaded: LoadedBank,
    ids: list[str],
    labels: np.ndarray,
    correct: np.ndarray,
    parts: dict,
    seconds: float,
    celeba_root: Path,
) -> None:
    bank, frames = loaded.bank, []
    se_rows, mean_maps = [], []
    for attribute in config.attributes:
        mine = [p for (a, _), p in parts.items() if a == attribute]
        frame = pd.DataFrame(
            {
                k: np.concatenate([p[k] for p in mine])
                for k in ("position", "method", "success", "scale", "l2", "linf", "pass", "score_before", "score_after")
            }
        )
        frame.insert(0, "attribute", attribute)
        frames.append(frame)
        se_n = sum(int(p["se_n"]) for p in mine)
        se_rows.append(sum(p["se_sum"] for p in mine) / max(se_n, 1))
        delta_n = sum(int(p["delta_n"]) for p in mine)
        mean_maps.append(sum(p["delta_sum"] for p in mine) / max(delta_n, 1))
    samples = pd.concat(frames, ignore_index=True)
    samples.insert(0, "image_id", np.asarray(ids, dtype=object)[samples.pop("position").to_numpy()])
    samples["method"] = np.asarray(config.attacks, dtype=object)[samples["method"].to_numpy()]
    samples = samples.sort_values(["attribute", "method", "image_id"], kind="stable").reset_index(drop=True)
    side = pd.DataFrame(
        np.array(se_rows), index=pd.Index(config.attributes, name="attribute"), columns=list(bank.attributes)
    )
    write_csv(out / SAMPLES_FILE, samples)
    write_csv(out / "side_effects.csv", side.reset_index())
    write_npz(out / "mean_perturbation.npz", {"mean_abs_delta": np.array(mean_maps, dtype=np.float32)})
    per_attribute = summarize_attributes(samples, config, bank.attributes, labels, correct)
    for attribute, row in zip(config.attributes, se_rows, strict=True):
        per_attribute[attribute]["side_effects_n"] = int(
            sum(int(p["se_n"]) for (a, _), p in parts.items() if a == attribute)
        )
        others = np.delete(row, bank.attributes.index(attribute))
        per_attribute[attribute]["side_effect_mean_rate"] = float(others.mean()) if len(others) else 0.0
    summary = {
        "format_version": FORMAT_VERSION,
        "kind": "study",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {**settings, "models": str(loaded.folder), "celeba": str(celeba_root)},
        "model_fingerprint": settings["model_fingerprint"],
        "attacks": list(config.attacks),
        "attributes": per_attribute,
        "side_effect_columns": list(bank.attributes),
        "ranking": rank_attributes(per_attribute, config),
        "ranking_criterion": RANKING_CRITERION.format(tau=config.tau),
        "seconds_last_session": round(seconds, 1),
    }
    write_json(out / "summary.json", summary)


def summarize_attributes(
    samples: pd.DataFrame, config: StudyConfig, bank_attributes: list[str], labels: np.ndarray, correct: np.ndarray
) -> dict[str, dict]:
    """Per attribute: clean accuracy (%), number attacked, success rates (%) and distance quartiles."""
    out = {}
    for attribute, group in samples.groupby("attribute", sort=False):
        g = bank_attributes.index(attribute)
        n = int(correct[:, g].sum())
        entry = {
            "clean_accuracy": 100.0 * n / len(labels),
            "n_images": len(labels),
            "n_attacked": n,
            "success": {},
            "success_pass99": {},
            "linf": {},
            "l2": {},
            "pass": {},
            "scale": {},
        }
        for method in config.attacks:
            rows = group[group["method"] == method]
            won = rows[rows["success"].astype(bool)]
            entry["success"][method] = 100.0 * len(won) / max(n, 1)
            entry["success_pass99"][method] = 100.0 * int((won["pass"] >= config.tau).sum()) / max(n, 1)
            for column in ("linf", "l2", "pass", "scale"):
                entry[column][method] = quartiles(won[column].to_numpy())
        out[attribute] = entry
    for attribute in config.attributes:
        out.setdefault(attribute, {"clean_accuracy": 0.0, "n_images": len(labels), "n_attacked": 0})
    return {a: out[a] for a in config.attributes}


def rank_attributes(per_attribute: dict[str, dict], config: StudyConfig) -> list[str]:
    """Attribute names from most robust to least (see ``RANKING_CRITERION``); FFA or the first attack."""
    method = "ffa" if "ffa" in config.attacks else config.attacks[0]

    def key(name: str) -> tuple[float, float]:
        entry = per_attribute[name]
        rate = entry.get("success_pass99", {}).get(method, 100.0)
        median = (entry.get("linf", {}).get(method) or {}).get("median")
        return (rate, -(median if median is not None else np.inf))

    return sorted(per_attribute, key=key)
