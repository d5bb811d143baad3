"""Tiny synthetic model families for the comparison tests: study folders written by hand, numbers chosen so
the expected means, ranks and correlations can be worked out on paper.

alpha: attributes X, Y, Z; ranking Z, Y, X; FFA success 90/60/30 (mean 60), with PASS ≥ τ 50/40/0 (mean 30);
       side effects off the diagonal 0.1 0.2 / 0.3 0.0 / 0.2 0.4 (mean 20 %); evaluation means 80 / 70.
beta:  ranking Y, Z, X (Spearman ρ with alpha = 0.5); FFA success 100/50/75; evaluation without stored means
       (X 90/80, Y 70/60 -> 80 / 70); a minimal/ study with FFA/DDN ratios 1.5 (X) and 2.5 (Y).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from ffa_lab.experiments.results import STUDY_COLUMNS, write_csv, write_npz

NAMES = ["X", "Y", "Z"]
ALPHA = {
    "ranking": ["Z", "Y", "X"],
    "success": {"X": 90.0, "Y": 60.0, "Z": 30.0},
    "pass99": {"X": 50.0, "Y": 40.0, "Z": 0.0},
    "side": [[1.0, 0.1, 0.2], [0.3, 1.0, 0.0], [0.2, 0.4, 1.0]],
    "evaluation": {
        "mean_accuracy": 80.0,
        "mean_balanced_accuracy": 70.0,
        "attributes": {n: {"accuracy": 80.0, "balanced_accuracy": 70.0} for n in NAMES},
    },
    "n_images": 10,
}
BETA = {
    "ranking": ["Y", "Z", "X"],
    "success": {"X": 100.0, "Y": 50.0, "Z": 75.0},
    "pass99": {"X": 80.0, "Y": 10.0, "Z": 20.0},
    "side": [[1.0, 0.0, 0.0], [0.5, 1.0, 0.5], [0.0, 0.0, 1.0]],
    "evaluation": {
        "attributes": {
            "X": {"accuracy": 90.0, "balanced_accuracy": 80.0},
            "Y": {"accuracy": 70.0, "balanced_accuracy": 60.0},
        }
    },
    "n_images": 1000,
    "ratios": {"X": 1.5, "Y": 2.5},
}


def write_study(folder: Path, spec: dict, models: Path | None, attacks=("ffa", "fgs", "fgv"), ratios=None) -> Path:
    """A finished study folder (summary.json, samples.csv.gz, side_effects.csv, mean_perturbation.npz)."""
    attributes = {}
    for k, name in enumerate(NAMES):
        entry: dict = {
            "clean_accuracy": 90.0,
            "n_images": spec["n_images"],
            "n_attacked": 9,
            "success": {m: spec["success"][name] - 10.0 * j for j, m in enumerate(attacks)},
            "success_pass99": {m: spec["pass99"][name] for m in attacks},
            "linf": {m: {"q25": 1.0, "median": 2.0 + k, "q75": 3.0} for m in attacks},
            "pass": {m: {"q25": 0.98, "median": 0.99, "q75": 0.995} for m in attacks},
            "side_effect_mean_rate": 0.1,
        }
        if ratios and name in ratios:
            entry["ffa_to_minimal"] = {
                "ddn": {
                    "norm": "l2",
                    "pairs": 5,
                    "ratio": {"q1": ratios[name] - 0.5, "median": ratios[name], "q3": ratios[name] + 0.5},
                    "ffa_median": 10.0 * ratios[name],
                    "minimal_median": 10.0,
                }
            }
        attributes[name] = entry
    settings = {"split": "test", "n_images": spec["n_images"], "seed": 0, "tau": 0.99, "attributes": NAMES}
    if models is not None:
        settings["models"] = str(models)
    summary = {
        "format_version": 1,
        "kind": "study",
        "created": "2026-12-03T00:00:00+00:00",
        "settings": settings,
        "attacks": list(attacks),
        "attributes": attributes,
        "side_effect_columns": NAMES,
        "ranking": spec["ranking"],
        "ranking_criterion": "FFA success rate under PASS >= 0.99",
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "summary.json").write_text(json.dumps(summary))
    rows = [
        {
            "image_id": f"{i:06d}.jpg",
            "attribute": n,
            "method": m,
            "success": 1,
            "scale": 2.0,
            "l2": 50.0,
            "linf": 3.0,
            "pass": 0.995,
            "score_before": 0.5,
            "score_after": -0.1,
        }
        for i in range(2)
        for n in NAMES
        for m in attacks
    ]
    write_csv(folder / "samples.csv.gz", pd.DataFrame(rows, columns=list(STUDY_COLUMNS)))
    side = pd.DataFrame(spec["side"], index=pd.Index(NAMES, name="attribute"), columns=NAMES).reset_index()
    write_csv(folder / "side_effects.csv", side)
    maps = np.stack([np.full((6, 5), float(k + 1), dtype=np.float32) for k in range(len(NAMES))])
    write_npz(folder / "mean_perturbation.npz", {"mean_abs_delta": maps})
    return folder


def write_family(models_root: Path, results_root: Path, name: str, spec: dict) -> tuple[Path, Path]:
    """``models_root/name/evaluation.json`` and ``results_root/name/study`` (+ ``minimal/`` with ratios)."""
    models, results = models_root / name, results_root / name
    models.mkdir(parents=True, exist_ok=True)
    (models / "evaluation.json").write_text(json.dumps(spec["evaluation"]))
    write_study(results / "study", spec, models)
    if spec.get("ratios"):
        write_study(results / "minimal", spec, models, attacks=("ffa", "ddn"), ratios=spec["ratios"])
    return models, results


def write_two_families(root: Path) -> tuple[Path, Path]:
    """alpha and beta under ``root/models`` and ``root/results``; returns the two roots."""
    for name, spec in (("alpha", ALPHA), ("beta", BETA)):
        write_family(root / "models", root / "results", name, spec)
    return root / "models", root / "results"
