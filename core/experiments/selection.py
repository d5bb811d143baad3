"""The image subset a study or a mining run works on, and summary helpers they share.

``select_split`` picks a seeded subset of one split (the same images for every attribute), checks the
bank covers the asked attributes and scores the subset once with the whole bank (the study attacks the
correctly classified pairs); natural mining asks for no scores and scores each asked attribute's own
network instead (ffa_lab.experiments.scorecache).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ffa_lab.attacks.criteria import predicts_positive
from ffa_lab.data.attributes import ATTRIBUTES
from ffa_lab.data.celeba import CelebA
from ffa_lab.data.imagecache import load_images
from ffa_lab.errors import UsageError
from ffa_lab.models.evaluate import bank_scores
from ffa_lab.models.family import AttributeModel


def select_images(n_total: int, limit: int | None, seed: int) -> np.ndarray:
    """Sorted positions of a seeded subset of ``limit`` of ``n_total`` images (all when None)."""
    if limit is None or limit >= n_total:
        return np.arange(n_total)
    if limit <= 0:
        raise ValueError(f"limit must be positive, not {limit}")
    return np.sort(np.random.default_rng(seed).choice(n_total, size=limit, replace=False))


@dataclass(frozen=True)
class SplitSelection:
    """The seeded image subset of one split and the bank's clean scores on it (study and natural mining).

    ``chosen`` are positions in the split, ``all_images`` the whole split (uint8 N x H x W x 3, cached),
    ``labels`` and ``scores`` (n, G) for the chosen images and the bank's attributes (None when not asked for)."""

    ids: list[str]
    chosen: np.ndarray
    all_images: np.ndarray
    labels: np.ndarray
    scores: np.ndarray | None


@dataclass(frozen=True)
class UnitContext:
    """What every (attribute, chunk) unit of the study and of natural mining reads: the bank, the
    selected split and the device; built once per process (each rank builds its own)."""

    bank: AttributeModel
    split: SplitSelection
    device: str = "cpu"

    def images(self, positions: np.ndarray) -> np.ndarray:
        """The chosen images at ``positions`` (indices into ``split.chosen``), uint8 (len, H, W, 3)."""
        return np.ascontiguousarray(self.split.all_images[self.split.chosen[positions]])

    def network(self, attribute: str) -> tuple[int, AttributeModel]:
        """(column g of ``attribute`` in the bank, the one-network bank that attacks it)."""
        g = self.bank.attributes.index(attribute)
        return g, self.bank.subset([g])

    @property
    def positive(self) -> np.ndarray:
        """The bank's clean predictions on the chosen images, bool (n, G): True = +1 (criteria)."""
        assert self.split.scores is not None, "select_split(score=True) scores the chosen images"
        return predicts_positive(self.split.scores)


def select_split(
    bank: AttributeModel,
    data: CelebA,
    config,
    cache_dir: Path | None,
    *,
    score: bool = True,
    progress: Callable[[int, int], None] | None = None,
) -> SplitSelection:
    """Check the bank covers ``config.attributes``, pick ``config.limit`` images of ``config.split``
    (seeded) and, when ``score``, score them; UsageError when the bank or the split is lacking.
    ``progress(decoded, total)`` follows the decoding of the split's images (ffa_lab.data.imagecache)."""
    missing = [a for a in config.attributes if a not in bank.attributes]
    if missing:
        raise UsageError(f"the model folder has no network for {', '.join(missing)}")
    all_ids = data.split_ids(config.split)
    if not all_ids:
        raise UsageError(f"the {config.split} split of {data.root} has no images")
    chosen = select_images(len(all_ids), config.limit, config.seed)
    ids = [all_ids[i] for i in chosen]
    all_images = load_images(data, all_ids, cache_dir, progress=progress)
    labels = data.labels_for(ids)[:, [ATTRIBUTES.index(a) for a in bank.attributes]]
    scores = None
    if score:
        scores = bank_scores(bank.to(config.device), np.ascontiguousarray(all_images[chosen]), device=config.device)
    return SplitSelection(ids, chosen, all_images, labels, scores)


def quartiles(values: np.ndarray) -> dict[str, float] | None:
    """{"q25", "median", "q75"} of the finite values, or None when there are none."""
    values = np.asarray(values, dtype=np.float64)
    values = values[np.isfinite(values)]
    if not len(values):
        return None
    q25, median, q75 = np.percentile(values, [25, 50, 75])
    return {"q25": float(q25), "median": float(median), "q75": float(q75)}
