"""The per-attribute score cache: cached scores equal fresh ones bit for bit, only missing pairs are
scored, a broken or foreign file is rescored, and the key changes with the model files and the images."""

import os

import numpy as np
import pytest

from ffa_lab.data.imagecache import load_images
from ffa_lab.experiments.results import model_fingerprint
from ffa_lab.experiments.scorecache import attribute_scores, score_key
from ffa_lab.models.evaluate import bank_scores
from tests.study_helpers import make_inputs, open_inputs

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return make_inputs(tmp_path_factory.mktemp("scorecache"))


def _split(inputs):
    loaded, data = open_inputs(inputs)
    return loaded, data, load_images(data, data.split_ids("test"), inputs["cache"])


def test_cached_scores_equal_fresh_ones_and_only_missing_pairs_are_scored(inputs, tmp_path):
    loaded, data, images = _split(inputs)
    key, counts = "k", []
    chosen = np.array([1, 4, 5, 9, 20])
    first = attribute_scores(loaded.bank, images, chosen, ["Smiling"], folder=tmp_path, key=key)
    everything = np.arange(len(images))
    both = attribute_scores(
        loaded.bank,
        images,
        everything,
        ["Smiling", "Male"],
        folder=tmp_path,
        key=key,
        progress=lambda *c: counts.append(c),
    )
    assert counts[0] == (0, len(images) - len(chosen) + len(images)) and counts[-1][0] == counts[-1][1]
    for g, name in enumerate(loaded.attributes):
        fresh = bank_scores(loaded.bank.subset([g]), images)[:, 0]
        if name in ("Smiling", "Male"):
            assert np.array_equal(both[:, g], fresh), "a cached score is the fresh score, bit for bit"
        else:
            assert np.isnan(both[:, g]).all(), "attributes not asked for are not scored"
    smiling = loaded.attributes.index("Smiling")
    assert np.array_equal(first[:, smiling], both[chosen, smiling])
    counts.clear()
    attribute_scores(
        loaded.bank, images, everything, ["Male"], folder=tmp_path, key=key, progress=lambda *c: counts.append(c)
    )
    assert counts == [(0, 0)], "nothing left to score"


def test_a_broken_cache_file_is_rescored(inputs, tmp_path):
    loaded, data, images = _split(inputs)
    (tmp_path / "scores-k.npz").write_bytes(b"not an npz")
    counts = []
    scores = attribute_scores(
        loaded.bank, images, np.arange(6), ["Male"], folder=tmp_path, key="k", progress=lambda *c: counts.append(c)
    )
    assert counts[0] == (0, 6) and np.isfinite(scores[:, loaded.attributes.index("Male")]).all()


def test_the_key_changes_with_the_models_the_images_and_the_device(inputs):
    loaded, data, _ = _split(inputs)
    fingerprint = model_fingerprint(loaded.folder)
    key = score_key(fingerprint, data, "test", "cpu")
    assert score_key(fingerprint, data, "test", "cpu") == key
    assert score_key("0" * 16, data, "test", "cpu") != key
    assert score_key(fingerprint, data, "test", "cuda") != key
    assert score_key(fingerprint, data, "train", "cpu") != key
    image = data.image_dir / data.split_ids("test")[0]
    stat = image.stat()
    os.utime(image, (stat.st_atime, stat.st_mtime + 5))
    try:
        assert score_key(fingerprint, data, "test", "cpu") != key, "a changed image file is another key"
    finally:
        os.utime(image, (stat.st_atime, stat.st_mtime))
