"""``python -m ffa_lab.cli ...`` runs the ``ffa-lab`` command line."""

import sys

from ffa_lab.cli.main import main

sys.exit(main())
