"""Latency of the app's live paths, through its own code (core/ui) without the Streamlit server.

    python benchmarks/app_latency.py [--models DIR] [--repeat N] [--threads T (default: the app's, 1)]

Budgets (issue 6): the 40 scores of a new face <= 0.3 s after upload (decode + align + score + the
bar chart); one FFA flip with all its figures <= 1 s; "flip all 40" <= 5 s. Every measurement is a cold
computation (the app's caches are bypassed: the core/ui functions behind them are called directly).
Prints the median and best of ``--repeat`` runs and the ratio median / budget (< 1 = within budget).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ffa_lab.attacks.run import amplified_perturbation  # noqa: E402
from ffa_lab.data.images import decode_image  # noqa: E402
from ffa_lab.data.portraits import bundled_portraits  # noqa: E402
from ffa_lab.models.checkpoint import load_bank  # noqa: E402
from ffa_lab.ui.widgets import enlarge  # noqa: E402
from ffa_lab.views import faces_data, flips, plots  # noqa: E402
from ffa_lab.views.flip_all import flip_all_view  # noqa: E402
from ffa_lab.views.settings import default_models_folder, torch_threads  # noqa: E402

BUDGETS = {"scores after upload": 0.3, "FFA flip + figures": 1.0, "flip all 40": 5.0}


def jpeg_bytes(image: np.ndarray) -> bytes:
    """What a browser upload delivers: an encoded photo."""
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


def upload_to_scores(bank, data: bytes) -> None:
    face = faces_data.prepare_bytes("upload", data, "upload.jpg")
    scores = faces_data.face_scores(bank, face.aligned)
    plots.score_bars(bank.attributes, scores).to_json()


def flip_with_figures(bank, aligned: np.ndarray) -> None:
    view = flips.flip_view(bank, aligned, "Smiling", "ffa")
    shown = view.image_at(1.0)
    amplified_perturbation(view.original, shown)
    for image in (view.original, shown):
        enlarge(image)
    plots.delta_heatmap(view.original, shown).to_json()
    plots.scale_curve(view.trace_scales, view.trace_scores, view.scale, "Smiling", marker=view.base_scale).to_json()
    plots.side_effect_bars(flips.side_effects(view), "Smiling").to_json()
    flips.numbers_json(view, "portrait:grace_hopper", "models")


def flip_all(bank, aligned: np.ndarray) -> None:
    view = flip_all_view(bank, aligned, "ffa")
    for image in view.adversarial:
        enlarge(image, 160)


def timed(fn, repeat: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds (this process, all threads) of ``repeat`` calls after a warm-up.

    On a shared machine wall time includes waiting for a ffa_lab; CPU time does not (with T threads it
    can exceed wall time), so the two together tell contention from work."""
    fn()  # warm-up: first-call allocations, thread pools, lazy imports
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default=default_models_folder(), help="model bank folder")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--threads", type=int, default=torch_threads(), help="torch threads (default: the app's)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    loaded = load_bank(args.models)
    bank = loaded.bank
    portraits = bundled_portraits()
    hopper = portraits["Grace Hopper (matplotlib)"]()
    upload = jpeg_bytes(hopper)
    aligned = faces_data.prepare_bytes("upload", upload, "upload.jpg").aligned
    print(
        f"models {args.models} ({len(bank.attributes)} networks), torch threads {args.threads}, "
        f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    print(
        f"upload: {len(upload):,} bytes JPEG, {hopper.shape[1]}x{hopper.shape[0]}; aligned {aligned.shape[1]}x{aligned.shape[0]}"
    )
    assert decode_image(upload).shape == hopper.shape
    rows = [
        ("scores after upload", timed(lambda: upload_to_scores(bank, upload), args.repeat)),
        ("FFA flip + figures", timed(lambda: flip_with_figures(bank, aligned), args.repeat)),
        ("flip all 40", timed(lambda: flip_all(bank, aligned), max(1, args.repeat // 2))),
    ]
    print(
        f"{'path':<22}{'median s':>10}{'best s':>10}{'cpu s':>8}{'budget s':>10}{'median/budget':>15}{'best/budget':>13}"
    )
    for name, (wall, cpu) in rows:
        median, best, budget = statistics.median(wall), min(wall), BUDGETS[name]
        print(
            f"{name:<22}{median:>10.3f}{best:>10.3f}{statistics.median(cpu):>8.2f}{budget:>10.1f}"
            f"{median / budget:>15.2f}{best / budget:>13.2f}"
        )
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
