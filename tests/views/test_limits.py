"""The server-wide attack cap: never more than the limit at once, and a clear 'busy' after the wait."""

import threading
import time

import pytest

from ffa_lab.views.limits import ServerBusyError, attack_slot


def test_no_more_than_the_limit_run_at_once():
    running, peak, guard = 0, 0, threading.Lock()

    def attack() -> None:
        nonlocal running, peak
        with attack_slot(limit=2, wait=30):
            with guard:
                running += 1
                peak = max(peak, running)
            time.sleep(0.05)
            with guard:
                running -= 1

    threads = [threading.Thread(target=attack) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak == 2 and running == 0


def test_waiting_past_the_limit_says_the_server_is_busy():
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        with attack_slot(limit=1, wait=5):
            holding.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(5)
    started = time.monotonic()
    with pytest.raises(ServerBusyError, match="try again"):
        with attack_slot(limit=1, wait=0.2):
            pass
    assert 0.15 < time.monotonic() - started < 5
    release.set()
    holder.join()
    with attack_slot(limit=1, wait=1):  # the slot is free again; an error inside releases it too
        pass
    with pytest.raises(RuntimeError, match="boom"):
        with attack_slot(limit=1, wait=1):
            raise RuntimeError("boom")
    with attack_slot(limit=1, wait=1):
        pass
