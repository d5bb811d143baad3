"""The study report: one self-contained HTML file (plotly inlined once, images as data URIs) + markdown.

Input: a results folder holding ``study/`` and/or ``natural/`` (as written by ``ffa-lab study`` and
``ffa-lab natural``), or one such folder itself. Output: ``report.html`` (no network access needed:
plotly.js is embedded in the first figure only) and ``summary.md``. Example grids (original |
amplified perturbation | adversarial, with scores and PASS) are re-computed at report time from the
CelebA images and the models recorded in the results (or given explicitly); they are never stored in
the results folder. Without models or images the report is written without them, saying why. Given
several results folders (``compare``), a "Model families side by side" section follows
(:mod:`ffa_lab.report.families`, docs/families.md).
"""

from __future__ import annotations

import base64
import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ffa_lab.data.images import encode_png
from ffa_lab.experiments.results import NaturalResults, ResultsError, StudyResults, read_natural, read_study
from ffa_lab.files import atomic_write_bytes
from ffa_lab.report import figures
from ffa_lab.report.families import Family, families_from_results
from ffa_lab.report.family_figures import family_figures
from ffa_lab.report.markdown import render_markdown
from ffa_lab.report.numbers import score_text


@dataclass(frozen=True)
class Example:
    """One example row: a title, a caption and three PNG images (original, perturbation, adversarial)."""

    title: str
    caption: str
    original: bytes
    perturbation: bytes
    adversarial: bytes


def find_results(folder: str | Path) -> tuple[StudyResults | None, NaturalResults | None]:
    """The study and natural results under ``folder`` (its ``study/`` and ``natural/``, or itself)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ResultsError(f"results folder not found: {folder}")
    found: dict[str, object] = {}
    for name, reader in (("study", read_study), ("natural", read_natural)):
        for candidate in (folder / name, folder):
            if (candidate / "summary.json").is_file():
                try:
                    found[name] = reader(candidate)
                    break
                except ResultsError as exc:
                    if candidate != folder:
                        raise
                    del exc  # the folder itself is the other kind
    if not found:
        raise ResultsError(
            f"{folder}: no study or natural results (expected study/summary.json or natural/summary.json)"
        )
    return found.get("study"), found.get("natural")  # type: ignore[return-value]


def _example(loaded, image: np.ndarray, attribute: str, goal: str, label: int | None, title: str) -> Example | None:
    from ffa_lab.attacks.run import amplified_perturbation, attack_images

    g = loaded.bank.attributes.index(attribute)
    labels = None if label is None else np.array([label])
    result = attack_images(loaded.bank.subset([g]), image[None], attribute, method="ffa", goal=goal, labels=labels)
    if not result.success[0]:
        return None
    adversarial = result.adversarial[0]
    shown, gain = amplified_perturbation(image, adversarial)
    caption = (
        f"{attribute}: score {score_text(result.score_before[0])} → {score_text(result.score_after[0])}, "
        f"scale {result.scale[0]:.2f}, L∞ {result.linf[0]:.0f}, L2 {result.l2[0]:.1f}, "
        f"PASS {float(result.pass_score[0]) if result.pass_score is not None else float('nan'):.4f}; "
        f"perturbation ×{gain:.0f}"
    )
    return Example(title, caption, encode_png(image), encode_png(shown), encode_png(adversarial))


def _median_row(rows):
    rows = rows.sort_values(["linf", "image_id"], kind="stable")
    return rows.iloc[len(rows) // 2] if len(rows) else None


def make_examples(
    study: StudyResults | None, natural: NaturalResults | None, loaded, data, count: int = 6
) -> list[Example]:
    """FFA examples: for ``count`` attributes spread over the ranking, the success of median L∞; then
    natural adversarial samples of the ``count`` attributes that have most (test split if mined), each the
    one of median L∞; every example is re-attacked from its CelebA image."""
    from ffa_lab.data.images import decode_image

    examples: list[Example] = []
    if study is not None:
        ranking = [a for a in study.ranking if a in loaded.attributes]
        picks = [ranking[i] for i in np.unique(np.linspace(0, len(ranking) - 1, min(count, len(ranking))).astype(int))]
        won = study.samples[(study.samples["method"] == "ffa") & study.samples["success"].astype(bool)]
        for attribute in picks:
            row = _median_row(won[won["attribute"] == attribute])
            if row is not None:
                image = decode_image(data.image_path(row["image_id"]))
                rank = study.ranking.index(attribute) + 1
                item = _example(
                    loaded,
                    image,
                    attribute,
                    "flip",
                    None,
                    f"flip {attribute} (robustness rank {rank}), image {row['image_id']}",
                )
                examples += [item] if item else []
    if natural is not None:
        rows = natural.samples[natural.samples["natural"].astype(bool)]
        split = "test" if (rows["split"] == "test").any() else "train"  # unseen images first
        rows = rows[rows["split"] == split]
        for attribute in rows["attribute"].value_counts().index[:count]:  # the commonest first
            row = _median_row(rows[rows["attribute"] == attribute])
            if row is None or attribute not in loaded.attributes:
                continue
            image = decode_image(data.image_path(row["image_id"]))
            item = _example(
                loaded,
                image,
                attribute,
                "correct",
                int(row["label"]),
                f"natural adversarial: {attribute} ({row['split']}), image {row['image_id']}",
            )
            examples += [item] if item else []
    return examples


def _uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode()


def _examples_html(examples: list[Example], note: str) -> str:
    if not examples:
        return f"<p class='note'>{html.escape(note or 'No examples.')}</p>"
    parts = []
    for ex in examples:
        cells = "".join(
            f"<figure><img src='{_uri(png)}' alt='{label}'><figcaption>{label}</figcaption></figure>"
            for label, png in (
                ("original", ex.original),
                ("perturbation (amplified)", ex.perturbation),
                ("adversarial", ex.adversarial),
            )
        )
        parts.append(
            f"<div class='example'><h4>{html.escape(ex.title)}</h4><div class='grid'>{cells}</div>"
            f"<p>{html.escape(ex.caption)}</p></div>"
        )
    return "\n".join(parts)


STYLE = """body{font-family:system-ui,sans-serif;max-width:1400px;margin:auto;padding:1em;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ddd;margin-top:2em}.note{color:#666}
.grid{display:flex;gap:8px}.grid img{width:178px;image-rendering:pixelated;border:1px solid #ccc}
figure{margin:0;text-align:center;font-size:.85em}.example{display:inline-block;margin:0 1.5em 1.5em 0;
vertical-align:top;max-width:600px}.example p{font-size:.85em}pre{background:#f6f6f6;padding:1em;overflow:auto}"""


def render_html(
    study: StudyResults | None,
    natural: NaturalResults | None,
    examples: list[Example],
    example_note: str = "",
    families: list[Family] | None = None,
) -> str:
    """The whole report page; plotly.js is inlined in the first figure only (no CDN, works offline).
    With two or more ``families``, a "Model families side by side" section follows the natural samples."""
    sections: list[tuple[str, list]] = []
    if study is not None:
        sections += [
            ("Robustness per attribute", [figures.robustness_table_figure(study)]),
            (
                "FFA vs FGS vs FGV",
                [figures.success_bars(study), figures.pass_box(study), figures.distance_box(study, "linf")],
            ),
            ("Side effects", [figures.side_effect_heatmap(study)]),
            ("Where the networks are attacked", [figures.mean_perturbation_heatmaps(study)]),
            ("Clean accuracy of the attacked images", [figures.accuracy_vs_anchors(study.summary)]),
        ]
    if natural is not None:
        extra = figures.extra_epochs_bars(natural)
        sections.append(("Natural adversarial samples", [figures.natural_rates(natural)] + ([extra] if extra else [])))
    if families and len(families) >= 2:
        sections.append(("Model families side by side", family_figures(families)))
    body, first = [], True
    for title, figs in sections:
        body.append(f"<h2>{html.escape(title)}</h2>")
        for fig in figs:
            body.append(fig.to_html(full_html=False, include_plotlyjs=first, config={"displaylogo": False}))
            first = False
    body.append("<h2>Examples</h2>" + _examples_html(examples, example_note))
    summary = html.escape(render_markdown(study, natural, families))
    body.append(f"<h2>Summary (markdown)</h2><pre>{summary}</pre>")
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>ffa-lab report</title>"
        f"<style>{STYLE}</style></head><body><h1>ffa-lab: are facial attributes adversarially robust?</h1>"
        + "\n".join(body)
        + "</body></html>"
    )


def write_report(
    results: str | Path,
    out: str | Path,
    *,
    models: str | Path | None = None,
    celeba: str | Path | None = None,
    examples: int = 6,
    compare: list[str | Path] | None = None,
    log=print,
) -> dict[str, Path]:
    """Write ``out/report.html`` and ``out/summary.md``; returns their paths. ``compare``: results folders
    (``results`` among them or not) whose studies are set side by side as model families (two or more)."""
    study, natural = find_results(results)
    families = families_from_results(list(compare)) if compare and len(compare) >= 2 else None
    loaded = data = None
    note = ""
    if examples > 0:
        loaded, data, note = _open_sources(study, natural, models, celeba)
    shown = make_examples(study, natural, loaded, data, examples) if loaded is not None else []
    out = Path(out)
    paths = {"html": out / "report.html", "markdown": out / "summary.md"}
    atomic_write_bytes(paths["html"], render_html(study, natural, shown, note, families).encode())
    atomic_write_bytes(paths["markdown"], render_markdown(study, natural, families).encode())
    if note:
        log(f"note: {note}")
    return paths


def _open_sources(study, natural, models, celeba):
    from ffa_lab.data.celeba import CelebAFormatError, load_celeba
    from ffa_lab.models.checkpoint import CheckpointError, load_bank

    settings = (study or natural).summary.get("settings", {})
    models, celeba = models or settings.get("models"), celeba or settings.get("celeba")
    if not models or not celeba:
        return None, None, "examples skipped: the results do not name their models and CelebA folders"
    try:
        return load_bank(models), load_celeba(celeba, check_images=False), ""
    except (CheckpointError, CelebAFormatError) as exc:
        return None, None, f"examples skipped: {exc}"
