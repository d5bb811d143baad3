"""Attacks over the registry on a tiny random bank and synthetic images (no dataset needed)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from ffa_lab.attacks import REGISTRY, DeepFoolParams, SearchParams
from ffa_lab.attacks.criteria import is_success, prediction
from ffa_lab.attacks.run import apply_scale, attack_all_attributes, attack_images
from ffa_lab.attacks.scorer import BankScorer, to_nchw
from ffa_lab.attacks.search import growing_scales, perturb
from ffa_lab.data.images import decode_image, encode_png
from ffa_lab.models.bank import ArchConfig, AttributeBank
from ffa_lab.models.evaluate import bank_scores

ATTRS = ["Smiling", "Male"]
SPECIFIC = {  # fewer steps: the tests stay fast
    "deepfool": {"max_iterations": 8},
    "iffa": {"steps": 6},
    "ddn": {"steps": 20},
    "fmn": {"steps": 20},
    "fmn-linf": {"steps": 20},
}


def params_for(method: str, **override):
    """The attack's own parameter class with a smaller search range for the tests."""
    return REGISTRY[method].params_type(**{"max_scale": 32.0, **SPECIFIC.get(method, {}), **override})


def make_bank(seed: int = 0) -> AttributeBank:
    """A random 2-attribute bank made input-sensitive: BatchNorm statistics from synthetic images,
    scores centred on them and spread so that some overshoot ±1 (the case FFA exists for)."""
    torch.manual_seed(seed)
    arch = ArchConfig(channels=(4, 8), hidden=8, input_size=(24, 20), dropout=0.0)
    bank = AttributeBank(list(ATTRS), arch)
    calibration = to_nchw(make_images(32, seed=99), torch.device("cpu"))
    for module in bank.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.momentum = None  # cumulative average: one pass gives the exact batch statistics
            module.reset_running_stats()
    with torch.no_grad():
        bank.train()(calibration)
        bank.eval()
        scores = bank(calibration)
        bank.fc2_bias.sub_(scores.median(dim=0).values[:, None])
        gain = 1.2 / scores.std(dim=0)
        bank.fc2_weight.mul_(gain[:, None, None])
        bank.fc2_bias.mul_(gain[:, None])
    return bank.eval().requires_grad_(False)


def make_images(n: int, seed: int = 1, size: tuple[int, int] = (48, 40)) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        noise = cv2.GaussianBlur(rng.normal(0, 1, (*size, 3)), (0, 0), 2.0)
        noise = (noise - noise.min()) / (noise.max() - noise.min())
        out.append(np.clip(noise * 200 + rng.integers(20, 40), 0, 255).astype(np.uint8))
    return np.stack(out)


pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def bank() -> AttributeBank:
    return make_bank()


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return make_images(6)


@pytest.fixture(scope="module")
def results(bank, images):
    names = [ATTRS[i % 2] for i in range(len(images))]
    return {m: attack_images(bank, images, names, method=m, params=params_for(m), compute_pass=False) for m in REGISTRY}


def rescore_png(bank: AttributeBank, image: np.ndarray, attribute: str) -> float:
    decoded = decode_image(encode_png(image))
    assert np.array_equal(decoded, image)  # PNG keeps the uint8 image exactly
    return float(bank_scores(bank, decoded[None])[0, bank.attributes.index(attribute)])


def test_registry_and_labels():
    assert set(REGISTRY) == {"ffa", "fgs", "fgv", "deepfool", "iffa", "ddn", "fmn", "fmn-linf"}
    assert all(spec.name == name and spec.label for name, spec in REGISTRY.items())


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_shapes_dtypes_and_ranges(method, results, images):
    r = results[method]
    assert r.method == method and r.goal == "flip" and len(r) == len(images)
    assert r.adversarial.dtype == np.uint8 and r.adversarial.shape == images.shape
    assert r.direction.dtype == np.float32 and r.direction.shape == images.shape
    peaks = np.abs(r.direction).reshape(len(images), -1).max(axis=1)
    assert np.all((np.abs(peaks - 1) < 1e-6) | (peaks == 0))  # unit L∞
    for name in ("success", "scale", "score_before", "score_after", "l2", "linf"):
        assert getattr(r, name).shape == (len(images),)
    assert np.isnan(r.scale[~r.success]).all() and np.isfinite(r.scale[r.success]).all()
    assert r.forward_passes > len(images) and r.backward_passes >= len(images)
    assert len(r.trace) == len(images)


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_success_survives_png_and_flips_the_sign(method, results, bank, images):
    r = results[method]
    assert r.success.sum() >= 2, f"{method} flipped too few samples to test anything"
    for i in range(len(images)):
        after = rescore_png(bank, r.adversarial[i], r.attributes[i])
        assert after == pytest.approx(r.score_after[i], abs=1e-5)
        assert bool(is_success(after, r.target[i])) == bool(r.success[i])
        if r.success[i]:
            assert prediction(after) == -prediction(r.score_before[i])
            assert np.array_equal(apply_scale(images[i], r.direction[i], r.scale[i]), r.adversarial[i])


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_found_scale_is_minimal_within_tolerance(method, results, bank, images):
    r = results[method]
    for i in np.flatnonzero(r.success):
        trace = r.trace[i]
        flipped = is_success(trace.scores, r.target[i])
        below = trace.scales[(trace.scales < r.scale[i])]
        assert flipped[trace.scales == r.scale[i]].all()
        lower = below.max()
        assert not flipped[trace.scales == lower].any()
        assert r.scale[i] - lower <= SearchParams().tolerance + 1e-6
        # re-derive the next smaller scale's integer image independently: it must not flip
        x = torch.from_numpy(images[i : i + 1].astype(np.float32))
        d = torch.from_numpy(r.direction[i : i + 1])
        smaller = perturb(x, d, torch.tensor([lower])).to(torch.uint8).numpy()[0]
        assert not is_success(rescore_png(bank, smaller, r.attributes[i]), r.target[i])


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_trace_scores_are_the_scores_of_those_integer_images(method, results, bank, images):
    """Every (scale, score) of the trace, including steps the search skipped because the integer
    image equalled one already scored, is the bank's score of clip(round(x + s d))."""
    r = results[method]
    for i in range(len(images)):
        trace = r.trace[i]
        x = torch.from_numpy(np.repeat(images[i : i + 1], len(trace.scales), axis=0).astype(np.float32))
        d = torch.from_numpy(np.repeat(r.direction[i : i + 1], len(trace.scales), axis=0))
        candidates = perturb(x, d, torch.from_numpy(trace.scales.astype(np.float32))).to(torch.uint8).numpy()
        scores = bank_scores(bank, candidates)[:, bank.attributes.index(r.attributes[i])]
        np.testing.assert_allclose(scores, trace.scores, atol=1e-5)
    if method == "fgs":  # sign steps change the image only at half-integer scales: most steps are free
        searched = r.forward_passes - 3 * len(images)  # minus before, after and the gradient pass
        assert searched < sum(len(t.scales) - 1 for t in r.trace)


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_same_input_same_result(method, results, bank, images):
    names = [ATTRS[i % 2] for i in range(len(images))]
    again = attack_images(bank, images, names, method=method, params=params_for(method), compute_pass=False)
    first = results[method]
    for field in ("adversarial", "success", "scale", "score_after", "direction"):
        np.testing.assert_array_equal(getattr(again, field), getattr(first, field))


@pytest.mark.parametrize("method", sorted(REGISTRY))
def test_batched_equals_per_image(method, results, bank, images):
    batched = results[method]
    for i in range(len(images)):
        single = attack_images(
            bank, images[i], batched.attributes[i], method=method, params=params_for(method), compute_pass=False
        )
        assert bool(single.success[0]) == bool(batched.success[i])
        np.testing.assert_allclose(single.scale[0], batched.scale[i], rtol=0, atol=1e-6, equal_nan=True)
        np.testing.assert_allclose(single.direction[0], batched.direction[i], atol=1e-4)
        assert np.abs(single.adversarial[0].astype(int) - batched.adversarial[i]).max() <= 1


@pytest.mark.parametrize("method", ["ffa", "fgs"])
def test_all_attributes_equals_one_by_one(method, bank, images):
    together = attack_all_attributes(bank, images[0], method=method, params=params_for(method), compute_pass=False)
    assert together.attributes == tuple(ATTRS)
    for k, name in enumerate(ATTRS):
        alone = attack_images(bank, images[0], name, method=method, params=params_for(method), compute_pass=False)
        np.testing.assert_allclose(alone.scale[0], together.scale[k], atol=1e-6, equal_nan=True)
        assert alone.score_before[0] == pytest.approx(together.score_before[k], abs=1e-5)


def test_ffa_points_to_the_boundary_where_fgv_cannot(bank, images):
    """|f| < 1: FGV's and FFA's unit directions coincide; |f| > 1: they are opposite (overshoot)."""
    names = [ATTRS[i % 2] for i in range(len(images))]
    ffa = attack_images(bank, images, names, method="ffa", params=params_for("ffa"), compute_pass=False)
    fgv = attack_images(bank, images, names, method="fgv", params=params_for("fgv"), compute_pass=False)
    over = np.abs(ffa.score_before) > 1
    assert over.any() and (~over).any(), "the fixture should have overshooting and ordinary samples"
    for i in range(len(images)):
        sign = -1 if over[i] else 1
        np.testing.assert_allclose(fgv.direction[i], sign * ffa.direction[i], atol=1e-5)
    assert not fgv.success[over].any()  # FGV moves overshooting scores away from the boundary
    assert ffa.success.sum() >= fgv.success.sum()


def test_goal_correct_targets_the_label(bank, images):
    before = bank_scores(bank, images)[:, 0]
    labels = np.array([1, -1, 1, -1, 1, -1])
    r = attack_images(
        bank,
        images,
        "Smiling",
        method="ffa",
        goal="correct",
        labels=labels,
        params=params_for("ffa"),
        compute_pass=False,
    )
    already = prediction(before) == labels
    assert r.goal == "correct" and (r.target == labels).all()
    assert r.success[already].all() and (r.scale[already] == 0).all()
    assert np.array_equal(r.adversarial[already], images[already])
    flipped = r.success & ~already
    assert flipped.any() and (prediction(r.score_after[flipped]) == labels[flipped]).all()


def test_max_scale_failure_returns_the_strongest_image(bank, images):
    tight = params_for("fgs", first_scale=0.25, max_scale=0.5)
    r = attack_images(bank, images, "Male", method="fgs", params=tight, compute_pass=False)
    for i in np.flatnonzero(~r.success):
        assert np.isnan(r.scale[i]) and r.trace[i].scales.max() == pytest.approx(0.5)
        np.testing.assert_array_equal(r.adversarial[i], apply_scale(images[i], r.direction[i], 0.5))


def test_growing_grid_and_params_validation():
    assert growing_scales(SearchParams(first_scale=0.5, growth=2.0, max_scale=6.0)) == [0.5, 1.0, 2.0, 4.0, 6.0]
    with pytest.raises(ValueError):
        SearchParams(growth=1.0)
    with pytest.raises(ValueError):
        DeepFoolParams(max_iterations=0)


def test_each_attack_has_its_own_parameter_class_and_refuses_another(bank, images):
    assert REGISTRY["deepfool"].params_type is DeepFoolParams
    assert all(REGISTRY[m].params_type is SearchParams for m in ("ffa", "fgs", "fgv"))
    assert {name for name, spec in REGISTRY.items() if spec.in_paper} == {"ffa", "fgs", "fgv"}
    with pytest.raises(TypeError, match="deepfool takes DeepFoolParams"):
        attack_images(bank, images[:1], "Male", method="deepfool", params=params_for("iffa"), compute_pass=False)


def test_scorer_matches_the_bank_and_its_gradients(bank, images):
    names = ["Male", "Smiling", "Male", "Male"]
    scorer = BankScorer(bank, names)
    x = to_nchw(images[:4], scorer.device)
    scores, grad = scorer.gradient(x, lambda f: f)
    full = torch.stack([bank(x[i : i + 1])[0, ATTRS.index(n)] for i, n in enumerate(names)])
    torch.testing.assert_close(scores, full, atol=1e-5, rtol=1e-5)
    for i, name in enumerate(names):
        xi = x[i : i + 1].clone().requires_grad_(True)
        (g,) = torch.autograd.grad(bank(xi)[0, ATTRS.index(name)], xi)
        torch.testing.assert_close(grad[i : i + 1], g, atol=1e-5, rtol=1e-4)


def test_bad_inputs_are_refused(bank, images):
    with pytest.raises(ValueError, match="unknown attack"):
        attack_images(bank, images, "Smiling", method="pgd")
    with pytest.raises(ValueError, match="true labels"):
        attack_images(bank, images, "Smiling", goal="correct")
    with pytest.raises(ValueError, match="no network"):
        attack_images(bank, images, "Young")
    with pytest.raises(ValueError, match="uint8"):
        attack_images(bank, images.astype(np.float32), "Smiling")
    with pytest.raises(ValueError, match="one per image"):
        attack_images(bank, images, ["Smiling"] * 2)


def test_default_bank_ffa_flips_at_least_what_fgs_and_fgv_flip(shared, default_models):
    """The paper's claim on the shipped bank, on a few correctly classified test faces."""
    from ffa_lab.data.celeba import load_celeba
    from ffa_lab.models.checkpoint import load_bank

    data = load_celeba(shared / "celeba")
    ids = data.split_ids("test")[:48]
    faces = np.stack([decode_image(data.image_path(i)) for i in ids])
    bank = load_bank(default_models).bank
    k = bank.attributes.index("Eyeglasses")
    correct = np.flatnonzero(prediction(bank_scores(bank, faces)[:, k]) == data.labels_for(ids)[:, 15])[:16]
    runs = {
        m: attack_images(bank, faces[correct], "Eyeglasses", m, compute_pass=m == "ffa") for m in ("ffa", "fgs", "fgv")
    }
    assert runs["ffa"].success.sum() >= max(runs["fgs"].success.sum(), runs["fgv"].success.sum())
    assert np.median(runs["ffa"].pass_score[runs["ffa"].success]) >= 0.99


def test_chunked_attack_equals_one_chunk(bank, images, results, monkeypatch):
    """Splitting into several attack calls (run.CHUNK) and several forwards (scorer.MAX_PAIRS) changes nothing."""
    import ffa_lab.attacks.run as run_module
    import ffa_lab.attacks.scorer as scorer_module

    monkeypatch.setattr(run_module, "CHUNK", {"cpu": 4})
    monkeypatch.setattr(scorer_module, "MAX_PAIRS", {"cpu": 2})
    names = [ATTRS[i % 2] for i in range(len(images))]
    chunked = attack_images(bank, images, names, method="ffa", params=params_for("ffa"), compute_pass=True)
    whole = results["ffa"]
    assert chunked.attributes == whole.attributes and len(chunked.trace) == len(images)
    np.testing.assert_array_equal(chunked.success, whole.success)
    np.testing.assert_allclose(chunked.scale, whole.scale, atol=1e-6, equal_nan=True)
    assert chunked.forward_passes == whole.forward_passes and chunked.pass_score.shape == (len(images),)
