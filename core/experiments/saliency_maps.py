"""Per-attribute mean saliency maps over a study's images: ``mean_saliency.npz`` (docs/results-format.md).

The images are the study's: the same seeded subset of the split (``select_split`` with the same split,
limit and seed, so ``image_ids_sha`` equals the study's), and for each attribute the images its network
classifies correctly — the ones the study attacks, whose FFA perturbations make ``mean_perturbation.npz``.
Per (image, attribute) the maps of ffa_lab.explain.saliency are normalised so that every image weighs the
same: evidence e = gradient × input divided by Σ|e| (each image's |e| sums to 1), Grad-CAM divided by its
largest |value|. Means over the images are then

- ``mean_abs_evidence`` (A, H, W): mean of |e| / Σ|e| — where the evidence is; sums to 1 per attribute;
- ``mean_evidence`` (A, H, W): mean of e / Σ|e| — signed, > 0 = on average evidence for +1;
- ``mean_grad_cam`` (A, H, W): mean of CAM / max|CAM| — signed, in [−1, 1];
- ``n_images`` (A,): how many images each mean is over; ``attributes`` (A,) and ``meta`` (a JSON string:
  format version, split, limit, seed, image_ids_sha, model and data fingerprints).

A separate file written by ``ffa-lab saliency`` (not by ``ffa-lab study``), so the study's own files are
unchanged; put it in the study folder and the dashboard shows it beside the mean |δ| maps.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ffa_lab.attacks.criteria import is_success
from ffa_lab.data.attributes import ATTRIBUTES
from ffa_lab.data.celeba import CelebA
from ffa_lab.errors import ResultsError
from ffa_lab.experiments.results import model_fingerprint, write_npz
from ffa_lab.experiments.selection import select_split
from ffa_lab.explain.saliency import all_attribute_maps
from ffa_lab.models.checkpoint import LoadedBank
from ffa_lab.models.family import AttributeModel

SALIENCY_FILE = "mean_saliency.npz"
SALIENCY_VERSION = 1
MAP_KEYS = ("mean_abs_evidence", "mean_evidence", "mean_grad_cam")


@dataclass(frozen=True)
class SaliencyConfig:
    """Which images: the study's selection fields (``select_split`` reads attributes, split, limit, seed, device)."""

    split: str = "test"
    limit: int | None = None
    seed: int = 0
    attributes: tuple[str, ...] = ATTRIBUTES
    device: str = "cpu"
    batch_size: int = 8  # images per pass (x 40 networks each)


@dataclass(frozen=True, eq=False)
class MeanSaliency:
    """A ``mean_saliency.npz``: maps float32 (A, H, W) in ``attributes`` order (see module docstring)."""

    attributes: list[str]
    mean_abs_evidence: np.ndarray
    mean_evidence: np.ndarray
    mean_grad_cam: np.ndarray
    n_images: np.ndarray
    meta: dict

    def index(self, attribute: str) -> int:
        return self.attributes.index(attribute)


def mean_maps(
    bank: AttributeModel,
    images: np.ndarray,
    include: np.ndarray,
    attributes: list[str],
    *,
    batch_size: int = 8,
    device: str = "cpu",
    progress: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Means over images i with ``include[i, a]`` (bool (n, A)) of the normalised maps; arrays as in the file."""
    sums = {key: np.zeros((len(attributes), *images.shape[1:3]), np.float64) for key in MAP_KEYS}
    for start in range(0, len(images), batch_size):
        maps = all_attribute_maps(bank, images[start : start + batch_size], attributes, device=device)  # type: ignore[arg-type]  # typed for AttributeBank; reads only the AttributeModel interface and arch
        weight = include[start : start + batch_size].astype(np.float64)[..., None, None]  # (b, A, 1, 1)
        evidence = maps.gradient_x_input.astype(np.float64)
        evidence /= np.maximum(np.abs(evidence).sum(axis=(-2, -1), keepdims=True), 1e-30)
        cam = maps.grad_cam.astype(np.float64)
        cam /= np.maximum(np.abs(cam).max(axis=(-2, -1), keepdims=True), 1e-30)
        sums["mean_abs_evidence"] += (weight * np.abs(evidence)).sum(axis=0)
        sums["mean_evidence"] += (weight * evidence).sum(axis=0)
        sums["mean_grad_cam"] += (weight * cam).sum(axis=0)
        if progress is not None:
            progress(len(maps.scores))
    counts = include.sum(axis=0).astype(np.int64)
    out = {key: (value / np.maximum(counts, 1)[:, None, None]).astype(np.float32) for key, value in sums.items()}
    return {**out, "n_images": counts}


def run_mean_saliency(
    loaded: LoadedBank,
    data: CelebA,
    config: SaliencyConfig,
    out: str | Path,
    *,
    cache_dir: Path | None = None,
    progress: Callable[[int], None] | None = None,
) -> MeanSaliency:
    """Select the study's images, average the maps of every attribute in ``config``, write ``out/mean_saliency.npz``."""
    bank = loaded.bank
    split = select_split(bank, data, config, cache_dir)
    columns = [bank.attributes.index(a) for a in config.attributes]
    assert split.scores is not None, "select_split scores the chosen images by default"
    correct = is_success(split.scores[:, columns], split.labels[:, columns])
    images = np.ascontiguousarray(split.all_images[split.chosen])
    arrays = mean_maps(
        bank,
        images,
        correct,
        list(config.attributes),
        batch_size=config.batch_size,
        device=config.device,
        progress=progress,
    )
    meta = {
        "format_version": SALIENCY_VERSION,
        "kind": "mean_saliency",
        "split": config.split,
        "limit": config.limit,
        "seed": config.seed,
        "n_images": len(split.ids),
        "image_ids_sha": hashlib.sha256("\n".join(split.ids).encode()).hexdigest()[:16],  # as the study's
        "model_fingerprint": model_fingerprint(loaded.folder),
        "data_fingerprint": data.fingerprint(),
        "images": "per attribute, the chosen images its network classifies correctly",
    }
    path = Path(out) / SALIENCY_FILE
    write_npz(path, {**arrays, "attributes": np.array(config.attributes), "meta": np.array(json.dumps(meta))})
    written = read_mean_saliency(path.parent)
    assert written is not None, "the file was just written"
    return written


def read_mean_saliency(folder: str | Path) -> MeanSaliency | None:
    """The ``mean_saliency.npz`` of ``folder``; None when there is none, ResultsError when it is malformed."""
    path = Path(folder) / SALIENCY_FILE
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in (*MAP_KEYS, "n_images", "attributes", "meta")}
    except (OSError, ValueError, KeyError) as exc:
        raise ResultsError(f"{path}: unreadable or missing a key ({exc})") from None
    meta = json.loads(str(arrays["meta"]))
    if meta.get("format_version") != SALIENCY_VERSION:
        raise ResultsError(f"{path}: format version {meta.get('format_version')!r} is not {SALIENCY_VERSION}")
    names = [str(a) for a in arrays["attributes"]]
    for key in MAP_KEYS:
        if arrays[key].ndim != 3 or arrays[key].shape[0] != len(names):
            raise ResultsError(f"{path}: {key} has shape {arrays[key].shape}, expected ({len(names)}, H, W)")
    maps = {key: arrays[key].astype(np.float32) for key in MAP_KEYS}
    return MeanSaliency(names, **maps, n_images=arrays["n_images"].astype(np.int64), meta=meta)
