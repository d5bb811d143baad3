"""Train a model folder on a CelebA folder: one network per attribute (the bank, the default family)
or one shared-trunk network (``--family multi-task|resnet``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ffa_lab.cli.common import EpochBars, resolve_device
from ffa_lab.data.attributes import resolve_attributes
from ffa_lab.data.celeba import load_celeba
from ffa_lab.errors import UsageError
from ffa_lab.experiments import distributed
from ffa_lab.experiments.options import RunOptions
from ffa_lab.models.family import FAMILIES
from ffa_lab.models.train import TrainConfig, train_bank
from ffa_lab.models.train_adversarial import AdversarialConfig, train_adversarial
from ffa_lab.models.train_shared import FAMILY_ARCHS, SharedTrainConfig, train_shared


def add_arguments(parser) -> None:
    defaults = TrainConfig()
    parser.add_argument("--celeba", required=True, help="CelebA-layout folder")
    parser.add_argument(
        "--family",
        choices=FAMILIES,
        default="per-attribute",
        help="per-attribute: one network per attribute (one .safetensors each); multi-task | resnet: one shared "
        "trunk with 40 outputs (model.safetensors) — docs/models.md",
    )
    parser.add_argument("--out", required=True, help="model folder to write")
    parser.add_argument("--attributes", default="all", help="comma-separated names or 'all'")
    parser.add_argument(
        "--epochs", type=int, default=None, help=f"default {defaults.epochs} (per-attribute), 6 (others)"
    )
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--lr", type=float, default=None, help=f"default {defaults.lr} (per-attribute), 2e-3 (others)")
    parser.add_argument(
        "--balance",
        choices=["full", "sqrt", "none", "moon"],
        default=None,
        help="class re-weighting: default full (per-attribute), moon (others: MOON's domain-adaptive weights)",
    )
    parser.add_argument("--shift", type=int, default=0, help="shared-trunk families: random translation of ±N pixels")
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
    adversarial = parser.add_argument_group("adversarial fine-tuning (docs/adversarial-training.md)")
    adversarial.add_argument(
        "--adversarial",
        action="store_true",
        help="fine-tune the shared-trunk model of --init with PGD/FGS adversarial copies mixed into every batch "
        "(--epochs default 2, --lr default 5e-4)",
    )
    adversarial.add_argument("--init", default=None, help="the model folder to fine-tune (multi-task or resnet)")
    adversarial.add_argument("--adv-eps", type=float, default=4.0, help="L∞ size in grey levels (default 4)")
    adversarial.add_argument("--adv-steps", type=int, default=1, help="PGD steps (default 1: FGS)")
    adversarial.add_argument("--adv-fraction", type=float, default=0.5, help="share of each batch (default 0.5)")


def make_config(args) -> TrainConfig | SharedTrainConfig:
    """The training configuration of the command line: flags left out take the family's defaults."""
    shared = args.family != "per-attribute"
    base = SharedTrainConfig(family=args.family, arch=FAMILY_ARCHS[args.family]) if shared else TrainConfig()
    if args.balance == "moon" and not shared:
        raise UsageError("--balance moon is the shared-trunk families' weighting; per-attribute uses full|sqrt|none")
    if args.shift and not shared:
        raise UsageError("--shift applies to the shared-trunk families (multi-task, resnet) only")
    values = {
        "attributes": tuple(resolve_attributes(args.attributes)),
        "epochs": base.epochs if args.epochs is None else args.epochs,
        "batch_size": args.batch_size,
        "lr": base.lr if args.lr is None else args.lr,
        "balance": base.balance if args.balance is None else args.balance,
        "balance_weight": args.balance_weight,
        "hflip": not args.no_hflip,
        "limit": args.limit,
        "seed": args.seed,
    }
    return replace(base, **values, **({"shift": args.shift} if shared else {}))


def run(args) -> int:
    if args.adversarial:
        return _train_adversarial(args)
    if args.init is not None:
        raise UsageError("--init is for --adversarial fine-tuning")
    config = make_config(args)
    data = load_celeba(args.celeba)
    device = resolve_device(args.device)
    with distributed.session(device) as dist:  # torchrun: each rank trains a block of the attributes
        return _train(args, config, data, dist.device(device), dist)


def _train(args, config: TrainConfig | SharedTrainConfig, data, device: str, dist: distributed.Distributed) -> int:
    progress = EpochBars(config.epochs, shown=dist.is_main)

    summary = (train_bank if isinstance(config, TrainConfig) else train_shared)(
        config,  # type: ignore[arg-type]  # the isinstance above picks the trainer that matches config
        data,
        Path(args.out),
        resume=args.resume,
        options=RunOptions(
            cache_dir=Path(args.cache) if args.cache else None, progress=progress, dist=dist, device=device
        ),
    )
    progress.close()
    val = summary["val"]
    if dist.is_main:
        print(
            f"wrote {len(config.attributes)} {'networks' if isinstance(config, TrainConfig) else 'outputs'} to "
            f"{args.out}: validation accuracy "
            f"{val['mean_accuracy']:.2f}%, balanced {val['mean_balanced_accuracy']:.2f}%"
        )
    return 0


def _train_adversarial(args) -> int:
    if args.init is None:
        raise UsageError("--adversarial needs --init MODEL_FOLDER (the shared-trunk model to fine-tune)")
    if args.resume:
        raise UsageError("--adversarial runs are short and do not resume; start them again")
    config = AdversarialConfig(
        init=args.init,
        epochs=2 if args.epochs is None else args.epochs,
        lr=5e-4 if args.lr is None else args.lr,
        eps=args.adv_eps,
        steps=args.adv_steps,
        fraction=args.adv_fraction,
    )
    progress = EpochBars(config.epochs, prefix="adversarial ")
    device = resolve_device(args.device)
    options = RunOptions(cache_dir=Path(args.cache) if args.cache else None, progress=progress, device=device)
    summary = train_adversarial(config, load_celeba(args.celeba), Path(args.out), options=options)
    progress.close()
    val = summary["val"]
    print(
        f"wrote the fine-tuned {summary['family']} model to {args.out}: validation accuracy "
        f"{val['mean_accuracy']:.2f}%, balanced {val['mean_balanced_accuracy']:.2f}%"
    )
    return 0
