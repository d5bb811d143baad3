"""Accuracy against balanced accuracy: what each shipped family reaches at other operating points.

Every family picks its thresholds on the validation hold-out (the seeded 10 % of the train images that
training held out) by maximising accuracy + w x balanced accuracy, w = 0.5 in the shipped models
(docs/models.md). This re-picks the thresholds for other w on top of the shipped (already folded)
scores, on the same hold-out, and prints validation and test (5,000 images) means side by side: the
trade-off curve behind the issue-14 target (>= 87 % accuracy and >= 78 % balanced accuracy on test).
The hold-out shares identities with training (CelebA identities are not in the subset), which is why
validation reads higher than test.

    python benchmarks/operating_points.py [--models assets/models/default,assets/models/resnet] [--w 0.5,1,2]
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ffa_lab.data.attributes import ATTRIBUTE_INDEX  # noqa: E402
from ffa_lab.data.celeba import load_celeba  # noqa: E402
from ffa_lab.data.imagecache import load_images  # noqa: E402
from ffa_lab.models.checkpoint import load_bank  # noqa: E402
from ffa_lab.models.evaluate import bank_scores, evaluate_scores  # noqa: E402
from ffa_lab.models.metrics import calibrate_threshold  # noqa: E402
from ffa_lab.models.train import split_train_val  # noqa: E402


def _means(scores: np.ndarray, labels: np.ndarray, attributes: list[str]) -> tuple[float, float]:
    evaluation = evaluate_scores(attributes, scores, labels)
    return evaluation.mean_accuracy, float(evaluation.balanced_accuracy.mean())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    folders = ",".join(str(ROOT / "assets/models" / n) for n in ("default", "multi-task", "resnet"))
    parser.add_argument("--models", default=folders, help="comma-separated model folders")
    parser.add_argument(
        "--celeba", default=os.path.join(os.environ.get("FFA_SHARED", ROOT.parent / "shared"), "celeba")
    )
    parser.add_argument("--w", default="0.5,1,2", help="balance weights to re-pick the thresholds with")
    args = parser.parse_args()
    if not Path(args.celeba).is_dir():
        print(f"no CelebA folder at {args.celeba}: this benchmark needs the shared data")
        return 1
    data = load_celeba(args.celeba)
    train_ids = data.split_ids("train")
    val_ids = [train_ids[i] for i in split_train_val(train_ids, 0.1, 0)[1]]
    test_ids = data.split_ids("test")
    val_images, test_images = load_images(data, val_ids, None), load_images(data, test_ids, None)
    print(f"validation hold-out {len(val_ids)} images, test {len(test_ids)} images")
    print(f"{'folder':<12} {'w':>4}  {'val acc':>8} {'val bal':>8}  {'test acc':>8} {'test bal':>8}")
    for folder in args.models.split(","):
        loaded = load_bank(folder)
        attributes = list(loaded.bank.attributes)
        columns = [ATTRIBUTE_INDEX[a] for a in attributes]
        val_labels, test_labels = data.labels_for(val_ids)[:, columns], data.labels_for(test_ids)[:, columns]
        val, test = bank_scores(loaded.bank, val_images), bank_scores(loaded.bank, test_images)
        for w in (float(x) for x in args.w.split(",")):
            t = np.array([calibrate_threshold(val[:, g], val_labels[:, g], w) for g in range(len(attributes))])
            va, vb = _means(val - t, val_labels, attributes)
            ta, tb = _means(test - t, test_labels, attributes)
            print(f"{Path(folder).name:<12} {w:>4.1f}  {va:>8.2f} {vb:>8.2f}  {ta:>8.2f} {tb:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
