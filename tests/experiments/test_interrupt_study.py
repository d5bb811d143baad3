"""`study` and `natural` killed with SIGKILL at random points, then re-run: same tables as an uninterrupted run."""

import json
import os
import random
import signal
import subprocess
import sys
import time

import pytest

from ffa_lab.cli.main import main
from ffa_lab.experiments.results import SAMPLES_FILE
from tests.conftest import REPO, one_thread
from tests.study_helpers import make_inputs, stable


def _finished_parts(out) -> int:
    return sum(1 for p in out.glob("parts*/*") if not p.name.startswith(".")) if out.exists() else 0


def _arguments(kind: str, inputs: dict, out) -> list[str]:
    extra = ["--limit", "16", "--attacks", "ffa,fgs"] if kind == "study" else ["--split", "test"]
    return [
        kind,
        "--models",
        str(inputs["models"]),
        "--celeba",
        str(inputs["celeba"]),
        "--out",
        str(out),
        "--chunk-size",
        "2",
        "--workers",
        "1",
        "--cache",
        str(inputs["cache"]),
        *extra,
    ]


def _command(kind: str, inputs: dict, out) -> list[str]:
    return [sys.executable, "-m", "ffa_lab.cli.main", *_arguments(kind, inputs, out)]


def _run_in_process(kind: str, inputs: dict, out) -> None:
    """The same CLI through ``main(argv)`` on one torch thread, as the subprocesses run (OMP_NUM_THREADS=1):
    saves a Python + torch start-up per run."""
    with one_thread():
        assert main(_arguments(kind, inputs, out)) == 0


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["study", "natural"])
def test_sigkill_then_rerun_equals_uninterrupted(kind, tmp_path):
    inputs = make_inputs(tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    _run_in_process(kind, inputs, clean)
    rng, kills = random.Random(11), 0
    for _ in range(2):
        proc = subprocess.Popen(
            _command(kind, inputs, killed), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        # kill at a random moment after the run has finished at least one unit (mid-run, not before it starts)
        deadline = time.time() + 120
        while time.time() < deadline and proc.poll() is None and not _finished_parts(killed):
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 0.4))
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    _run_in_process(kind, inputs, killed)  # the finishing run: the resume logic, not the process, is under test
    assert kills >= 1
    assert (killed / SAMPLES_FILE).read_bytes() == (clean / SAMPLES_FILE).read_bytes()
    a = json.loads((killed / "summary.json").read_text())
    b = json.loads((clean / "summary.json").read_text())
    assert stable(a) == stable(b)
    assert not [p.name for p in killed.rglob("*") if p.name.endswith(".tmp")], "no temporary file is left behind"


@pytest.mark.parametrize("kind", ["study", "natural"])
def test_finished_run_deletes_temporaries_a_killed_write_left(kind, tmp_path):
    """A kill between writing a temporary file and renaming it leaves ``.<name>.<uuid>.tmp`` in the
    results folder (or in parts/); the run that finishes the folder deletes them."""
    inputs = make_inputs(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    planted = [out / ".summary.json.0123abcd.tmp", out / f".{SAMPLES_FILE}.4567cdef.tmp"]
    for path in planted:
        path.write_bytes(b"half a file")
    _run_in_process(kind, inputs, out)
    assert (out / "summary.json").is_file()
    assert not [p.name for p in out.rglob("*") if p.name.endswith(".tmp")]
