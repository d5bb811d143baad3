"""The family comparison's tables (pandas, numbers unformatted so they sort): one row per family, one row
per attribute with a column per family, and the FFA-to-minimal ratios.

Means over attributes are plain means over the attributes a family's study holds (an attribute without
a value, e.g. one with no correctly classified image to attack, is left out). Inputs are
:class:`ffa_lab.report.families.Family` objects; see that module for the folders they come from.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import numpy as np
import pandas as pd

from ffa_lab.report.families import FAST_ATTACKS, Family

Measure = Callable[[Family, str], float | None]


def _mean(values) -> float | None:
    kept = [float(v) for v in values if v is not None and np.isfinite(float(v))]
    return float(np.mean(kept)) if kept else None


def _entry(family: Family, attribute: str) -> dict:
    return family.summary["attributes"].get(attribute) or {}


def evaluation_value(family: Family, attribute: str, key: str) -> float | None:
    """``key`` (``accuracy`` or ``balanced_accuracy``, %) of one attribute in the family's evaluation."""
    entry = ((family.evaluation or {}).get("attributes") or {}).get(attribute) or {}
    value = entry.get(key)
    return float(value) if value is not None else None


def evaluation_mean(family: Family, key: str) -> float | None:
    """The evaluation's ``mean_<key>`` (``accuracy``, ``balanced_accuracy``), else the mean over attributes."""
    if family.evaluation is None:
        return None
    stored = family.evaluation.get(f"mean_{key}")
    if stored is not None:
        return float(stored)
    return _mean(evaluation_value(family, name, key) for name in family.evaluation["attributes"])


def success(family: Family, attribute: str, method: str, key: str = "success") -> float | None:
    """The study's success rate (%) of ``method`` on ``attribute``; ``key="success_pass99"``: with PASS ≥ τ."""
    value = (_entry(family, attribute).get(key) or {}).get(method)
    return float(value) if value is not None else None


def success_mean(family: Family, method: str, key: str = "success") -> float | None:
    """:func:`success` averaged over the family's attributes (None when the study lacks ``method``)."""
    return _mean(success(family, name, method, key) for name in family.attributes)


def side_effect_matrix(family: Family) -> np.ndarray:
    """The family's side-effect matrix in % (row = attacked, column = changed), the diagonal (the
    attacked attribute itself) NaN."""
    matrix = family.side_effects.to_numpy(dtype=np.float64) * 100.0
    columns = list(family.side_effects.columns)
    for i, name in enumerate(family.side_effects.index):
        if name in columns:
            matrix[i, columns.index(name)] = np.nan
    return matrix


def side_effect_rows(family: Family) -> pd.Series:
    """Per attacked attribute, the mean rate (%) at which its FFA flips changed each *other* attribute."""
    rows = [float(np.mean(r[np.isfinite(r)])) if np.isfinite(r).any() else np.nan for r in side_effect_matrix(family)]
    return pd.Series(rows, index=list(family.side_effects.index), dtype=np.float64)


def side_effect_mean(family: Family) -> float | None:
    """The mean off-diagonal entry (%) of the family's side-effect matrix (NaN entries left out)."""
    matrix = side_effect_matrix(family)
    kept = matrix[np.isfinite(matrix)]
    return float(kept.mean()) if kept.size else None


# --- FFA against the minimal-norm attacks ------------------------------------------------------------
def minimal_methods(families: list[Family]) -> list[str]:
    """The minimal-norm attacks with FFA-to-minimal ratios in any family's ``minimal/`` study, in order."""
    found: list[str] = []
    for family in families:
        for entry in ((family.minimal or {}).get("attributes") or {}).values():
            found += [m for m in (entry.get("ffa_to_minimal") or {}) if m not in found]
    return found


def ratio_entry(family: Family, attribute: str, method: str) -> dict:
    """``attributes[attribute]["ffa_to_minimal"][method]`` of the family's minimal study, or {}."""
    attributes = (family.minimal or {}).get("attributes") or {}
    return ((attributes.get(attribute) or {}).get("ffa_to_minimal") or {}).get(method) or {}


def ratio_median(family: Family, attribute: str, method: str) -> float | None:
    """FFA's norm / ``method``'s norm, the median over the images both flipped (None: not measured)."""
    value = (ratio_entry(family, attribute, method).get("ratio") or {}).get("median")
    return float(value) if value is not None else None


def ratio_mean(family: Family, method: str) -> float | None:
    """:func:`ratio_median` averaged over the attributes of the family's minimal study."""
    names = list((family.minimal or {}).get("attributes") or {})
    return _mean(ratio_median(family, name, method) for name in names)


def ratio_norm(families: list[Family], method: str) -> str:
    """The norm (``L2`` / ``L∞``) the ratios against ``method`` are measured in."""
    for family in families:
        for name in (family.minimal or {}).get("attributes") or {}:
            norm = ratio_entry(family, name, method).get("norm")
            if norm:
                return {"l2": "L2", "linf": "L∞"}.get(str(norm), str(norm))
    return "L∞" if method.endswith("linf") else "L2"


def ratio_label(families: list[Family], method: str) -> str:
    return f"FFA / {method.upper()} {ratio_norm(families, method)} ratio (median)"


# --- the tables --------------------------------------------------------------------------------------
def overview_table(families: list[Family]) -> pd.DataFrame:
    """One row per family: mean test accuracy and balanced accuracy, the study read and its image count,
    mean success (and with PASS ≥ τ) of FFA, FGS and FGV, the mean off-diagonal side-effect rate, the
    most robust and most vulnerable attribute, and the mean FFA-to-minimal ratio per minimal attack."""
    methods = minimal_methods(families)
    rows = []
    for family in families:
        row: dict[str, object] = {
            "family": family.label,
            "test accuracy %": evaluation_mean(family, "accuracy"),
            "balanced accuracy %": evaluation_mean(family, "balanced_accuracy"),
            "study": family.study_folder.name,
            "images": family.n_images,
        }
        for method in FAST_ATTACKS:
            row[f"{method.upper()} %"] = success_mean(family, method)
            row[f"{method.upper()} PASS≥τ %"] = success_mean(family, method, "success_pass99")
        row["side effects %"] = side_effect_mean(family)
        row["most robust"] = family.ranking[0] if family.ranking else None
        row["most vulnerable"] = family.ranking[-1] if family.ranking else None
        for method in methods:
            row[f"FFA / {method.upper()} ratio (mean of medians)"] = ratio_mean(family, method)
        rows.append(row)
    return pd.DataFrame(rows)


def _rank(family: Family, attribute: str) -> float | None:
    return float(family.ranking.index(attribute) + 1) if attribute in family.ranking else None


def _success(family: Family, attribute: str, *, method: str, key: str) -> float | None:
    return success(family, attribute, method, key)


def _evaluation(family: Family, attribute: str, *, key: str) -> float | None:
    return evaluation_value(family, attribute, key)


def _side_effects(family: Family, attribute: str) -> float | None:
    value = side_effect_rows(family).get(attribute)
    return None if value is None or not np.isfinite(value) else float(value)


def _ratio(family: Family, attribute: str, *, method: str) -> float | None:
    return ratio_median(family, attribute, method)


def measures(families: list[Family]) -> dict[str, Measure]:
    """The per-attribute measures a comparison can show, by name: the robustness rank, each fast attack's
    success (and with PASS ≥ τ), the test accuracies, the side-effect rate and the FFA-to-minimal ratios."""
    found: dict[str, Measure] = {"robustness rank (1 = most robust)": _rank}
    for method in FAST_ATTACKS:
        found[f"{method.upper()} success %"] = partial(_success, method=method, key="success")
        found[f"{method.upper()} success with PASS≥τ %"] = partial(_success, method=method, key="success_pass99")
    found["test accuracy %"] = partial(_evaluation, key="accuracy")
    found["test balanced accuracy %"] = partial(_evaluation, key="balanced_accuracy")
    found["side effects %"] = _side_effects
    for method in minimal_methods(families):
        found[ratio_label(families, method)] = partial(_ratio, method=method)
    return found


def attribute_order(families: list[Family]) -> list[str]:
    """The first family's ranking (most robust first), then any attribute only the others have."""
    order: list[str] = []
    for family in families:
        order += [name for name in family.ranking if name not in order]
    return order


def attribute_table(families: list[Family], measure: str) -> pd.DataFrame:
    """One row per attribute (:func:`attribute_order`), the attribute's ``measure`` (a key of
    :func:`measures`) in one column per family; NaN where a family has no value."""
    compute = measures(families)[measure]
    rows = []
    for name in attribute_order(families):
        row: dict[str, object] = {"attribute": name}
        for family in families:
            value = compute(family, name)
            row[family.label] = np.nan if value is None else float(value)
        rows.append(row)
    return pd.DataFrame(rows)
