"""Helpers shared by subcommands: device choice, the --models flag and progress bars (per step and per epoch).

JSON output: ffa_lab.files.write_json."""

from __future__ import annotations

import sys
from typing import Any

import torch

from ffa_lab.errors import UsageError
from ffa_lab.models.shipped import DEFAULT_MODELS, ENV_MODELS, default_models_folder


def resolve_device(name: str) -> str:
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda was asked for but no CUDA GPU is available")
    if name not in ("cpu", "cuda"):
        raise UsageError(f"--device must be auto, cpu or cuda, not {name!r}")
    return name


def add_models_argument(parser, what: str = "model folder (one .safetensors per attribute)") -> None:
    """``--models DIR``, by default ``$FFA_LAB_MODELS`` or the shipped bank (ffa_lab.models.shipped), found
    from the installed package rather than the current directory, as in the app."""
    parser.add_argument(
        "--models",
        default=default_models_folder(),
        help=f"{what} (default: ${ENV_MODELS} if set, else the shipped bank {DEFAULT_MODELS})",
    )


def progress_bar(total: int, desc: str):
    """A tqdm bar on stderr (quiet when stderr is not a terminal and total is small)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, dynamic_ncols=True, mininterval=1.0, leave=False)


class EpochBars:
    """The ``progress(epoch, step, total)`` callback of the trainers: one progress bar per epoch, labelled
    ``{prefix}epoch E/N``; silent when ``shown`` is False (torchrun ranks other than the main one)."""

    def __init__(self, epochs: int, prefix: str = "", shown: bool = True) -> None:
        self.epochs, self.prefix, self.shown = epochs, prefix, shown
        self.bar: Any = None  # the current epoch's tqdm bar

    def __call__(self, epoch: int, step: int, total: int) -> None:
        if not self.shown:
            return
        if self.bar is None or step == 1:
            self.close()
            self.bar = progress_bar(total, f"{self.prefix}epoch {epoch + 1}/{self.epochs}")
        self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
