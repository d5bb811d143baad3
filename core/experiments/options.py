"""How a long run runs, apart from what it computes: the options every batch runner takes.

Training (ffa_lab.models.train, train_shared, train_adversarial), the study and natural mining
(ffa_lab.experiments) each take their typed config (what to compute) and one :class:`RunOptions`
(where decoded images are cached, where messages and progress go, which torch.distributed rank this
process is, which device trains, whether a finished folder is recomputed). Two runs that differ only in
their options write the same results (up to floating-point rounding between devices).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ffa_lab.experiments.distributed import SINGLE, Distributed


def _silent(_message: str) -> None:
    """A ``log`` that drops its message."""


@dataclass(frozen=True)
class RunOptions:
    """``cache_dir``: decoded-image cache folder (ffa_lab.data.imagecache; None = decode in memory);
    ``log(message)``: one-line messages (default print); ``progress``: the runner's progress callback
    (its signature is the runner's: ``(epoch, step, total)`` for training, ``(done, total)`` for the study
    and mining); ``dist``: this process's rank (ffa_lab.experiments.distributed; default single process);
    ``device``: the torch device training runs on (the study and mining keep theirs in their config, where it
    is part of the settings their score cache is keyed by); ``force``: the study and mining recompute a
    folder that already holds finished results with the same settings and models."""

    cache_dir: Path | None = None
    log: Callable[[str], None] = print
    progress: Callable | None = None
    dist: Distributed = SINGLE
    device: str = "cpu"
    force: bool = False

    @classmethod
    def quiet(cls, cache_dir: Path | None = None, progress: Callable | None = None, **options) -> RunOptions:
        """Options that log nothing (tests, the app's background work); ``options``: the other fields."""
        return cls(cache_dir=cache_dir, log=_silent, progress=progress, **options)
