"""Helpers shared by subcommands: device choice and progress bars (JSON output: ffa_lab.files.write_json)."""

from __future__ import annotations

import sys

import torch

from ffa_lab.errors import UsageError


def resolve_device(name: str) -> str:
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise UsageError("--device cuda was asked for but no CUDA GPU is available")
    if name not in ("cpu", "cuda"):
        raise UsageError(f"--device must be auto, cpu or cuda, not {name!r}")
    return name


def progress_bar(total: int, desc: str):
    """A tqdm bar on stderr (quiet when stderr is not a terminal and total is small)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, file=sys.stderr, dynamic_ncols=True, mininterval=1.0, leave=False)
