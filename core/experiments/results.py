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
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ffa_lab.errors import ResultsError
from ffa_lab.files import atomic_write_bytes

FORMAT_VERSION = 1
STUDY_COLUMNS = (
    "image_id",
    "attribute",
    "method",
    "success",
    "scale",
    "l2",
    "linf",
    "pass",
    "score_before",
    "score_after",
)
NATURAL_COLUMNS = (
    "split",
    "image_id",
    "attribute",
    "label",
    "score_before",
    "score_after",
    "success",
    "scale",
    "l2",
    "linf",
    "pass",
    "natural",
)


# --- writing (JSON documents: ffa_lab.files.write_json) -----------------------------------------
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
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]  # numpy's stub fears a key 'allow_pickle'
    atomic_write_bytes(Path(path), buffer.getvalue())


def model_fingerprint(folder: str | Path) -> str:
    """Short sha256 over the names and bytes of a model folder's ``*.safetensors`` files."""
    digest = hashlib.sha256()
    for path in sorted(Path(folder).glob("*.safetensors")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


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


class StudySummaryFields:
    """The lists every reader of a study's ``summary.json`` asks for (a mixin over a ``summary`` dict)."""

    summary: dict

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
class StudyResults(StudySummaryFields):
    """A finished study folder: ``summary`` (dict), ``samples`` (one row per image x attribute x method),
    ``side_effects`` (attacked attribute x changed attribute, rates in [0, 1]) and ``mean_perturbation``
    ((A, H, W) mean |δ| in grey levels, attribute order of ``summary["attributes"]``)."""

    folder: Path
    summary: dict
    samples: pd.DataFrame
    side_effects: pd.DataFrame
    mean_perturbation: np.ndarray


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


def read_study_tables(folder: str | Path) -> tuple[dict, pd.DataFrame]:
    """A study folder's ``summary.json`` and ``side_effects.csv`` only (no per-sample table, no maps):
    what comparisons across studies need; :class:`ResultsError` names the missing or malformed file."""
    folder = Path(folder)
    summary = _read_summary(folder, "study")
    for key in ("attacks", "ranking", "attributes", "settings"):
        if key not in summary:
            raise ResultsError(f"{folder / 'summary.json'}: key {key!r} is missing")
    side = _read_csv(folder / "side_effects.csv", ("attribute",)).set_index("attribute")
    names = list(summary["attributes"])
    if list(side.index) != names or list(side.columns) != list(summary.get("side_effect_columns", side.columns)):
        raise ResultsError(f"{folder / 'side_effects.csv'}: rows do not match the study's attributes")
    return summary, side


def read_study(folder: str | Path) -> StudyResults:
    """Read a study folder; :class:`ResultsError` names the missing or malformed file."""
    folder = Path(folder)
    summary, side = read_study_tables(folder)
    samples = _read_csv(samples_path(folder), STUDY_COLUMNS, dtype={"image_id": str})
    return StudyResults(folder, summary, samples, side, read_mean_perturbation(folder, len(summary["attributes"])))


def read_mean_perturbation(folder: str | Path, n_attributes: int) -> np.ndarray:
    """A study folder's ``mean_perturbation.npz``: float32 (n_attributes, H, W) mean |δ| in grey levels,
    in the attribute order of its ``summary.json``; :class:`ResultsError` when missing or misshapen."""
    path = Path(folder) / "mean_perturbation.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            mean = data["mean_abs_delta"].astype(np.float32)
    except (OSError, ValueError, KeyError) as exc:
        raise ResultsError(f"{path}: missing or unreadable ({exc})") from None
    if mean.ndim != 3 or mean.shape[0] != n_attributes:
        raise ResultsError(f"{path}: mean_abs_delta has shape {mean.shape}, expected ({n_attributes}, H, W)")
    return mean


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
