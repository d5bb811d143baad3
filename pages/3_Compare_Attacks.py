"""Compare attacks: the same face and attribute under every registered attack, side by side."""

import streamlit as st

from ffa_lab.attacks import REGISTRY
from ffa_lab.attacks.run import amplified_perturbation
from ffa_lab.report.numbers import fmt, score_text
from ffa_lab.ui import cache
from ffa_lab.ui.picker import face_picker
from ffa_lab.ui.sidebar import AppContext, run_page
from ffa_lab.ui.widgets import attribute_select, show_image
from ffa_lab.views.compare import comparison_table, short_labels
from ffa_lab.views.sentences import flip_sentence, identical_groups, identical_sentence


def render(ctx: AppContext) -> None:
    loaded = ctx.require_bank()
    face = face_picker(ctx, "compare")
    if face is None:
        return
    attribute = attribute_select("compare", list(loaded.attributes))
    views = {}
    progress = st.progress(0.0, text="Running the attacks…")
    for i, method in enumerate(REGISTRY):
        views[method] = cache.flip(ctx.model_key, loaded.bank, face.aligned, attribute, method)
        progress.progress((i + 1) / len(REGISTRY), text=f"{REGISTRY[method].label} done")
    progress.empty()
    show_image(
        face.aligned, f"Original · {attribute} score {score_text(views['ffa'].numbers.score_before)}", height=220
    )
    cols = st.columns(len(views))
    for col, (method, view) in zip(cols, views.items(), strict=True):
        col.markdown(f"**{REGISTRY[method].label}**")
        mark = "✅ flipped" if view.numbers.success else "❌ not flipped"
        show_image(view.adversarial, f"{mark} · score {score_text(view.numbers.score_after)}", height=220, where=col)
        amplified, factor = amplified_perturbation(view.original, view.adversarial)
        show_image(amplified, f"δ ×{factor:.0f}", height=220, where=col)
        col.caption(
            f"scale {fmt(view.numbers.scale)} · L2 {fmt(view.numbers.l2, 1)} · L∞ {fmt(view.numbers.linf, 0)} · PASS {fmt(view.numbers.pass_score, 4)}"
        )
        col.markdown(flip_sentence(view, method.upper()))
    short = short_labels({name: spec.label for name, spec in REGISTRY.items()})  # "Iterative FFA", "FMN L∞"
    for group in identical_groups(views):
        st.info(identical_sentence(group, short), icon="🟰")
    table = comparison_table(views, short)
    st.dataframe(table, height=35 * (len(table) + 1) + 3, key="compare_table")  # every row, no scrolling
    st.caption(
        "Every attack is judged the same way: the sign of the network's score on the saved integer image. "
        "Smaller scale / L2 / L∞ and higher PASS mean a less visible perturbation."
    )


run_page("Compare attacks", "⚖️", render, share=True)
