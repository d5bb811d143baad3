"""Mean saliency maps over a study's images: the file, its normalisation, the same images as the study,
the study's own files untouched, and the CLI."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pytest

from ffa_lab.cli.main import main
from ffa_lab.errors import ResultsError
from ffa_lab.experiments.options import RunOptions
from ffa_lab.experiments.results import read_study
from ffa_lab.experiments.saliency_maps import SALIENCY_FILE, SaliencyConfig, read_mean_saliency, run_mean_saliency
from ffa_lab.experiments.study import StudyConfig, run_study
from tests.study_helpers import ATTRS, make_inputs, open_inputs

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return make_inputs(tmp_path_factory.mktemp("saliency"))


def test_maps_are_normalised_means_over_the_correct_images(inputs, tmp_path):
    loaded, data = open_inputs(inputs)
    config = SaliencyConfig(limit=20, seed=1, attributes=ATTRS)
    maps = run_mean_saliency(loaded, data, config, tmp_path, cache_dir=inputs["cache"])
    assert maps.attributes == list(ATTRS) and (tmp_path / SALIENCY_FILE).is_file()
    size = (36, 30)  # write_celeba's image size (H, W)
    for key in ("mean_abs_evidence", "mean_evidence", "mean_grad_cam"):
        array = getattr(maps, key)
        assert array.shape == (3, *size) and array.dtype == np.float32 and np.isfinite(array).all()
    assert maps.n_images.shape == (3,) and (maps.n_images > 0).all() and (maps.n_images <= 20).all()
    np.testing.assert_allclose(maps.mean_abs_evidence.sum(axis=(1, 2)), 1.0, rtol=1e-4)  # shares of the evidence
    assert (np.abs(maps.mean_evidence) <= maps.mean_abs_evidence + 1e-7).all()
    assert np.abs(maps.mean_grad_cam).max() <= 1.0 + 1e-6
    assert maps.meta["limit"] == 20 and maps.meta["n_images"] == 20 and maps.meta["split"] == "test"


def test_same_images_as_the_study_and_the_study_files_are_untouched(inputs, tmp_path):
    loaded, data = open_inputs(inputs)
    study_config = StudyConfig(limit=12, seed=3, attacks=("ffa",), attributes=ATTRS, chunk_size=6)
    run_study(loaded, data, study_config, tmp_path, options=RunOptions.quiet(inputs["cache"]))
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir()}
    config = SaliencyConfig(limit=12, seed=3, attributes=ATTRS)
    maps = run_mean_saliency(loaded, data, config, tmp_path, cache_dir=inputs["cache"])
    after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in tmp_path.iterdir() if p.name != SALIENCY_FILE}
    assert after == before
    study = read_study(tmp_path)
    assert maps.meta["image_ids_sha"] == study.summary["settings"]["image_ids_sha"]
    assert maps.meta["model_fingerprint"] == study.summary["model_fingerprint"]
    attacked = {a: study.summary["attributes"][a]["n_attacked"] for a in ATTRS}
    assert dict(zip(maps.attributes, maps.n_images.tolist(), strict=True)) == attacked


def test_absent_is_none_and_malformed_is_a_results_error(tmp_path):
    assert read_mean_saliency(tmp_path) is None
    (tmp_path / SALIENCY_FILE).write_bytes(b"not an npz")
    with pytest.raises(ResultsError, match=SALIENCY_FILE):
        read_mean_saliency(tmp_path)
    np.savez(
        tmp_path / SALIENCY_FILE,
        **{k: np.zeros((2, 4, 4), np.float32) for k in ("mean_abs_evidence", "mean_evidence", "mean_grad_cam")},
        n_images=np.zeros(2),
        attributes=np.array(["Smiling"]),
        meta=np.array(json.dumps({"format_version": 1})),
    )
    with pytest.raises(ResultsError, match="expected \\(1, H, W\\)"):
        read_mean_saliency(tmp_path)


def test_cli_writes_the_file(inputs, tmp_path, capsys):
    base = ["saliency", "--models", str(inputs["models"]), "--celeba", str(inputs["celeba"]), "--out", str(tmp_path)]
    code = main(base + ["--limit", "8", "--attributes", "Smiling", "--device", "cpu", "--cache", str(inputs["cache"])])
    assert code == 0 and "written to" in capsys.readouterr().out
    assert read_mean_saliency(tmp_path).attributes == ["Smiling"]
    assert main(base + ["--attributes", "Bald"]) == 2  # the tiny bank has no Bald network: one line, exit 2
    assert "no network for Bald" in capsys.readouterr().err
