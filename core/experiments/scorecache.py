"""Clean scores of a split per attribute network, computed once per (bank, dataset) and kept on disk.

Natural-adversarial mining needs, for each asked attribute, the images its network gets wrong: the sign
of the score of that attribute's own network (``bank.subset([g])``, the very network FFA then attacks).
Mining one attribute therefore scores one network, 1/40 of the bank's work, and nothing else.

With a cache folder the scores are kept in ``scores-<key>.npz``: ``scores`` (N, G) float32 and ``known``
(N, G) bool over the whole split's N images and the bank's G attributes, plus their ``attributes``. A
later run (another image limit, another attribute, another session of the app) scores only the missing
(image, attribute) pairs. The key (:func:`score_key`) covers the model files' fingerprint, the dataset's
ids and labels, the split's image files (names, sizes, modification times) and the device, so a changed
bank or dataset never reuses a stale score. Scoring is batch-independent (tests/experiments/test_scorecache.py),
so a cached score equals a fresh one bit for bit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ffa_lab.data.celeba import CelebA
from ffa_lab.data.imagecache import images_key
from ffa_lab.experiments.results import write_npz
from ffa_lab.models.evaluate import bank_scores
from ffa_lab.models.family import AttributeModel


def score_key(model_fingerprint: str, data: CelebA, split: str, device: str) -> str:
    """The cache key of one split's scores: changes with the model files, the labels or any image file."""
    ids = data.split_ids(split)
    text = f"{model_fingerprint}|{data.fingerprint()}|{split}|{images_key(data, ids) if ids else ''}|{device}"
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _empty(n: int, groups: int) -> tuple[np.ndarray, np.ndarray]:
    return np.full((n, groups), np.nan, np.float32), np.zeros((n, groups), bool)


def _load(path: Path | None, n: int, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """(scores, known) from ``path``; empty when it is missing, unreadable or of another shape."""
    if path is None or not path.is_file():
        return _empty(n, len(names))
    try:
        with np.load(path, allow_pickle=False) as saved:
            scores, known, attributes = saved["scores"], saved["known"], saved["attributes"].tolist()
    except (OSError, ValueError, KeyError, EOFError):
        return _empty(n, len(names))  # a broken cache is rescored, never trusted
    if scores.shape != (n, len(names)) or known.shape != scores.shape or attributes != names:
        return _empty(n, len(names))
    return scores.astype(np.float32, copy=True), known.astype(bool, copy=True)


def _save(path: Path, scores: np.ndarray, known: np.ndarray, names: list[str]) -> None:
    """Write atomically, keeping what another process saved meanwhile (the union of both)."""
    theirs, theirs_known = _load(path, len(scores), names)
    add = theirs_known & ~known
    merged, merged_known = np.where(add, theirs, scores), known | theirs_known
    write_npz(path, {"scores": merged, "known": merged_known, "attributes": np.asarray(names, dtype=str)})


def attribute_scores(
    bank: AttributeModel,
    images: np.ndarray,
    chosen: np.ndarray,
    attributes: tuple[str, ...] | list[str],
    *,
    folder: Path | None = None,
    key: str | None = None,
    device: str = "cpu",
    progress: Callable[[int, int], None] | None = None,
) -> np.ndarray:
    """Scores (len(chosen), G) float32 of the split's images ``images[chosen]`` (uint8 N x H x W x 3) by
    each of ``attributes``' own network, NaN in the columns of the bank's other attributes.

    With ``folder`` and ``key`` the scores are read from and added to the cache there. ``progress(done,
    total)`` counts (image, attribute) pairs scored in this call: once at 0 and after every batch."""
    names = list(bank.attributes)
    path = Path(folder) / f"scores-{key}.npz" if folder is not None and key else None
    scores, known = _load(path, len(images), names)
    columns = [names.index(a) for a in attributes]
    todo = {g: chosen[~known[chosen, g]] for g in columns}
    total, done = sum(len(p) for p in todo.values()), 0
    if progress is not None:
        progress(0, total)

    def count(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(done, total)

    for g, positions in todo.items():
        if not len(positions):
            continue
        network = bank.subset([g]).to(device)
        scores[positions, g] = bank_scores(network, images[positions], device=device, progress=count)[:, 0]
        known[positions, g] = True
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            _save(path, scores, known, names)
    out = np.full((len(chosen), len(names)), np.nan, np.float32)
    out[:, columns] = scores[np.ix_(chosen, np.asarray(columns, dtype=np.int64))]
    return out
