"""Inspect a face: where it came from, how it was aligned, and the bank's 40 attribute scores."""

import streamlit as st

from ffa_lab.ui import cache
from ffa_lab.ui.picker import face_picker
from ffa_lab.ui.saliency import saliency_panel
from ffa_lab.ui.sidebar import AppContext, run_page
from ffa_lab.ui.widgets import show_image
from ffa_lab.views.plots import landmarks_figure, score_bars

ALIGNERS = {
    "yunet": "YuNet detector (5 landmarks) + similarity warp onto the CelebA template",
    "haar": "OpenCV Haar cascades (coarse: landmarks estimated from face and eye boxes) + similarity warp",
    "celeba": "none: a CelebA image, already aligned by the dataset",
    "none": "none: uploaded as an already aligned crop, only resized to 178x218",
}


def render(ctx: AppContext) -> None:
    loaded = ctx.require_bank()
    face = face_picker(ctx, "inspect")
    if face is None:
        return
    left, right = st.columns([3, 2])
    with left:
        if face.landmarks is not None:
            title = f"{face.title}: detected face and landmarks"
            st.plotly_chart(landmarks_figure(face.photo, face.landmarks, face.box, title), key="inspect_photo")
        else:
            show_image(face.photo, face.title)
    with right:
        show_image(face.aligned, f"What the networks see: {face.aligned.shape[1]}x{face.aligned.shape[0]} aligned crop")
        st.markdown(f"**Alignment:** {ALIGNERS.get(face.aligner, face.aligner)}")
        if face.coarse:
            st.caption("Coarse alignment: install the YuNet model for precise landmarks (`ffa-lab models download`).")
        if face.n_faces > 1:
            st.caption(f"{face.n_faces} faces were found; the largest is used.")
    scores = cache.scores(ctx.model_key, loaded.bank, face.aligned)
    labels = face.labels_for(loaded.attributes)
    st.plotly_chart(score_bars(loaded.attributes, scores, labels), key="inspect_scores")
    if labels is None:
        st.caption("Ground truth is shown for dataset faces only.")
    saliency_panel(ctx, loaded.bank, face.aligned, "inspect")


run_page("Inspect a face", "🔍", render)
