"""Train one network per attribute (the bank) on a CelebA folder."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ffa_lab.cli.common import progress_bar, resolve_device
from ffa_lab.data.attributes import resolve_attributes
from ffa_lab.data.celeba import load_celeba
from ffa_lab.experiments import distributed
from ffa_lab.models.train import TrainConfig, train_bank


def add_arguments(parser) -> None:
    defaults = TrainConfig()
    parser.add_argument("--celeba", required=True, help="CelebA-layout folder")
    parser.add_argument("--out", required=True, help="model folder to write (one .safetensors per attribute)")
    parser.add_argument("--attributes", default="all", help="comma-separated names or 'all'")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=defaults.lr)
    parser.add_argument("--balance", choices=["full", "sqrt", "none"], default=defaults.balance)
    parser.add_argument(
        "--balance-weight",
        type=float,
        default=defaults.balance_weight,
        help="operating point: maximise accuracy + W x balanced accuracy on validation",
    )
    parser.add_argument("--no-hflip", action="store_true", help="no mirror augmentation (the paper's setting)")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N training images")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--resume", action="store_true", help="continue an interrupted run in --out")
    parser.add_argument("--cache", default=None, help="decoded-image cache folder")


def run(args) -> int:
    config = replace(
        TrainConfig(),
        attributes=tuple(resolve_attributes(args.attributes)),
        epochs=args.epochs,
        batch_size=args.batch_size,
        lr=args.lr,
        balance=args.balance,
        balance_weight=args.balance_weight,
        hflip=not args.no_hflip,
        limit=args.limit,
        seed=args.seed,
    )
    data = load_celeba(args.celeba)
    device = resolve_device(args.device)
    with distributed.session(device) as dist:  # torchrun: each rank trains a block of the attributes
        return _train(args, config, data, dist.device(device), dist)


def _train(args, config: TrainConfig, data, device: str, dist: distributed.Distributed) -> int:
    bar = None

    def progress(epoch: int, step: int, total: int) -> None:
        nonlocal bar
        if not dist.is_main:
            return
        if bar is None or step == 1:
            if bar is not None:
                bar.close()
            bar = progress_bar(total, f"epoch {epoch + 1}/{config.epochs}")
        bar.update(1)

    summary = train_bank(
        config,
        data,
        Path(args.out),
        resume=args.resume,
        device=device,
        cache_dir=Path(args.cache) if args.cache else None,
        progress=progress,
        dist=dist,
    )
    if bar is not None:
        bar.close()
    val = summary["val"]
    if dist.is_main:
        print(
            f"wrote {len(config.attributes)} networks to {args.out}: validation accuracy "
            f"{val['mean_accuracy']:.2f}%, balanced {val['mean_balanced_accuracy']:.2f}%"
        )
    return 0
