"""Adversarial fine-tuning (``ffa-lab train --adversarial``): the copies are integer images within eps of the
clean ones that push the drawn output toward the wrong side, and a tiny run writes a self-describing,
re-calibrated model that records what it started from."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch

from ffa_lab.cli.main import main
from ffa_lab.data.celeba import load_celeba
from ffa_lab.data.imagecache import load_images
from ffa_lab.errors import UsageError
from ffa_lab.experiments.options import RunOptions
from ffa_lab.models.checkpoint import load_bank
from ffa_lab.models.checkpoint_shared import read_shared
from ffa_lab.models.train_adversarial import AdversarialConfig, adversarial_copies, train_adversarial
from ffa_lab.models.train_shared import SharedTrainConfig, train_shared
from tests.models.test_shared import TINY

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture
def tiny_resnet(tiny_celeba, tmp_path):
    config = SharedTrainConfig(family="resnet", arch=TINY["resnet"], epochs=1, batch_size=8, warmup_steps=2)
    train_shared(config, load_celeba(tiny_celeba), tmp_path / "init", options=RunOptions.quiet())
    return tmp_path / "init"


@pytest.mark.parametrize("steps", [1, 3])
def test_copies_are_integer_images_within_eps_that_push_the_drawn_output_the_wrong_way(tiny_resnet, tiny_celeba, steps):
    _, model = read_shared(tiny_resnet / "model.safetensors")
    model = model.requires_grad_(True)
    data = load_celeba(tiny_celeba)
    x = torch.from_numpy(load_images(data, data.split_ids("train")[:6])).permute(0, 3, 1, 2).float()
    labels = torch.where(torch.rand(6, model.groups) < 0.5, -1.0, 1.0)
    config = AdversarialConfig(init=str(tiny_resnet), eps=4.0, steps=steps)
    torch.manual_seed(1)
    adversarial, outputs = adversarial_copies(model, x, labels, config)
    assert torch.equal(adversarial, adversarial.round()) and adversarial.min() >= 0 and adversarial.max() <= 255
    assert (adversarial - x).abs().max() <= 4.0
    with torch.no_grad():
        before, after = model.output_scores(x, outputs), model.output_scores(adversarial, outputs)
    toward_wrong = -(after - before) * labels[torch.arange(6), outputs]
    assert (toward_wrong > 0).all(), "every copy moves its output toward the wrong label"


def test_a_tiny_fine_tuning_run_writes_a_calibrated_model_that_records_its_start(tiny_resnet, tiny_celeba, tmp_path):
    data = load_celeba(tiny_celeba)
    config = AdversarialConfig(init=str(tiny_resnet), epochs=2, eps=2.0, steps=2)
    summary = train_adversarial(config, data, tmp_path / "adv", options=RunOptions.quiet())
    assert len(summary["history"]) == 2 and all(0 <= h["adversarial_flip_rate"] <= 100 for h in summary["history"])
    meta, tuned = read_shared(tmp_path / "adv" / "model.safetensors")
    start_meta, start = read_shared(tiny_resnet / "model.safetensors")
    assert meta["training"]["adversarial"]["eps"] == 2.0 and meta["training"]["adversarial"]["steps"] == 2
    assert meta["training"]["adversarial"]["init_metrics"] == start_meta["metrics"]
    assert SharedTrainConfig.from_json(meta["training"]).arch == start.arch  # same preprocessing and layers
    assert any(
        not torch.equal(a, b) for a, b in zip(tuned.state_dict().values(), start.state_dict().values(), strict=True)
    )
    assert load_bank(tmp_path / "adv").family == "resnet"


def test_the_cli_fine_tunes_and_refuses_what_it_cannot(tiny_resnet, tiny_celeba, tmp_path, capsys):
    out = tmp_path / "cli"
    argv = ["train", "--adversarial", "--init", str(tiny_resnet), "--celeba", str(tiny_celeba), "--out", str(out)]
    assert main([*argv, "--epochs", "1", "--adv-eps", "2"]) == 0
    assert "wrote the fine-tuned resnet model" in capsys.readouterr().out
    assert read_shared(out / "model.safetensors")[0]["training"]["adversarial"]["eps"] == 2.0
    assert main(["train", "--adversarial", "--celeba", str(tiny_celeba), "--out", str(out)]) == 2
    assert "--adversarial needs --init" in capsys.readouterr().err
    assert main([*argv[:3], str(tmp_path), *argv[4:]]) == 2  # a folder without model.safetensors
    assert "not a per-attribute bank" in capsys.readouterr().err
    with pytest.raises(UsageError):
        replace(AdversarialConfig(init="x"), fraction=0.0)
