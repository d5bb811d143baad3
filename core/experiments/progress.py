"""Progress of long work in named stages (read images, score them, attack them), with an ETA.

Core code reports plain ``(done, total)`` counts per stage; :class:`Stages` turns them into :class:`Step`
events for one callback, which the app renders as a progress bar and the CLI could print. No Streamlit
here: the callback is whatever the caller passes (ffa_lab.views.gallery.mine, pages/4_Natural_Adversarials.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """``done`` of ``total`` items of stage ``index`` (0-based) of ``count`` stages, ``seconds`` into it."""

    stage: str
    index: int
    count: int
    done: int
    total: int
    seconds: float

    @property
    def fraction(self) -> float:
        """Share of this stage done, in [0, 1] (an empty stage is done)."""
        return 1.0 if self.total <= 0 else min(1.0, self.done / self.total)

    @property
    def overall(self) -> float:
        """Share of all stages done, in [0, 1]: each stage counts equally, so it never goes back."""
        return (self.index + self.fraction) / self.count

    @property
    def eta(self) -> float | None:
        """Seconds left in this stage at the rate so far; None before the first item is done."""
        if self.done <= 0 or self.seconds <= 0:
            return None
        return max(0.0, self.seconds / self.done * (self.total - self.done))

    def text(self) -> str:
        """One line, e.g. ``Scoring the images: 1,200 / 5,000 · about 12 s left (step 2 of 3)``."""
        eta = self.eta
        left = "" if eta is None or self.done >= self.total else f" · about {_duration(eta)} left"
        return f"{self.stage}: {self.done:,} / {self.total:,}{left} (step {self.index + 1} of {self.count})"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    return f"{round(seconds / 60)} min"


class Stages:
    """Feeds ``report`` with :class:`Step` events for the stages ``names``, run in that order.

    ``counter(name)`` returns a ``(done, total)`` callback for that stage; ``finish`` reports a stage as
    complete (also one that had nothing to do). Steps are emitted in stage order with ``overall`` never decreasing, and the last
    stage ends with ``done == total`` once ``finish`` was called on it (tests/views/test_gallery_mining.py).
    """

    def __init__(
        self, names: tuple[str, ...], report: Callable[[Step], None], clock: Callable[[], float] = time.monotonic
    ):
        self.names, self.report, self.clock = names, report, clock
        self.current, self.started = -1, clock()
        self.last: Step | None = None

    def counter(self, name: str) -> Callable[[int, int], None]:
        index = self.names.index(name)

        def count(done: int, total: int) -> None:
            if index < self.current:
                return  # a late count of a finished stage would move the bar back
            if index > self.current:
                self.current, self.started = index, self.clock()
            self.last = Step(name, index, len(self.names), done, total, self.clock() - self.started)
            self.report(self.last)

        return count

    def finish(self, name: str, total: int | None = None) -> None:
        """Report ``name`` complete (``total`` items, default its last total, else 0)."""
        last = self.last if self.last is not None and self.last.stage == name else None
        total = total if total is not None else (last.total if last else 0)
        if last is None or last.done != total or last.total != total:
            self.counter(name)(total, total)
