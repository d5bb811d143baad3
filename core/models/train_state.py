"""Resume state of a training run: bank + optimiser tensors and the run's JSON in one file per epoch.

``OUT/.train/`` (one process) or ``OUT/.train/shard-R-of-N/`` (rank R of N) holds ``state.safetensors``
(the last finished epoch) and ``previous.safetensors`` (the one before). Each file carries its own JSON
(epoch, history, config) in the safetensors metadata and is written atomically, so weights and epoch can
never disagree. Ranks save in lockstep (every epoch ends with collectives), so after any kill their
latest epochs differ by at most one: keeping two generations lets every rank resume from the newest
epoch that all of them have (:func:`common_epoch`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save

from ffa_lab.errors import UsageError
from ffa_lab.experiments.distributed import Distributed
from ffa_lab.files import atomic_write_bytes
from ffa_lab.models.bank import AttributeBank

META_KEY = "ffa_lab_train_state"
GENERATIONS = ("state", "previous")


def state_dir(out: Path, dist: Distributed) -> Path:
    """Where this process keeps its resume state."""
    base = Path(out) / ".train"
    return base / f"shard-{dist.rank}-of-{dist.world_size}" if dist.enabled else base


def save_state(folder: Path, bank: AttributeBank, optimizer: torch.optim.Optimizer, document: dict) -> None:
    """Write the state of the epoch just finished; the former latest becomes ``previous``."""
    tensors = {f"bank.{k}": v.contiguous() for k, v in bank.state_dict().items()}
    for index, state in optimizer.state_dict()["state"].items():
        for key, value in state.items():
            tensors[f"opt.{index}.{key}"] = torch.as_tensor(value).contiguous()
    latest = folder / "state.safetensors"
    if latest.is_file():
        os.replace(latest, folder / "previous.safetensors")
    atomic_write_bytes(latest, save(tensors, metadata={META_KEY: json.dumps(document)}))


def saved_epochs(folder: Path) -> dict[int, tuple[Path, dict]]:
    """{epoch: (file, its JSON)} of the readable states in ``folder`` (torn or foreign files are skipped;
    a state written before the JSON moved into the file is read with its ``state.json``)."""
    found = {}
    for name in GENERATIONS:
        path = folder / f"{name}.safetensors"
        try:
            with safe_open(str(path), "pt") as handle:
                metadata = handle.metadata() or {}
            if META_KEY in metadata:
                document = json.loads(metadata[META_KEY])
            elif name == "state":
                document = json.loads((folder / "state.json").read_text())
            else:
                continue
            found[int(document["epoch"])] = (path, document)
        except (OSError, KeyError, ValueError, TypeError, SafetensorError):
            continue
    return found


def restore(path: Path, bank: AttributeBank, optimizer: torch.optim.Optimizer, device: str) -> None:
    """Load a saved state's bank and optimiser tensors into ``bank`` and ``optimizer``."""
    tensors = load_file(path, device=device)
    bank.load_state_dict({k[5:]: v for k, v in tensors.items() if k.startswith("bank.")})
    state: dict[int, dict] = {}
    for key, value in tensors.items():
        if key.startswith("opt."):
            _, index, name = key.split(".", 2)
            state.setdefault(int(index), {})[name] = value
    opt_state = optimizer.state_dict()
    opt_state["state"] = state
    optimizer.load_state_dict(opt_state)


def common_epoch(mine: dict[int, tuple[Path, dict]], dist: Distributed) -> int | None:
    """The newest epoch every rank has saved (None: start over). A collective: all ranks call it."""
    common = set(mine)
    for other in dist.all_gather(sorted(mine)):
        common &= set(other)
    return max(common) if common else None


def check_layout(out: Path, dist: Distributed) -> None:
    """--resume with another number of ranks than the saved run: say so instead of starting over."""
    base = Path(out) / ".train"
    layouts = {
        f"{p.name.rsplit('-of-', 1)[1]} ranks" for p in base.glob("shard-*-of-*") if any(p.glob("*.safetensors"))
    }
    if any((base / f"{g}.safetensors").is_file() for g in GENERATIONS) or (base / "state.json").is_file():
        layouts.add("1 process")
    wanted = f"{dist.world_size} ranks" if dist.enabled else "1 process"
    if layouts - {wanted}:
        raise UsageError(
            f"{base} holds a run saved by {', '.join(sorted(layouts))}; resume it with the same number of ranks "
            "(torchrun --nproc-per-node), or delete that folder to start over"
        )
