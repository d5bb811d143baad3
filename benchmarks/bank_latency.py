"""Latency of the bank on one face (all 40 scores) and evaluation throughput.

    python benchmarks/bank_latency.py [--models assets/models/default] [--repeats 50]

Prints the median and 90th percentile of scoring one 89x109 face and one 178x218 face (target: <= 50 ms
on a 2-ffa_lab CPU), with the BatchNorm-folded inference bank beside the unfolded one, measured in turns.
"""

from __future__ import annotations

import argparse
import copy
import time

import numpy as np
import torch

from ffa_lab.models.checkpoint import load_bank


def _times(bank, x, repeats: int) -> np.ndarray:
    out = []
    with torch.no_grad():
        bank(x)
        for _ in range(repeats):
            start = time.perf_counter()
            bank(x)
            out.append(time.perf_counter() - start)
    return np.array(out) * 1000


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="assets/models/default")
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args(argv)
    folded = load_bank(args.models).bank
    unfolded = copy.deepcopy(folded)
    unfolded._folded = False  # identity norms still computed: the cost of not folding
    for h, w in ((109, 89), (218, 178)):
        x = torch.randint(0, 256, (1, 3, h, w), dtype=torch.uint8)
        t_fold, t_plain = _times(folded, x, args.repeats), _times(unfolded, x, args.repeats)
        print(
            f"one {w}x{h} face, 40 scores: folded median {np.median(t_fold):.1f} ms (p90 {np.percentile(t_fold, 90):.1f}),"
            f" unfolded {np.median(t_plain):.1f} ms  -> {np.median(t_plain) / np.median(t_fold):.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
