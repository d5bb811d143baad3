"""Where the shipped default bank lives: ``assets/models/default`` of the repository this package is
installed from (``pip install -e .`` maps ``ffa_lab`` to ``core/``, so the repository is two folders up).

The app's sidebar (ffa_lab.views.settings) and every CLI subcommand with ``--models`` start from the same
folder, whatever the current directory: ``$FFA_LAB_MODELS`` when set, else :data:`DEFAULT_MODELS`.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODELS = REPO_ROOT / "assets" / "models" / "default"
ENV_MODELS = "FFA_LAB_MODELS"


def default_models_folder() -> str:
    """The model folder used when none is given: ``$FFA_LAB_MODELS`` or the shipped default bank."""
    return os.environ.get(ENV_MODELS) or str(DEFAULT_MODELS)
