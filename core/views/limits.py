"""A server-wide cap on concurrent attack work, shared by every session of one Streamlit process.

Streamlit runs each session's script in its own thread. Without a cap, a room of people pressing
"flip all 40" at once would start dozens of CPU-bound attacks that all slow down together and pile up
memory. With the cap, at most ``FFA_LAB_MAX_ATTACKS`` attacks run at the same time; the others wait
in the order the threads get the lock, and after ``FFA_LAB_ATTACK_WAIT`` seconds a waiting page says
the server is busy instead of hanging (ffa_lab.views.settings). Cached results never take a slot.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ffa_lab.views.settings import attack_wait_seconds, max_concurrent_attacks

_GUARD = threading.Lock()
_SLOTS: dict[int, threading.BoundedSemaphore] = {}  # one semaphore per configured cap (the cap is fixed per server)
_FOLDERS: dict[str, threading.Lock] = {}


class ServerBusyError(RuntimeError):
    """Every attack slot stayed taken for the whole waiting time."""


def _semaphore(limit: int) -> threading.BoundedSemaphore:
    with _GUARD:
        return _SLOTS.setdefault(limit, threading.BoundedSemaphore(limit))


@contextmanager
def attack_slot(limit: int | None = None, wait: float | None = None) -> Iterator[None]:
    """Hold one of ``limit`` (default :func:`max_concurrent_attacks`) process-wide slots while the block
    runs; raise :class:`ServerBusyError` when none frees up within ``wait`` seconds."""
    limit = limit or max_concurrent_attacks()
    wait = attack_wait_seconds() if wait is None else wait
    semaphore = _semaphore(limit)
    if not semaphore.acquire(timeout=wait):
        raise ServerBusyError(
            f"The server is already running {limit} attack(s) for other visitors and none finished within "
            f"{wait:.0f} s; please try again in a moment."
        )
    try:
        yield
    finally:
        semaphore.release()


@contextmanager
def exclusive(name: str) -> Iterator[None]:
    """One session at a time in the block for ``name`` (e.g. a results folder two sessions would both
    write and then clean up); the second waits, then finds the first's finished work."""
    with _GUARD:
        lock = _FOLDERS.setdefault(name, threading.Lock())
    with lock:
        yield
