"""The markdown summary of study and natural-adversarial results (``summary.md`` of the report).

States the settings, FFA vs FGS/FGV, the ranking with its criterion, the most robust and most
vulnerable attributes, natural-adversarial counts per split and the additional-epochs outcome; with several results folders,
the model families side by side (ffa_lab.report.family_markdown).
"""

from __future__ import annotations

from ffa_lab.experiments.results import NaturalResults, StudyResults
from ffa_lab.report.families import Family
from ffa_lab.report.family_markdown import families_markdown

TOP = 10  # how many attributes are listed as most robust / most vulnerable


def _fmt(value, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def study_markdown(study: StudyResults) -> list[str]:
    s, attrs = study.summary, study.summary["attributes"]
    settings = s["settings"]
    tau = settings.get("tau", 0.99)
    lines = [
        "## Robustness study",
        "",
        f"- split **{settings.get('split')}**, {settings.get('n_images')} images (seeded subset, seed "
        f"{settings.get('seed')}), attacks {', '.join(m.upper() for m in study.attacks)}, τ = {tau}",
        f"- models `{settings.get('models')}` (fingerprint {s.get('model_fingerprint')}), created {s.get('created')}",
    ]
    for method in study.attacks:
        rates = [a.get("success", {}).get(method, 0.0) for a in attrs.values()]
        under = [a.get("success_pass99", {}).get(method, 0.0) for a in attrs.values()]
        lines.append(f"- {method.upper()}: mean success {_mean(rates):.1f}%, with PASS ≥ {tau}: {_mean(under):.1f}%")
    for other in [m for m in study.attacks if m != "ffa"] if "ffa" in study.attacks else []:
        wins = sum(a["success"]["ffa"] >= a["success"][other] for a in attrs.values() if a.get("success"))
        lines.append(f"- FFA success ≥ {other.upper()} success on {wins} of {len(attrs)} attributes")
    lines += ["", f"Ranking criterion: {s.get('ranking_criterion')}.", ""]
    top = study.ranking[:TOP]
    bottom = study.ranking[::-1][:TOP]
    lines += [f"**Most robust:** {', '.join(top)}", "", f"**Most vulnerable:** {', '.join(bottom)}", ""]
    header = ["rank", "attribute", "clean acc %", "attacked"]
    header += [f"{m.upper()} %" for m in study.attacks] + [f"{m.upper()} PASS≥τ %" for m in study.attacks]
    header += ["FFA median L∞", "FFA median PASS"]
    lines += ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for rank, name in enumerate(study.ranking, start=1):
        a = attrs[name]
        linf = (a.get("linf", {}).get("ffa") or {}).get("median")
        pas = (a.get("pass", {}).get("ffa") or {}).get("median")
        cells = [str(rank), name, _fmt(a.get("clean_accuracy")), str(a.get("n_attacked"))]
        cells += [_fmt(a.get("success", {}).get(m)) for m in study.attacks]
        cells += [_fmt(a.get("success_pass99", {}).get(m)) for m in study.attacks]
        cells += [_fmt(linf), _fmt(pas, 4)]
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def natural_markdown(natural: NaturalResults) -> list[str]:
    lines = ["## Natural adversarial samples", ""]
    for split, entry in natural.summary["splits"].items():
        stats = entry["attributes"].values()
        wrong = sum(a["misclassified"] for a in stats)
        found = sum(a["natural"] for a in stats)
        corrected = sum(a["corrected"] for a in stats)
        lines.append(
            f"- **{split}** ({entry['n_images']} images, τ = {entry.get('tau')}): {wrong} misclassified "
            f"image×attribute pairs, {corrected} corrected by FFA, {found} natural adversarial "
            f"({100.0 * found / max(wrong, 1):.1f}%)"
        )
    splits = list(natural.summary["splits"])
    lines += [
        "",
        "| attribute | " + " | ".join(f"{s} misclassified | {s} natural | {s} rate %" for s in splits) + " |",
        "|---|" + "---|---|---|" * len(splits),
    ]
    names = list(next(iter(natural.summary["splits"].values()))["attributes"]) if splits else []
    for name in names:
        cells = [name]
        for split in splits:
            a = natural.summary["splits"][split]["attributes"].get(name)
            cells += [str(a["misclassified"]), str(a["natural"]), _fmt(a["rate"])] if a else ["–", "–", "–"]
        lines.append("| " + " | ".join(cells) + " |")
    extra = natural.extra_epochs
    if extra:
        t = extra["totals"]
        share = 100.0 * t["natural_still_misclassified"] / max(t["natural_before"], 1)
        lines += [
            "",
            "## Additional epochs",
            "",
            f"After **{extra['K']}** more epochs on the unchanged training set (constant learning rate "
            f"{extra['lr']:.2g}, {extra['seconds']:.0f} s), **{t['natural_still_misclassified']} of "
            f"{t['natural_before']}** training-set natural adversarial samples ({share:.1f}%) are still "
            f"misclassified; of all {t['misclassified_before']} misclassified training pairs, "
            f"{t['misclassified_still']} still are.",
            "",
        ]
    return lines + [""]


def render_markdown(
    study: StudyResults | None, natural: NaturalResults | None, families: list[Family] | None = None
) -> str:
    """The summary as markdown text (study first, then natural adversarial samples, then the model
    families side by side when ``families`` holds two or more)."""
    lines = ["# ffa-lab results summary", ""]
    if study is not None:
        lines += study_markdown(study)
    if natural is not None:
        lines += natural_markdown(natural)
    if families and len(families) >= 2:
        lines += families_markdown(families)
    return "\n".join(lines)
