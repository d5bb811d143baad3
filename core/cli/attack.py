"""Attack one face image: flip (or correct) one attribute or all of them, and measure the change.

Prints a table (score before/after, scale, L2, L∞, PASS per attribute); ``--json`` writes
``{"results": [{"attribute", "method", "goal", "success", "score_before", "score_after", "scale",
"l2", "linf", "pass"}, ...]}``; ``--out adv.png`` writes the adversarial PNG (with ``--attribute all``,
one file per attribute next to it: ``adv_Smiling.png``, ...). The image is taken as already aligned
(CelebA framing) unless ``--align`` is given.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ffa_lab.attacks import REGISTRY
from ffa_lab.attacks.criteria import GOALS
from ffa_lab.attacks.result import AttackResult
from ffa_lab.attacks.run import attack_images
from ffa_lab.cli.common import resolve_device
from ffa_lab.data.attributes import resolve_attributes
from ffa_lab.data.images import decode_image, encode_png
from ffa_lab.errors import UsageError
from ffa_lab.files import atomic_write_bytes, write_json
from ffa_lab.models.checkpoint import load_bank


def add_arguments(parser) -> None:
    parser.add_argument("--models", required=True, help="model folder (one .safetensors per attribute)")
    parser.add_argument("--image", required=True, help="face image (aligned CelebA framing unless --align)")
    parser.add_argument("--attribute", required=True, help="attribute name, comma-separated names, or 'all'")
    parser.add_argument("--method", choices=sorted(REGISTRY), default="ffa")
    parser.add_argument("--goal", choices=GOALS, default="flip")
    parser.add_argument(
        "--label",
        default=None,
        help="true label(s) for --goal correct: +1 or -1, or one per attribute, comma-separated",
    )
    parser.add_argument("--out", default=None, help="write the adversarial PNG here")
    parser.add_argument("--json", default=None, help="write the results as JSON here")
    parser.add_argument("--align", action="store_true", help="detect and align the face first")
    parser.add_argument("--no-pass", action="store_true", help="skip PASS (faster)")
    parser.add_argument("--device", default="auto", help="auto | cpu | cuda")


def _labels(spec: str | None, goal: str, count: int) -> np.ndarray | None:
    if goal != "correct":
        if spec is not None:
            raise UsageError("--label is only used with --goal correct")
        return None
    if spec is None:
        raise UsageError("--goal correct needs --label +1 or -1 (the true label)")
    try:
        values = [int(v) for v in spec.split(",")]
    except ValueError:
        raise UsageError(f"--label must be +1 or -1 (comma-separated per attribute), not {spec!r}") from None
    if any(v not in (-1, 1) for v in values) or len(values) not in (1, count):
        raise UsageError(f"--label needs one value of +1/-1, or {count} of them (one per attribute)")
    return np.array(values * count if len(values) == 1 else values)


def _load_image(path: str, align: bool) -> np.ndarray:
    image = decode_image(path)
    if not align:
        return image
    try:
        from ffa_lab.faces.align import align_face
    except ImportError:
        raise UsageError("face alignment is not available in this installation") from None
    return align_face(image).aligned


def _out_paths(out: str, names: list[str]) -> list[Path]:
    path = Path(out)
    if len(names) == 1:
        return [path]
    suffix = path.suffix or ".png"
    return [path.with_name(f"{path.stem}_{name}{suffix}") for name in names]


def format_table(result: AttackResult) -> str:
    """A readable fixed-width table of one attack's per-attribute numbers."""
    header = (
        f"{'attribute':<20} {'before':>8} {'after':>8} {'flipped':>7} {'scale':>7} {'L2':>8} {'Linf':>5} {'PASS':>7}"
    )
    lines = [f"{result.method} ({result.goal})", header, "-" * len(header)]
    for i in range(len(result)):
        row = result.row(i)
        scale = "-" if row["scale"] is None else f"{row['scale']:.2f}"
        pass_text = "-" if row["pass"] is None else f"{row['pass']:.4f}"
        lines.append(
            f"{row['attribute']:<20} {row['score_before']:>+8.3f} {row['score_after']:>+8.3f} "
            f"{'yes' if row['success'] else 'no':>7} {scale:>7} {row['l2']:>8.1f} {row['linf']:>5.0f} {pass_text:>7}"
        )
    lines.append(f"flipped {int(result.success.sum())}/{len(result)} in {result.seconds:.2f} s")
    return "\n".join(lines)


def run(args) -> int:
    try:
        names = resolve_attributes(args.attribute)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not names:
        raise UsageError("--attribute names no attribute")
    labels = _labels(args.label, args.goal, len(names))
    loaded = load_bank(args.models)
    missing = [n for n in names if n not in loaded.attributes]
    if missing and args.attribute != "all":
        raise UsageError(f"the models in {args.models} have no network for: {', '.join(missing)}")
    if missing:  # 'all' means every attribute the folder has
        keep = [i for i, n in enumerate(names) if n not in missing]
        names = [names[i] for i in keep]
        labels = None if labels is None else labels[keep]
    image = _load_image(args.image, args.align)
    batch = np.broadcast_to(image, (len(names), *image.shape))
    try:
        result = attack_images(
            loaded.bank,
            batch,
            names,
            method=args.method,
            goal=args.goal,
            labels=labels,
            compute_pass=not args.no_pass,
            device=resolve_device(args.device),
        )
    except ValueError as exc:  # e.g. an image too small for the networks or for PASS's window
        raise UsageError(str(exc)) from None
    print(format_table(result))
    if args.out:
        for i, path in enumerate(_out_paths(args.out, names)):
            atomic_write_bytes(path, encode_png(result.adversarial[i]))
        print(f"wrote {len(names)} adversarial PNG{'s' if len(names) > 1 else ''} to {Path(args.out).parent or '.'}")
    if args.json:
        write_json(args.json, {"results": [result.row(i) for i in range(len(result))]})
    return 0
