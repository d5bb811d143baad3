"""Study throughput: one process with two torch threads vs two single-thread worker processes.

    python benchmarks/study_throughput.py [--models assets/models/default] [--celeba ../shared/celeba]
                                          [--images 200] [--attributes Smiling,Male,Eyeglasses,Bald]

Runs the same small study (FFA, FGS, FGV, PASS and side effects; chunk = --images) both ways into
temporary folders and prints attacks per second side by side, the ratio, and the projected time of
the acceptance run (1000 test images x 40 attributes x 3 attacks) from the faster setting.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import torch

from ffa_lab.data.celeba import load_celeba
from ffa_lab.experiments.study import StudyConfig, run_study
from ffa_lab.models.checkpoint import load_bank


def measure(loaded, data, config: StudyConfig, workers: int, threads: int) -> tuple[float, int]:
    torch.set_num_threads(threads)
    with tempfile.TemporaryDirectory() as out:
        started = time.time()
        study = run_study(loaded, data, config, Path(out), workers=workers, log=lambda _: None)
        seconds = time.time() - started
    return seconds, len(study.samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="assets/models/default")
    parser.add_argument("--celeba", default="../shared/celeba")
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--attributes", default="Smiling,Male,Eyeglasses,Bald")
    args = parser.parse_args(argv)
    loaded, data = load_bank(args.models), load_celeba(args.celeba)
    config = StudyConfig(limit=args.images, chunk_size=args.images, attributes=tuple(args.attributes.split(",")))
    rows = []
    for workers, threads in ((1, 2), (2, 1)):
        seconds, attacks = measure(loaded, data, config, workers, threads)
        rows.append((f"{workers} process x {threads} threads", seconds, attacks / seconds))
    print(f"{'setting':<28}{'seconds':>10}{'attacks/s':>12}")
    for name, seconds, rate in rows:
        print(f"{name:<28}{seconds:>10.1f}{rate:>12.1f}")
    print(f"ratio (2 workers / 1 process): {rows[1][2] / rows[0][2]:.2f}x")
    best = max(rate for _, _, rate in rows)
    projected = 1000 * 40 * 3 * 0.88 / best  # ~88 % of images are correctly classified and attacked
    print(f"projected acceptance run (1000 images x 40 attributes x 3 attacks): {projected / 60:.1f} min")
    return 0


if __name__ == "__main__":
    sys.exit(main())
