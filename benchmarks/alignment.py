"""Alignment accuracy (issues 4 and 12) and speed: the no-download path, YuNet and Haar side by side.

Columns: ``landmarks`` (the bundled landmark network on Haar face boxes: what ``auto`` uses without a
YuNet model), ``yunet`` (preferred when the model is found) and ``haar`` (the cascades alone, coarse).
Needs ../shared (or $FFA_SHARED): celeba-fullres-32 (32 aligned 178x218 images + official landmarks),
models/yunet/ (the detector) and, for --calibrate-haar, celeba/. Set $FFA_LAB_LANDMARKS to measure
another landmark-network file. Measures:

1. re-detection: landmarks found on the 32 aligned images vs list_landmarks_align_celeba.txt (px);
2. distorted copies (rotated 15 deg, scaled 0.7, shifted onto a padded 300x320 canvas), then aligned:
   the ground-truth landmarks carried through distortion + alignment vs the template ("to template"),
   vs their original positions ("recovery"), and the floor = the best any similarity can do;
3. the two bundled portraits: hand-annotated eye centres carried through the alignment vs template eyes;
4. seconds per image.

    python benchmarks/alignment.py [--calibrate-haar]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ffa_lab.data.images import load_rgb  # noqa: E402
from ffa_lab.faces.align import TEMPLATE, align_face, apply_transform, similarity_transform  # noqa: E402

# Eye centres (pupils) annotated by hand on 16x / 10x zoomed crops; about +-1.5 px.
PORTRAIT_EYES = {
    "Astronaut (scikit-image)": np.array([[203.3, 101.0], [247.0, 103.4]]),
    "Grace Hopper (matplotlib)": np.array([[222.5, 190.2], [305.5, 186.5]]),
}
ALIGNERS = ("landmarks", "yunet", "haar")
DISTORTION = {"angle_deg": 15.0, "scale": 0.7, "canvas_wh": (300, 320), "shift": (25.0, 15.0)}


def shared_root() -> Path:
    return Path(os.environ.get("FFA_SHARED") or ROOT.parent / "shared")


def read_landmarks(folder: Path) -> dict[str, np.ndarray]:
    lines = (folder / "list_landmarks_align_celeba.txt").read_text().split("\n")[2:]
    return {s[0]: np.array(s[1:], float).reshape(5, 2) for s in (line.split() for line in lines) if s}


def distort(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rotate, scale and shift ``image`` onto a padded canvas; (distorted image, its 2x3 matrix)."""
    width, height = DISTORTION["canvas_wh"]
    centre = (image.shape[1] / 2, image.shape[0] / 2)
    matrix = cv2.getRotationMatrix2D(centre, DISTORTION["angle_deg"], DISTORTION["scale"])
    matrix[:, 2] += np.array([width / 2, height / 2]) - centre + DISTORTION["shift"]
    canvas = cv2.warpAffine(image, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=(128, 128, 128))
    return canvas, matrix


def mean_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(np.asarray(a) - np.asarray(b), axis=-1).mean())


def evaluate(aligner: str, yunet: Path, images: dict[str, np.ndarray], truth: dict[str, np.ndarray]) -> dict:
    redetect, template, recovery, missed, seconds = [], [], [], [], 0.0
    for name, image in images.items():
        start = time.perf_counter()
        try:
            result = align_face(image, aligner=aligner, yunet_path=yunet)
            redetect.append(mean_error(result.faces[result.chosen].landmarks, truth[name]))
        except ValueError:
            missed.append(name)
        canvas, matrix = distort(image)
        try:
            result = align_face(canvas, aligner=aligner, yunet_path=yunet)
        except ValueError:
            missed.append(name + " (distorted)")
            continue
        finally:
            seconds += time.perf_counter() - start
        carried = apply_transform(result.transform, apply_transform(matrix, truth[name]))
        template.append(mean_error(carried, TEMPLATE))
        recovery.append(mean_error(carried, truth[name]))
    return {
        "redetect": np.mean(redetect),
        "template": np.mean(template),
        "recovery": np.mean(recovery),
        "missed": missed,
        "seconds": seconds / (2 * len(images)),
    }


def portraits(aligner: str, yunet: Path) -> dict[str, float]:
    from ffa_lab.data.portraits import bundled_portraits

    out = {}
    for name, load in bundled_portraits().items():
        result = align_face(load(), aligner=aligner, yunet_path=yunet)
        eyes = apply_transform(result.transform, PORTRAIT_EYES[name])
        out[name] = float(np.linalg.norm(eyes - TEMPLATE[:2], axis=1).max())
    return out


def calibrate_haar(yunet: Path) -> None:
    """Refit detectors.HAAR_REL: YuNet landmarks relative to the Haar face box on CelebA 001001-001400."""
    from ffa_lab.faces import haar

    rel = []
    for index in range(1001, 1401):
        path = shared_root() / "celeba" / "img_align_celeba" / f"{index:06d}.jpg"
        image = cv2.resize(load_rgb(path), (178, 218), interpolation=cv2.INTER_CUBIC)
        teacher = align_face(image, aligner="yunet", yunet_path=yunet).faces[0].landmarks
        gray = cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_RGB2GRAY))
        boxes = haar.cascade("haarcascade_frontalface_alt2.xml").detectMultiScale(
            gray, scaleFactor=1.05, minNeighbors=5, minSize=(24, 24)
        )
        if len(boxes):
            box = max(boxes, key=lambda b: b[2] * b[3]).astype(float)
            rel.append((teacher - box[:2]) / box[2:])
    print(f"HAAR_REL from {len(rel)} faces (median):", np.round(np.median(rel, axis=0), 3).tolist())


def table(rows: dict[str, dict], faces: dict[str, dict[str, float]]) -> str:
    """The side-by-side table: one column per aligner in ``rows`` (``evaluate`` results) and ``faces``."""
    names = list(rows)
    lines = [f"{'mean error, px (lower is better)':<56}" + "".join(f"{a:>11}" for a in names)]
    for key, label in (
        ("redetect", "re-detected landmarks vs landmark file (<= 3)"),
        ("template", "distorted+aligned: true landmarks vs template (<= 4)"),
        ("recovery", "distorted+aligned: true landmarks vs original"),
        ("seconds", "seconds per image (align_face)"),
    ):
        lines.append(f"{label:<56}" + "".join(f"{rows[a][key]:>11.3f}" for a in names))
    for portrait in PORTRAIT_EYES:
        label = portrait + ": worst eye vs template (<= 5)"
        lines.append(f"{label:<56}" + "".join(f"{faces[a][portrait]:>11.3f}" for a in names))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calibrate-haar", action="store_true")
    args = parser.parse_args(argv)
    shared = shared_root()
    yunet = shared / "models" / "yunet" / "face_detection_yunet_2026may.onnx"
    folder = shared / "celeba-fullres-32"
    if not yunet.is_file() or not folder.is_dir():
        print(f"needs {folder} and {yunet} (set FFA_SHARED)", file=sys.stderr)
        return 2
    if args.calibrate_haar:
        calibrate_haar(yunet)
        return 0
    truth = read_landmarks(folder)
    images = {name: load_rgb(folder / "img_align_celeba" / name) for name in sorted(truth)}
    floor = np.mean(
        [mean_error(apply_transform(similarity_transform(p, TEMPLATE), p), TEMPLATE) for p in truth.values()]
    )
    print(f"{len(images)} images of {folder}; distortion {DISTORTION}")
    print(f"floor (best similarity fit of the true landmarks to the template): {floor:.2f} px\n")
    rows = {aligner: evaluate(aligner, yunet, images, truth) for aligner in ALIGNERS}
    faces = {aligner: portraits(aligner, yunet) for aligner in ALIGNERS}
    print(table(rows, faces))
    for aligner, row in rows.items():
        if row["missed"]:
            print(f"{aligner}: no face in {', '.join(row['missed'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
