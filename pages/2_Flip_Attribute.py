"""Flip an attribute live: original | adversarial | amplified perturbation, |δ|, numbers, side effects."""

import streamlit as st

from ffa_lab.attacks import REGISTRY
from ffa_lab.attacks.run import amplified_perturbation
from ffa_lab.report.numbers import fmt, score_text
from ffa_lab.ui import cache, links, state
from ffa_lab.ui.picker import face_picker
from ffa_lab.ui.saliency import saliency_panel
from ffa_lab.ui.sidebar import AppContext, run_page
from ffa_lab.ui.widgets import attack_select, attribute_select, flip_all_grid, show_image
from ffa_lab.views.flips import STRENGTHS, FlipView, numbers_json, side_effects
from ffa_lab.views.plots import delta_heatmap, scale_curve, side_effect_bars
from ffa_lab.views.query import PARAMS
from ffa_lab.views.sentences import flip_sentence, score_metric


def render(ctx: AppContext) -> None:
    loaded = ctx.require_bank()
    face = face_picker(ctx, "flip")
    if face is None:
        return
    left, right = st.columns(2)
    attribute = attribute_select("flip", list(loaded.attributes), where=left)
    method = attack_select("flip", where=right)
    view = cache.flip(ctx.model_key, loaded.bank, face.aligned, attribute, method)
    name = attribute.replace("_", " ")
    if view.numbers.success:
        st.success(
            f"{REGISTRY[method].label} flipped **{name}** from {score_text(view.numbers.score_before)} to {score_text(view.numbers.score_after)} "
            f"at scale {view.numbers.scale:.2f} (L∞ {view.numbers.linf:.0f} grey levels, PASS {fmt(view.numbers.pass_score, 4)})."
        )
    else:
        st.warning(
            f"{REGISTRY[method].label} did not flip **{name}** on this face up to scale {view.base_scale:.1f}: "
            f"its network is robust here along this direction. The images show the strongest perturbation tried."
        )
    st.markdown(flip_sentence(view, method.upper()))
    strength = links.control(
        st.select_slider,
        "strength",
        "Strength (× the scale the search found; 1.0 = the smallest flipping perturbation)",
        options=[float(s) for s in STRENGTHS],
        key="flip_strength",
        format_func=lambda s: f"×{s:.2f}",
    )
    score = view.score_at(strength)
    flipped = view.reaches_goal_at(strength)
    st.caption(
        f"At ×{strength:.2f} (scale {strength * view.base_scale:.2f}): {name} score {score_text(score)}, "
        f"{'flipped' if flipped else 'not flipped'}."
    )
    _images(view, strength)
    _numbers(view)
    chart_left, chart_right = st.columns(2)
    shown = view.image_at(strength)
    chart_left.plotly_chart(delta_heatmap(view.original, shown, f"|δ| at ×{strength:.2f}"), key="flip_delta")
    curve = scale_curve(
        view.trace_scales, view.trace_scores, view.numbers.scale, name, marker=strength * view.base_scale
    )
    chart_right.plotly_chart(curve, key="flip_curve")
    saliency_panel(ctx, loaded.bank, face.aligned, "flip", view=view)
    rows = side_effects(view)
    flipped = [r["attribute"] for r in rows if r["flipped"]]
    st.plotly_chart(side_effect_bars(rows, name), key="flip_side_effects")
    st.caption("Other predictions that flipped too: " + (", ".join(flipped) if flipped else "none."))
    _downloads(view, face.ref, ctx.models_folder)
    _flip_all(ctx, loaded.bank, face, method)


def _images(view: FlipView, strength: float) -> None:
    shown = view.image_at(strength)
    amplified, factor = amplified_perturbation(view.original, shown)
    score = view.score_at(strength)
    cols = st.columns(3)
    show_image(view.original, f"Original · score {score_text(view.numbers.score_before)}", where=cols[0])
    verdict = "flipped" if view.reaches_goal_at(strength) else "not flipped"
    show_image(shown, f"Adversarial ×{strength:.2f} · score {score_text(score)} ({verdict})", where=cols[1])
    show_image(amplified, f"Perturbation amplified ×{factor:.0f} (grey = unchanged)", where=cols[2])


def _numbers(view: FlipView) -> None:
    cols = st.columns(6)
    value, change = score_metric(view)
    cols[0].metric("Score before → after", value, change, delta_color="off")
    cols[1].metric("Scale", fmt(view.numbers.scale))
    cols[2].metric("L2", fmt(view.numbers.l2, 1))
    cols[3].metric("L∞ (grey levels)", fmt(view.numbers.linf, 0))
    cols[4].metric("PASS", fmt(view.numbers.pass_score, 4))
    cols[5].metric(
        "After PNG save",
        "yes" if view.png_verified else "no",
        f"score {score_text(view.png_score)}",
        delta_color="off",
        delta_arrow="off",  # a score, not a change: no ↑/↓
    )
    st.caption(
        f"{view.forward_passes} forward and {view.backward_passes} backward passes, {view.seconds:.2f} s. "
        "PASS = SSIM after ECC alignment (1 = identical; ≥ 0.99 counts as imperceptible)."
    )


def _downloads(view: FlipView, face_ref: str, models_folder: str) -> None:
    stem = f"{_face_stem(face_ref)}_{view.attribute}_{view.method}"
    left, right = st.columns(2)
    left.download_button(
        "Download the adversarial PNG" + (" (verified adversarial after saving)" if view.png_verified else ""),
        view.png,
        file_name=f"{stem}.png",
        mime="image/png",
        disabled=not view.numbers.success,
        key="flip_png",
    )
    right.download_button(
        "Download the numbers (JSON)",
        numbers_json(view, face_ref, models_folder),
        file_name=f"{stem}.json",
        mime="application/json",
        key="flip_json",
    )


def _flip_all(ctx: AppContext, bank, face, method: str) -> None:
    st.subheader("Flip all 40")
    wanted, shown_for = (ctx.model_key, face.ref, method), state.page_key("flip", "all_for")
    if st.session_state.pop(PARAMS["all"].key, False):
        st.session_state[shown_for] = wanted  # a link with all=1 opens with the grid (only a link sets this key)
    if st.button(f"Flip every attribute of this face with {method.upper()}", key="flip_all_button"):
        st.session_state[shown_for] = wanted
    shown = st.session_state.get(shown_for) == wanted
    state.publish_url(all=shown)
    if shown:
        flip_all_grid(cache.flip_all(ctx.model_key, bank, face.aligned, method), f"{_face_stem(face.ref)}_{method}")


def _face_stem(face_ref: str) -> str:
    """A file-name stem for a face reference: 'portrait:astronaut' -> 'astronaut', 'dataset:000123.jpg' -> '000123'."""
    return face_ref.split(":", 1)[1].rsplit(".", 1)[0]


run_page("Flip an attribute", "🎭", render, share=True)
