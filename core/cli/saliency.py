"""Mean saliency maps per attribute over a study's images -> mean_saliency.npz (docs/saliency.md)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from ffa_lab.cli.common import add_models_argument, progress_bar, resolve_device
from ffa_lab.cli.study import default_celeba, default_out, positive
from ffa_lab.data.attributes import resolve_attributes
from ffa_lab.data.celeba import load_celeba
from ffa_lab.errors import UsageError
from ffa_lab.experiments.saliency_maps import SALIENCY_FILE, SaliencyConfig, run_mean_saliency
from ffa_lab.models.checkpoint import load_bank


def add_arguments(parser) -> None:
    add_models_argument(parser)
    parser.add_argument(
        "--celeba", default=None, help="CelebA-layout folder (default $FFA_SHARED/celeba or ../shared/celeba)"
    )
    parser.add_argument("--split", choices=["train", "val", "test"], default="test")
    parser.add_argument("--limit", type=positive, default=None, help="the study's seeded subset of N images")
    parser.add_argument("--seed", type=int, default=0, help="seed of the --limit subset (as the study's)")
    parser.add_argument("--attributes", default="all", help="comma-separated names or 'all' (every network)")
    parser.add_argument(
        "--out",
        default=None,
        help=f"folder for {SALIENCY_FILE} (default the study folder assets/results/<models>/study)",
    )
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda")
    parser.add_argument("--cache", default=None, help="decoded-image cache folder")


def run(args) -> int:
    loaded = load_bank(args.models)
    for problem in loaded.refused.values():
        print(f"warning: skipped {problem}", file=sys.stderr)
    data = load_celeba(args.celeba or default_celeba())
    try:
        attributes = tuple(loaded.attributes if args.attributes == "all" else resolve_attributes(args.attributes))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    out = Path(args.out or default_out(args.models, "study"))
    config = SaliencyConfig(
        split=args.split, limit=args.limit, seed=args.seed, attributes=attributes, device=resolve_device(args.device)
    )
    started = time.time()
    total = args.limit or len(data.split_ids(args.split))
    bar = progress_bar(total, f"saliency {args.split}")
    try:
        maps = run_mean_saliency(
            loaded, data, config, out, cache_dir=args.cache and Path(args.cache), progress=bar.update
        )
    finally:
        bar.close()
    print(
        f"mean saliency of {len(attributes)} attributes over {maps.meta['n_images']} {args.split} images "
        f"written to {out / SALIENCY_FILE} in {time.time() - started:.0f} s"
    )
    return 0
