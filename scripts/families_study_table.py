"""Print the families comparison of docs/study.md from study folders (``ffa-lab study`` outputs).

    python scripts/families_study_table.py default=assets/results/default/study \\
        multi-task=assets/results/multi-task/study resnet=assets/results/resnet/study

Per family: images, mean clean accuracy on the study's images, success of each attack (all successes
and those with PASS ≥ τ), the mean rate at which an FFA flip changes another attribute's prediction
(side effects), means over attributes. Then the Spearman rank correlation, between each pair
of families, of the per-attribute robustness ranking (the study's own criterion, FFA success with
PASS ≥ τ), over the attributes both attacked.
"""

import itertools
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd


def _mean(attributes: dict, key: str, attack: str) -> float:
    values = [a[key][attack] for a in attributes.values() if a.get(key, {}).get(attack) is not None]
    return float(np.mean(values)) if values else float("nan")


def main(argv: list[str]) -> int:
    studies = {}
    for item in argv:
        name, folder = item.split("=", 1)
        studies[name] = json.loads((Path(folder) / "summary.json").read_text())
    attacks = sorted({a for s in studies.values() for a in s["attacks"]}, key=["ffa", "fgs", "fgv"].index)
    tau = next(iter(studies.values()))["settings"]["tau"]
    head = " | ".join(f"{a.upper()} % | {a.upper()} PASS≥{tau} %" for a in attacks)
    print(f"| family | images | clean acc % | {head} | FFA side-effect rate % |")
    print("|---|---|---|" + "---|---|" * len(attacks) + "---|")
    for name, s in studies.items():
        attrs = s["attributes"]
        clean = np.mean([a["clean_accuracy"] for a in attrs.values()])
        cells = " | ".join(
            f"{_mean(attrs, 'success', a):.1f} | {_mean(attrs, 'success_pass99', a):.1f}" for a in attacks
        )
        side = 100 * np.mean(
            [a["side_effect_mean_rate"] for a in attrs.values() if a.get("side_effect_mean_rate") is not None]
        )
        print(f"| {name} | {s['settings']['n_images']} | {clean:.2f} | {cells} | {side:.2f} |")
    print()
    print(f"Spearman rank correlation of the per-attribute FFA success with PASS ≥ {tau}:\n")
    print("| families | attributes | ρ |")
    print("|---|---|---|")
    for (a, sa), (b, sb) in itertools.combinations(studies.items(), 2):
        common = [k for k in sa["attributes"] if k in sb["attributes"]]
        x = [sa["attributes"][k]["success_pass99"]["ffa"] for k in common]
        y = [sb["attributes"][k]["success_pass99"]["ffa"] for k in common]
        rho = pd.Series(x).corr(pd.Series(y), method="spearman")  # ranks with ties averaged
        print(f"| {a} vs {b} | {len(common)} | {rho:.2f} |")
    print()
    print("Most robust / most vulnerable five (the study's ranking, lower FFA success = more robust):\n")
    for name, s in studies.items():
        names = [r["attribute"] if isinstance(r, dict) else r for r in s["ranking"]]
        print(f"- {name}: robust {', '.join(names[:5])}; vulnerable {', '.join(names[-5:])}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
