"""Robustness study: every attack on every attribute's network over a split (resumable)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from ffa_lab.cli.common import add_models_argument, progress_bar, resolve_device
from ffa_lab.data.attributes import resolve_attributes
from ffa_lab.data.celeba import load_celeba
from ffa_lab.errors import UsageError
from ffa_lab.experiments import distributed
from ffa_lab.experiments.options import RunOptions
from ffa_lab.experiments.results import read_study
from ffa_lab.experiments.study import StudyConfig, run_study
from ffa_lab.models.checkpoint import load_bank


def default_celeba() -> str:
    """``$FFA_SHARED/celeba`` when set, else ``../shared/celeba`` (the developer layout)."""
    shared = os.environ.get("FFA_SHARED")
    return str(Path(shared) / "celeba") if shared else "../shared/celeba"


def default_out(models: str, kind: str) -> str:
    """``assets/results/<model folder name>/<kind>`` (the default bank -> assets/results/default/...)."""
    return str(Path("assets/results") / Path(models).resolve().name / kind)


def parse_attacks(spec: str) -> tuple[str, ...]:
    from ffa_lab.attacks import REGISTRY

    names = tuple(dict.fromkeys(s.strip().lower() for s in spec.split(",") if s.strip()))
    unknown = [n for n in names if n not in REGISTRY]
    if not names or unknown:
        raise UsageError(f"unknown attack {', '.join(unknown) or spec!r}; choose from {', '.join(REGISTRY)}")
    return names


def positive(value: str) -> int:
    number = int(value)
    if number <= 0:
        raise ValueError(value)
    return number


def add_common(parser, kind: str) -> None:
    add_models_argument(parser)
    parser.add_argument(
        "--celeba", default=None, help="CelebA-layout folder (default $FFA_SHARED/celeba or ../shared/celeba)"
    )
    parser.add_argument("--out", default=None, help=f"results folder (default assets/results/<models name>/{kind})")
    parser.add_argument(
        "--attributes", default="all", help="comma-separated names or 'all' (every network in --models)"
    )
    parser.add_argument("--limit", type=positive, default=None, help="seeded random subset of N images of the split")
    parser.add_argument("--seed", type=int, default=0, help="seed of the --limit subset")
    parser.add_argument("--tau", type=float, default=0.99, help="PASS threshold for 'imperceptible' (default 0.99)")
    parser.add_argument("--chunk-size", type=positive, default=500, help="images per resumable unit and attack batch")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda")
    parser.add_argument("--cache", default=None, help="decoded-image cache folder")
    parser.add_argument("--force", action="store_true", help="recompute even if --out already holds this run")
    parser.add_argument(
        "--workers",
        type=positive,
        default=None,
        help="processes, one thread each, started as local torchrun ranks (default: min(2, CPU count) on the "
        "CPU; 1 under torchrun and on a GPU)",
    )
    # set by --workers N for the torchrun ranks it starts: run the units only, the parent reports
    parser.add_argument("--ranks-only", action="store_true", help=argparse.SUPPRESS)


def add_arguments(parser) -> None:
    parser.add_argument("--split", choices=["train", "val", "test"], default="test")
    parser.add_argument(
        "--attacks", default="ffa,fgs,fgv", help="comma-separated: ffa,fgs,fgv,deepfool,iffa,ddn,fmn,fmn-linf"
    )
    parser.add_argument(
        "--side-effect-limit",
        type=int,
        default=StudyConfig.side_effect_limit,
        help="FFA adversarials per chunk scored by all networks for the side-effect matrix "
        f"(default {StudyConfig.side_effect_limit}; 0 = all)",
    )
    add_common(parser, "study")


def open_inputs(args):
    """(loaded bank, CelebA, out folder, device) from the shared flags, with user-facing errors."""
    if not 0 < args.tau <= 1:
        raise UsageError(f"--tau must be in (0, 1], not {args.tau}")
    loaded = load_bank(args.models)
    for problem in loaded.refused.values():
        print(f"warning: skipped {problem}", file=sys.stderr)
    data = load_celeba(args.celeba or default_celeba())
    try:  # "all" = every network in the model folder
        attributes = tuple(loaded.attributes if args.attributes == "all" else resolve_attributes(args.attributes))
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return loaded, data, attributes, Path(args.out or default_out(args.models, args.kind)), resolve_device(args.device)


def split_settings(args, attributes: tuple[str, ...], device: str) -> dict:
    """The settings the study and the mining configs share (StudyConfig, NaturalConfig), from the flags."""
    return dict(
        split=args.split,
        attributes=attributes,
        limit=args.limit,
        seed=args.seed,
        chunk_size=args.chunk_size,
        tau=args.tau,
        device=device,
    )


class Progress:
    """A tqdm bar (stderr, with ETA) fed by ``(done, total)`` callbacks."""

    def __init__(self, desc: str):
        self.desc, self.bar = desc, cast(Any, None)  # a tqdm bar once the total is known

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None:
            self.bar = progress_bar(total, self.desc)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def worker_count(args, device: str) -> int:
    """--workers, else min(2, CPU count) on the CPU; 1 on a GPU and inside a torchrun job (a rank)."""
    if device != "cpu" or distributed.launched() or args.ranks_only:
        return 1
    return args.workers or min(2, os.cpu_count() or 1)


def run_sharded(runner, reader, args, inputs: tuple, device: str, desc: str):
    """``runner(loaded, data, config, out, ...)`` (run_study or run_natural) with a progress bar, joined to
    torch.distributed when torchrun launched several ranks; (results, this process reports, start time).

    With ``--workers N`` > 1 the units run in N local torchrun ranks (ffa_lab.experiments.distributed.
    run_local_ranks: one mechanism for every multi-process run) and this process then reads the finished
    folder with ``reader(out)``."""
    loaded, data, config, out = inputs
    workers = worker_count(args, device)
    if workers > 1:
        started = time.time()
        code = distributed.run_local_ranks([*args.argv, "--workers", "1", "--ranks-only"], workers)
        if code:
            raise UsageError(f"the {workers} worker processes stopped (exit {code}); see their messages above")
        return reader(out), True, started
    with distributed.session(device) as dist:  # torchrun: ranks share the (attribute, chunk) units
        started, bar = time.time(), Progress(desc)
        try:
            results = runner(
                loaded,
                data,
                replace(config, device=dist.device(device)),
                out,
                options=RunOptions(
                    cache_dir=args.cache and Path(args.cache),
                    log=lambda m: print(m, file=sys.stderr),
                    progress=bar if dist.is_main else None,
                    dist=dist,
                    force=args.force,
                ),
            )
        finally:
            bar.close()
    return results, dist.is_main and not args.ranks_only, started


def run(args) -> int:
    args.kind = "study"
    loaded, data, attributes, out, device = open_inputs(args)
    config = StudyConfig(
        **split_settings(args, attributes, device),
        attacks=parse_attacks(args.attacks),
        side_effect_limit=args.side_effect_limit or None,
    )
    study, is_main, started = run_sharded(
        run_study, read_study, args, (loaded, data, config, out), device, f"study {args.split}"
    )
    if not is_main:
        return 0
    attrs = study.summary["attributes"]
    print(
        f"study of {len(attributes)} attributes x {len(config.attacks)} attacks written to {out} "
        f"in {time.time() - started:.0f} s"
    )
    for method in config.attacks:
        mean = sum(a.get("success", {}).get(method, 0.0) for a in attrs.values()) / max(len(attrs), 1)
        under = sum(a.get("success_pass99", {}).get(method, 0.0) for a in attrs.values()) / max(len(attrs), 1)
        print(f"  {method}: mean success {mean:.1f}%, with PASS >= {config.tau}: {under:.1f}%")
    print(f"most robust: {', '.join(study.ranking[:5])}")
    print(f"least robust: {', '.join(study.ranking[-5:])}")
    return 0
