"""Results folders: atomic parts, refusal of mixed settings, resumable units, readers' clear errors."""

import json

import numpy as np
import pandas as pd
import pytest

from ffa_lab.experiments.results import (
    NATURAL_COLUMNS,
    STUDY_COLUMNS,
    ResultsError,
    model_fingerprint,
    read_natural,
    read_study,
    write_csv,
)
from ffa_lab.experiments.units import PartStore, run_units
from ffa_lab.files import write_json


def square_task(ctx: dict, value: int) -> dict:
    """A unit of work for run_units (top level: worker processes import it)."""
    return {"value": np.array([value * value * ctx.get("factor", 1)])}


def test_part_store_round_trip_and_refuses_other_settings(tmp_path):
    store = PartStore(tmp_path, {"a": 1, "b": [1, 2]})
    assert not store.has("x__000000")
    store.save("x__000000", {"v": np.arange(3), "n": np.int64(4)})
    assert store.has("x__000000") and store.keys() == ["x__000000"]
    again = PartStore(tmp_path, {"a": 1, "b": (1, 2)})  # tuples are stored as lists: same settings
    assert again.load("x__000000")["v"].tolist() == [0, 1, 2]
    with pytest.raises(ResultsError, match="different settings"):
        PartStore(tmp_path, {"a": 2, "b": [1, 2]})
    with pytest.raises(ValueError):
        store.save("../escape", {"v": np.zeros(1)})
    store.remove()
    assert not (tmp_path / "parts").exists()


def test_unreadable_part_names_the_file(tmp_path):
    store = PartStore(tmp_path, {})
    (store.folder / "bad.npz").write_bytes(b"not a zip")
    with pytest.raises(ResultsError, match="bad.npz"):
        store.load("bad")


def test_run_units_skips_finished_parts_and_reports_progress(tmp_path):
    store = PartStore(tmp_path, {"k": 1})
    store.save("u1", {"value": np.array([-1])})  # finished earlier: must not be recomputed
    calls, seen = [], []

    def task(ctx, value):
        calls.append(value)
        return square_task(ctx, value)

    units = [(f"u{i}", (i,), 10) for i in range(4)]
    run_units(store, units, task, {"factor": 1}, progress=lambda done, total: seen.append((done, total)))
    assert calls == [0, 2, 3]
    assert store.load("u1")["value"].tolist() == [-1]
    assert store.load("u3")["value"].tolist() == [9]
    assert seen == [(20, 40), (30, 40), (40, 40)]


def test_write_json_turns_nan_into_null(tmp_path):
    write_json(tmp_path / "a.json", {"x": float("nan"), "y": np.float32(1.5), "z": (1, 2)})
    assert json.loads((tmp_path / "a.json").read_text()) == {"x": None, "y": 1.5, "z": [1, 2]}


def test_model_fingerprint_follows_file_contents(tmp_path):
    (tmp_path / "A.safetensors").write_bytes(b"one")
    first = model_fingerprint(tmp_path)
    (tmp_path / "A.safetensors").write_bytes(b"two")
    assert model_fingerprint(tmp_path) != first


def _study_folder(folder):
    folder.mkdir(parents=True, exist_ok=True)
    write_json(
        folder / "summary.json",
        {
            "format_version": 1,
            "kind": "study",
            "attacks": ["ffa"],
            "ranking": ["Male"],
            "settings": {},
            "attributes": {"Male": {}},
        },
    )
    write_csv(folder / "samples.csv", pd.DataFrame({c: [] for c in STUDY_COLUMNS}))
    write_csv(folder / "side_effects.csv", pd.DataFrame({"attribute": ["Male"], "Male": [1.0]}))
    np.savez(folder / "mean_perturbation.npz", mean_abs_delta=np.zeros((1, 4, 4), np.float32))
    return folder


def test_read_study_accepts_a_valid_folder_and_names_each_problem(tmp_path):
    folder = _study_folder(tmp_path / "study")
    study = read_study(folder)
    assert study.ranking == ["Male"] and study.mean_perturbation.shape == (1, 4, 4)
    with pytest.raises(ResultsError, match="not found"):
        read_study(tmp_path / "missing")
    (folder / "samples.csv").write_text("image_id,attribute\n")
    with pytest.raises(ResultsError, match="missing columns method"):
        read_study(folder)
    (folder / "summary.json").write_text("{broken")
    with pytest.raises(ResultsError, match="not valid JSON"):
        read_study(folder)
    write_json(folder / "summary.json", {"format_version": 99, "kind": "study"})
    with pytest.raises(ResultsError, match="format version 99"):
        read_study(folder)
    write_json(folder / "summary.json", {"format_version": 1, "kind": "natural", "splits": {}})
    with pytest.raises(ResultsError, match="expected 'study'"):
        read_study(folder)


def test_unfinished_folder_says_how_to_resume(tmp_path):
    PartStore(tmp_path, {"a": 1})
    with pytest.raises(ResultsError, match="re-run the command to resume"):
        read_natural(tmp_path)


def test_read_natural_checks_columns_and_extra_epochs(tmp_path):
    write_json(tmp_path / "summary.json", {"format_version": 1, "kind": "natural", "splits": {}})
    write_csv(tmp_path / "samples.csv", pd.DataFrame({c: [] for c in NATURAL_COLUMNS}))
    assert read_natural(tmp_path).extra_epochs is None
    (tmp_path / "extra_epochs.json").write_text("[]")
    with pytest.raises(ResultsError, match="extra_epochs.json"):
        read_natural(tmp_path)
