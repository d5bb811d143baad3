"""Training: learns a real signal, is deterministic, resumes exactly, writes loadable checkpoints."""

from dataclasses import replace

import numpy as np
import pytest

from ffa_lab.data.celeba import load_celeba
from ffa_lab.experiments.options import RunOptions
from ffa_lab.models.checkpoint import load_bank
from ffa_lab.models.metrics import calibrate_threshold
from ffa_lab.models.train import TrainConfig, class_weights, train_bank
from ffa_lab.models.train_state import saved_epochs
from tests.conftest import TINY_ARCH

CONFIG = TrainConfig(
    attributes=("5_o_Clock_Shadow", "Smiling"),
    epochs=3,
    batch_size=8,
    lr=1e-2,
    warmup_steps=2,
    arch=TINY_ARCH,
    val_fraction=0.25,
)


def _train(root, out, **kw):
    return train_bank(replace(CONFIG, **kw), load_celeba(root), out, options=RunOptions.quiet())


def _bytes(folder):
    return {p.name: p.read_bytes() for p in sorted(folder.glob("*.safetensors"))}


def test_learns_signal_and_is_deterministic(tiny_celeba, tmp_path):
    summary = _train(tiny_celeba, tmp_path / "a")
    # attribute 0 is written into image brightness by the fixture: it must be learnt
    assert summary["val"]["attributes"]["5_o_Clock_Shadow"]["accuracy"] >= 90
    _train(tiny_celeba, tmp_path / "b")
    assert _bytes(tmp_path / "a") == _bytes(tmp_path / "b")
    loaded = load_bank(tmp_path / "a")
    assert loaded.attributes == ["5_o_Clock_Shadow", "Smiling"]
    assert loaded.metadata["Smiling"]["training"]["epochs"] == 3
    assert loaded.metadata["Smiling"]["data_fingerprint"] == load_celeba(tiny_celeba).fingerprint()


def test_interrupted_run_resumes_to_the_same_result(tiny_celeba, tmp_path):
    _train(tiny_celeba, tmp_path / "full")

    class Killed(Exception):
        pass

    def kill(epoch, step, total):
        if epoch == 1 and step == 2:
            raise Killed

    with pytest.raises(Killed):
        train_bank(CONFIG, load_celeba(tiny_celeba), tmp_path / "cut", options=RunOptions.quiet(progress=kill))
    assert list(saved_epochs(tmp_path / "cut" / ".train")) == [1]
    assert not list((tmp_path / "cut").glob("*.safetensors"))
    train_bank(CONFIG, load_celeba(tiny_celeba), tmp_path / "cut", resume=True, options=RunOptions.quiet())
    assert _bytes(tmp_path / "cut") == _bytes(tmp_path / "full")


def test_class_weights_balance_each_attribute():
    labels = np.array([[1, -1], [-1, -1], [-1, -1], [-1, 1]])
    w = class_weights(labels, "full").numpy()
    p = (labels == 1).mean(0)
    np.testing.assert_allclose(w[1] * p + w[0] * (1 - p), [1.0, 1.0], rtol=1e-6)
    np.testing.assert_allclose(w[1] * p, w[0] * (1 - p), rtol=1e-6)


def test_calibration_trades_accuracy_for_balance():
    rng = np.random.default_rng(0)
    labels = np.where(rng.random(2000) < 0.1, 1, -1)
    scores = labels * 0.5 + rng.normal(0, 0.6, 2000) - 0.3
    t_acc = calibrate_threshold(scores, labels, balance_weight=0.0)
    t_bal = calibrate_threshold(scores, labels, balance_weight=10.0)
    assert t_bal < t_acc  # balancing lowers the bar for the rare positive class
    acc = lambda t: ((np.where(scores >= t, 1, -1)) == labels).mean()
    assert acc(t_acc) >= max(acc(t) for t in np.linspace(-2, 2, 201)) - 1e-9
