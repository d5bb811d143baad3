"""AppTest: the Inspect and Flip pages show the saliency panel (evidence, Grad-CAM, |δ|, overlap sentence)."""

from __future__ import annotations

import base64
import json
import shutil

import numpy as np
import plotly.io as pio
import pytest

from ffa_lab.experiments.results import read_study, write_npz
from ffa_lab.experiments.saliency_maps import SALIENCY_FILE
from tests.app.test_pages import page, problems

pytestmark = pytest.mark.usefixtures("app_models")
PANEL_CHARTS = ("saliency_evidence", "saliency_gradcam", "saliency_delta")


def charts(at) -> dict:
    """Plotly figures on the page by element id (which holds the widget key), decoded from what AppTest sees."""
    return {element.proto.id: pio.from_json(element.proto.spec) for element in at.get("plotly_chart")}


def array(value) -> np.ndarray:
    """A figure array as plotly serialises it: a list, or {"dtype", "bdata" (base64), "shape"}."""
    if isinstance(value, dict):
        shape = tuple(int(n) for n in str(value.get("shape", "-1")).split(","))
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).reshape(shape).astype(float)
    return np.asarray(value, dtype=float)


def panel_figures(at, page_name: str) -> list:
    figures = charts(at)
    picked = []
    for suffix in PANEL_CHARTS:
        match = [f for key, f in figures.items() if f"{page_name}_{suffix}" in key]
        assert match, f"no {suffix} chart on the {page_name} page"
        picked.append(match[0])
    return picked


@pytest.mark.parametrize(
    ("path", "page_name"), [("pages/1_Inspect_Face.py", "inspect"), ("pages/2_Flip_Attribute.py", "flip")]
)
def test_saliency_panel_renders(path, page_name):
    off = page(path, face="portrait:grace_hopper", attr="Smiling", attack="ffa").run()
    assert problems(off) == [] and not [k for k in charts(off) if f"{page_name}_" in k and "evidence" in k]
    at = page(path, face="portrait:grace_hopper", attr="Smiling", attack="ffa", saliency="1").run()
    assert problems(at) == []
    evidence, cam, _ = panel_figures(at, page_name)
    for figure in (evidence, cam):
        heat = next(t for t in figure.data if t.type == "heatmap")
        assert heat.zmin == -1 and heat.zmax == 1
        values = array(heat.z)
        assert np.nanmax(np.abs(values)) == pytest.approx(1) and (values < 0).any() and (values > 0).any()
    sentence = next(m.value for m in at.markdown if m.value.startswith("**Overlap.**"))
    assert "of FFA's perturbation energy lies in the" in sentence and "Smiling" in sentence


def write_mean_saliency(study_folder, seed: int = 0) -> None:
    """A mean_saliency.npz in the format ffa-lab saliency writes, for the study's attributes and image size."""
    study = read_study(study_folder)
    rng = np.random.default_rng(seed)
    shape = (len(study.attributes), *study.mean_perturbation.shape[1:])
    signed = {k: rng.normal(size=shape).astype(np.float32) for k in ("mean_evidence", "mean_grad_cam")}
    meta = {"format_version": 1, "image_ids_sha": study.summary["settings"]["image_ids_sha"]}
    write_npz(
        study_folder / SALIENCY_FILE,
        {
            "mean_abs_evidence": np.abs(signed["mean_evidence"]),
            **signed,
            "n_images": np.full(shape[0], 7),
            "attributes": np.array(study.attributes),
            "meta": np.array(json.dumps(meta)),
        },
    )


def test_dashboard_shows_mean_saliency_beside_mean_delta(app_results, tmp_path, monkeypatch):
    root = tmp_path / "results"
    shutil.copytree(app_results / "study", root / "study")  # a copy: the committed folder is never written
    (root / "study" / SALIENCY_FILE).unlink(missing_ok=True)
    monkeypatch.setenv("FFA_LAB_RESULTS", str(root))
    at = page("pages/5_Robustness_Dashboard.py").run()
    assert problems(at) == [] and not any("saliency" in key for key in charts(at))
    assert any("ffa-lab saliency" in c.value for c in at.caption)
    write_mean_saliency(root / "study")
    at = page("pages/5_Robustness_Dashboard.py").run()
    assert problems(at) == []
    figure = next(f for key, f in charts(at).items() if "dash_mean_saliency" in key)
    chosen = at.multiselect(key="dash_maps").value
    assert len(figure.data) == 4 * len(chosen) and list(figure.layout.coloraxis3.colorscale[2]) == [0.5, "#ffffff"]
    assert any("the same images the study attacked" in c.value for c in at.caption)
