"""Resume state: one self-contained file per epoch, two generations, torn files skipped."""

import json

import pytest
import torch

from ffa_lab.errors import UsageError
from ffa_lab.experiments.distributed import SINGLE, Distributed
from ffa_lab.models.bank import AttributeBank
from ffa_lab.models.train_state import check_layout, common_epoch, restore, save_state, saved_epochs, state_dir
from tests.conftest import TINY_ARCH


def _bank_and_optimizer():
    bank = AttributeBank(["Smiling", "Male"], TINY_ARCH)
    optimizer = torch.optim.AdamW(bank.parameters(), lr=1e-2)
    bank(torch.rand(4, 3, 40, 34) * 255).sum().backward()
    optimizer.step()
    return bank, optimizer


def test_two_generations_and_a_torn_latest_file(tmp_path):
    bank, optimizer = _bank_and_optimizer()
    folder = state_dir(tmp_path, SINGLE)
    for epoch in (1, 2, 3):
        save_state(folder, bank, optimizer, {"epoch": epoch, "history": [epoch], "config": {}})
    assert sorted(saved_epochs(folder)) == [2, 3]
    latest = folder / "state.safetensors"
    latest.write_bytes(latest.read_bytes()[:100])  # torn by a crash of the storage, not by us
    assert sorted(saved_epochs(folder)) == [2]
    fresh, fresh_optimizer = _bank_and_optimizer()
    restore(saved_epochs(folder)[2][0], fresh, fresh_optimizer, "cpu")
    for (name, a), b in zip(bank.state_dict().items(), fresh.state_dict().values(), strict=True):
        assert torch.equal(a, b), name


def test_a_state_saved_before_the_json_moved_into_the_file_is_still_read(tmp_path):
    bank, optimizer = _bank_and_optimizer()
    folder = state_dir(tmp_path, SINGLE)
    save_state(folder, bank, optimizer, {"epoch": 4, "history": [], "config": {}})
    from safetensors.torch import load_file, save_file

    save_file(load_file(folder / "state.safetensors"), folder / "state.safetensors")  # no metadata
    (folder / "state.json").write_text(json.dumps({"epoch": 4, "history": [], "config": {}}))
    assert list(saved_epochs(folder)) == [4]


def test_common_epoch_and_layout_checks(tmp_path):
    assert common_epoch({3: None, 2: None}, SINGLE) == 3
    assert common_epoch({}, SINGLE) is None
    bank, optimizer = _bank_and_optimizer()
    two = Distributed(rank=1, world_size=2)
    save_state(state_dir(tmp_path, two), bank, optimizer, {"epoch": 1, "history": [], "config": {}})
    check_layout(tmp_path, two)  # same layout: fine, even for a rank that saved nothing
    check_layout(tmp_path, Distributed(rank=0, world_size=2))
    with pytest.raises(UsageError, match="saved by 2 ranks"):
        check_layout(tmp_path, SINGLE)
    with pytest.raises(UsageError, match="saved by 2 ranks"):
        check_layout(tmp_path, Distributed(rank=0, world_size=4))
