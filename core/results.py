"""Versioned results folders: atomic writers, resumable part files, and the readers the app uses.

Schema (documented in docs/results-format.md, ``FORMAT_VERSION`` = 1):

study folder   ``summary.json`` (kind "study"), ``samples.csv.gz``, ``side_effects.csv`` (40x40 rates, row =
               attacked attribute, column = attribute whose prediction changed), ``mean_perturbation.npz``
               (key ``mean_abs_delta`` float32 (A, H, W)).
natural folder ``summary.json`` (kind "natural", per split and attribute), ``samples.csv.gz``, optionally
               ``extra_epochs.json``.

While a run is in progress its finished work lives in ``parts/``: ``settings.json`` (the run's settings;
a resume with other settings is refused) and one ``<key>.npz`` per finished (attribute, chunk). Every
file is written to a temporary name and renamed, so a killed run leaves whole files only, and a re-run
skips every part that exists. The final merge writes the tables and removes ``parts/``.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from core import distributed
from core.checkpoint import atomic_write_bytes
from core.distributed import SINGLE, Distributed

FORMAT_VERSION = 1
STUDY_COLUMNS = ("image_id", "attribute", "method", "success", "scale", "l2", "linf", "pass", "score_before",
                 "score_after")  # fmt: skip
NATURAL_COLUMNS = ("split", "image_id", "attribute", "label", "score_before", "score_after", "success", "scale",
                   "l2", "linf", "pass", "natural")  # fmt: skip


class ResultsError(ValueError):
    """A results folder is missing, incomplete, malformed or from another run; the message says which."""


# --- writing -------------------------------------------------------------------------------------
def write_json(path: Path, document: dict) -> None:
    """Atomically write ``document`` as indented JSON (NaN is written as null)."""
    text = json.dumps(_clean_json(document), indent=1, allow_nan=False)
    atomic_write_bytes(Path(path), text.encode())


def _clean_json(value):
    if isinstance(value, dict):
        return {str(k): _clean_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean_json(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None
    return value


SAMPLES_FILE = "samples.csv.gz"  # per-sample rows: gzip keeps the committed tables small


def write_csv(path: Path, table: pd.DataFrame) -> None:
    """Atomically write a table as CSV (gzip when the name ends in .gz, with mtime 0 so equal tables give
    equal bytes); floats with 6 significant digits."""
    data = table.to_csv(index=False, float_format="%.6g").encode()
    atomic_write_bytes(Path(path), gzip.compress(data, mtime=0) if str(path).endswith(".gz") else data)


def samples_path(folder: Path) -> Path:
    """The folder's per-sample table: ``samples.csv.gz``, or a plain ``samples.csv`` from older runs."""
    plain = folder / "samples.csv"
    return plain if plain.is_file() and not (folder / SAMPLES_FILE).is_file() else folder / SAMPLES_FILE


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    atomic_write_bytes(Path(path), buffer.getvalue())


def model_fingerprint(folder: str | Path) -> str:
    """Short sha256 over the names and bytes of a model folder's ``*.safetensors`` files."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).glob("*.safetensors")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


class PartStore:
    """The ``parts/`` folder of an unfinished run: one compressed npz per finished unit of work.

    ``settings`` must be JSON-able; opening a store whose saved settings differ raises
    :class:`ResultsError` (finished parts of another configuration are never mixed in).
    """

    def __init__(self, folder: str | Path, settings: dict, name: str = "parts"):
        self.folder = Path(folder) / name
        self.settings = json.loads(json.dumps(_clean_json(settings)))
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


# --- reading -------------------------------------------------------------------------------------
def _read_summary(folder: Path, kind: str) -> dict:
    if not folder.is_dir():
        raise ResultsError(f"results folder not found: {folder}")
    path = folder / "summary.json"
    if not path.is_file():
        hint = " (an unfinished run: re-run the command to resume)" if (folder / "parts").is_dir() else ""
        raise ResultsError(f"{path}: missing; not a finished {kind} results folder{hint}")
    try:
        summary = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(summary, dict):
        raise ResultsError(f"{path}: expected a JSON object")
    if summary.get("format_version") != FORMAT_VERSION:
        raise ResultsError(f"{path}: format version {summary.get('format_version')!r} is not {FORMAT_VERSION}")
    if summary.get("kind") != kind:
        raise ResultsError(f"{path}: this is a {summary.get('kind')!r} folder, expected {kind!r}")
    return summary


def _read_csv(path: Path, columns: tuple[str, ...], **kwargs) -> pd.DataFrame:
    if not path.is_file():
        raise ResultsError(f"{path}: missing")
    try:
        table = pd.read_csv(path, **kwargs)
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ResultsError(f"{path}: not a readable CSV table ({exc})") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ResultsError(f"{path}: missing columns {', '.join(missing)}")
    return table


@dataclass(frozen=True, eq=False)
class StudyResults:
    """A finished study folder: ``summary`` (dict), ``samples`` (one row per image x attribute x method),
    ``side_effects`` (attacked attribute x changed attribute, rates in [0, 1]) and ``mean_perturbation``
    ((A, H, W) mean |δ| in grey levels, attribute order of ``summary["attributes"]``)."""

    folder: Path
    summary: dict
    samples: pd.DataFrame
    side_effects: pd.DataFrame
    mean_perturbation: np.ndarray

    @property
    def attacks(self) -> list[str]:
        return list(self.summary["attacks"])

    @property
    def attributes(self) -> list[str]:
        return list(self.summary["attributes"])

    @property
    def ranking(self) -> list[str]:
        return list(self.summary["ranking"])


@dataclass(frozen=True, eq=False)
class NaturalResults:
    """A natural-adversarial folder: ``summary`` (per split and attribute), ``samples`` (one row per
    misclassified image x attribute) and ``extra_epochs`` (dict, or None when not run)."""

    folder: Path
    summary: dict
    samples: pd.DataFrame
    extra_epochs: dict | None

    @property
    def splits(self) -> list[str]:
        return list(self.summary["splits"])


def read_study(folder: str | Path) -> StudyResults:
    """Read a study folder; :class:`ResultsError` names the missing or malformed file."""
    folder = Path(folder)
    summary = _read_summary(folder, "study")
    for key in ("attacks", "ranking", "attributes", "settings"):
        if key not in summary:
            raise ResultsError(f"{folder / 'summary.json'}: key {key!r} is missing")
    samples = _read_csv(samples_path(folder), STUDY_COLUMNS, dtype={"image_id": str})
    side = _read_csv(folder / "side_effects.csv", ("attribute",)).set_index("attribute")
    names = list(summary["attributes"])
    if list(side.index) != names or list(side.columns) != list(summary.get("side_effect_columns", side.columns)):
        raise ResultsError(f"{folder / 'side_effects.csv'}: rows do not match the study's attributes")
    path = folder / "mean_perturbation.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            mean = data["mean_abs_delta"].astype(np.float32)
    except (OSError, ValueError, KeyError) as exc:
        raise ResultsError(f"{path}: missing or unreadable ({exc})") from None
    if mean.ndim != 3 or mean.shape[0] != len(names):
        raise ResultsError(f"{path}: mean_abs_delta has shape {mean.shape}, expected ({len(names)}, H, W)")
    return StudyResults(folder, summary, samples, side, mean)


def read_natural(folder: str | Path) -> NaturalResults:
    """Read a natural-adversarial folder; :class:`ResultsError` names the missing or malformed file."""
    folder = Path(folder)
    summary = _read_summary(folder, "natural")
    if not isinstance(summary.get("splits"), dict):
        raise ResultsError(f"{folder / 'summary.json'}: key 'splits' is missing")
    samples = _read_csv(samples_path(folder), NATURAL_COLUMNS, dtype={"image_id": str, "split": str})
    extra = None
    path = folder / "extra_epochs.json"
    if path.is_file():
        try:
            extra = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise ResultsError(f"{path}: not valid JSON ({exc})") from None
        if not isinstance(extra, dict) or "attributes" not in extra:
            raise ResultsError(f"{path}: expected an object with 'attributes'")
    return NaturalResults(folder, summary, samples, extra)


# --- running units of work, in-process or in worker processes --------------------------------------
_CONTEXT: dict = {}  # a worker process's context, built once by its initializer


def _init_worker(builder: tuple[str, str], args: tuple) -> None:
    import importlib

    import torch

    torch.set_num_threads(1)  # one thread per process: small convolutions scale better across processes
    module, name = builder
    _CONTEXT.update(getattr(importlib.import_module(module), name)(*args))


def _remote(task: tuple[str, str], args: tuple) -> dict[str, np.ndarray]:
    import importlib

    module, name = task
    return getattr(importlib.import_module(module), name)(_CONTEXT, *args)


def run_units(store: PartStore, units: list[tuple[str, tuple, int]], task, context: dict, *, workers: int = 1,
              builder=None, builder_args: tuple = (), progress=None, dist: Distributed = SINGLE) -> None:  # fmt: skip
    """Run ``task(context, *args)`` for every unit ``(key, args, weight)`` whose part is not in ``store``
    and save its arrays under ``key``; ``progress(done_weight, total_weight)`` after each.

    With ``workers`` > 1 the units run in that many spawned processes (one thread each), whose context is
    ``builder(*builder_args)`` (both top-level functions, as are ``task``). Parts are saved by this process
    as they finish, so an interruption keeps every finished unit. Under torch.distributed (``dist``) every
    rank lists the missing units, then takes its weight-balanced share (core.distributed.balance), and
    returns once every rank has finished: the store then holds every part.
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
    _run_todo(store, todo, task, context, workers, builder, builder_args, progress, done, total)
    dist.barrier()  # a rank that fails never gets here; torchrun then stops the job (finished parts stay)


def _run_todo(store, todo, task, context, workers, builder, builder_args, progress, done, total) -> None:
    if workers <= 1 or len(todo) <= 1:
        for key, args, weight in todo:
            store.save(key, task(context, *args))
            done += weight
            if progress is not None:
                progress(done, total)
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed

    pool = ProcessPoolExecutor(
        min(workers, len(todo)), mp_context=multiprocessing.get_context("spawn"), initializer=_init_worker,
        initargs=((builder.__module__, builder.__name__), builder_args),
    )  # fmt: skip
    try:
        name = (task.__module__, task.__name__)
        futures = {pool.submit(_remote, name, args): (key, weight) for key, args, weight in todo}
        for future in as_completed(futures):
            key, weight = futures[future]
            store.save(key, future.result())
            done += weight
            if progress is not None:
                progress(done, total)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
