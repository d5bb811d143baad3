"""The study's merge: per-sample table, side-effect matrix, mean |δ| maps, per-attribute summary and ranking.

Rank 0 (or the single process) calls :func:`write_study` once every (attribute, chunk) part of
:func:`ffa_lab.experiments.study.run_study` is saved; the folder format is docs/results-format.md.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ffa_lab.attacks import REGISTRY
from ffa_lab.experiments.results import FORMAT_VERSION, SAMPLES_FILE, write_csv, write_npz
from ffa_lab.experiments.selection import quartiles
from ffa_lab.files import remove_temporaries, write_json
from ffa_lab.models.checkpoint import LoadedBank

if TYPE_CHECKING:  # only for the annotations: the study module imports this one
    from ffa_lab.experiments.study import StudyConfig

RANKING_CRITERION = (
    "FFA success rate under PASS >= {tau} (lower = more robust); ties broken by the median L-infinity "
    "of FFA's successful perturbations (larger = more robust)"
)


def write_study(
    out: Path,
    config: StudyConfig,
    settings: dict,
    loaded: LoadedBank,
    ids: list[str],
    labels: np.ndarray,
    correct: np.ndarray,
    parts: dict,
    seconds: float,
    celeba_root: Path,
) -> None:
    bank, frames = loaded.bank, []
    se_rows, mean_maps = [], []
    for attribute in config.attributes:
        mine = [p for (a, _), p in parts.items() if a == attribute]
        frame = pd.DataFrame(
            {
                k: np.concatenate([p[k] for p in mine])
                for k in ("position", "method", "success", "scale", "l2", "linf", "pass", "score_before", "score_after")
            }
        )
        frame.insert(0, "attribute", attribute)
        frames.append(frame)
        se_n = sum(int(p["se_n"]) for p in mine)
        se_rows.append(sum(p["se_sum"] for p in mine) / max(se_n, 1))
        delta_n = sum(int(p["delta_n"]) for p in mine)
        mean_maps.append(sum(p["delta_sum"] for p in mine) / max(delta_n, 1))
    samples = pd.concat(frames, ignore_index=True)
    samples.insert(0, "image_id", np.asarray(ids, dtype=object)[samples.pop("position").to_numpy()])
    samples["method"] = np.asarray(config.attacks, dtype=object)[samples["method"].to_numpy()]
    samples = samples.sort_values(["attribute", "method", "image_id"], kind="stable").reset_index(drop=True)
    side = pd.DataFrame(
        np.array(se_rows), index=pd.Index(config.attributes, name="attribute"), columns=list(bank.attributes)
    )
    write_csv(out / SAMPLES_FILE, samples)
    write_csv(out / "side_effects.csv", side.reset_index())
    write_npz(out / "mean_perturbation.npz", {"mean_abs_delta": np.array(mean_maps, dtype=np.float32)})
    per_attribute = summarize_attributes(samples, config, bank.attributes, labels, correct)
    for attribute, row in zip(config.attributes, se_rows, strict=True):
        per_attribute[attribute]["side_effects_n"] = int(
            sum(int(p["se_n"]) for (a, _), p in parts.items() if a == attribute)
        )
        others = np.delete(row, bank.attributes.index(attribute))
        per_attribute[attribute]["side_effect_mean_rate"] = float(others.mean()) if len(others) else 0.0
    summary = {
        "format_version": FORMAT_VERSION,
        "kind": "study",
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "settings": {**settings, "models": str(loaded.folder), "celeba": str(celeba_root)},
        "model_fingerprint": settings["model_fingerprint"],
        "attacks": list(config.attacks),
        "attributes": per_attribute,
        "side_effect_columns": list(bank.attributes),
        "ranking": rank_attributes(per_attribute, config),
        "ranking_criterion": RANKING_CRITERION.format(tau=config.tau),
        "seconds_last_session": round(seconds, 1),
    }
    write_json(out / "summary.json", summary)
    remove_temporaries(out)  # a killed earlier session's half-written files: never read, now deleted


def summarize_attributes(
    samples: pd.DataFrame, config: StudyConfig, bank_attributes: list[str], labels: np.ndarray, correct: np.ndarray
) -> dict[str, dict]:
    """Per attribute: clean accuracy (%), number attacked, success rates (%) and distance quartiles."""
    out: dict[str, dict] = {}
    for name, group in samples.groupby("attribute", sort=False):
        attribute = str(name)
        g = bank_attributes.index(attribute)
        n = int(correct[:, g].sum())
        entry: dict = {
            "clean_accuracy": 100.0 * n / len(labels),
            "n_images": len(labels),
            "n_attacked": n,
            "success": {},
            "success_pass99": {},
            "linf": {},
            "l2": {},
            "pass": {},
            "scale": {},
        }
        for method in config.attacks:
            rows = group[group["method"] == method]
            won = rows[rows["success"].astype(bool)]
            entry["success"][method] = 100.0 * len(won) / max(n, 1)
            entry["success_pass99"][method] = 100.0 * int((won["pass"] >= config.tau).sum()) / max(n, 1)
            for column in ("linf", "l2", "pass", "scale"):
                entry[column][method] = quartiles(won[column].to_numpy())
        ratios = ffa_to_minimal(group, config.attacks)
        if ratios:
            entry["ffa_to_minimal"] = ratios
        out[attribute] = entry
    for attribute in config.attributes:
        out.setdefault(attribute, {"clean_accuracy": 0.0, "n_images": len(labels), "n_attacked": 0})
    return {a: out[a] for a in config.attributes}


def ffa_to_minimal(group: pd.DataFrame, attacks: tuple[str, ...]) -> dict[str, dict]:
    """How far FFA's perturbation is from the smallest one found (issue 14): for each minimal-norm attack
    M of ``attacks`` (registry kind "minimal-norm"), on the images of one attribute's ``group`` of samples
    where both FFA and M succeeded, the ratio FFA norm / M norm in M's own norm (L2 for DDN and FMN, L∞ for
    FMN-L∞): 1 means FFA's line already reaches the minimal perturbation, 3 means it needs three times the
    smallest one found. Empty without FFA or without a minimal-norm attack."""
    if "ffa" not in attacks:
        return {}
    won = group[group["success"].astype(bool)]
    ffa = won[won["method"] == "ffa"].set_index("image_id")
    out: dict[str, dict] = {}
    for method in attacks:
        norm = REGISTRY[method].norm
        if norm is None:
            continue
        column = "l2" if norm == 2.0 else "linf"
        both = ffa.join(won[won["method"] == method].set_index("image_id"), how="inner", rsuffix="_min")
        both = both[both[f"{column}_min"].to_numpy(np.float64) > 0]  # a zero-norm "success" has no ratio
        ffa_norm, minimal = both[column].to_numpy(), both[f"{column}_min"].to_numpy(np.float64)
        out[method] = {
            "norm": column,
            "pairs": len(both),
            "ratio": quartiles(ffa_norm.astype(np.float64) / minimal),
            "ffa_median": _median(ffa_norm),
            "minimal_median": _median(minimal),
            "ffa_pass_median": _median(both["pass"].to_numpy()),
            "minimal_pass_median": _median(both["pass_min"].to_numpy()),
        }
    return out


def _median(values: np.ndarray) -> float | None:
    return float(np.median(values)) if len(values) else None


def rank_attributes(per_attribute: dict[str, dict], config: StudyConfig) -> list[str]:
    """Attribute names from most robust to least (see ``RANKING_CRITERION``); FFA or the first attack."""
    method = "ffa" if "ffa" in config.attacks else config.attacks[0]

    def key(name: str) -> tuple[float, float]:
        entry = per_attribute[name]
        rate = entry.get("success_pass99", {}).get(method, 100.0)
        median = (entry.get("linf", {}).get(method) or {}).get("median")
        return (rate, -(median if median is not None else np.inf))

    return sorted(per_attribute, key=key)
