"""Natural adversarial samples: only misclassified pairs, the τ rule, split merging, extra epochs."""

from dataclasses import replace

import numpy as np
import pytest
import torch

from ffa_lab.cli.main import main
from ffa_lab.data.attributes import ATTRIBUTE_INDEX
from ffa_lab.data.imagecache import load_images
from ffa_lab.experiments.extra_epochs import run_extra_epochs
from ffa_lab.experiments.natural import NaturalConfig, run_natural
from ffa_lab.experiments.options import RunOptions
from ffa_lab.experiments.results import ResultsError, read_natural
from ffa_lab.models.evaluate import bank_scores
from ffa_lab.models.train import train_epochs
from tests.study_helpers import ATTRS, TRAIN, make_inputs, open_inputs

CONFIG = NaturalConfig(split="test", attributes=ATTRS, chunk_size=8)


pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return make_inputs(tmp_path_factory.mktemp("natural"))


@pytest.fixture(scope="module")
def natural(inputs):
    loaded, data = open_inputs(inputs)
    out = inputs["root"] / "natural"
    run_natural(loaded, data, replace(CONFIG, split="train"), out, options=RunOptions.quiet(inputs["cache"]))
    return run_natural(loaded, data, CONFIG, out, options=RunOptions.quiet(inputs["cache"]))


def test_every_misclassified_pair_is_attacked_toward_its_label(natural, inputs):
    loaded, data = open_inputs(inputs)
    for split in ("train", "test"):
        ids = data.split_ids(split)
        images = load_images(data, ids, inputs["cache"])
        labels = data.labels_for(ids)
        rows = natural.samples[natural.samples["split"] == split]
        for g, name in enumerate(loaded.attributes):
            scores = bank_scores(loaded.bank.subset([g]), images)[:, 0]  # the attribute's own network
            wrong = (scores >= 0) != (labels[:, ATTRIBUTE_INDEX[name]] == 1)
            mine = rows[rows["attribute"] == name]
            assert set(mine["image_id"]) == {ids[i] for i in np.flatnonzero(wrong)}
            assert natural.summary["splits"][split]["attributes"][name]["misclassified"] == int(wrong.sum())
    samples = natural.samples
    assert (np.sign(samples["score_before"]) != samples["label"]).all()
    fixed = samples[samples["success"]]
    assert (np.where(fixed["score_after"] >= 0, 1, -1) == fixed["label"]).all()
    assert samples["natural"].equals(samples["success"] & (samples["pass"].fillna(0) >= 0.99))


def test_summary_counts_and_both_splits_kept(natural):
    assert natural.splits == ["test", "train"]
    for split, entry in natural.summary["splits"].items():
        for name, stats in entry["attributes"].items():
            rows = natural.samples[(natural.samples["split"] == split) & (natural.samples["attribute"] == name)]
            assert stats["natural"] == int(rows["natural"].sum()) and stats["corrected"] == int(rows["success"].sum())
            assert stats["rate"] == pytest.approx(100.0 * stats["natural"] / max(stats["misclassified"], 1))


def test_tau_changes_only_the_natural_rule(inputs, natural):
    loaded, data = open_inputs(inputs)
    strict = run_natural(
        loaded,
        data,
        replace(CONFIG, tau=0.99999),
        inputs["root"] / "strict",
        options=RunOptions.quiet(inputs["cache"]),
    )
    test = natural.samples[natural.samples["split"] == "test"].reset_index(drop=True)
    assert strict.samples["pass"].equals(test["pass"])
    assert strict.samples["natural"].sum() <= test["natural"].sum()


def test_extra_epochs_count_training_natural_samples_still_wrong(inputs, natural):
    loaded, data = open_inputs(inputs)
    extra = run_extra_epochs(loaded, data, natural.folder, 1, options=RunOptions.quiet(inputs["cache"]))
    assert extra["K"] == 1 and len(extra["epoch_losses"]) == 1
    assert set(extra["attributes"]) == set(ATTRS)
    for stats in extra["attributes"].values():
        assert 0 <= stats["natural_still_misclassified"] <= stats["natural_before"] <= stats["misclassified_before"]
    assert read_natural(natural.folder).extra_epochs["totals"] == extra["totals"]


def test_extra_epochs_need_the_train_split(inputs):
    loaded, data = open_inputs(inputs)
    out = inputs["root"] / "test-only"
    run_natural(loaded, data, CONFIG, out, options=RunOptions.quiet(inputs["cache"]))
    with pytest.raises(ResultsError, match="no train split"):
        run_extra_epochs(loaded, data, out, 1, options=RunOptions.quiet(inputs["cache"]))


def test_train_epochs_is_seeded_and_changes_the_weights(inputs):
    loaded, data = open_inputs(inputs)
    ids = data.split_ids("train")
    images = np.ascontiguousarray(load_images(data, ids, inputs["cache"]))
    labels = data.labels_for(ids)[:, [ATTRIBUTE_INDEX[a] for a in ATTRS]]
    banks = [loaded.bank.subset(list(range(3))) for _ in range(2)]
    losses = [train_epochs(b, images, labels, TRAIN, 2, lr=1e-3, seed=5) for b in banks]
    assert losses[0] == losses[1] and len(losses[0]) == 2
    after = banks[0].state_dict()
    assert all(torch.equal(after[k], v) for k, v in banks[1].state_dict().items())
    assert not torch.equal(after["fc1_weight"], loaded.bank.state_dict()["fc1_weight"])


def test_cli_natural_with_extra_epochs(inputs, capsys):
    out = inputs["root"] / "cli"
    base = [
        "natural",
        "--models",
        str(inputs["models"]),
        "--celeba",
        str(inputs["celeba"]),
        "--out",
        str(out),
        "--workers",
        "1",
        "--cache",
        str(inputs["cache"]),
    ]
    assert main([*base, "--split", "train", "--extra-epochs", "1"]) == 0
    printed = capsys.readouterr().out
    assert "natural adversarial" in printed and "still misclassified" in printed
    assert main([*base, "--split", "test", "--tau", "1.5"]) == 2
    assert "--tau must be in (0, 1]" in capsys.readouterr().err
