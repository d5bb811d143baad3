"""Train the shipped ``resnet`` model: ``python scripts/train_resnet.py [--celeba DIR] [--resume]``.

Equivalent to ``ffa-lab train --family resnet --celeba ../shared/celeba --out assets/models/resnet --seed 0 --shift 4 --epochs 24``
(architecture and defaults: ffa_lab.models.train_shared.FAMILY_ARCHS / SharedTrainConfig, docs/models.md);
kept as a script so the exact command that produced ``assets/models/resnet`` is committed.
"""

import sys

from ffa_lab.cli.main import main

if __name__ == "__main__":
    args = sys.argv[1:]
    if "--celeba" not in args:
        args += ["--celeba", "../shared/celeba"]
    sys.exit(
        main(
            [
                "train",
                "--family",
                "resnet",
                "--out",
                "assets/models/resnet",
                "--seed",
                "0",
                "--shift",
                "4",
                "--epochs",
                "24",
                *args,
            ]
        )
    )
