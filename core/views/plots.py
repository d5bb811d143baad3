"""Plotly figures for one face (pure functions of arrays; no Streamlit): the app's per-face views.

Study-wide figures (success rates, side-effect matrix, anchors) live in core/report/figures.py; these are the
ones about a single face: attribute scores, landmarks over a photo, per-pixel |δ|, the score along the
scale search and the side effects of one flip.
"""

from __future__ import annotations

import base64
import io

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from ffa_lab.attacks.criteria import is_success, predicts_positive
from ffa_lab.data.images import shrink_to_side
from ffa_lab.report.colors import delta_coloraxis
from ffa_lab.report.numbers import score_text

POSITIVE, NEGATIVE, NEUTRAL = "#2b8a3e", "#c92a2a", "#868e96"
LANDMARK_NAMES = ("left eye", "right eye", "nose", "left mouth", "right mouth")
PHOTO_SIDE = 1024  # a photo is sent to the browser at most this large (it is drawn at most ~520 px high)


def layout(fig: go.Figure, title: str, height: int) -> go.Figure:
    """Title, height and margins. No server-side template: the app draws with Streamlit's chart theme
    (``st.plotly_chart``'s default), which styles the figure in the browser, and validating a Plotly template
    costs more than building the figure itself (about 12 ms a figure on this CPU)."""
    fig.update_layout(title=title, height=height, margin=dict(l=10, r=10, t=50, b=10))
    return fig


def photo_trace(photo: np.ndarray) -> go.Image:
    """``photo`` (uint8 RGB (H, W, 3)) as an image trace in its own pixel coordinates (pixel centres at integers),
    sent as a JPEG (downscaled to :data:`PHOTO_SIDE`, ``dx``/``dy`` keep the coordinates): a 600x512 photo as
    raw pixel values is 1.3 MB of JSON the server serialises and the browser parses on every upload, as a
    JPEG about 60 KB."""
    height, width = photo.shape[:2]
    shown, _ = shrink_to_side(photo, PHOTO_SIDE)
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(shown)).save(buffer, format="JPEG", quality=90)
    step_x, step_y = width / shown.shape[1], height / shown.shape[0]
    return go.Image(
        source="data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode(),
        x0=(step_x - 1) / 2,  # the first shown pixel's centre, in photo pixels
        y0=(step_y - 1) / 2,
        dx=step_x,
        dy=step_y,
        hoverinfo="skip",
    )


def score_bars(
    attributes: list[str] | tuple[str, ...], scores: np.ndarray, labels: np.ndarray | None = None
) -> go.Figure:
    """Horizontal bars of the 40 scores (green = predicted present, red = absent).

    With ground truth ``labels`` (±1 per attribute) each bar is marked ✓ (prediction matches) or ✗.
    """
    scores = np.asarray(scores, dtype=float)
    names = list(attributes)
    colors = [POSITIVE if predicts_positive(s) else NEGATIVE for s in scores]
    text = None
    hover = [
        f"{n}: score {score_text(s)} → {'present' if predicts_positive(s) else 'absent'}"
        for n, s in zip(names, scores, strict=True)
    ]
    if labels is not None:
        right = is_success(scores, np.asarray(labels))
        text = ["✓" if r else "✗" for r in right]
        hover = [
            f"{h}; truth {'present' if lab > 0 else 'absent'} ({'right' if r else 'wrong'})"
            for h, lab, r in zip(hover, labels, right, strict=True)
        ]
        names = [f"{n} {'✓' if r else '✗'}" for n, r in zip(names, right, strict=True)]
    fig = go.Figure(
        go.Bar(x=scores, y=names, orientation="h", marker_color=colors, hovertext=hover, hoverinfo="text", text=text)
    )
    fig.add_vline(x=0, line_color="black", line_width=1)
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=11))
    fig.update_xaxes(title="score (≥ 0: attribute present)")
    title = "Attribute scores"
    if text is not None:
        title += f" — {int(sum(t == '✓' for t in text))}/{len(scores)} agree with the CelebA labels"
    return layout(fig, title, 18 * len(scores) + 110)


def landmarks_figure(
    photo: np.ndarray,
    landmarks: np.ndarray | None,
    box: tuple | None,
    title: str,
    others: list[tuple] | tuple = (),
    chosen: int = 0,
) -> go.Figure:
    """The photo with the detected face box and 5 landmarks drawn over it.

    ``others``: the boxes (x, y, w, h) of every detected face, numbered in that order (``chosen`` is the
    aligned one, drawn in amber, the others in blue); with fewer than two, only ``box`` is drawn, unnumbered."""
    fig = go.Figure(photo_trace(photo))
    if len(others) > 1:
        for number, (x, y, w, h) in enumerate(others):
            colour = "#fab005" if number == chosen else "#4dabf7"
            fig.add_shape(type="rect", x0=x, y0=y, x1=x + w, y1=y + h, line=dict(color=colour, width=2))
            fig.add_annotation(
                x=x,
                y=y,
                text=f"<b>{number}</b>",
                showarrow=False,
                xanchor="left",
                yanchor="bottom",
                font=dict(color=colour, size=16),
                bgcolor="rgba(0,0,0,0.5)",
            )
    elif box is not None:
        x, y, w, h = box
        fig.add_shape(type="rect", x0=x, y0=y, x1=x + w, y1=y + h, line=dict(color="#fab005", width=2))
    if landmarks is not None:
        points = np.asarray(landmarks, dtype=float)
        fig.add_trace(
            go.Scatter(
                x=points[:, 0],
                y=points[:, 1],
                mode="markers",
                text=list(LANDMARK_NAMES),
                hoverinfo="text",
                marker=dict(size=9, color="#fa5252", line=dict(color="white", width=1.5)),
            )
        )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, scaleanchor="x")
    height = int(np.clip(photo.shape[0] * 420 / max(photo.shape[1], 1), 260, 520))
    return layout(fig, title, height)


def delta_heatmap(original: np.ndarray, adversarial: np.ndarray, title: str = "|δ| per pixel") -> go.Figure:
    """Per-pixel |δ| (max over colour channels) in grey levels: unchanged pixels black, larger changes brighter.

    Colours: :data:`ffa_lab.report.colors.DELTA_COLORSCALE` from 0 to the largest |δ| (the dashboard's scale).
    """
    delta = np.abs(adversarial.astype(np.int16) - original.astype(np.int16)).max(axis=2)
    top = max(int(delta.max()), 1)
    axis = delta_coloraxis(top)
    fig = go.Figure(
        go.Heatmap(
            z=delta,
            colorscale=axis["colorscale"],
            zmin=axis["cmin"],
            zmax=axis["cmax"],
            colorbar=axis["colorbar"],
            hovertemplate="x %{x}, y %{y}: |δ| = %{z} grey levels<extra></extra>",
        )
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    return layout(fig, f"{title} (max {int(delta.max())}, {int((delta > 0).sum())} pixels changed)", 420)


def scale_curve(
    scales: np.ndarray, scores: np.ndarray, flip_scale: float, attribute: str, marker: float | None = None
) -> go.Figure:
    """The attacked score against the perturbation scale along the search, with the flip point.

    ``marker`` is the scale the strength slider currently shows (drawn as a dashed line).
    """
    fig = go.Figure(
        go.Scatter(x=scales, y=scores, mode="lines+markers", name=f"{attribute} score", line=dict(color="#1c7ed6"))
    )
    fig.add_hline(y=0, line_color="black", line_width=1)
    if np.isfinite(flip_scale):
        fig.add_vline(x=flip_scale, line_color=NEGATIVE, annotation_text=f"flips at {flip_scale:.2f}")
    if marker is not None:
        fig.add_vline(
            x=marker, line_color=NEUTRAL, line_dash="dash", annotation_text="slider", annotation_position="bottom"
        )
    fig.update_xaxes(title="scale (grey levels of the largest pixel change)")
    fig.update_yaxes(title="score")
    return layout(fig, f"{attribute} score along the search", 340)


def side_effect_bars(rows: list[dict], attacked: str, top: int = 15) -> go.Figure:
    """Score change of the other attributes (largest first); red bars mark predictions that flipped too."""
    shown = rows[:top]
    fig = go.Figure(
        go.Bar(
            x=[r["change"] for r in shown],
            y=[r["attribute"] for r in shown],
            orientation="h",
            marker_color=[NEGATIVE if r["flipped"] else NEUTRAL for r in shown],
            hovertext=[f"{r['attribute']}: {score_text(r['before'])} → {score_text(r['after'])}" for r in shown],
            hoverinfo="text",
        )
    )
    fig.add_vline(x=0, line_color="black", line_width=1)
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title="score change")
    flipped = sum(r["flipped"] for r in rows)
    return layout(
        fig, f"Side effects of flipping {attacked}: {flipped} other prediction(s) flipped", 22 * len(shown) + 120
    )
