"""The bank is 40 separate networks computed together: scores and gradients match one by one."""

import torch

from ffa_lab.models.bank import AttributeBank
from tests.conftest import TINY_ARCH


def _single(bank: AttributeBank, k: int) -> AttributeBank:
    return AttributeBank.from_networks([bank.attributes[k]], bank.arch, [bank.network_state(k)]).eval()


def test_scores_and_input_gradients_equal_the_separate_networks(tiny_bank):
    images = (torch.rand(4, 3, 40, 34) * 255).requires_grad_(True)
    scores = tiny_bank(images)
    for k in range(tiny_bank.groups):
        grad_bank = torch.autograd.grad(scores[:, k].sum(), images, retain_graph=True)[0]
        alone_images = images.detach().clone().requires_grad_(True)
        alone = _single(tiny_bank, k)(alone_images)[:, 0]
        grad_alone = torch.autograd.grad(alone.sum(), alone_images)[0]
        torch.testing.assert_close(scores[:, k], alone, rtol=1e-5, atol=1e-5)
        torch.testing.assert_close(grad_bank, grad_alone, rtol=1e-4, atol=1e-6)


def test_changing_one_network_changes_only_its_attribute(tiny_bank):
    images = torch.rand(3, 3, 40, 34) * 255
    before = tiny_bank(images).detach()
    states = [tiny_bank.network_state(k) for k in range(tiny_bank.groups)]
    for name, tensor in states[1].items():
        if tensor.is_floating_point() and "running_var" not in name:  # a variance must stay positive
            tensor.add_(torch.randn_like(tensor) * 0.5)
    changed = AttributeBank.from_networks(tiny_bank.attributes, TINY_ARCH, states).eval()
    after = changed(images).detach()
    torch.testing.assert_close(after[:, [0, 2]], before[:, [0, 2]])
    assert (after[:, 1] - before[:, 1]).abs().max() > 1e-3


def test_paired_input_feeds_each_network_its_own_image(tiny_bank):
    images = torch.rand(2, tiny_bank.groups, 3, 40, 34) * 255
    paired = tiny_bank(images)
    for g in range(tiny_bank.groups):
        torch.testing.assert_close(paired[:, g], tiny_bank(images[:, g])[:, g], rtol=1e-5, atol=1e-5)


def test_folding_batchnorm_keeps_the_function(tiny_bank):
    images = torch.rand(3, 3, 40, 34) * 255
    before = tiny_bank(images).detach()
    torch.testing.assert_close(tiny_bank.fold_batchnorm()(images), before, rtol=1e-4, atol=1e-5)


def test_preprocessing_is_resolution_independent(tiny_bank):
    """A full-resolution image and its 2x downscale give close scores (crop by fractions, area resize)."""
    small = torch.rand(1, 3, 40, 34) * 255
    large = small.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    torch.testing.assert_close(tiny_bank(large), tiny_bank(small), rtol=0.05, atol=0.05)


def test_subset_keeps_weights(tiny_bank):
    images = torch.rand(2, 3, 40, 34) * 255
    torch.testing.assert_close(tiny_bank.subset([2, 0])(images), tiny_bank(images)[:, [2, 0]], rtol=1e-4, atol=1e-5)


def test_dropout_is_f_dropout_for_the_full_bank_and_the_same_rows_for_a_subset(monkeypatch):
    """Training reproducibility: the full bank draws exactly F.dropout's masks (the shipped bank was trained
    with F.dropout), and a subset bank gives each network the rows it gets in the full bank."""
    import torch.nn.functional as F

    from ffa_lab.data.attributes import ATTRIBUTES

    full = AttributeBank.initialised(list(ATTRIBUTES), TINY_ARCH, 0).train()
    subset_names = ["Male", "Smiling", "5_o_Clock_Shadow"]
    subset = AttributeBank.initialised(subset_names, TINY_ARCH, 0).train()
    images = torch.rand(6, 3, 40, 34) * 255
    torch.manual_seed(7)
    ours = full(images)
    torch.manual_seed(7)
    mine = subset(images)
    with monkeypatch.context() as patch:
        patch.setattr(
            AttributeBank, "_dropout_mask", lambda self, h: F.dropout(torch.ones_like(h), self.arch.dropout, True)
        )
        torch.manual_seed(7)
        reference = full(images)
    assert torch.equal(ours, reference)
    assert torch.equal(mine, ours[:, [ATTRIBUTES.index(a) for a in subset_names]])


def test_banks_with_different_weights_are_different_modules():
    """A plain nn.Module: identity equality and hashing (a dataclass module compared banks field by field)."""
    torch.manual_seed(0)
    first = AttributeBank(["Smiling", "Male"], TINY_ARCH)
    second = AttributeBank(["Smiling", "Male"], TINY_ARCH)
    assert not torch.equal(first.fc1_weight, second.fc1_weight)
    assert first != second and first == first
    assert len({first, second}) == 2
    assert not hasattr(AttributeBank, "__dataclass_fields__")
