"""Shared-trunk families (multi-task, resnet): checkpoint round trip, subsets, BankScorer, MOON weights."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import save as save_safetensors

from ffa_lab.attacks.run import attack_images
from ffa_lab.attacks.scorer import BankScorer
from ffa_lab.data.attributes import ATTRIBUTES
from ffa_lab.errors import CheckpointError
from ffa_lab.models.checkpoint import METADATA_KEY, load_bank
from ffa_lab.models.checkpoint_shared import SHARED_FILE, read_shared, save_shared
from ffa_lab.models.family import AttributeModel, family_of
from ffa_lab.models.shared import SharedArch, SharedTrunkNet
from ffa_lab.models.train_shared import moon_weights

TINY = {
    "multi-task": SharedArch(name="tiny-cnn", channels=(4, 8, 8), blocks=(1, 2, 1), hidden=16, input_size=(24, 20)),
    "resnet": SharedArch(
        name="tiny-res", trunk="resnet", channels=(4, 8), blocks=(1, 2), hidden=0, input_size=(24, 20)
    ),
}
NAMES = ["Smiling", "Male", "Young", "Eyeglasses"]

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def tiny_model(family: str, attributes: list[str] = NAMES) -> SharedTrunkNet:
    """A randomly initialised model with non-trivial BatchNorm statistics, eval mode."""
    model = SharedTrunkNet.initialised(attributes, TINY[family], 0, family)
    model.train()
    with torch.no_grad():
        model(torch.rand(16, 3, 40, 34) * 255)
    return model.eval()


@pytest.mark.parametrize("family", sorted(TINY))
def test_checkpoint_round_trip_from_the_file_alone(family, tmp_path):
    model = tiny_model(family)
    save_shared(tmp_path / SHARED_FILE, model, {"thresholds": dict.fromkeys(NAMES, 0.0)})
    loaded = load_bank(tmp_path)
    images = torch.randint(0, 256, (3, 3, 40, 34), dtype=torch.uint8)
    assert torch.equal(loaded.bank(images), model(images))
    assert loaded.family == family and family_of(loaded.bank) == family
    assert loaded.attributes == NAMES and loaded.metadata["Male"]["family"] == family
    assert isinstance(loaded.bank, AttributeModel) and not loaded.bank.training


def test_the_file_describes_itself(tmp_path):
    save_shared(tmp_path / SHARED_FILE, tiny_model("resnet"), {"training": {"epochs": 1}})
    data = (tmp_path / SHARED_FILE).read_bytes()
    header = json.loads(data[8 : 8 + int.from_bytes(data[:8], "little")])
    document = json.loads(header["__metadata__"][METADATA_KEY])
    assert document["family"] == "resnet" and document["format_version"] == 1
    assert document["architecture"]["trunk"] == "resnet" and document["attributes"] == NAMES
    assert document["preprocessing"]["resize"]["size_hw"] == [24, 20]
    assert document["training"] == {"epochs": 1}


def test_a_tampered_or_foreign_file_is_refused(tmp_path):
    model = tiny_model("multi-task")
    path = tmp_path / SHARED_FILE
    save_shared(path, model, {})
    data = path.read_bytes()
    path.write_bytes(data.replace(b'\\"family\\": \\"multi-task\\"', b'\\"family\\": \\"perceptron\\"'))
    with pytest.raises(CheckpointError, match="family 'perceptron'"):
        read_shared(path)
    wrong = SharedTrunkNet(NAMES, TINY["resnet"], "multi-task")  # the header claims the cnn trunk
    header_len = int.from_bytes(data[:8], "little")
    meta = json.loads(json.loads(data[8 : 8 + header_len])["__metadata__"][METADATA_KEY])
    path.write_bytes(save_safetensors(dict(wrong.state_dict()), metadata={METADATA_KEY: json.dumps(meta)}))
    with pytest.raises(CheckpointError, match="missing|shape"):
        load_bank(tmp_path)


@pytest.mark.parametrize("family", sorted(TINY))
def test_subset_is_the_same_function_on_its_outputs(family):
    model = tiny_model(family)
    images = torch.rand(2, 3, 40, 34) * 255
    torch.testing.assert_close(model.subset([3, 1])(images), model(images)[:, [3, 1]], rtol=1e-5, atol=1e-5)
    paired = torch.rand(2, len(NAMES), 3, 40, 34) * 255
    for g in range(len(NAMES)):
        torch.testing.assert_close(model(paired)[:, g], model(paired[:, g])[:, g], rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("family", sorted(TINY))
def test_bank_scorer_scores_and_gradients_are_per_sample(family):
    """Sample i's score is output attributes[i] of image i; its gradient is that output's alone."""
    model = tiny_model(family)
    names = ["Young", "Smiling", "Young", "Eyeglasses", "Male"]
    images = torch.rand(len(names), 3, 40, 34) * 255
    scorer = BankScorer(model, names)
    scores, grad = scorer.gradient(images, lambda s: s)
    for i, name in enumerate(names):
        alone = images[i : i + 1].clone().requires_grad_(True)
        score = model(alone)[0, NAMES.index(name)]
        (expected,) = torch.autograd.grad(score, alone)
        torch.testing.assert_close(scores[i], score.detach(), rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(grad[i], expected[0], rtol=1e-4, atol=1e-6)


def test_ffa_flips_one_output_of_the_multi_task_net_on_the_uint8_image():
    model = tiny_model("multi-task")
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (3, 40, 34, 3), dtype=np.uint8)
    result = attack_images(model, images, "Male", method="ffa", compute_pass=False)
    assert result.success.all()
    before = model(torch.from_numpy(images).permute(0, 3, 1, 2))[:, 1]
    after = model(torch.from_numpy(result.adversarial).permute(0, 3, 1, 2))  # re-scored here on uint8
    assert ((after[:, 1] >= 0) != (before >= 0)).all()
    assert not torch.equal(after[:, [0, 2, 3]], model(torch.from_numpy(images).permute(0, 3, 1, 2))[:, [0, 2, 3]])


def test_moon_weights_balance_the_weighted_classes():
    labels = np.where(np.random.default_rng(0).random((1000, 3)) < np.array([0.1, 0.5, 0.8]), 1, -1)
    w = moon_weights(labels, "moon").numpy()
    p = (labels == 1).mean(0)
    np.testing.assert_allclose(w[1] * p, w[0] * (1 - p), rtol=1e-6)  # equal weighted class frequencies
    assert np.allclose(np.maximum(w[0], w[1]), 1.0)  # the minority class keeps weight 1
    with pytest.raises(ValueError, match="balance"):
        moon_weights(labels, "tilted")


def test_full_size_families_build_with_the_shipped_architectures():
    from ffa_lab.models.train_shared import FAMILY_ARCHS

    for family, arch in FAMILY_ARCHS.items():
        model = SharedTrunkNet(list(ATTRIBUTES), arch, family).eval()
        assert model(torch.zeros(1, 3, 109, 89, dtype=torch.uint8)).shape == (1, 40)
