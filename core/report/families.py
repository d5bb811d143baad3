"""Model families side by side: what each family's evaluation and study say, as comparable tables.

A *family* here is one model folder (its ``evaluation.json``: test accuracy and balanced accuracy per
attribute) with its results folder (a finished study: ``summary.json`` and ``side_effects.csv``, and
optionally ``minimal/``: a study with FFA and the minimal-norm attacks whose ``summary.json`` holds
``attributes[A]["ffa_to_minimal"]``). Pure functions over :class:`Family`; no Streamlit, no plotly (the
tables are in :mod:`ffa_lab.report.family_tables`, the figures in
:mod:`ffa_lab.report.family_figures`). Used by the dashboard's "Compare families" tab
(:mod:`ffa_lab.views.families`) and by ``ffa-lab report`` with several ``--results``.

Rates are in %, ranks start at 1 (most robust), ratios are FFA's norm / the minimal attack's norm.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd

from ffa_lab.experiments.results import ResultsError, StudySummaryFields, read_study_tables

FAST_ATTACKS = ("ffa", "fgs", "fgv")  # the attacks every family's study compares
MINIMAL_FOLDER = "minimal"


@dataclass(frozen=True, eq=False)
class Family(StudySummaryFields):
    """One family's numbers: ``label`` (e.g. ``multi-task (multi-task)``), its model folder (None: not
    known) and results folder,
    the study folder read (``study_folder``), ``evaluation`` (the model folder's ``evaluation.json`` or
    None), the study's ``summary`` and ``side_effects`` (rates in [0, 1], row = attacked attribute), and
    ``minimal`` (the ``minimal/summary.json`` when it holds FFA-to-minimal ratios, else None)."""

    label: str
    models: Path | None
    results: Path
    study_folder: Path
    evaluation: dict | None
    summary: dict
    side_effects: pd.DataFrame
    minimal: dict | None

    @property
    def n_images(self) -> int | None:
        value = (self.summary.get("settings") or {}).get("n_images")
        return int(value) if isinstance(value, int) else None

    @property
    def tau(self) -> float:
        return float((self.summary.get("settings") or {}).get("tau", 0.99))


def _study_summary(folder: Path) -> dict | None:
    """``folder/summary.json`` when it is a finished study's, else None (read once per folder)."""
    summary = _read_json(folder / "summary.json")
    return summary if summary is not None and summary.get("kind") == "study" else None


def _n_images(summary: dict) -> int:
    try:
        return int(summary["settings"]["n_images"])
    except (KeyError, TypeError, ValueError):
        return 0


def find_study_folder(results: str | Path) -> Path | None:
    """The study a results folder holds: ``study/`` when finished, else the finished ``study*/`` folder
    with the most images (e.g. ``study1000/`` while it has not replaced ``study/``), else ``results``
    itself when it is a study folder; None when there is none (an unfinished run has no summary.json)."""
    results = Path(results)
    if _study_summary(results / "study") is not None:
        return results / "study"
    others = {p: _study_summary(p) for p in sorted(results.glob("study*")) if p.is_dir()}
    finished = {p: summary for p, summary in others.items() if summary is not None}
    if finished:
        return max(finished, key=lambda p: _n_images(finished[p]))
    return results if _study_summary(results) is not None else None


def _read_json(path: Path) -> dict | None:
    try:
        value = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _read_minimal(results: Path) -> dict | None:
    summary = _study_summary(results / MINIMAL_FOLDER)
    if not summary:
        return None
    attributes = summary.get("attributes") or {}
    has_ratios = any(isinstance(a, dict) and a.get("ffa_to_minimal") for a in attributes.values())
    return summary if has_ratios else None


def family_label(models: str | Path, name: str | None = None) -> str:
    """``<name> (<family>)``, as the sidebar names model folders (e.g. ``default (per-attribute)``);
    ``name`` defaults to the model folder's; just ``name`` when the folder holds no checkpoint."""
    from ffa_lab.models.checkpoint import folder_family

    folder = Path(models)
    name = name or folder.name
    if not any(folder.glob("*.safetensors")):
        return name  # no checkpoint to tell the family from (e.g. an evaluation-only folder)
    return f"{name} ({folder_family(folder)})"


def read_family(label: str, models: str | Path | None, results: str | Path) -> Family:
    """The family of ``models`` with the study under ``results`` (:func:`find_study_folder`);
    :class:`ResultsError` when there is no finished study. A missing or unreadable ``evaluation.json``
    leaves ``evaluation`` None (the accuracies show as missing), as does a missing ``minimal/`` study."""
    results = Path(results)
    folder = find_study_folder(results)
    if folder is None:
        raise ResultsError(f"{results}: no finished study (expected study/summary.json)")
    summary, side = read_study_tables(folder)
    models = Path(models) if models is not None else None
    evaluation = _read_json(models / "evaluation.json") if models is not None else None
    if evaluation is not None and not isinstance(evaluation.get("attributes"), dict):
        evaluation = None
    return Family(label, models, results, folder, evaluation, summary, side, _read_minimal(results))


def recorded_models(study_summary: dict) -> Path | None:
    """The model folder a study recorded (``settings["models"]``), relative paths taken from the current
    folder and else from this repository's root; None when it names none or the folder is gone."""
    from ffa_lab.models.shipped import REPO_ROOT

    text = (study_summary.get("settings") or {}).get("models")
    if not text:
        return None
    for candidate in (Path(text), REPO_ROOT / text):
        if candidate.is_dir():
            return candidate
    return None


def families_from_results(folders: list[str | Path]) -> list[Family]:
    """One :class:`Family` per results folder (as ``ffa-lab report --results`` gives them), its models the
    folder its study recorded; labels are ``<results folder name> (<family>)``, made unique with ``#2``…"""
    found: list[Family] = []
    for results in map(Path, folders):
        study = find_study_folder(results)
        if study is None:
            raise ResultsError(f"{results}: no finished study (expected study/summary.json)")
        summary, _ = read_study_tables(study)
        models = recorded_models(summary)
        name = results.name if results != study else results.parent.name
        label = name if models is None else family_label(models, name)
        taken, unique, k = {f.label for f in found}, label, 1
        while unique in taken:
            k += 1
            unique = f"{label} #{k}"
        found.append(read_family(unique, models, results))
    return found


# --- rank correlation -------------------------------------------------------------------------------
def average_ranks(values) -> np.ndarray:
    """Ranks 1 … n of ``values`` (smallest first); tied values share the mean of the ranks they span."""
    values = np.asarray(values, dtype=np.float64)
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values), dtype=np.float64)
    sorted_values = values[order]
    start = 0
    while start < len(values):
        end = start
        while end + 1 < len(values) and sorted_values[end + 1] == sorted_values[start]:
            end += 1
        ranks[order[start : end + 1]] = (start + end) / 2.0 + 1.0
        start = end + 1
    return ranks


def spearman(x, y) -> float:
    """Spearman's rank correlation of two equally long sequences: Pearson's r of their average ranks
    (:func:`average_ranks`); NaN with fewer than 2 pairs or when either side is constant."""
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"spearman needs two equally long 1-d sequences, got {x.shape} and {y.shape}")
    if len(x) < 2:
        return float("nan")
    rx, ry = average_ranks(x) - (len(x) + 1) / 2.0, average_ranks(y) - (len(y) + 1) / 2.0
    denominator = float(np.sqrt(np.sum(rx * rx) * np.sum(ry * ry)))
    return float(np.sum(rx * ry) / denominator) if denominator > 0 else float("nan")


def ranking_correlation(a: Family, b: Family) -> tuple[float, int]:
    """(Spearman's ρ of the two robust → vulnerable rankings over their common attributes, how many)."""
    common = [name for name in a.ranking if name in set(b.ranking)]
    return spearman([a.ranking.index(n) for n in common], [b.ranking.index(n) for n in common]), len(common)


def rank_correlations(families: list[Family]) -> pd.DataFrame:
    """The symmetric matrix of :func:`ranking_correlation` (1 on the diagonal), indexed by label."""
    labels = [f.label for f in families]
    matrix = pd.DataFrame(np.eye(len(families)), index=labels, columns=labels)
    for (i, a), (j, b) in combinations(enumerate(families), 2):
        rho, _ = ranking_correlation(a, b)
        matrix.iloc[i, j] = matrix.iloc[j, i] = rho
    return matrix


def correlation_pairs(families: list[Family]) -> list[tuple[str, str, float, int]]:
    """(label a, label b, ρ, common attributes) for every pair of families, in selection order."""
    return [(a.label, b.label, *ranking_correlation(a, b)) for a, b in combinations(families, 2)]
