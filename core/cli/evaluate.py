"""Evaluate a model bank on a CelebA split: accuracy and balanced accuracy per attribute."""

from __future__ import annotations

import numpy as np

from ffa_lab.cli.common import add_models_argument, progress_bar, resolve_device
from ffa_lab.data.attributes import ATTRIBUTE_INDEX
from ffa_lab.data.celeba import load_celeba
from ffa_lab.data.imagecache import load_images
from ffa_lab.errors import UsageError
from ffa_lab.files import write_json
from ffa_lab.models.checkpoint import load_bank
from ffa_lab.models.evaluate import bank_scores, evaluate_scores


def add_arguments(parser) -> None:
    add_models_argument(parser)
    parser.add_argument("--celeba", required=True, help="CelebA-layout folder")
    parser.add_argument("--split", choices=["train", "val", "test"], default="test")
    parser.add_argument("--limit", type=int, default=None, help="first N images of the split (seeded subset: --seed)")
    parser.add_argument("--seed", type=int, default=None, help="with --limit: a seeded random subset instead")
    parser.add_argument("--json", default=None, help="write the table as JSON here")
    parser.add_argument("--device", default="auto")


def format_table(evaluation, majority: np.ndarray | None = None) -> str:
    lines = [
        f"{'attribute':<22}{'accuracy':>10}{'balanced':>10}" + (f"{'majority':>10}" if majority is not None else "")
    ]
    for g, name in enumerate(evaluation.attributes):
        row = f"{name:<22}{evaluation.accuracy[g]:>10.2f}{evaluation.balanced_accuracy[g]:>10.2f}"
        lines.append(row + (f"{majority[g]:>10.2f}" if majority is not None else ""))
    mean = f"{'MEAN':<22}{evaluation.mean_accuracy:>10.2f}{evaluation.mean_balanced_accuracy:>10.2f}"
    lines.append(mean + (f"{majority.mean():>10.2f}" if majority is not None else ""))
    return "\n".join(lines)


def run(args) -> int:
    loaded = load_bank(args.models)
    for _name, problem in loaded.refused.items():
        print(f"warning: skipped {problem}")
    data = load_celeba(args.celeba)
    ids = data.split_ids(args.split)
    if not ids:
        raise UsageError(f"the {args.split} split of {args.celeba} has no images")
    if args.limit:
        if args.seed is not None:
            pick = np.sort(np.random.default_rng(args.seed).permutation(len(ids))[: args.limit])
            ids = [ids[i] for i in pick]
        else:
            ids = ids[: args.limit]
    images = load_images(data, ids)
    labels = data.labels_for(ids)[:, [ATTRIBUTE_INDEX[a] for a in loaded.attributes]]
    device = resolve_device(args.device)
    bank = loaded.bank.to(device)
    bar = progress_bar(len(ids), f"scoring {args.split}")
    scores = bank_scores(bank, images, device=device, progress=bar.update)
    bar.close()
    evaluation = evaluate_scores(loaded.attributes, scores, labels)
    majority = 100.0 * np.maximum((labels == 1).mean(0), (labels == -1).mean(0))
    print(format_table(evaluation, majority))
    print(f"{len(ids)} {args.split} images, {len(loaded.attributes)} attributes")
    if args.json:
        write_json(args.json, evaluation.to_json() | {"split": args.split, "models": str(args.models)})
    return 0
