"""Face references, dataset browsing and the gallery/bank helpers of core/ui (no Streamlit)."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from ffa_lab.data.celeba import load_celeba
from ffa_lab.models.checkpoint import load_bank, save_bank
from ffa_lab.views import bankinfo, faces_data, gallery, plots


def test_face_references():
    assert faces_data.face_kind("portrait:astronaut") == "portrait"
    assert (
        faces_data.bytes_ref("upload", b"abc").startswith("upload:") and len(faces_data.bytes_ref("upload", b"")) == 23
    )
    for bad in ("astronaut", "web:x", "dataset:"):
        with pytest.raises(ValueError, match="not a face reference"):
            faces_data.face_kind(bad)


def test_dataset_faces_and_filters(tiny_celeba):
    data = load_celeba(tiny_celeba)
    face = faces_data.prepare_dataset_face(data, "000001.jpg")
    assert face.ref == "dataset:000001.jpg" and face.split == "train" and face.aligner == "celeba"
    assert np.array_equal(face.labels, data.labels_for(["000001.jpg"])[0])
    assert list(face.labels_for(["Male", "5_o_Clock_Shadow"])) == [face.labels[20], face.labels[0]]
    ids, total = faces_data.filter_dataset(data, "test", {0: 1})
    assert total == len(ids) and all(data.partition[i] == 2 for i in ids)
    assert all(data.labels_for([i])[0][0] == 1 for i in ids)
    assert faces_data.filter_dataset(data, "train", {}, search="00004")[0] == [
        f"{i:06d}.jpg" for i in (4, *range(40, 49))
    ]
    with pytest.raises(ValueError, match="not in the dataset"):
        faces_data.prepare_dataset_face(data, "../secret.jpg")


def test_aligned_upload_must_have_the_celeba_shape():
    def jpeg(width, height):
        buffer = io.BytesIO()
        Image.new("RGB", (width, height), (120, 90, 60)).save(buffer, format="JPEG")
        return buffer.getvalue()

    face = faces_data.prepare_aligned_bytes("upload", jpeg(89, 109), "crop.jpg")
    assert face.aligned.shape == (218, 178, 3) and face.aligner == "none"
    with pytest.raises(ValueError, match="178x218"):
        faces_data.prepare_aligned_bytes("upload", jpeg(300, 100), "wide.jpg")


def test_gallery_filter_and_sort():
    samples = pd.DataFrame(
        {
            "split": ["train", "test", "test", "test"],
            "image_id": ["a", "b", "c", "d"],
            "attribute": ["Smiling", "Smiling", "Male", "Smiling"],
            "label": [1, -1, 1, 1],
            "score_before": [-0.1, 0.2, -0.3, -0.2],
            "score_after": [0.01, -0.01, 0.02, 0.0],
            "success": [True, True, True, False],
            "scale": [3.0, 1.0, 2.0, np.nan],
            "l2": [1.0] * 4,
            "linf": [3.0, 1.0, 2.0, np.nan],
            "pass": [0.999, 0.98, 0.995, np.nan],
            "natural": [True, False, True, False],
        }
    )
    rows = gallery.filter_rows(samples, gallery.GalleryFilter())
    assert list(rows["image_id"]) == ["b", "c", "a"], "failed corrections are left out; smallest fix first"
    chosen = gallery.GalleryFilter(attributes=("Smiling",), splits=("train", "test"), min_pass=0.99)
    assert list(gallery.filter_rows(samples, chosen)["image_id"]) == ["a"]
    assert list(
        gallery.filter_rows(samples, gallery.GalleryFilter(natural_only=True, sort="highest PASS"))["image_id"]
    ) == ["a", "c"]


def test_bank_overview(tiny_bank, tmp_path):
    meta = {"metrics": {"val_accuracy": 80.0, "val_balanced_accuracy": 70.0, "n_val": 10}, "training": {"epochs": 3}}
    save_bank(tmp_path, tiny_bank, {name: meta for name in tiny_bank.attributes})
    loaded = load_bank(tmp_path)
    docs = bankinfo.evaluations(loaded)
    assert docs[-1].source.startswith("checkpoint metadata") and docs[-1].mean_accuracy == 80.0
    (tmp_path / "evaluation.json").write_text(
        '{"mean_accuracy": 91.5, "n": 5, "attributes": {"Smiling": {"accuracy": 91.5}}}'
    )
    assert (
        bankinfo.evaluations(loaded)[0].source == "evaluation.json"
        and bankinfo.evaluations(loaded)[0].mean_accuracy == 91.5
    )
    assert bankinfo.training_facts(loaded)["epochs"] == 3


def test_face_figures():
    scores = np.array([0.5, -0.2, 0.1])
    figure = plots.score_bars(["Smiling", "Male", "Young"], scores, labels=np.array([1, 1, -1]))
    assert list(figure.data[0].text) == ["✓", "✗", "✗"] and "1/3 agree" in figure.layout.title.text
    original = np.zeros((5, 4, 3), np.uint8)
    changed = original.copy()
    changed[2, 1] = (0, 7, 3)
    heat = plots.delta_heatmap(original, changed)
    assert np.nanmax(heat.data[0].z) == 7 and "1 pixels changed" in heat.layout.title.text
    curve = plots.scale_curve(np.array([0, 1, 2.0]), np.array([0.3, 0.1, -0.1]), 1.5, "Smiling", marker=2.0)
    assert len(curve.layout.shapes) == 3  # zero line, flip point, slider
