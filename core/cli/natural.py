"""Natural adversarial samples: misclassified images a tiny FFA correction fixes (+ extra epochs)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ffa_lab.cli.common import EpochBars
from ffa_lab.cli.study import add_common, open_inputs, positive, run_sharded, split_settings
from ffa_lab.experiments.extra_epochs import run_extra_epochs
from ffa_lab.experiments.natural import NaturalConfig, run_natural
from ffa_lab.experiments.options import RunOptions
from ffa_lab.experiments.results import read_natural


def add_arguments(parser) -> None:
    parser.add_argument("--split", choices=["train", "val", "test"], default="train")
    parser.add_argument(
        "--extra-epochs",
        type=positive,
        default=None,
        metavar="K",
        help="then train K more epochs on the training set and count the train-split natural "
        "adversarial samples still misclassified",
    )
    parser.add_argument(
        "--lr-factor",
        type=float,
        default=0.1,
        help="extra epochs' constant learning rate as a fraction of the original peak rate",
    )
    add_common(parser, "natural")


def run(args) -> int:
    args.kind = "natural"
    loaded, data, attributes, out, device = open_inputs(args)
    config = NaturalConfig(**split_settings(args, attributes, device))
    natural, is_main, started = run_sharded(
        run_natural, read_natural, args, (loaded, data, config, out), device, f"natural {args.split}"
    )
    if not is_main:  # extra epochs (one process) run on rank 0 alone
        return 0
    entry = natural.summary["splits"][args.split]
    totals = {k: sum(a[k] for a in entry["attributes"].values()) for k in ("misclassified", "corrected", "natural")}
    print(
        f"{args.split}: {entry['n_images']} images, {totals['misclassified']} misclassified image x attribute pairs, "
        f"{totals['corrected']} corrected by FFA, {totals['natural']} natural adversarial (PASS >= {args.tau}) "
        f"-> {out} in {time.time() - started:.0f} s"
    )
    if args.extra_epochs:
        bars = EpochBars(args.extra_epochs, prefix="extra ")
        try:
            extra = run_extra_epochs(
                loaded,
                data,
                out,
                args.extra_epochs,
                lr_factor=args.lr_factor,
                options=RunOptions(
                    cache_dir=args.cache and Path(args.cache),
                    log=lambda m: print(m, file=sys.stderr),
                    progress=bars,
                    device=device,
                ),
            )
        finally:
            bars.close()
        t = extra["totals"]
        print(
            f"after {args.extra_epochs} extra epochs ({extra['seconds']:.0f} s): {t['natural_still_misclassified']} of "
            f"{t['natural_before']} training-set natural adversarial samples still misclassified"
        )
    return 0
