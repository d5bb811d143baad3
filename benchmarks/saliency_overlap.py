"""Where FFA perturbs vs where the evidence is, on shipped-bank faces (docs/saliency.md, "Measured").

For the first --limit test images and each --attributes network that classifies the image correctly,
FFA flips the prediction (goal "flip", the study's settings) and each saliency map of the clean image is
compared with δ inside the crop box (ffa_lab.explain.overlap): the share of δ's energy in the top 10 % of
|map| pixels (chance = 10 %) and the Pearson r of |map| and |δ|. Printed per attribute: medians over the
flipped faces, evidence (gradient × input), Grad-CAM and the plain gradient side by side; then a mean row.

    python benchmarks/saliency_overlap.py [--limit 20] [--attributes Smiling,Male,...] [--models DIR] [--celeba DIR]
                                          [--study DIR]   (also: r of the study's mean |δ| and mean |evidence| maps)
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from common import REPO, benchmark_parser  # benchmarks/ is on sys.path (run as scripts)

sys.path.insert(0, str(REPO))

from ffa_lab.attacks.run import attack_images  # noqa: E402
from ffa_lab.data.attributes import ATTRIBUTES  # noqa: E402
from ffa_lab.data.celeba import load_celeba  # noqa: E402
from ffa_lab.data.imagecache import load_images  # noqa: E402
from ffa_lab.explain.overlap import overlap  # noqa: E402
from ffa_lab.explain.saliency import saliency_maps  # noqa: E402
from ffa_lab.models.checkpoint import load_bank  # noqa: E402
from ffa_lab.models.evaluate import bank_scores  # noqa: E402

MAPS = {"evidence": "gradient_x_input", "Grad-CAM": "grad_cam", "gradient": "gradient"}
DEFAULT_ATTRIBUTES = "Smiling,Male,Young,Eyeglasses,Wearing_Hat,Bald,Big_Nose,Heavy_Makeup"


def measure(bank, images: np.ndarray, labels: np.ndarray, attribute: str) -> dict[str, np.ndarray]:
    """Per flipped face: {map name: (top-10 % energy share, r)} arrays (n, 2)."""
    g = bank.attributes.index(attribute)
    correct = np.flatnonzero((bank_scores(bank, images)[:, g] >= 0) == (labels[:, g] == 1))
    faces = np.ascontiguousarray(images[correct])
    result = attack_images(bank, faces, attribute, method="ffa", goal="flip", compute_pass=False)
    won = np.flatnonzero(result.success)
    maps = saliency_maps(bank, faces[won], attribute)
    out = {name: np.zeros((len(won), 2)) for name in MAPS}
    for j, i in enumerate(won):
        delta = result.adversarial[i].astype(np.float32) - faces[i].astype(np.float32)
        for name, key in MAPS.items():
            o = overlap(getattr(maps, key)[j], delta, maps.box)
            out[name][j] = (o.top_share, o.correlation)
    return out


def main() -> None:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--limit", type=int, default=20)
    parser.add_argument("--attributes", default=DEFAULT_ATTRIBUTES)
    parser.add_argument("--study", default=str(REPO / "assets" / "results" / "default" / "study"), help="'' to skip")
    args = parser.parse_args()
    bank = load_bank(args.models).bank
    data = load_celeba(args.celeba, check_images=False)
    ids = data.split_ids("test")[: args.limit]
    images = load_images(data, ids, None)
    labels = data.labels_for(ids)[:, [ATTRIBUTES.index(a) for a in bank.attributes]]
    started = time.perf_counter()
    header = "".join(f"{name + ' top10 %':>18}{name + ' r':>14}" for name in MAPS)
    print(f"first {args.limit} test images, FFA flips; medians over the flipped faces (chance top-10 % = 10 %)")
    print(f"{'attribute':<20}{'n':>4}{header}")
    rows = []
    for attribute in args.attributes.split(","):
        numbers = measure(bank, images, labels, attribute)
        medians = [np.nanmedian(numbers[name], axis=0) for name in MAPS]
        rows.append(np.concatenate(medians))
        cells = "".join(f"{100 * m[0]:>18.1f}{m[1]:>14.2f}" for m in medians)
        print(f"{attribute:<20}{len(numbers['evidence']):>4}{cells}")
    mean = np.mean(rows, axis=0)
    print(f"{'mean of medians':<24}" + "".join(f"{100 * mean[2 * k]:>18.1f}{mean[2 * k + 1]:>14.2f}" for k in range(3)))
    print(f"{time.perf_counter() - started:.1f} s")
    if args.study:
        mean_maps_agreement(bank, Path(args.study))


def mean_maps_agreement(bank, folder: Path) -> None:
    """Pearson r of the study's mean |δ| and mean |evidence| maps per attribute, inside the crop box."""
    from ffa_lab.experiments.results import read_study
    from ffa_lab.experiments.saliency_maps import read_mean_saliency
    from ffa_lab.models.bank import crop_box

    study, maps = read_study(folder), read_mean_saliency(folder)
    if maps is None:
        print(f"{folder} holds no mean_saliency.npz (ffa-lab saliency --out {folder})")
        return
    y0, y1, x0, x1 = crop_box(*study.mean_perturbation.shape[1:], bank.arch)
    r = {}
    for name in maps.attributes:
        delta = study.mean_perturbation[study.attributes.index(name)][y0:y1, x0:x1].ravel()
        r[name] = float(np.corrcoef(delta, maps.mean_abs_evidence[maps.index(name)][y0:y1, x0:x1].ravel())[0, 1])
    low, high = min(r, key=r.get), max(r, key=r.get)
    print(
        f"{folder}: r(mean |δ|, mean |evidence|) over {len(r)} attributes: median {np.median(list(r.values())):.3f}, "
        f"lowest {r[low]:.3f} ({low}), highest {r[high]:.3f} ({high})"
    )


if __name__ == "__main__":
    main()
