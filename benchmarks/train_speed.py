"""Training speed: the 40 networks as one bank vs the same 40 networks trained one after another.

    python benchmarks/train_speed.py [--steps 6] [--batch-size 64]

Both sides run the same optimiser steps on the same random CelebA-sized batches (109x89), interleaved
in one run so machine noise hits both; prints seconds per step and the ratio (the acceptance target
is >= 5x). Sequential = 40 separate G=1 networks, each doing its own forward/backward/step.
"""

from __future__ import annotations

import argparse
import time

import torch

from ffa_lab.data.attributes import ATTRIBUTES
from ffa_lab.models.bank import ArchConfig, AttributeBank


def _step(model, optimizer, x, target):
    loss = 0.5 * ((model(x) - target) ** 2).mean(0).sum()
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args(argv)
    torch.manual_seed(0)
    arch = ArchConfig()
    bank = AttributeBank(list(ATTRIBUTES), arch).train().to(memory_format=torch.channels_last)
    singles = [AttributeBank([a], arch).train().to(memory_format=torch.channels_last) for a in ATTRIBUTES]
    opt_bank = torch.optim.AdamW(bank.parameters(), lr=1e-3)
    opt_singles = [torch.optim.AdamW(m.parameters(), lr=1e-3) for m in singles]
    x = (torch.rand(args.batch_size, 3, 109, 89) * 255).contiguous(memory_format=torch.channels_last)
    target = torch.where(torch.rand(args.batch_size, 40) < 0.5, -1.0, 1.0)
    _step(bank, opt_bank, x, target)  # warm-up
    for g, (m, o) in enumerate(zip(singles, opt_singles, strict=True)):
        _step(m, o, x, target[:, g : g + 1])
    t_bank = t_seq = 0.0
    for _ in range(args.steps):
        start = time.perf_counter()
        _step(bank, opt_bank, x, target)
        t_bank += time.perf_counter() - start
        start = time.perf_counter()
        for g, (m, o) in enumerate(zip(singles, opt_singles, strict=True)):
            _step(m, o, x, target[:, g : g + 1])
        t_seq += time.perf_counter() - start
    per_bank, per_seq = t_bank / args.steps, t_seq / args.steps
    images_per_epoch = 9000
    print(f"threads: {torch.get_num_threads()}  batch: {args.batch_size}  steps: {args.steps}")
    print(
        f"bank (40 networks batched): {per_bank:.3f} s/step  -> {per_bank * images_per_epoch / args.batch_size:.0f} s/epoch"
    )
    print(
        f"one after another (40 x 1):  {per_seq:.3f} s/step  -> {per_seq * images_per_epoch / args.batch_size:.0f} s/epoch"
    )
    print(f"speed-up: {per_seq / per_bank:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
