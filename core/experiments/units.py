"""Resumable units of work: a folder of finished parts, and the runner that fills it.

A long run (the study, natural mining) is cut into (attribute, chunk) units. Each finished unit is one
compressed npz in ``OUT/parts/`` (:class:`PartStore`), so a killed run resumes without redoing it;
:func:`run_units` runs the missing units in this process or across the ranks of a torch.distributed job
(torchrun; ``--workers N`` starts one), and saves each part as it finishes; :func:`unit_key` names them.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ffa_lab.experiments import distributed
from ffa_lab.experiments.distributed import SINGLE, Distributed
from ffa_lab.experiments.results import ResultsError, write_npz
from ffa_lab.files import json_safe, write_json


class PartStore:
    """The ``parts/`` folder of an unfinished run: one compressed npz per finished unit of work.

    ``settings`` must be JSON-able; opening a store whose saved settings differ raises
    :class:`ResultsError` (finished parts of another configuration are never mixed in).
    """

    def __init__(self, folder: str | Path, settings: dict, name: str = "parts"):
        self.folder = Path(folder) / name
        self.settings = json.loads(json.dumps(json_safe(settings)))
        saved_path = self.folder / "settings.json"
        if saved_path.is_file():
            try:
                saved = json.loads(saved_path.read_text())
            except json.JSONDecodeError:
                saved = None
            if saved != self.settings:
                raise ResultsError(
                    f"{self.folder} holds an unfinished run with different settings or models; "
                    "re-run with the same flags to resume, or delete that parts/ folder to start over"
                )
        else:
            write_json(saved_path, self.settings)

    def _path(self, key: str) -> Path:
        if not key or "/" in key or key.startswith("."):
            raise ValueError(f"bad part key {key!r}")
        return self.folder / f"{key}.npz"

    def has(self, key: str) -> bool:
        return self._path(key).is_file()

    def save(self, key: str, arrays: dict[str, np.ndarray]) -> None:
        write_npz(self._path(key), arrays)

    def load(self, key: str) -> dict[str, np.ndarray]:
        try:
            with np.load(self._path(key), allow_pickle=False) as data:
                return {name: data[name] for name in data.files}
        except (OSError, ValueError, KeyError) as exc:
            raise ResultsError(
                f"{self._path(key)}: unreadable part file ({exc}); delete it to redo that chunk"
            ) from None

    def keys(self) -> list[str]:
        return sorted(p.stem for p in self.folder.glob("*.npz"))

    def remove(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)


def unit_key(attribute: str, start: int) -> str:
    """The part name of the unit of ``attribute`` that starts at ``start`` (study and natural mining alike)."""
    return f"{attribute}__{start:06d}"


Unit = tuple[str, tuple, int]  # (part key, the task's arguments after the context, weight for progress/balance)


def run_units(
    store: PartStore,
    units: list[Unit],
    task: Callable[..., dict[str, np.ndarray]],
    context: Any,
    *,
    progress: Callable[[int, int], None] | None = None,
    dist: Distributed = SINGLE,
) -> None:
    """Run ``task(context, *args)`` for every unit ``(key, args, weight)`` whose part is not in ``store``
    and save its arrays under ``key`` as it finishes; ``progress(done_weight, total_weight)`` after each.

    In one process the units run in order. Under torch.distributed (``dist``; torchrun, or ``--workers N``
    which starts torchrun) rank 0 lists the missing units, every rank takes its weight-balanced share
    (ffa_lab.experiments.distributed.balance), and all return once every rank has finished: the store then
    holds every part. An interruption keeps every finished unit.
    """
    # rank 0 lists the missing units, before any rank saves a new one, and every rank uses its list
    missing = set(dist.from_main([key for key, _, _ in units if not store.has(key)]))
    todo = [unit for unit in units if unit[0] in missing]
    if dist.enabled:
        share = distributed.balance([weight for _, _, weight in todo], dist.world_size)[dist.rank]
        todo = [todo[i] for i in share]
        total = sum(weight for _, _, weight in todo)
        done = 0
    else:
        total = sum(weight for _, _, weight in units)
        done = sum(weight for key, _, weight in units if store.has(key))
    for key, args, weight in todo:
        store.save(key, task(context, *args))
        done += weight
        if progress is not None:
            progress(done, total)
    dist.barrier()  # a rank that fails never gets here; torchrun then stops the job (finished parts stay)
