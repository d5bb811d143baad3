"""Train the shipped ``multi-task`` model: ``python scripts/train_multitask.py [--celeba DIR] [--resume]``.

Equivalent to ``ffa-lab train --family multi-task --celeba ../shared/celeba --out assets/models/multi-task --seed 0``
(architecture and defaults: ffa_lab.models.train_shared.FAMILY_ARCHS / SharedTrainConfig, docs/models.md);
kept as a script so the exact command that produced ``assets/models/multi-task`` is committed.
"""

import sys

from ffa_lab.cli.main import main

if __name__ == "__main__":
    args = sys.argv[1:]
    if "--celeba" not in args:
        args += ["--celeba", "../shared/celeba"]
    sys.exit(main(["train", "--family", "multi-task", "--out", "assets/models/multi-task", "--seed", "0", *args]))
