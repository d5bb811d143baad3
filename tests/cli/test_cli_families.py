"""The CLI on shared-trunk model folders: train --family, evaluate, attack (one output), score, models list."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from ffa_lab.cli.main import main
from ffa_lab.data.images import decode_image
from ffa_lab.models.checkpoint import load_bank
from ffa_lab.models.checkpoint_shared import SHARED_FILE, save_shared
from ffa_lab.models.shared import SharedTrunkNet
from tests.models.test_shared import TINY

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture
def multi_task_folder(tmp_path):
    torch.manual_seed(1)
    model = SharedTrunkNet.initialised(["Smiling", "Male", "Young"], TINY["multi-task"], 0, "multi-task").eval()
    save_shared(tmp_path / "mt" / SHARED_FILE, model, {"thresholds": {}})
    return tmp_path / "mt"


def test_train_family_flag_writes_a_shared_model(tiny_celeba, tmp_path, capsys):
    out = tmp_path / "rn"
    argv = ["train", "--family", "resnet", "--celeba", str(tiny_celeba), "--out", str(out)]
    assert main([*argv, "--epochs", "1", "--batch-size", "16", "--shift", "2"]) == 0
    assert [p.name for p in out.glob("*.safetensors")] == [SHARED_FILE]
    assert load_bank(out).family == "resnet"
    assert "40 outputs" in capsys.readouterr().out
    training = load_bank(out).metadata["Smiling"]["training"]
    assert training["balance"] == "moon" and training["shift"] == 2 and training["epochs"] == 1


def test_per_attribute_refuses_shared_only_flags(tiny_celeba, tmp_path, capsys):
    argv = ["train", "--celeba", str(tiny_celeba), "--out", str(tmp_path / "x"), "--epochs", "1"]
    assert main([*argv, "--balance", "moon"]) != 0
    assert "--balance moon" in capsys.readouterr().err
    assert main([*argv, "--shift", "3"]) != 0
    assert "--shift" in capsys.readouterr().err


def test_evaluate_and_attack_a_multi_task_folder(multi_task_folder, tiny_celeba, tmp_path, capsys):
    report = tmp_path / "e.json"
    argv = ["evaluate", "--models", str(multi_task_folder), "--celeba", str(tiny_celeba), "--split", "test"]
    assert main([*argv, "--json", str(report)]) == 0
    assert set(json.loads(report.read_text())["attributes"]) == {"Smiling", "Male", "Young"}
    image = tiny_celeba / "img_align_celeba" / "000003.jpg"
    out, result = tmp_path / "adv.png", tmp_path / "a.json"
    argv = ["attack", "--models", str(multi_task_folder), "--image", str(image), "--attribute", "Male"]
    assert main([*argv, "--method", "ffa", "--out", str(out), "--json", str(result)]) == 0
    (row,) = json.loads(result.read_text())["results"]
    assert row["attribute"] == "Male" and row["success"]
    model = load_bank(multi_task_folder).bank
    adversarial = torch.from_numpy(decode_image(out)[None].copy()).permute(0, 3, 1, 2)
    score = float(model(adversarial)[0, 1])  # the PNG written to disk flips output Male
    assert score == pytest.approx(row["score_after"], abs=1e-4) and np.sign(score) != np.sign(row["score_before"])
    capsys.readouterr()
    assert main(["models", "list", "--models", str(multi_task_folder)]) == 0
    assert "multi-task" in capsys.readouterr().out
