"""torch.distributed for the batch commands (train, study, natural) launched by ``torchrun``.

``torchrun`` starts one process per rank and sets RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR and
MASTER_PORT; :func:`session` joins the process group (``nccl`` for CUDA, ``gloo`` on the CPU, or
``$FFA_LAB_DIST_BACKEND``) and yields a :class:`Distributed` handle that the commands pass down. A
plain ``ffa-lab`` call (no WORLD_SIZE, or WORLD_SIZE=1) gets the single-process handle, so every code
path is the same function with or without a cluster.

How work is split (docs/cluster.md): training gives each rank a contiguous block of attribute networks;
the study and the mining give each rank a share of their (attribute, chunk) units. All ranks write into
the same output folder (a shared file system across nodes), each its own files, and rank 0 merges.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import torch
import torch.distributed as dist

# Ranks wait for each other at barriers while the slowest finishes its share (hours on a big run);
# torch's 30-minute default would kill a healthy job.
DEFAULT_TIMEOUT_S = 7 * 24 * 3600


@dataclass(frozen=True)
class Distributed:
    """This process's place in the job: ``rank`` of ``world_size`` (``local_rank`` on its node)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def barrier(self) -> None:
        """Wait until every rank reaches this point (no-op in a single process)."""
        if self.enabled:
            dist.barrier()

    def all_gather(self, value: Any) -> list[Any]:
        """``value`` from every rank, in rank order (picklable objects between our own ranks only)."""
        if not self.enabled:
            return [value]
        gathered: list[Any] = [None] * self.world_size
        dist.all_gather_object(gathered, value)
        return gathered

    def from_main(self, value: Any) -> Any:
        """Rank 0's ``value`` on every rank: decisions taken from the shared folder (what is finished, what
        is left) are taken once, so ranks never act on different views of a network file system."""
        if not self.enabled:
            return value
        box = [value]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def device(self, device: str) -> str:
        """The device this rank uses: ``cuda`` becomes ``cuda:LOCAL_RANK`` (one GPU per rank)."""
        return f"cuda:{self.local_rank}" if device == "cuda" and self.enabled else device

    @contextmanager
    def main_first(self) -> Iterator[None]:
        """Rank 0 runs the block first (e.g. builds a cache), then the others (which find it built)."""
        if not self.is_main:
            self.barrier()
        try:
            yield
        finally:
            if self.is_main:
                self.barrier()

    def log(self, message: str, log) -> None:
        """Pass ``message`` to ``log`` on rank 0 only (the others would repeat it)."""
        if self.is_main:
            log(message)


SINGLE = Distributed()


def block(items: Sequence, rank: int, world_size: int) -> list:
    """Rank ``rank``'s contiguous block of ``items`` (sizes differ by at most one; order kept)."""
    base, extra = divmod(len(items), world_size)
    start = rank * base + min(rank, extra)
    return list(items[start : start + base + (rank < extra)])


def balance(weights: Sequence[float], world_size: int) -> list[list[int]]:
    """Indices of ``weights`` per rank, heaviest first to the least-loaded rank (ties: lowest rank).

    Deterministic, so every rank computes the same assignment without talking to the others."""
    loads = [0.0] * world_size
    shares: list[list[int]] = [[] for _ in range(world_size)]
    for index in sorted(range(len(weights)), key=lambda i: (-weights[i], i)):
        rank = min(range(world_size), key=lambda r: (loads[r], r))
        shares[rank].append(index)
        loads[rank] += weights[index]
    return [sorted(share) for share in shares]


def launched() -> bool:
    """True when this process was started by torchrun (or similar) as one of several ranks."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def run_local_ranks(module_argv: list[str], ranks: int) -> int:
    """Run ``python -m ffa_lab.cli.main *module_argv`` as ``ranks`` local torchrun ranks (gloo, one torch
    thread each, a free rendezvous port) and wait; its exit code. What ``--workers N`` on the CPU means:
    the same processes a user's ``torchrun --standalone --nproc-per-node N`` would start."""
    import subprocess
    import sys

    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", str(ranks)]
    command += ["-m", "ffa_lab.cli.main", *module_argv]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "FFA_LAB_DIST_BACKEND": "gloo"}
    with subprocess.Popen(command, env=env) as proc:
        try:
            return proc.wait()
        except KeyboardInterrupt:  # Ctrl-C reached torchrun too: let it stop its ranks, then stop here
            proc.wait()
            raise


@contextmanager
def session(device: str = "cpu") -> Iterator[Distributed]:
    """Join the process group when launched as several ranks (else yield the single-process handle).

    Backend: ``$FFA_LAB_DIST_BACKEND``, else ``nccl`` for ``device`` cuda and ``gloo`` otherwise;
    barrier timeout ``$FFA_LAB_DIST_TIMEOUT`` seconds (default a week). On normal exit the ranks meet at a
    last barrier and destroy the group together; after an error they leave it to torchrun.
    """
    if not launched():
        yield SINGLE
        return
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    backend = os.environ.get("FFA_LAB_DIST_BACKEND") or ("nccl" if device.startswith("cuda") else "gloo")
    if backend == "nccl":
        torch.cuda.set_device(local_rank)
    timeout = timedelta(seconds=float(os.environ.get("FFA_LAB_DIST_TIMEOUT", DEFAULT_TIMEOUT_S)))
    if not dist.is_initialized():
        dist.init_process_group(backend, timeout=timeout)
    yield Distributed(rank, world_size, local_rank)
    # Normal exit only (after an error the other ranks may never come): tear down together, so no rank's
    # connections close under another that is still using them.
    dist.barrier()
    dist.destroy_process_group()
