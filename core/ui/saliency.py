"""The "where the network looks" panel of the Inspect and Flip pages: signed evidence, Grad-CAM and |δ|
side by side for one attribute, and how much of the perturbation lies on the evidence (docs/saliency.md)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from ffa_lab.experiments.results import StudyResults
from ffa_lab.experiments.saliency_maps import read_mean_saliency
from ffa_lab.explain.display import EVIDENCE_LEGEND
from ffa_lab.models.bank import AttributeBank
from ffa_lab.report.numbers import score_text
from ffa_lab.report.saliency_figures import mean_saliency_heatmaps
from ffa_lab.ui import cache, links, state
from ffa_lab.ui.errors import guarded
from ffa_lab.ui.sidebar import AppContext
from ffa_lab.ui.widgets import attribute_select
from ffa_lab.views import saliency
from ffa_lab.views.flips import FlipView
from ffa_lab.views.plots import delta_heatmap
from ffa_lab.views.saliency_plots import evidence_heatmap, grad_cam_overlay


@st.cache_data(max_entries=64, show_spinner="Computing where the network looks…")
def face_saliency(model_key: str, _bank: AttributeBank, aligned: np.ndarray, attribute: str) -> saliency.FaceSaliency:
    return saliency.face_saliency(_bank, aligned, attribute)


def saliency_panel(ctx: AppContext, bank: AttributeBank, aligned: np.ndarray, page: str, view: FlipView | None = None):
    """Maps of ``view``'s attribute beside its |δ|; without ``view`` (Inspect) the attribute is chosen here
    and FFA's perturbation of it is the one compared."""
    st.subheader("Where the network looks")
    # opt-in (and in the link): the maps cost about as much again as the scores or the flip they explain
    shown = links.control(
        st.toggle, "saliency", "Show the evidence and Grad-CAM maps", key=state.page_key(page, "saliency")
    )
    if not shown:
        st.caption("Signed evidence (gradient × input), Grad-CAM and their overlap with FFA's perturbation.")
        return
    if view is None:
        attribute = attribute_select(page, list(bank.attributes), label="Attribute to explain")
        view = cache.flip(ctx.model_key, bank, aligned, attribute, "ffa")
    maps = face_saliency(ctx.model_key, bank, aligned, view.attribute)
    name, attack = view.attribute.replace("_", " "), view.method.upper()
    cols = st.columns(3)
    cols[0].plotly_chart(
        evidence_heatmap(aligned, maps.gradient_x_input, f"Evidence for {name} (gradient × input)"),
        key=f"{page}_saliency_evidence",
    )
    cols[1].plotly_chart(
        grad_cam_overlay(aligned, maps.grad_cam, f"Grad-CAM of {name}"), key=f"{page}_saliency_gradcam"
    )
    verdict = "flips" if view.numbers.success else "no flip"
    cols[2].plotly_chart(
        delta_heatmap(view.original, view.adversarial, f"|δ| {attack}, {verdict}"), key=f"{page}_saliency_delta"
    )
    st.caption(
        f"{name} score {score_text(maps.score)}. Colours: {EVIDENCE_LEGEND}; the evidence map is scaled to "
        "its 99th percentile of |value| (stronger pixels saturate), Grad-CAM to its largest."
    )
    overlaps = saliency.perturbation_overlaps(maps, view.original, view.adversarial)
    sentences = saliency.overlap_sentences(maps, overlaps, attack)
    st.markdown(f"**Overlap.** {sentences[0]}")
    st.caption(
        " ".join(sentences[1:]) + " (FFA, FGV and DeepFool step along the gradient, so for them the last number "
        "is high by construction.)"
    )


@st.cache_data(max_entries=4, show_spinner="Reading the mean saliency maps…")
def _mean_saliency(stamp: str):
    return read_mean_saliency(stamp.rsplit("@", 1)[0])


def mean_saliency_section(study: StudyResults, attributes: list[str]) -> None:
    """The study folder's mean evidence and Grad-CAM maps under its mean |δ| maps, when the file exists."""
    maps = guarded("Reading the mean saliency maps", _mean_saliency, cache.folder_stamp(str(study.folder)))
    if maps is None:
        st.caption(
            f"Where each network looks: run `ffa-lab saliency --limit N --out {study.folder}` (the study's --limit "
            "and --seed) to add mean evidence and Grad-CAM maps beside these."
        )
        return
    same = maps.meta.get("image_ids_sha") == study.summary.get("settings", {}).get("image_ids_sha")
    st.plotly_chart(mean_saliency_heatmaps(study, maps, attributes), key="dash_mean_saliency")
    st.caption(
        f"Evidence = gradient × input; {EVIDENCE_LEGEND}. Means over the images each network classifies correctly "
        f"({int(maps.n_images.min())}–{int(maps.n_images.max())} per attribute), "
        + (
            "the same images the study attacked."
            if same
            else "**not** the study's image subset (other --limit/--seed)."
        )
    )
