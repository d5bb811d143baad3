"""Live mining (ffa_lab.views.gallery.mine): two sessions at once, repeats that do no work, scores kept per
(bank, dataset), progress in stages that ends complete, and the same rows as `ffa-lab natural`."""

import threading
import time

import pandas as pd
import pytest

from ffa_lab.cli.main import main
from ffa_lab.experiments.natural import STAGES
from ffa_lab.experiments.results import read_natural
from ffa_lab.models.bank import AttributeBank
from ffa_lab.views.gallery import mine, mining_folder
from tests.conftest import one_thread
from tests.study_helpers import make_inputs, open_inputs

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return make_inputs(tmp_path_factory.mktemp("mining"))


@pytest.fixture
def temp(tmp_path, monkeypatch):
    """A fresh system temp folder: the app's mining folders and score cache start empty."""
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    return tmp_path / "tmp"


@pytest.fixture
def forward_calls(monkeypatch):
    """How many times any bank ran a forward pass (scoring or attacking) since the test began."""
    calls, original = [0], AttributeBank.forward

    def counted(self, *args, **kwargs):
        calls[0] += 1
        return original(self, *args, **kwargs)

    monkeypatch.setattr(AttributeBank, "forward", counted)
    return calls


def test_two_sessions_mining_the_same_settings_both_succeed(inputs, temp):
    loaded, data = open_inputs(inputs)
    results, errors = [], []

    def session() -> None:
        try:
            results.append(mine(loaded, data, "key", "Smiling", "test", 24))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    with one_thread():
        threads = [threading.Thread(target=session) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == [] and len(results) == 2
    pd.testing.assert_frame_equal(results[0].samples, results[1].samples)
    folder = mining_folder("key", str(data.root), "test", "Smiling", 24)
    assert folder.is_relative_to(temp) and not any(p.name.startswith("parts") for p in folder.iterdir())


def test_an_identical_repeat_reads_the_finished_run_without_scoring(inputs, temp, forward_calls):
    loaded, data = open_inputs(inputs)
    first = mine(loaded, data, "key", "Smiling", "test", 24)
    assert forward_calls[0] > 0
    forward_calls[0], steps = 0, []
    started = time.perf_counter()
    again = mine(*open_inputs(inputs), "key", "Smiling", "test", 24, steps.append)  # as a new session would
    seconds = time.perf_counter() - started
    assert forward_calls[0] == 0, "a finished run is read back, no image is scored or attacked again"
    assert steps == [] and seconds < 2.0
    pd.testing.assert_frame_equal(first.samples, again.samples)


def test_scores_are_kept_per_bank_and_dataset_for_other_limits_and_attributes(inputs, temp):
    loaded, data = open_inputs(inputs)

    def scored(model: str, attribute: str, limit: int, bank=loaded) -> int:
        steps = []
        mine(bank, data, model, attribute, "test", limit, steps.append)
        return {s.stage: s.total for s in steps}[STAGES[1]]

    # a second limit is another folder but reuses the 12 images already scored; another attribute's
    # network scores its 24 images once
    assert [scored("key", "Smiling", 12), scored("key", "Smiling", 24), scored("key", "Male", 24)] == [12, 12, 24]
    assert len(list(temp.glob("ffa-lab-app/scores-*.npz"))) == 1
    retrained = inputs["models"] / "Smiling.safetensors"
    original = retrained.read_bytes()
    try:
        retrained.write_bytes(original[:-4] + bytes(4))  # other weights: another key, nothing reused
        assert scored("retrained", "Smiling", 24, open_inputs(inputs)[0]) == 24
        assert len(list(temp.glob("ffa-lab-app/scores-*.npz"))) == 2
    finally:
        retrained.write_bytes(original)


def test_progress_goes_through_every_stage_forward_and_ends_complete(inputs, temp):
    loaded, data = open_inputs(inputs)
    steps = []
    results = mine(loaded, data, "key", "Male", "test", 24, steps.append)
    assert {s.stage for s in steps} == set(STAGES)
    assert [s.index for s in steps] == sorted(s.index for s in steps)
    assert all(a.overall <= b.overall for a, b in zip(steps, steps[1:], strict=False))
    for stage in STAGES:
        counts = [(s.done, s.total) for s in steps if s.stage == stage]
        assert [d for d, _ in counts] == sorted(d for d, _ in counts) and counts[-1][0] == counts[-1][1]
    assert steps[-1].stage == STAGES[-1] and steps[-1].overall == 1.0
    wrong = results.summary["splits"]["test"]["attributes"]["Male"]["misclassified"]
    assert steps[-1].total == wrong, "the last stage counts the misclassified pairs it corrects"
    assert all(f"/ {s.total:,}" in s.text() and f"step {s.index + 1} of 3" in s.text() for s in steps)


def test_live_mining_equals_the_cli_for_the_same_settings(inputs, temp, tmp_path):
    loaded, data = open_inputs(inputs)
    live = mine(loaded, data, "key", "Smiling", "test", 20)
    out = tmp_path / "cli"
    argv = ["natural", "--models", str(inputs["models"]), "--celeba", str(inputs["celeba"]), "--split", "test"]
    argv += ["--attributes", "Smiling", "--limit", "20", "--out", str(out), "--workers", "1"]
    assert main([*argv, "--cache", str(inputs["cache"])]) == 0
    cli = read_natural(out)
    pd.testing.assert_frame_equal(live.samples, cli.samples)
    assert live.summary["splits"]["test"]["attributes"] == cli.summary["splits"]["test"]["attributes"]
