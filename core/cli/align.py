"""Detect the face in a photo and align it to CelebA's 5-point template (178x218 by default).

``--json FILE`` (``-`` for stdout) writes ``{"aligner": "yunet"|"landmarks"|"haar", "coarse": bool,
"rotation": 0|90|180|270, "chosen": i, "faces": [{"box": [x, y, w, h], "score": s, "landmarks": [[x, y] x 5]}]}``:
``aligner`` is the path used (YuNet when a model is found, else the bundled landmark network), ``rotation``
the clockwise turn under which the face was found (a sideways photo), faces best first (confidence,
size and centrality together; ``--face N`` picks another), landmarks in CelebA's order (lefteye, righteye, nose, leftmouth, rightmouth; "left" = the image's
left) in the input image's pixels. ``--out FILE.png`` writes the aligned image. With neither, the
JSON goes to stdout. Bad input exits 2 with a one-line message.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ffa_lab.data.images import decode_image, encode_png
from ffa_lab.errors import UsageError
from ffa_lab.faces.align import ALIGNERS, CELEBA_SIZE, align_face
from ffa_lab.files import atomic_write_bytes, json_text


def add_arguments(parser) -> None:
    parser.add_argument("--image", required=True, help="photo to align (JPEG, PNG, WebP, GIF, BMP, TIFF)")
    parser.add_argument("--out", default=None, help="write the aligned image here (PNG)")
    parser.add_argument("--json", default=None, help="write faces and landmarks as JSON here ('-' = stdout)")
    parser.add_argument("--yunet", default=None, help="YuNet .onnx model (default: $FFA_LAB_YUNET, then the cache)")
    parser.add_argument(
        "--aligner",
        choices=ALIGNERS,
        default="auto",
        help="auto: YuNet when a model is available, else the bundled landmark network (no download)",
    )
    add_face_argument(parser)
    parser.add_argument("--size", default=None, help="output HxW, e.g. 109x89 (default 218x178)")


def add_face_argument(parser) -> None:
    """``--face N``: which detected face to align (shared by align, score and attack)."""
    parser.add_argument(
        "--face", type=int, default=None, help="align face N of the ranked list (0 = best: confident, large, central)"
    )


def describe(result) -> str:
    """One line for stderr: how many faces, which path, which face, any turn."""
    coarse = " (coarse landmarks)" if result.coarse else ""
    turned = f", photo turned {result.rotation} deg clockwise" if result.rotation else ""
    return f"{len(result.faces)} face(s) found with {result.aligner}{coarse}{turned}; aligned face {result.chosen}"


def parse_size(text: str | None) -> tuple[int, int]:
    """'218x178' -> (218, 178); None -> CelebA's size."""
    if text is None:
        return CELEBA_SIZE
    try:
        height, width = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise UsageError(f"--size must look like 218x178 (height x width), not {text!r}") from None
    return height, width


def run(args) -> int:
    size = parse_size(args.size)
    if args.out and Path(args.out).suffix.lower() != ".png":
        raise UsageError(f"--out must be a .png file (lossless), not {args.out!r}")
    image = decode_image(args.image)
    result = align_face(image, aligner=args.aligner, yunet_path=args.yunet, face_index=args.face, output_size=size)
    document = json_text(result.to_json())
    if args.out:
        atomic_write_bytes(Path(args.out), encode_png(result.aligned))
    if args.json and args.json != "-":
        atomic_write_bytes(Path(args.json), document.encode())
    if args.json == "-" or not (args.out or args.json):
        print(document)
    else:
        print(describe(result) + (f" -> {args.out}" if args.out else ""), file=sys.stderr)
    return 0
