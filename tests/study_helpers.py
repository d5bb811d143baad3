"""Tiny inputs for the study, natural and report tests: a synthetic CelebA and a trained 3-network bank."""

from __future__ import annotations

from pathlib import Path

from ffa_lab.data.celeba import load_celeba
from ffa_lab.experiments.options import RunOptions
from ffa_lab.models.checkpoint import load_bank
from ffa_lab.models.train import TrainConfig, train_bank
from tests.conftest import TINY_ARCH, write_celeba

ATTRS = ("5_o_Clock_Shadow", "Smiling", "Male")
TRAIN = TrainConfig(
    attributes=ATTRS, epochs=2, batch_size=8, lr=1e-2, warmup_steps=2, arch=TINY_ARCH, val_fraction=0.25
)


def make_inputs(root: Path) -> dict:
    """CelebA (48 train, 24 test images of 36x30) and a bank trained on it, under ``root``."""
    celeba = write_celeba(root / "celeba", n_train=48, n_test=24)
    cache = root / "cache"
    train_bank(TRAIN, load_celeba(celeba), root / "models", options=RunOptions.quiet(cache))
    return {"celeba": celeba, "models": root / "models", "cache": cache, "root": root}


def open_inputs(inputs: dict):
    return load_bank(inputs["models"]), load_celeba(inputs["celeba"])


VOLATILE = {"created", "seconds_last_session", "seconds"}


def stable(value):
    """A summary without its timestamps and durations (what two equal runs still differ in)."""
    if isinstance(value, dict):
        return {k: stable(v) for k, v in value.items() if k not in VOLATILE}
    if isinstance(value, list):
        return [stable(v) for v in value]
    return value
