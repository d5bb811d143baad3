"""Print the families comparison tables of docs/models.md from shipped model folders.

Each folder holds its test evaluation as ``evaluation.json``, written by
``ffa-lab evaluate --models assets/models/NAME --celeba ../shared/celeba --split test --json assets/models/NAME/evaluation.json``;
training times come from ``training_summary.json`` (per-epoch ``seconds``).

    python scripts/families_table.py assets/models/default assets/models/multi-task assets/models/resnet
"""

import json
import sys
from pathlib import Path

from ffa_lab.models.checkpoint import load_bank


def _facts(folder: Path) -> dict:
    loaded = load_bank(folder)
    evaluation = json.loads((folder / "evaluation.json").read_text())
    history = json.loads((folder / "training_summary.json").read_text())["history"]
    seconds = [h["seconds"] for h in history]
    return {
        "name": folder.name,
        "family": loaded.family,
        "arch": loaded.bank.arch.name,
        "parameters": sum(p.numel() for p in loaded.bank.parameters()),
        "megabytes": sum(p.stat().st_size for p in folder.glob("*.safetensors")) / 2**20,
        "epochs": len(seconds),
        "per_epoch": sum(seconds) / len(seconds),
        "total": sum(seconds),
        "evaluation": evaluation,
    }


def main(argv: list[str]) -> int:
    rows = [_facts(Path(folder)) for folder in argv]
    print(
        "| folder | family | architecture | parameters | size MB | epochs | s/epoch | training min | test acc % | test balanced % |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        e = r["evaluation"]
        print(
            f"| {r['name']} | {r['family']} | {r['arch']} | {r['parameters']:,} | {r['megabytes']:.1f} | {r['epochs']} | "
            f"{r['per_epoch']:.0f} | {r['total'] / 60:.0f} | **{e['mean_accuracy']:.2f}** | **{e['mean_balanced_accuracy']:.2f}** |"
        )
    print()
    print("| attribute | " + " | ".join(f"{r['name']} acc | {r['name']} bal" for r in rows) + " |")
    print("|---|" + "---|---|" * len(rows))
    for name in rows[0]["evaluation"]["attributes"]:
        cells = []
        for r in rows:
            a = r["evaluation"]["attributes"][name]
            cells.append(f"{a['accuracy']:.2f} | {a['balanced_accuracy']:.2f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    means = [
        f"**{r['evaluation']['mean_accuracy']:.2f}** | **{r['evaluation']['mean_balanced_accuracy']:.2f}**"
        for r in rows
    ]
    print("| **mean** | " + " | ".join(means) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
