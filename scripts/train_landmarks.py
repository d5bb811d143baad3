"""Train the bundled 5-point landmark network and write assets/landmarks/landmarks5.safetensors.

1. Teacher labels: YuNet (refined: levelled crops at 3 scales and their mirrors, averaged) on CelebA
   train images, half size upscaled x2, ids 000033-004000 (000001-000032 are the benchmark's images and
   are never used; the labelling costs ~0.1-0.3 s an image on a busy 2-core machine, so 4,000 ids, not all
   10,000). Cached in ``--work``/teacher.npz.
2. Training: random crops taken where a perturbed copy of the teacher points says the face is
   (similarity perturbations: broad ones like a Haar box's error, narrow ones like a cascade pass's;
   mirror flips with point swapping; contrast, brightness, gamma, blur, noise, border modes), plus
   negatives (faces turned 90/180/270 degrees, crops far off or far too large/small, crops of
   scikit-image's non-face sample pictures) for the face logit. Ids 003801-004000 are held out.
   Checkpoints every 500 steps in ``--work``; rerunning resumes. One thread, fixed seed: the same
   command on the same torch version reproduces the shipped file.

    nice -n 10 python scripts/train_landmarks.py --celeba ../shared/celeba \
        --yunet ../shared/models/yunet/face_detection_yunet_2026may.onnx --fullres ../shared/celeba-fullres-32
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))

from landmark_data import (  # noqa: E402
    AugmentConfig,
    fullres_errors,
    load_gray,
    negative_pictures,
    sample_batch,
    teacher_labels,
    val_errors,
)

from ffa_lab.faces.landmarks import INPUT, LandmarkModel, LandmarkNet, save_landmark_model  # noqa: E402


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    first_id: int = 33
    last_id: int = 4000
    val_from: int = 3801  # ids >= this are held out
    steps: int = 5000
    batch: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    face_loss_weight: float = 0.5
    seed: int = 0
    channels: tuple[int, ...] = (24, 32, 32, 64, 64, 128)
    hidden: int = 96


def lr_at(step: int, config: TrainConfig) -> float:
    """Linear warm-up over 300 steps, then cosine decay to 2 % of the peak."""
    if step < 300:
        return config.lr * (step + 1) / 300
    progress = (step - 300) / max(1, config.steps - 300)
    return config.lr * (0.02 + 0.98 * 0.5 * (1 + np.cos(np.pi * progress)))


def train(args: argparse.Namespace) -> int:
    torch.set_num_threads(1)
    cv2.setNumThreads(1)
    config = TrainConfig(steps=args.steps, val_from=args.val_from)
    augment = AugmentConfig()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    celeba = Path(args.celeba)
    ids = list(range(config.first_id, config.last_id + 1))
    labels = teacher_labels(celeba, Path(args.yunet), ids, work / "teacher.npz")
    images = load_gray(celeba, labels["ids"])
    is_val = labels["ids"] >= config.val_from
    train_idx, val_idx = np.flatnonzero(~is_val), np.flatnonzero(is_val)
    print(f"{len(train_idx)} training faces, {len(val_idx)} held out", flush=True)
    negatives = negative_pictures()

    torch.manual_seed(config.seed)
    net = LandmarkNet(config.channels, config.hidden).to(memory_format=torch.channels_last)
    opt = torch.optim.AdamW(net.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    rng = np.random.default_rng(config.seed)
    step, started = 0, time.time()
    checkpoint = work / "checkpoint.pt"
    if checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=False)  # our own file, written below
        net.load_state_dict(state["net"])
        opt.load_state_dict(state["opt"])
        rng.bit_generator.state = state["rng"]
        torch.set_rng_state(state["torch_rng"])
        step, started = state["step"], time.time() - state["seconds"]
        print(f"resumed at step {step}", flush=True)
    net.train()
    smooth = None
    while step < config.steps:
        for group in opt.param_groups:
            group["lr"] = lr_at(step, config)
        crops, targets, faces = sample_batch(rng, images, labels["points"], train_idx, negatives, config.batch, augment)
        x = torch.from_numpy(crops).float().div_(255.0)[:, None].contiguous(memory_format=torch.channels_last)
        out = net(x)
        y, face = torch.from_numpy(targets), torch.from_numpy(faces)
        point_loss = torch.nn.functional.smooth_l1_loss(out[:, :10], y, reduction="none", beta=0.05).mean(1) * face
        point_loss = point_loss.sum() / face.sum().clamp(min=1)
        face_loss = torch.nn.functional.binary_cross_entropy_with_logits(out[:, 10], face)
        loss = point_loss + config.face_loss_weight * face_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        smooth = loss.item() if smooth is None else 0.98 * smooth + 0.02 * loss.item()
        if step % 100 == 0:
            print(
                f"step {step} loss {smooth:.4f} lr {lr_at(step, config):.5f} {time.time() - started:.0f}s", flush=True
            )
        if step % 500 == 0 or step == config.steps:
            state = {"net": net.state_dict(), "opt": opt.state_dict(), "rng": rng.bit_generator.state}
            state |= {"torch_rng": torch.get_rng_state(), "step": step, "seconds": time.time() - started}
            torch.save(state, checkpoint.with_suffix(".tmp"))
            checkpoint.with_suffix(".tmp").replace(checkpoint)
        if step % 2000 == 0 or step == config.steps:
            model = LandmarkModel(net.eval(), {}, Path("."))
            print(f"step {step} held-out: {val_errors(model, images, labels['points'], val_idx)}", flush=True)
            net.train()
    seconds = time.time() - started
    model = LandmarkModel(net.eval(), {}, Path("."))
    metrics = {"held_out_vs_teacher": val_errors(model, images, labels["points"], val_idx)}
    if args.fullres and Path(args.fullres).is_dir():
        metrics["celeba_fullres_32"] = fullres_errors(model, Path(args.fullres))
    print("metrics", metrics, flush=True)
    meta = {
        "architecture": {
            "name": "LandmarkNet",
            "input": INPUT,
            "channels": list(config.channels),
            "hidden": config.hidden,
        },
        "training": {
            "script": "scripts/train_landmarks.py",
            "config": dataclasses.asdict(config),
            "augment": dataclasses.asdict(augment),
            "teacher": "YuNet (face_detection_yunet, refined) on CelebA train images half size upscaled x2",
            "data": f"CelebA img_align_celeba ids {config.first_id:06d}-{config.last_id:06d} present in the folder",
            "train_faces": int(len(train_idx)),
            "held_out_faces": int(len(val_idx)),
            "seconds": round(seconds),
            "torch": torch.__version__,
        },
        "metrics": metrics,
        "licence": "ffa-lab's own weights (MIT); trained on CelebA images (non-commercial research use)",
    }
    save_landmark_model(net.float().to(memory_format=torch.contiguous_format), meta, args.out)
    print(f"wrote {args.out} ({Path(args.out).stat().st_size:,} bytes)")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--celeba", default=str(ROOT.parent / "shared" / "celeba"))
    parser.add_argument(
        "--yunet", default=str(ROOT.parent / "shared" / "models/yunet/face_detection_yunet_2026may.onnx")
    )
    parser.add_argument("--fullres", default=str(ROOT.parent / "shared" / "celeba-fullres-32"), help="evaluation only")
    parser.add_argument("--work", default=str(ROOT / ".train" / "landmarks"), help="teacher cache + checkpoints")
    parser.add_argument("--out", default=str(ROOT / "assets" / "landmarks" / "landmarks5.safetensors"))
    parser.add_argument("--steps", type=int, default=TrainConfig.steps)
    parser.add_argument("--val-from", type=int, default=TrainConfig.val_from, help="hold out ids >= this")
    return train(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
