"""The family comparison as markdown (the report's ``summary.md`` section and its HTML twin's text).

Numbers are written with :func:`ffa_lab.report.numbers.fmt` ('—' where a family has no value).
"""

from __future__ import annotations

import pandas as pd

from ffa_lab.report.attack_tables import attack_tables_markdown
from ffa_lab.report.families import Family, correlation_pairs
from ffa_lab.report.family_tables import (
    attribute_order,
    minimal_methods,
    overview_table,
    ratio_label,
    ratio_mean,
    ratio_median,
    success,
)
from ffa_lab.report.numbers import fmt


def _cell(value) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "—"
    if isinstance(value, float):
        return fmt(value, 2)
    return str(value)


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in rows]


def study_line(family: Family) -> str:
    """'`assets/results/resnet/study`: 20 test images (seed 0), attacks FFA, FGS, FGV, τ = 0.99'."""
    settings = family.summary.get("settings") or {}
    images = f"{family.n_images:,}" if family.n_images is not None else "?"
    attacks = ", ".join(str(a).upper() for a in family.summary.get("attacks", []))
    return (
        f"`{family.study_folder}`: {images} {settings.get('split', '?')} images (seed {settings.get('seed')}), "
        f"attacks {attacks}, τ = {family.tau}"
    )


def image_count_note(families: list[Family]) -> str | None:
    """A warning when the studies attacked different numbers of images, else None."""
    counts = sorted({f.n_images for f in families if f.n_images is not None})
    if len(counts) < 2:
        return None
    return (
        f"The studies attacked different numbers of images ({', '.join(f'{c:,}' for c in counts)}): "
        "the rates and rankings of the smaller ones are noisier."
    )


def families_markdown(families: list[Family]) -> list[str]:
    """The comparison section: what was read, one row per family, the rank correlations, the per-attribute
    ranks and FFA success rates, and the FFA-to-minimal ratios where a family has a ``minimal/`` study."""
    lines = ["## Model families side by side", ""]
    lines += [
        f"- **{f.label}** (models {f'`{f.models}`' if f.models else 'not recorded'}): {study_line(f)}" for f in families
    ]
    note = image_count_note(families)
    lines += ["", *([f"> {note}", ""] if note else [])]
    overview = overview_table(families)
    lines += _table(list(overview.columns), [[_cell(v) for v in row] for row in overview.itertuples(index=False)])
    lines += [
        "",
        "Success rates and side effects are means over each family's attributes; accuracies are from each "
        "model folder's `evaluation.json` (test split).",
        "",
    ]
    lines += ["### Rankings", ""]
    for a, b, rho, n in correlation_pairs(families):
        lines.append(f"- {a} vs {b}: Spearman ρ = {fmt(rho, 3)} over {n} common attributes")
    lines.append("")
    header = ["attribute"]
    for f in families:
        header += [f"{f.label} rank", f"{f.label} FFA %", f"{f.label} FFA PASS≥τ %"]
    rows = []
    for name in attribute_order(families):
        cells = [name]
        for f in families:
            rank = f.ranking.index(name) + 1 if name in f.ranking else None
            cells += [_cell(rank), _cell(success(f, name, "ffa")), _cell(success(f, name, "ffa", "success_pass99"))]
        rows.append(cells)
    lines += _table(header, rows) + [""]
    methods = minimal_methods(families)
    if methods:
        lines += minimal_markdown(families, methods)
    return lines + attack_tables_markdown(families)


def minimal_markdown(families: list[Family], methods: list[str]) -> list[str]:
    """FFA's norm over each minimal attack's (median over the images both flipped) per attribute."""
    with_minimal = [f for f in families if f.minimal is not None]
    lines = [
        "### FFA against the minimal-norm attacks",
        "",
        "Ratio = FFA's perturbation norm / the minimal attack's, in the minimal attack's norm, on the images "
        "both flipped (median per attribute; 1 = FFA found as small a perturbation).",
        "",
    ]
    header = ["attribute"] + [f"{f.label}: {ratio_label(families, m)}" for f in with_minimal for m in methods]
    names: list[str] = []
    for f in with_minimal:
        names += [n for n in (f.minimal or {}).get("attributes", {}) if n not in names]
    rows = [[n] + [_cell(ratio_median(f, n, m)) for f in with_minimal for m in methods] for n in names]
    rows.append(["**mean**"] + [_cell(ratio_mean(f, m)) for f in with_minimal for m in methods])
    return lines + _table(header, rows) + [""]
