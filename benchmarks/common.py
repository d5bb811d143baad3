"""What the benchmarks share: the repository's location and the command line of a benchmark on the shared data.

Benchmarks run as scripts (``python benchmarks/<name>.py``), so this folder is on ``sys.path`` and they
import this module as ``common``.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_MODELS = REPO / "assets" / "models" / "default"


def default_celeba() -> str:
    """``$FFA_SHARED/celeba`` when set, else the ``shared/celeba`` folder beside the repository."""
    return str(Path(os.environ.get("FFA_SHARED") or REPO.parent / "shared") / "celeba")


def benchmark_parser(doc: str | None, *, models: bool = True) -> argparse.ArgumentParser:
    """A parser described by the first paragraph of the script's docstring, with ``--celeba`` (and ``--models``,
    the shipped per-attribute bank by default, unless ``models`` is False)."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    if models:
        parser.add_argument("--models", default=str(DEFAULT_MODELS), help="model folder (default: the shipped bank)")
    parser.add_argument("--celeba", default=default_celeba(), help="CelebA-layout folder ($FFA_SHARED/celeba)")
    return parser
