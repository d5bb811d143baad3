"""Training killed with SIGKILL at random points resumes to the bytes of an uninterrupted run."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ffa_lab.models.checkpoint import load_bank

REPO = Path(__file__).resolve().parents[1]


def _train_cmd(celeba: Path, out: Path, resume: bool) -> list[str]:
    cmd = [
        sys.executable,
        "-m",
        "ffa_lab.cli.main",
        "train",
        "--celeba",
        str(celeba),
        "--out",
        str(out),
        "--attributes",
        "Smiling,Male",
        "--epochs",
        "4",
        "--batch-size",
        "8",
        "--device",
        "cpu",
    ]
    return cmd + (["--resume"] if resume else [])


def _env(tmp_path: Path) -> dict:
    return {**os.environ, "PYTHONPATH": str(REPO), "FFA_LAB_CACHE": str(tmp_path / "cache"), "OMP_NUM_THREADS": "1"}


@pytest.mark.slow
def test_sigkill_then_resume_equals_uninterrupted(tiny_celeba, tmp_path):
    env = _env(tmp_path)
    subprocess.run(_train_cmd(tiny_celeba, tmp_path / "clean", False), env=env, check=True, capture_output=True)
    out = tmp_path / "killed"
    rng = random.Random(7)
    kills = 0
    for _ in range(3):
        proc = subprocess.Popen(
            _train_cmd(tiny_celeba, out, True), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        # wait until the run has started training (first state or a random moment), then kill it hard
        deadline = time.time() + rng.uniform(2.0, 6.0)
        while time.time() < deadline and proc.poll() is None:
            time.sleep(0.05)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
        state = out / ".train" / "state.json"
        if state.exists():  # whatever was written is complete: atomic renames only
            assert state.read_text().strip().endswith("}")
    subprocess.run(_train_cmd(tiny_celeba, out, True), env=env, check=True, capture_output=True)
    assert kills >= 1
    clean = {p.name: p.read_bytes() for p in (tmp_path / "clean").glob("*.safetensors")}
    resumed = {p.name: p.read_bytes() for p in out.glob("*.safetensors")}
    assert resumed == clean
    assert load_bank(out).refused == {}
