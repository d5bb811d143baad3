"""Training a shared-trunk family: a tiny synthetic run per family, calibration folded, resume exact."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch

from ffa_lab.data.celeba import load_celeba
from ffa_lab.data.imagecache import load_images
from ffa_lab.experiments.options import RunOptions
from ffa_lab.models.checkpoint import load_bank
from ffa_lab.models.evaluate import bank_scores, evaluate_scores
from ffa_lab.models.train import split_train_val
from ffa_lab.models.train_shared import SharedTrainConfig, train_shared
from tests.models.test_shared import TINY

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def _config(family: str, **changes) -> SharedTrainConfig:
    base = SharedTrainConfig(family=family, arch=TINY[family], epochs=2, batch_size=8, warmup_steps=2, shift=2)
    return replace(base, **changes)


@pytest.mark.parametrize("family", sorted(TINY))
def test_a_tiny_run_writes_one_calibrated_self_describing_file(family, tiny_celeba, tmp_path):
    data = load_celeba(tiny_celeba)
    summary = train_shared(_config(family), data, tmp_path / "m", options=RunOptions.quiet())
    assert (tmp_path / "m" / "model.safetensors").is_file()
    assert len(summary["history"]) == 2 and summary["family"] == family
    assert summary["training_time"]["total_seconds"] == pytest.approx(sum(h["seconds"] for h in summary["history"]))
    loaded = load_bank(tmp_path / "m")
    assert loaded.family == family and len(loaded.attributes) == 40
    # the saved thresholds are folded in: the file alone reproduces the calibrated validation numbers
    ids = data.split_ids("train")
    _, val_idx = split_train_val(ids, 0.1, 0)
    images = load_images(data, ids)
    val = evaluate_scores(loaded.attributes, bank_scores(loaded.bank, images[val_idx]), data.labels_for(ids)[val_idx])
    assert val.to_json() == summary["val"]
    assert json.loads((tmp_path / "m" / "training_summary.json").read_text())["val"] == summary["val"]


class _Stop(Exception):
    pass


def test_resume_equals_an_uninterrupted_run(tiny_celeba, tmp_path):
    data = load_celeba(tiny_celeba)
    config = _config("multi-task", epochs=3)
    train_shared(config, data, tmp_path / "a", options=RunOptions.quiet())

    def stop_in_epoch_two(epoch: int, step: int, total: int) -> None:
        if epoch == 1 and step == 2:
            raise _Stop

    with pytest.raises(_Stop):
        train_shared(config, data, tmp_path / "b", options=RunOptions.quiet(progress=stop_in_epoch_two))
    assert not (tmp_path / "b" / "model.safetensors").exists()
    logged: list[str] = []
    train_shared(config, data, tmp_path / "b", resume=True, options=RunOptions(log=logged.append))
    assert "resuming after epoch 1 of 3" in logged
    a, b = load_bank(tmp_path / "a").bank, load_bank(tmp_path / "b").bank
    images = torch.randint(0, 256, (4, 3, 36, 30), dtype=torch.uint8)
    assert torch.equal(a(images), b(images))  # CPU training is deterministic given (seed, epoch)
    with pytest.raises(Exception, match="different configuration"):
        train_shared(replace(config, lr=1e-4), data, tmp_path / "b", resume=True, options=RunOptions.quiet())
