"""Which model families the dashboard can compare, and what its "Compare families" tab reads (no Streamlit).

A family is offered when a model folder under :data:`MODELS_ROOT` (``assets/models/<name>``, holding
checkpoints or an ``evaluation.json``) has a finished study under :data:`RESULTS_ROOT` (``assets/results/
<name>``: ``study/``, or while it is missing the largest finished ``study*/``; see
:func:`ffa_lab.report.families.find_study_folder`). The numbers and figures come from
:mod:`ffa_lab.report.families`, :mod:`ffa_lab.report.family_tables` and :mod:`ffa_lab.report.family_figures`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ffa_lab.errors import ResultsError
from ffa_lab.experiments.results import read_mean_perturbation
from ffa_lab.report.families import MINIMAL_FOLDER, Family, family_label, find_study_folder, read_family
from ffa_lab.views.settings import DEFAULT_MODELS, DEFAULT_RESULTS

MODELS_ROOT = DEFAULT_MODELS.parent  # assets/models
RESULTS_ROOT = DEFAULT_RESULTS.parent  # assets/results


@dataclass(frozen=True)
class FamilyChoice:
    """One comparable family: its label (``resnet (resnet)``), model folder and results folder."""

    label: str
    models: str
    results: str


def family_choices(models_root: Path | None = None, results_root: Path | None = None) -> list[FamilyChoice]:
    """Every model folder under ``models_root`` (default :data:`MODELS_ROOT`) whose namesake under
    ``results_root`` (default :data:`RESULTS_ROOT`) holds a finished study, in name order."""
    models_root = Path(models_root or MODELS_ROOT)
    results_root = Path(results_root or RESULTS_ROOT)
    found = []
    for folder in sorted(p for p in models_root.glob("*") if p.is_dir()):
        if not (any(folder.glob("*.safetensors")) or (folder / "evaluation.json").is_file()):
            continue
        results = results_root / folder.name
        if find_study_folder(results) is not None:
            found.append(FamilyChoice(family_label(folder), str(folder), str(results)))
    return found


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return -1


def family_stamp(choice: FamilyChoice) -> str:
    """A key that changes when anything the comparison reads of ``choice`` changes (study, minimal study,
    evaluation): the files' modification times, and which study folder is current."""
    study = find_study_folder(choice.results)
    files = [Path(choice.models) / "evaluation.json", Path(choice.results) / MINIMAL_FOLDER / "summary.json"]
    if study is not None:
        files += [study / "summary.json", study / "side_effects.csv", study / "mean_perturbation.npz"]
    return f"{choice.label}|{study}|" + ",".join(str(_mtime(p)) for p in files)


def load_family(choice: FamilyChoice) -> Family:
    """The :class:`Family` of ``choice``; :class:`ResultsError` when its study cannot be read."""
    return read_family(choice.label, choice.models, choice.results)


def delta_maps(families: list[Family], attribute: str) -> dict[str, np.ndarray]:
    """label -> mean |δ| (H, W) of FFA's perturbations of ``attribute``, for the families whose study has
    that attribute and a readable ``mean_perturbation.npz`` (the others are left out)."""
    maps = {}
    for family in families:
        if attribute not in family.attributes:
            continue
        try:
            mean = read_mean_perturbation(family.study_folder, len(family.attributes))
        except ResultsError:
            continue
        maps[family.label] = mean[family.attributes.index(attribute)]
    return maps


def studies_caption(families: list[Family]) -> str:
    """Which study each family's numbers come from, with its image count: 'default (per-attribute):
    study/, 1,000 test images · resnet (resnet): study/, 20 test images'."""
    parts = []
    for family in families:
        split = (family.summary.get("settings") or {}).get("split", "?")
        images = f"{family.n_images:,}" if family.n_images is not None else "?"
        minimal = f", {MINIMAL_FOLDER}/ too" if family.minimal is not None else ""
        parts.append(f"{family.label}: `{family.study_folder.name}/`, {images} {split} images{minimal}")
    return " · ".join(parts)
