"""Train the shipped default bank: ``python scripts/train_default.py [--celeba DIR] [--resume]``.

Equivalent to ``ffa-lab train --celeba ../shared/celeba --out assets/models/default --resume``;
kept as a script so the exact command that produced ``assets/models/default`` is committed.
"""

import sys

from ffa_lab.cli.main import main

if __name__ == "__main__":
    args = sys.argv[1:]
    if "--celeba" not in args:
        args += ["--celeba", "../shared/celeba"]
    sys.exit(main(["train", "--out", "assets/models/default", "--seed", "0", *args]))
