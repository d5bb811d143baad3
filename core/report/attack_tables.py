"""Per family, per attribute: every attack's success, median L2 / L∞ and PASS, and FFA's distance to the
minimal-norm attacks (issue 14's comparison table; docs/comparison.md is ``ffa-lab report`` output).

Two studies feed a family's table: its main study (``study/``: FFA, FGS, FGV on the most images) and its
``minimal/`` study (FFA and the minimal-norm attacks on fewer images). An attack in both is taken from the
main study; each column names the study it comes from and its image count, because the two image sets
differ. Values are the study summaries' (docs/results-format.md): success in % of the attacked
(correctly classified) images, norms and PASS as medians over the successful ones.
"""

from __future__ import annotations

from ffa_lab.report.families import Family
from ffa_lab.report.family_tables import ratio_mean, ratio_median, ratio_norm
from ffa_lab.report.numbers import fmt

LABELS = {"ffa": "FFA", "fgs": "FGS", "fgv": "FGV", "ddn": "DDN", "fmn": "FMN-L2", "fmn-linf": "FMN-L∞"}


def _sources(family: Family) -> list[tuple[str, dict]]:
    """(attack, summary it is read from), main study first, each attack once."""
    out = [(method, family.summary) for method in family.summary.get("attacks", [])]
    seen = {method for method, _ in out}
    for method in (family.minimal or {}).get("attacks", []):
        if method not in seen:
            out.append((method, family.minimal or {}))
    return out


def _median(entry: dict, key: str, method: str) -> float | None:
    value = ((entry.get(key) or {}).get(method) or {}).get("median")
    return float(value) if isinstance(value, int | float) else None


def attack_cell(entry: dict, method: str) -> str:
    """``success % · L2 · L∞ · PASS`` of ``method`` in one attribute's summary entry ("—" where missing)."""
    success = (entry.get("success") or {}).get(method)
    if success is None:
        return "—"
    l2, linf, pas = (_median(entry, key, method) for key in ("l2", "linf", "pass"))
    return f"{fmt(success, 1)} · {fmt(l2, 1)} · {fmt(linf, 0)} · {fmt(pas, 4)}"


def _mean_entry(summary: dict, method: str) -> dict:
    """A pseudo-entry whose values are the means over the summary's attributes (of the per-attribute medians)."""
    entries = list((summary.get("attributes") or {}).values())
    out: dict = {"success": {}, "l2": {}, "linf": {}, "pass": {}}
    rates = [e["success"][method] for e in entries if (e.get("success") or {}).get(method) is not None]
    if rates:
        out["success"][method] = sum(rates) / len(rates)
    for key in ("l2", "linf", "pass"):
        values = [v for v in (_median(e, key, method) for e in entries) if v is not None]
        if values:
            out[key][method] = {"median": sum(values) / len(values)}
    return out


def _n_images(summary: dict) -> str:
    n = (summary.get("settings") or {}).get("n_images")
    return f"{n:,}" if isinstance(n, int) else "?"


def family_attack_table(family: Family) -> list[str]:
    """Markdown lines: one row per attribute (the study's order) and a mean row; one column per attack and per
    minimal-norm attack's FFA ratio."""
    sources = _sources(family)
    minimal = family.minimal or {}
    ratio_methods = [m for m, source in sources if source is minimal and m != "ffa"]
    header = ["attribute"]
    header += [f"{LABELS.get(m, m)} ({_n_images(s)} img)" for m, s in sources]
    header += [f"FFA / {LABELS.get(m, m)} {ratio_norm([family], m)} ratio" for m in ratio_methods]
    names = list((family.summary.get("attributes") or {}).keys())
    names += [n for n in (minimal.get("attributes") or {}) if n not in names]
    rows = []
    for name in names:
        cells = [name]
        for method, source in sources:
            cells.append(attack_cell((source.get("attributes") or {}).get(name, {}), method))
        cells += [fmt(ratio_median(family, name, m), 2) for m in ratio_methods]
        rows.append(cells)
    mean = ["**mean**"] + [attack_cell(_mean_entry(s, m), m) for m, s in sources]
    rows.append(mean + [fmt(ratio_mean(family, m), 2) for m in ratio_methods])
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def attack_tables_markdown(families: list[Family]) -> list[str]:
    """The section: one table per family."""
    lines = [
        "### Every attack, per attribute",
        "",
        "Each cell: success % of the attacked images · median L2 · median L∞ (grey levels) · median PASS, the "
        "medians over the images the attack flipped. Ratio columns: FFA's norm over the minimal-norm attack's, "
        "median over the images both flipped (1 = FFA found as small a perturbation). The mean row averages "
        "the per-attribute values.",
        "",
    ]
    for family in families:
        lines += [f"#### {family.label}", "", *family_attack_table(family), ""]
    return lines
