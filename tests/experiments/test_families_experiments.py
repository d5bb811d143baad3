"""The study and natural mining run on a shared-trunk (multi-task) folder as on a per-attribute bank."""

from __future__ import annotations

import pytest
import torch

from ffa_lab.data.celeba import load_celeba
from ffa_lab.errors import UsageError
from ffa_lab.experiments.natural import NaturalConfig, run_extra_epochs, run_natural
from ffa_lab.experiments.options import RunOptions
from ffa_lab.experiments.study import StudyConfig, run_study
from ffa_lab.models.checkpoint import load_bank
from ffa_lab.models.checkpoint_shared import SHARED_FILE, save_shared
from ffa_lab.models.shared import SharedTrunkNet
from tests.models.test_shared import TINY

pytestmark = pytest.mark.usefixtures("torch_one_thread")
NAMES = ("Smiling", "Male", "Young")


@pytest.fixture
def multi_task(tmp_path):
    torch.manual_seed(0)
    model = SharedTrunkNet.initialised(list(NAMES), TINY["multi-task"], 0, "multi-task")
    model.train()
    with torch.no_grad():
        model(torch.rand(16, 3, 36, 30) * 255)
    save_shared(tmp_path / "mt" / SHARED_FILE, model.eval(), {})
    return load_bank(tmp_path / "mt")


def test_study_and_mining_on_a_multi_task_folder(multi_task, tiny_celeba, tmp_path):
    data = load_celeba(tiny_celeba)
    config = StudyConfig(limit=8, attacks=("ffa", "fgs"), attributes=NAMES, chunk_size=4)
    study = run_study(multi_task, data, config, tmp_path / "study", options=RunOptions.quiet())
    summary = study.summary
    assert set(summary["attributes"]) == set(NAMES) and summary["settings"]["n_images"] == 8
    attacked = sum(a["n_attacked"] for a in summary["attributes"].values())
    assert attacked > 0 and all(0 <= a["success"]["ffa"] <= 100 for a in summary["attributes"].values())
    natural = run_natural(
        multi_task,
        data,
        NaturalConfig(split="test", attributes=NAMES, limit=8),
        tmp_path / "nat",
        options=RunOptions.quiet(),
    )
    assert "test" in natural.summary["splits"]
    with pytest.raises(UsageError, match="per-attribute banks only"):
        run_extra_epochs(multi_task, data, tmp_path / "nat", 1)
