"""Throughput of 1 vs 2 processes (torchrun, gloo) for training and the study; one GPU where there is one.

    python benchmarks/distributed_scaling.py [--celeba ../shared/celeba] [--train-images 1200]
                                             [--study-images 48] [--gpu-only]

CPU part (needs the CelebA folder): the same 40-network training epoch and the same study (FFA, FGS,
FGV, PASS) run as (a) one process with every ffa_lab's threads, (b) one process with one thread, (c)
`torchrun --nproc-per-node 2` with one thread per rank; it prints images/s and attacks/s side by side
and the ratios, all measured in one run. Training images/s count images x the whole bank (40 networks).

GPU part (runs when CUDA is available; no dataset needed): training steps of the full 40-network bank
and FFA over images x 40 attributes on full-size 218x178 inputs (synthetic uint8 images: throughput
does not depend on the content; the attack's step count does, so FFA is also timed on a fixed number
of search steps), reported with the card's name.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import REPO, benchmark_parser  # benchmarks/ is on sys.path (run as scripts)


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _launch(args: list[str], ranks: int, threads: int, cache: str) -> None:
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "FFA_LAB_CACHE": cache, "PYTHONPATH": str(REPO)}
    if ranks == 1:
        command = [sys.executable, "-m", "ffa_lab.cli.main", *args]
    else:
        command = [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc-per-node",
            str(ranks),
            "--master-addr",
            "127.0.0.1",
            "--master-port",
            str(_port()),
            "-m",
            "ffa_lab.cli.main",
            *args,
        ]
        env["FFA_LAB_DIST_BACKEND"] = "gloo"
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=REPO)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")


def cpu_part(celeba: str, train_images: int, study_images: int) -> None:
    settings = [
        ("1 process x all threads", 1, os.cpu_count() or 1),
        ("1 process x 1 thread", 1, 1),
        ("torchrun 2 ranks x 1 thread", 2, 1),
    ]
    with tempfile.TemporaryDirectory() as tmp:
        cache = str(Path(tmp) / "cache")
        _launch(["train", "--celeba", celeba, "--limit", "16", "--epochs", "1", "--out", f"{tmp}/warm"], 1, 1, cache)
        rows = []
        for name, ranks, threads in settings:
            out = f"{tmp}/train-{ranks}-{threads}"
            _launch(
                ["train", "--celeba", celeba, "--limit", str(train_images), "--epochs", "1", "--out", out],
                ranks,
                threads,
                cache,
            )
            summary = json.loads(Path(out, "training_summary.json").read_text())
            n_train = train_images - round(train_images * 0.1)
            train_rate = n_train / summary["history"][0]["seconds"]
            out = f"{tmp}/study-{ranks}-{threads}"
            _launch(
                [
                    "study",
                    "--celeba",
                    celeba,
                    "--limit",
                    str(study_images),
                    "--chunk-size",
                    "16",
                    "--workers",
                    "1",
                    "--out",
                    out,
                ],
                ranks,
                threads,
                cache,
            )
            study = json.loads(Path(out, "summary.json").read_text())
            attacks = sum(a["n_attacked"] for a in study["attributes"].values()) * len(study["attacks"])
            rows.append((name, train_rate, attacks / study["seconds_last_session"]))
    base = rows[0]
    print(
        f"CPU ({os.cpu_count()} cores): training {train_images} images x 40 networks, 1 epoch; "
        f"study {study_images} test images x 40 attributes x ffa,fgs,fgv"
    )
    print(f"{'setting':32s} {'train images/s':>15s} {'ratio':>6s} {'study attacks/s':>16s} {'ratio':>6s}")
    for name, train_rate, study_rate in rows:
        print(
            f"{name:32s} {train_rate:15.1f} {train_rate / base[1]:6.2f} {study_rate:16.1f} {study_rate / base[2]:6.2f}"
        )


def gpu_part(device: str = "cuda", batch: int = 256, images_per_attribute: int = 64) -> None:
    import torch

    from ffa_lab.attacks.run import attack_images
    from ffa_lab.data.attributes import ATTRIBUTES
    from ffa_lab.models.bank import ArchConfig, AttributeBank

    if device == "cuda" and not torch.cuda.is_available():
        print("GPU: no CUDA device here; nothing measured")
        return
    card = torch.cuda.get_device_name(0) if device == "cuda" else f"{device} (dry run of the GPU part)"
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    bank = AttributeBank.initialised(list(ATTRIBUTES), ArchConfig(), 0).to(device).to(memory_format=torch.channels_last)
    optimizer = torch.optim.AdamW(bank.parameters(), lr=1e-3)
    x = torch.randint(0, 256, (batch, 3, 218, 178), device=device).float().contiguous(memory_format=torch.channels_last)
    target = torch.sign(torch.randn(batch, 40, device=device))
    bank.train()
    for step in range(25):
        if step == 5:
            sync()
            started = time.perf_counter()
        loss = (0.5 * (bank(x) - target) ** 2).mean(0).sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    sync()
    train_rate = 20 * len(x) / (time.perf_counter() - started)
    print(f"GPU {card}: training, batch {batch} of 218x178, 40 networks: {train_rate:.0f} images/s")
    bank.eval().requires_grad_(False)
    images = torch.randint(0, 256, (images_per_attribute, 218, 178, 3), dtype=torch.uint8).numpy()
    attack_images(
        bank.subset([0]).to(device),
        images[:4],
        ATTRIBUTES[0],
        method="ffa",
        goal="flip",
        compute_pass=False,
        device=device,
    )  # warm-up
    sync()
    started = time.perf_counter()
    pairs = 0
    for g, attribute in enumerate(ATTRIBUTES):  # as the study does: one network at a time
        single = bank.subset([g]).to(device)
        attack_images(single, images, attribute, method="ffa", goal="flip", compute_pass=False, device=device)
        pairs += len(images)
    sync()
    seconds = time.perf_counter() - started
    print(
        f"GPU {card}: FFA (flip, no PASS), {len(images)} images x 40 attributes: {pairs / seconds:.0f} image-attribute pairs/s"
    )


def main(argv: list[str] | None = None) -> int:
    parser = benchmark_parser(__doc__, models=False)
    parser.add_argument("--train-images", type=int, default=1200)
    parser.add_argument("--study-images", type=int, default=48)
    parser.add_argument("--gpu-only", action="store_true")
    parser.add_argument("--gpu-device", default="cuda", help="'cpu' dry-runs the GPU part's code on the CPU")
    parser.add_argument("--gpu-batch", type=int, default=256)
    parser.add_argument("--gpu-images", type=int, default=64, help="FFA images per attribute")
    args = parser.parse_args(argv)
    if not args.gpu_only:
        cpu_part(str(Path(args.celeba).resolve()), args.train_images, args.study_images)
    gpu_part(args.gpu_device, args.gpu_batch, args.gpu_images)
    return 0


if __name__ == "__main__":
    sys.exit(main())
