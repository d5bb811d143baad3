"""Write docs/models.md: the default bank's test evaluation beside the baselines and anchors.

ffa-lab evaluate --models assets/models/default --celeba ../shared/celeba --split test \
    --json assets/models/default/evaluation.json
python scripts/models_table.py assets/models/default/evaluation.json > docs/models.md  (then the training record)
"""

import json
import sys

import numpy as np

from ffa_lab.data.attributes import ATTRIBUTE_INDEX
from ffa_lab.data.celeba import load_celeba
from ffa_lab.models.anchors import ANCHORS


def main(argv: list[str]) -> int:
    result = json.loads(open(argv[0]).read())
    celeba = argv[1] if len(argv) > 1 else "../shared/celeba"
    data = load_celeba(celeba, check_images=False)
    labels = data.labels_for(data.split_ids(result.get("split", "test")))
    rows, majority_all = [], []
    for name, row in result["attributes"].items():
        column = labels[:, ATTRIBUTE_INDEX[name]]
        majority = 100 * max((column == 1).mean(), (column == -1).mean())
        majority_all.append(majority)
        lnet, moon = ANCHORS[name]
        rows.append(
            f"| {name} | {row['accuracy']:.2f} | {row['balanced_accuracy']:.2f} | {majority:.2f} | "
            f"{100 * (column == 1).mean():.1f} | {lnet} | {moon} |"
        )
    lnet_mean = np.mean([a for a, _ in ANCHORS.values()])
    moon_mean = np.mean([m for _, m in ANCHORS.values()])
    print("# The default model bank\n")
    print("`assets/models/default/`: 40 per-attribute networks (docs/method.md), trained by")
    print(
        "`python scripts/train_default.py` (= `ffa-lab train --celeba ../shared/celeba --out assets/models/default --seed 0`)"
    )
    print("on the 10,000 train-partition images of the shared CelebA subset (9,000 train + 1,000 validation),")
    print("evaluated on its 5,000 test images with")
    print(
        "`ffa-lab evaluate --models assets/models/default --celeba ../shared/celeba --split test "
        "--json assets/models/default/evaluation.json`."
    )
    print("That file ships inside the model folder: the app's Home page shows it as the bank's headline accuracy,")
    print("with its split and image count (a model folder without it still loads; it is not a checkpoint).")
    print("This page is `python scripts/models_table.py assets/models/default/evaluation.json > docs/models.md`.\n")
    print(
        f"**Mean accuracy {result['mean_accuracy']:.2f} %, mean balanced accuracy "
        f"{result['mean_balanced_accuracy']:.2f} %** (majority-class baseline {np.mean(majority_all):.2f} % / 50 %)."
    )
    print("The anchors were measured on the full CelebA test set (19,962 images) by networks trained on 162,770")
    print("full-resolution images; ours see 9,000 half-resolution images, and the shared test images are re-aligned")
    print("(a style gap), so the columns are context, not a like-for-like comparison.\n")
    print("| attribute | accuracy % | balanced % | majority % | positives % | LNets+ANet | MOON |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print(
        f"| **mean** | **{result['mean_accuracy']:.2f}** | **{result['mean_balanced_accuracy']:.2f}** | "
        f"{np.mean(majority_all):.2f} | | {lnet_mean:.2f} | {moon_mean:.2f} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
