"""Attack one face image: flip (or correct) one attribute or all of them, and measure the change.

Prints a table (score before/after, scale, L2, L∞, PASS per attribute); ``--json`` writes
``{"results": [{"attribute", "method", "goal", "success", "score_before", "score_after", "scale",
"l2", "linf", "pass"}, ...]}``. ``--out adv.png`` writes the adversarial PNG (with several attributes, one
file per attribute next to it: ``adv_Smiling.png``, ...); ``--out DIR`` (an existing folder or a path
without a suffix) creates DIR if needed and writes one ``<attribute>.png`` per attribute into it. Every
file written is printed. The image is taken as already aligned (CelebA framing) unless ``--align`` is given;
when it does not look aligned, stderr says so (as in ``ffa-lab score``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from ffa_lab.attacks import REGISTRY
from ffa_lab.attacks.criteria import GOALS
from ffa_lab.attacks.result import AttackResult
from ffa_lab.attacks.run import attack_images
from ffa_lab.cli.align import add_face_argument, describe
from ffa_lab.cli.common import add_models_argument, resolve_device
from ffa_lab.cli.score import warn_if_not_framed
from ffa_lab.data.attributes import resolve_attributes
from ffa_lab.data.images import decode_image, encode_png
from ffa_lab.errors import UsageError
from ffa_lab.files import atomic_write_bytes, write_json
from ffa_lab.models.checkpoint import load_bank
from ffa_lab.report.numbers import score_text


def add_arguments(parser) -> None:
    add_models_argument(parser)
    parser.add_argument("--image", required=True, help="face image (aligned CelebA framing unless --align)")
    parser.add_argument("--attribute", required=True, help="attribute name, comma-separated names, or 'all'")
    parser.add_argument("--method", choices=sorted(REGISTRY), default="ffa")
    parser.add_argument("--goal", choices=GOALS, default="flip")
    parser.add_argument(
        "--label",
        default=None,
        help="true label(s) for --goal correct: +1 or -1, or one per attribute, comma-separated",
    )
    parser.add_argument(
        "--out",
        default=None,
        help="adversarial PNG file (several attributes: FILE_<attribute>.png beside it), or a folder "
        "(created if needed) for one <attribute>.png each",
    )
    parser.add_argument("--json", default=None, help="write the results as JSON here")
    parser.add_argument("--align", action="store_true", help="detect and align the face first")
    add_face_argument(parser)
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


def _load_image(path: str, align: bool, face: int | None = None) -> np.ndarray:
    image = decode_image(path)
    if not align:
        warn_if_not_framed(image, path)
        return image
    try:
        from ffa_lab.faces.align import align_face
    except ImportError:
        raise UsageError("face alignment is not available in this installation") from None
    result = align_face(image, face_index=face)
    print(describe(result), file=sys.stderr)
    return result.aligned


def _out_paths(out: str, names: list[str]) -> tuple[list[Path], Path | None]:
    """(the PNG paths for ``names``, the folder they go into or None): ``--out`` is a folder when it exists
    as one, ends with a separator or has no suffix; else a ``.png`` file (UsageError for another suffix)."""
    path = Path(out)
    if path.is_dir() or out.endswith(("/", os.sep)) or not path.suffix:
        return [path / f"{name}.png" for name in names], path
    if path.suffix.lower() != ".png":
        raise UsageError(f"--out must be a .png file or a folder, not {out!r} (PNG keeps the adversarial pixels exact)")
    if len(names) == 1:
        return [path], None
    return [path.with_name(f"{path.stem}_{name}{path.suffix}") for name in names], None


def _write_pngs(out: str, names: list[str], adversarial: np.ndarray) -> None:
    """Write one adversarial PNG per attribute where ``--out`` says and print what was written."""
    paths, folder = _out_paths(out, names)
    created = folder is not None and not folder.is_dir()
    for path, image in zip(paths, adversarial, strict=True):
        atomic_write_bytes(path, encode_png(image))
    if folder is None:
        for path in paths:
            print(f"wrote {path}")
        return
    listed = ", ".join(p.name for p in paths)
    print(
        f"wrote {len(paths)} adversarial PNG{'s' if len(paths) > 1 else ''} into {'new folder ' if created else ''}{folder}: {listed}"
    )


def format_table(result: AttackResult) -> str:
    """A readable fixed-width table of one attack's per-attribute numbers."""
    header = (
        f"{'attribute':<20} {'before':>11} {'after':>11} {'flipped':>7} {'scale':>7} {'L2':>8} {'Linf':>5} {'PASS':>7}"
    )
    lines = [f"{result.method} ({result.goal})", header, "-" * len(header)]
    for i in range(len(result)):
        row = result.row(i)
        scale = "-" if row["scale"] is None else f"{row['scale']:.2f}"
        pass_text = "-" if row["pass"] is None else f"{row['pass']:.4f}"
        lines.append(
            f"{row['attribute']:<20} {score_text(row['score_before']):>11} {score_text(row['score_after']):>11} "
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
    if args.out:
        _out_paths(args.out, names)  # a bad --out fails before the attack, not after
    image = _load_image(args.image, args.align, args.face)
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
        _write_pngs(args.out, names, result.adversarial)
    if args.json:
        write_json(args.json, {"results": [result.row(i) for i in range(len(result))]})
    return 0
