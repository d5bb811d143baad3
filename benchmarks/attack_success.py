"""Issue 3's acceptance experiment: attack success, median L∞ and median PASS per attack.

For each attribute (default Smiling, Male, Eyeglasses, Young) take the first N (default 200)
correctly classified test images of the shared CelebA subset (file order), flip each with every
attack, and print the success rate, the median L∞ (grey levels) and the median PASS of the
successes. It also splits the images by whether the score overshoots its label (|f| > 1), the
case where FGS and FGV point away from the boundary (docs/attacks.md).

Run: ``python benchmarks/attack_success.py [--models DIR] [--n 200] [--json FILE]``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np
import torch
from common import REPO, benchmark_parser  # benchmarks/ is on sys.path (run as scripts)

sys.path.insert(0, str(REPO))

from ffa_lab.attacks import REGISTRY, SearchParams  # noqa: E402
from ffa_lab.attacks.run import attack_images  # noqa: E402
from ffa_lab.data.attributes import resolve_attributes  # noqa: E402
from ffa_lab.data.celeba import load_celeba  # noqa: E402
from ffa_lab.data.imagecache import load_images  # noqa: E402
from ffa_lab.models.checkpoint import load_bank  # noqa: E402
from ffa_lab.models.evaluate import bank_scores  # noqa: E402


def _median(values: np.ndarray) -> float | None:
    return float(np.median(values)) if len(values) else None


def run_attribute(bank, faces, scores, labels, attribute: str, n: int, methods: list[str], params: SearchParams):
    k = bank.attributes.index(attribute)
    correct = np.flatnonzero(np.where(scores[:, k] >= 0, 1, -1) == labels[:, k])[:n]
    images, before = faces[correct], scores[correct, k]
    over = np.abs(before) > 1
    row = {"n": int(len(correct)), "overshoot": int(over.sum()), "methods": {}}
    for method in methods:
        started = time.perf_counter()
        own = REGISTRY[method].params_type(max_scale=params.max_scale)  # each attack's defaults, one range
        r = attack_images(bank, images, attribute, method, params=own)
        ok = r.success
        row["methods"][method] = {
            "success": 100.0 * float(ok.mean()),
            "success_overshoot": 100.0 * float(ok[over].mean()) if over.any() else None,
            "success_within_1": 100.0 * float(ok[~over].mean()) if (~over).any() else None,
            "median_linf": _median(r.linf[ok]),
            "median_l2": _median(r.l2[ok]),
            "median_pass": _median(r.pass_score[ok]),
            "pass_ge_099": 100.0 * float((r.pass_score[ok] >= 0.99).mean()) if ok.any() else None,
            "seconds": time.perf_counter() - started,
        }
    return row


# (key in the row's per-method numbers, header, alignment and width, number format)
COLUMNS = (
    ("success", "success%", ">8", ".1f"),
    ("success_overshoot", "|f|>1", ">7", ".1f"),
    ("success_within_1", "|f|<=1", ">7", ".1f"),
    ("median_linf", "med Linf", ">8", ".1f"),
    ("median_l2", "med L2", ">8", ".1f"),
    ("median_pass", "med PASS", ">8", ".4f"),
    ("pass_ge_099", "PASS>=.99", ">9", ".1f"),
    ("seconds", "time s", ">7", ".1f"),
)


def print_row(attribute: str, row: dict) -> None:
    print(f"\n{attribute}: {row['n']} correctly classified test images, {row['overshoot']} with |f| > 1")
    print("  " + " ".join([format("attack", "<9")] + [format(header, width) for _, header, width, _ in COLUMNS]))
    for method, numbers in row["methods"].items():
        cells = [format(method, "<9")]
        for key, _, width, spec in COLUMNS:  # "-" where a method has no such number
            value = numbers[key]
            cells.append(format(value, width + spec) if value is not None else format("-", width))
        print("  " + " ".join(cells))


def main(argv: list[str] | None = None) -> int:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--attributes", default="Smiling,Male,Eyeglasses,Young")
    parser.add_argument("--methods", default=",".join(REGISTRY))
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--max-scale", type=float, default=SearchParams().max_scale)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--json", default=None, help="also write the numbers here")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    bank = load_bank(args.models).bank
    data = load_celeba(args.celeba)
    ids = data.split_ids("test")
    faces = np.ascontiguousarray(load_images(data, ids))
    scores = bank_scores(bank, faces)
    labels = data.labels_for(ids)
    label_columns = [resolve_attributes("all").index(a) for a in bank.attributes]
    labels = labels[:, label_columns]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    params = SearchParams(max_scale=args.max_scale)
    print(f"models {args.models}; max scale {params.max_scale:g} grey levels; test images {len(ids)}")
    out = {"models": str(args.models), "params": params.__dict__, "attributes": {}}
    for attribute in resolve_attributes(args.attributes):
        row = run_attribute(bank, faces, scores, labels, attribute, args.n, methods, params)
        out["attributes"][attribute] = row
        print_row(attribute, row)
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
