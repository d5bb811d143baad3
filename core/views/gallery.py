"""The natural-adversarial gallery's data: filter and sort result rows, mine one attribute live.

Rows follow the natural ``samples.csv`` schema (core/experiments/results.py NATURAL_COLUMNS): split, image_id,
attribute, label, score_before, score_after, success, scale, l2, linf, pass, natural. Live mining runs
ffa_lab.experiments.natural.run_natural for one attribute into a per-settings folder under the system temp folder
(``ffa-lab-app/``), the same computation as ``ffa-lab natural --attributes A --split S --limit N``:

- an identical repeat (any session, also after a server restart) finds the finished folder before reading or
  scoring any image and returns it (tests/views/test_gallery_mining.py: under 2 s);
- the clean scores of the split are kept beside the folders (ffa_lab.experiments.scorecache, keyed by the model
  files, the labels and the image files), so another image limit or attribute scores only what is missing;
- progress arrives as ffa_lab.experiments.progress.Step events: images read, images scored, pairs corrected, ETA.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ffa_lab.data.celeba import CelebA
from ffa_lab.experiments.natural import NaturalConfig, finished_natural, natural_settings, run_natural
from ffa_lab.experiments.options import RunOptions
from ffa_lab.experiments.progress import Step
from ffa_lab.experiments.results import NaturalResults
from ffa_lab.models.checkpoint import LoadedBank
from ffa_lab.views import limits

SORT_KEYS = {"smallest L∞ fix": ("linf", True), "smallest scale": ("scale", True), "highest PASS": ("pass", False)}


@dataclass(frozen=True)
class GalleryFilter:
    """Which rows to show: attributes (empty = all), splits (empty = all), PASS at least ``min_pass``."""

    attributes: tuple[str, ...] = ()
    splits: tuple[str, ...] = ()
    min_pass: float = 0.0
    natural_only: bool = False
    sort: str = "smallest L∞ fix"


def filter_rows(samples: pd.DataFrame, chosen: GalleryFilter) -> pd.DataFrame:
    """Corrected misclassifications matching ``chosen``, sorted by how small the fix is."""
    rows = samples[samples["success"].astype(bool)]
    if chosen.attributes:
        rows = rows[rows["attribute"].isin(chosen.attributes)]
    if chosen.splits:
        rows = rows[rows["split"].isin(chosen.splits)]
    if chosen.min_pass > 0:
        rows = rows[rows["pass"].fillna(0) >= chosen.min_pass]
    if chosen.natural_only:
        rows = rows[rows["natural"].astype(bool)]
    column, ascending = SORT_KEYS[chosen.sort]
    return rows.sort_values([column, "image_id"], ascending=[ascending, True], kind="stable").reset_index(drop=True)


def summary_table(results: NaturalResults) -> pd.DataFrame:
    """Per split and attribute: misclassified, corrected, natural and the natural rate (%)."""
    rows = []
    for split, entry in results.summary["splits"].items():
        for attribute, stats in entry.get("attributes", {}).items():
            rows.append(
                {
                    "split": split,
                    "attribute": attribute,
                    "misclassified": stats.get("misclassified"),
                    "corrected": stats.get("corrected"),
                    "natural": stats.get("natural"),
                    "natural rate %": round(float(stats.get("rate", float("nan"))), 1),
                }
            )
    return pd.DataFrame(rows)


def mining_folder(model_key: str, dataset_root: str, split: str, attribute: str, limit: int) -> Path:
    """Where live mining of these settings is kept (one folder per settings, under the temp folder)."""
    digest = hashlib.sha256(f"{model_key}|{dataset_root}|{split}|{attribute}|{limit}".encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "ffa-lab-app" / f"natural-{digest}"


def mine(
    loaded: LoadedBank,
    data: CelebA,
    model_key: str,
    attribute: str,
    split: str,
    limit: int,
    progress: Callable[[Step], None] | None = None,
    tau: float = 0.99,
) -> NaturalResults:
    """Mine natural adversarial samples of one attribute on ``limit`` images of ``split`` (FFA, goal correct);
    ``progress`` gets a Step per update while work is done (none on a finished repeat)."""
    config = NaturalConfig(split=split, tau=tau, attributes=(attribute,), limit=limit, chunk_size=32)
    out = mining_folder(model_key, str(data.root), split, attribute, limit)
    # one session mines a folder at a time (the run cleans up its parts/ when done); a finished folder is
    # read without an attack slot, while new mining counts against the slots like any other attack work
    with limits.exclusive(str(out)):
        finished = finished_natural(out, natural_settings(loaded, data, config), split)
        if finished is not None:
            return finished
        with limits.attack_slot():
            return run_natural(
                loaded, data, config, out, score_cache=out.parent, steps=progress, options=RunOptions.quiet()
            )
