"""Score one aligned face image: the 40 attribute scores and predictions."""

from __future__ import annotations

import sys

import numpy as np
import torch

from ffa_lab.attacks.criteria import prediction
from ffa_lab.cli.common import add_models_argument
from ffa_lab.data.images import decode_image
from ffa_lab.files import write_json
from ffa_lab.models.checkpoint import load_bank


def add_arguments(parser) -> None:
    add_models_argument(parser)
    parser.add_argument("--image", required=True, help="image file (CelebA-aligned framing unless --align)")
    parser.add_argument("--align", action="store_true", help="detect and align the face first (ffa_lab.faces.align)")
    parser.add_argument("--yunet", default=None, help="YuNet .onnx for --align (default: $FFA_LAB_YUNET, cache)")
    parser.add_argument("--aligner", choices=["auto", "yunet", "haar"], default="auto", help="detector for --align")
    parser.add_argument("--json", default=None, help="write {scores, predictions} as JSON here")


def score_image(bank, image) -> dict[str, float]:
    """Scores of one uint8 RGB (H, W, 3) image, by attribute name."""
    with torch.no_grad():
        scores = bank(torch.from_numpy(np.array(image)).permute(2, 0, 1)[None])[0]
    return {name: float(scores[g]) for g, name in enumerate(bank.attributes)}


def run(args) -> int:
    loaded = load_bank(args.models)
    image = decode_image(args.image)
    if args.align:
        from ffa_lab.faces.align import align_face

        result = align_face(image, aligner=args.aligner, yunet_path=args.yunet)
        coarse = ", coarse" if result.coarse else ""
        print(f"aligned face {result.chosen} of {len(result.faces)} ({result.aligner}{coarse})", file=sys.stderr)
        image = result.aligned
    scores = score_image(loaded.bank, image)
    predictions = {name: int(prediction(value)) for name, value in scores.items()}
    for name, value in scores.items():
        print(f"{name:<22}{value:>+8.3f}  {'yes' if predictions[name] == 1 else 'no'}")
    if args.json:
        write_json(args.json, {"scores": {k: round(v, 6) for k, v in scores.items()}, "predictions": predictions})
    return 0
