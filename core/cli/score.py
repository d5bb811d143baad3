"""Score one aligned face image: the 40 attribute scores and predictions.

Without ``--align`` the image is taken as a CelebA-aligned crop; when it does not look like one (wrong
shape, or no face where the template expects it: :func:`ffa_lab.faces.framing.framing_problem`) a
warning on stderr says so and suggests ``--align``. The scores are still printed (the choice stays the
user's: a deliberately odd crop is allowed).
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from ffa_lab.attacks.criteria import prediction
from ffa_lab.cli.align import add_face_argument, describe
from ffa_lab.cli.common import add_models_argument
from ffa_lab.data.images import decode_image
from ffa_lab.faces.align import ALIGNERS
from ffa_lab.files import write_json
from ffa_lab.models.checkpoint import load_bank
from ffa_lab.report.numbers import prediction_text, score_text


def add_arguments(parser) -> None:
    add_models_argument(parser)
    parser.add_argument("--image", required=True, help="image file (CelebA-aligned framing unless --align)")
    parser.add_argument("--align", action="store_true", help="detect and align the face first (ffa_lab.faces.align)")
    parser.add_argument("--yunet", default=None, help="YuNet .onnx for --align (default: $FFA_LAB_YUNET, cache)")
    parser.add_argument("--aligner", choices=ALIGNERS, default="auto", help="detector for --align")
    add_face_argument(parser)
    parser.add_argument("--json", default=None, help="write {scores, predictions} as JSON here")


def score_image(bank, image) -> dict[str, float]:
    """Scores of one uint8 RGB (H, W, 3) image, by attribute name."""
    with torch.no_grad():
        scores = bank(torch.from_numpy(np.array(image)).permute(2, 0, 1)[None])[0]
    return {name: float(scores[g]) for g, name in enumerate(bank.attributes)}


def warn_if_not_framed(image, name: str) -> None:
    """Print :func:`ffa_lab.faces.framing.framing_warning` to stderr when ``image`` is not CelebA-framed."""
    from ffa_lab.errors import AlignmentError
    from ffa_lab.faces.framing import framing_warning

    try:
        warning = framing_warning(image, name)
    except AlignmentError as exc:  # e.g. the bundled landmark network is missing
        warning = f"warning: {name}: could not check that it is CelebA-framed ({exc})"
    if warning:
        print(warning, file=sys.stderr)


def run(args) -> int:
    loaded = load_bank(args.models)
    image = decode_image(args.image)
    if args.align:
        from ffa_lab.faces.align import align_face

        result = align_face(image, aligner=args.aligner, yunet_path=args.yunet, face_index=args.face)
        print(describe(result), file=sys.stderr)
        image = result.aligned
    else:
        warn_if_not_framed(image, args.image)
    scores = score_image(loaded.bank, image)
    predictions = {name: int(prediction(value)) for name, value in scores.items()}
    for name, value in scores.items():
        print(f"{name:<22}{score_text(value):>11}  {prediction_text(value)}")
    if args.json:
        write_json(args.json, {"scores": {k: round(v, 6) for k, v in scores.items()}, "predictions": predictions})
    return 0
