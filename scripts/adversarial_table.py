"""Before/after table of an adversarial fine-tuning (docs/adversarial-training.md), per attribute and mean.

    python scripts/adversarial_table.py --before assets/models/resnet --after assets/models/resnet-adv \
        --before-results assets/results/resnet --after-results assets/results/resnet-adv

Reads each model folder's ``evaluation.json`` (test accuracy, balanced accuracy), each results folder's
``study/summary.json`` (FFA success, success with PASS >= tau, median L2 and L∞ of the successful FFA
flips) and ``natural/summary.json`` (natural adversarial samples on the test split), and prints one
markdown table. The two studies must cover the same images (same split, --limit and --seed): checked.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        sys.exit(f"adversarial_table: cannot read {path}: {exc}")


def _row(evaluation: dict, study: dict, natural: dict, name: str) -> list[float | None]:
    ev = evaluation["attributes"].get(name, {})
    st = study["attributes"].get(name, {})
    nat = natural["splits"]["test"]["attributes"].get(name, {})
    median = lambda key: ((st.get(key) or {}).get("ffa") or {}).get("median")  # noqa: E731
    return [
        ev.get("accuracy"),
        ev.get("balanced_accuracy"),
        (st.get("success") or {}).get("ffa"),
        (st.get("success_pass99") or {}).get("ffa"),
        median("l2"),
        median("linf"),
        nat.get("natural"),
    ]


COLUMNS = ("acc %", "bal %", "FFA success %", "FFA PASS≥.99 %", "FFA median L2", "FFA median L∞", "natural (test)")
DIGITS = (2, 2, 1, 1, 1, 0, 0)


def _cell(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for side in ("before", "after"):
        parser.add_argument(f"--{side}", required=True, help="model folder")
        parser.add_argument(f"--{side}-results", required=True, help="results folder (study/, natural/)")
    args = parser.parse_args(argv)
    sides = []
    for side in ("before", "after"):
        models, results = Path(getattr(args, side)), Path(getattr(args, f"{side}_results"))
        sides.append(
            (
                _json(models / "evaluation.json"),
                _json(results / "study" / "summary.json"),
                _json(results / "natural" / "summary.json"),
            )
        )
    keys = ("split", "limit", "seed")
    covered = [{k: study["settings"].get(k) for k in keys} for _, study, _ in sides]
    if covered[0] != covered[1]:
        sys.exit("adversarial_table: the two studies cover different images (split, --limit, --seed differ)")
    names = list(sides[0][1]["attributes"])
    header = ["attribute"] + [f"{c} {s}" for c in COLUMNS for s in ("before", "after")]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    sums = [[0.0, 0] for _ in range(2 * len(COLUMNS))]
    for name in names:
        before, after = (_row(*side, name) for side in sides)
        values = [v for pair in zip(before, after, strict=True) for v in pair]
        for k, v in enumerate(values):
            if v is not None:
                sums[k][0] += v
                sums[k][1] += 1
        digits = [d for d in DIGITS for _ in range(2)]
        print("| " + " | ".join([name] + [_cell(v, d) for v, d in zip(values, digits, strict=True)]) + " |")
    means = [s / n if n else None for s, n in sums]
    digits = [d if d else 1 for d in DIGITS for _ in range(2)]
    print("| **mean** | " + " | ".join(_cell(v, d) for v, d in zip(means, digits, strict=True)) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
