"""Where the app finds its models, dataset and results (no Streamlit here).

Environment variables (all optional):

- ``FFA_LAB_MODELS``: model-bank folder preset in the sidebar (default ``assets/models/default``).
- ``FFA_LAB_CELEBA``: CelebA-layout dataset folder preset in the sidebar (default: none).
- ``FFA_LAB_RESULTS``: results root holding ``study/`` and ``natural/`` (default ``assets/results/default``).
- ``FFA_LAB_TORCH_THREADS``: PyTorch intra-op threads for the app's computations (default 1).
- ``FFA_LAB_ROOTS``: folders (separated by ``:``) inside which the sidebar may open model, dataset and
  results folders; ``*`` allows any folder (a single-user desktop). Default: this repository, the folders
  named by the three variables above, ``$FFA_SHARED`` and a ``shared/`` folder beside the repository.
- ``FFA_LAB_MAX_ATTACKS``: attacks the server runs at the same time, over all sessions (default: CPU count).
- ``FFA_LAB_ATTACK_WAIT``: seconds an attack waits for a free slot before "server busy" (default 120).
"""

from __future__ import annotations

import os
from pathlib import Path

# the sidebar starts from the same bank as the CLI: $FFA_LAB_MODELS or assets/models/default of this repository
from ffa_lab.models.shipped import DEFAULT_MODELS, REPO_ROOT, default_models_folder  # noqa: F401 - re-exported

DEFAULT_RESULTS = REPO_ROOT / "assets" / "results" / "default"

# Faces that are not from the dataset are aligned to the official CelebA frame (H, W).
ALIGNED_SIZE = (218, 178)
# Images are shown at least this many pixels high, enlarged with nearest-neighbour so single-grey-level
# perturbations stay visible instead of being smoothed away by the browser.
DISPLAY_HEIGHT = 320

# The settings people ask for when no dataset is configured.
DATASET_HELP = (
    "No CelebA dataset is configured. Type the path of a CelebA-layout folder (with `img_align_celeba/`, "
    "`list_attr_celeba.txt` and `list_eval_partition.txt`) into **Dataset folder** in the sidebar, or start "
    "the app with `FFA_LAB_CELEBA=/path/to/celeba streamlit run app.py`."
)


def _same_folder(a: str | Path, b: str | Path) -> bool:
    def normal(text: str | Path) -> Path:
        path = Path(text).expanduser()
        return (path if path.is_absolute() else REPO_ROOT / path).resolve()

    return normal(a) == normal(b)


def model_choices() -> list[tuple[str, str]]:
    """The model folders the sidebar lists, as (label, folder): every shipped ``assets/models/*`` that
    holds checkpoints, then ``$FFA_LAB_MODELS`` when it is another folder. Labels name the family
    (ffa_lab.models.checkpoint.folder_family), e.g. ``default (per-attribute)``."""
    from ffa_lab.models.checkpoint import folder_family

    folders = sorted(p for p in DEFAULT_MODELS.parent.glob("*") if p.is_dir() and any(p.glob("*.safetensors")))
    configured = os.environ.get("FFA_LAB_MODELS")
    if configured and not any(_same_folder(configured, f) for f in folders):
        folders.append(Path(configured))
    return [(f"{folder.name} ({folder_family(folder)})", str(folder)) for folder in folders]


def chosen_model(choices: list[tuple[str, str]], folder: str) -> str | None:
    """The label of ``folder`` among ``choices`` (relative paths from the repository root), or None."""
    return next((label for label, candidate in choices if _same_folder(candidate, folder)), None)


def default_dataset_folder() -> str:
    """The dataset folder the sidebar starts with: ``$FFA_LAB_CELEBA`` or empty (no dataset)."""
    return os.environ.get("FFA_LAB_CELEBA", "")


def results_root() -> Path:
    """Root of the committed/computed results: ``$FFA_LAB_RESULTS`` or ``assets/results/default``."""
    return Path(os.environ.get("FFA_LAB_RESULTS") or DEFAULT_RESULTS)


class FolderNotAllowedError(ValueError):
    """A typed folder outside the folders this server may read (``FFA_LAB_ROOTS``)."""


def allowed_roots() -> list[Path] | None:
    """The resolved folders the app may read below, or None when ``FFA_LAB_ROOTS`` is ``*`` (any)."""
    configured = os.environ.get("FFA_LAB_ROOTS", "").strip()
    if configured == "*":
        return None
    if configured:
        texts = [t for t in configured.split(os.pathsep) if t.strip()]
    else:
        texts = [str(REPO_ROOT), str(REPO_ROOT.parent / "shared")]
        texts += [os.environ.get(n, "") for n in ("FFA_LAB_MODELS", "FFA_LAB_CELEBA", "FFA_LAB_RESULTS", "FFA_SHARED")]
    return [Path(t.strip()).expanduser().resolve() for t in texts if t.strip()]


def resolve_folder(text: str) -> Path:
    """A user-typed folder: ``~`` expanded, relative paths taken from the repository root, symbolic links
    and ``..`` resolved; :class:`FolderNotAllowedError` when it lies outside :func:`allowed_roots`.

    Checked before the folder is opened, and with the same message whether or not it exists, so the
    sidebar cannot be used to read or probe the server's file system."""
    path = Path(text.strip()).expanduser()
    path = (path if path.is_absolute() else REPO_ROOT / path).resolve()
    roots = allowed_roots()
    if roots is not None and not any(path == root or path.is_relative_to(root) for root in roots):
        raise FolderNotAllowedError(
            f"{text.strip()!r} is outside the folders this server may read; its operator can allow more "
            "with FFA_LAB_ROOTS (folders separated by ':')"
        )
    return path


def max_concurrent_attacks() -> int:
    """Attacks run at once over all sessions: ``$FFA_LAB_MAX_ATTACKS`` or the CPU count (at least 1)."""
    return _positive_env("FFA_LAB_MAX_ATTACKS", os.cpu_count() or 1)


def attack_wait_seconds() -> float:
    """How long an attack waits for a free slot before the page says the server is busy."""
    try:
        return max(0.0, float(os.environ.get("FFA_LAB_ATTACK_WAIT", "120")))
    except ValueError:
        return 120.0


def _positive_env(name: str, default: int) -> int:
    try:
        return max(1, int(os.environ.get(name, str(default))))
    except ValueError:
        return default


def torch_threads() -> int:
    """PyTorch threads for the app: ``$FFA_LAB_TORCH_THREADS`` or 1.

    One thread, because the app's work is many small operations on one face (each attack step touches
    ~100k pixels): splitting each over threads costs more in synchronisation than it saves, and on a
    busy 2-ffa_lab machine every op waits for a descheduled helper thread (benchmarks/app_latency.py:
    one FFA flip 0.18 s with 1 thread vs 3.1 s with 2 at load 4). A server with several users also
    gets its parallelism from serving them side by side.
    """
    return _positive_env("FFA_LAB_TORCH_THREADS", 1)


def apply_torch_threads() -> None:
    """Set PyTorch's thread count to :func:`torch_threads` (process-wide; cheap when unchanged)."""
    import torch

    wanted = torch_threads()
    if torch.get_num_threads() != wanted:
        torch.set_num_threads(wanted)
