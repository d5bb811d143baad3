"""The sidebar names the face detector uploads will use: YuNet when found, else the bundled landmark network."""

from __future__ import annotations

from ffa_lab.faces import yunet_model
from ffa_lab.ui.sidebar import detector_status


def test_without_yunet_the_bundled_landmark_network_is_named(monkeypatch):
    monkeypatch.setattr(yunet_model, "find_yunet", lambda explicit=None: None)
    text = detector_status()
    assert "bundled 5-point landmark network" in text and "Haar cascades (coarse)" not in text


def test_with_yunet_it_is_named(monkeypatch, tmp_path):
    monkeypatch.setattr(yunet_model, "find_yunet", lambda explicit=None: tmp_path / "yunet.onnx")
    assert detector_status().startswith("Face detector: YuNet")
