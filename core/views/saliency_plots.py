"""Plotly figures of signed saliency over a face (pure functions of arrays; no Streamlit).

Every signed map is drawn on [−1, 1] after ffa_lab.explain.display.signed_unit with the one diverging
scale EVIDENCE_COLORSCALE (green = evidence for +1, magenta = for −1, white = neutral). Pixel maps are
scaled to the 99th percentile of their non-zero |values| (the sparse strongest pixels saturate), Grad-CAM
(smooth) to its largest |value|.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ffa_lab.explain.display import EVIDENCE_COLORSCALE, EVIDENCE_TICKS, signed_unit
from ffa_lab.views.plots import layout

PIXEL_QUANTILE = 0.99


def _face_figure(
    background: np.ndarray, values: np.ndarray, title: str, opacity: float, what: str, quantile: float
) -> go.Figure:
    fig = go.Figure(go.Image(z=background, hoverinfo="skip"))
    fig.add_trace(
        go.Heatmap(
            z=signed_unit(values, quantile),
            colorscale=EVIDENCE_COLORSCALE,
            zmin=-1,
            zmax=1,
            opacity=opacity,
            colorbar=dict(title=what, **EVIDENCE_TICKS),
            hovertemplate=f"x %{{x}}, y %{{y}}: {what} %{{z:+.2f}} (scaled)<extra></extra>",
        )
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    return layout(fig, title, 420)


def evidence_heatmap(image: np.ndarray, values: np.ndarray, title: str) -> go.Figure:
    """A signed pixel map over a faded copy of the face (white = neutral, so the face shows through faintly)."""
    faded = (0.35 * image.astype(np.float32) + 0.65 * 255).astype(np.uint8)
    return _face_figure(faded, values, title, 0.85, "evidence", PIXEL_QUANTILE)


def grad_cam_overlay(image: np.ndarray, cam: np.ndarray, title: str) -> go.Figure:
    """The signed Grad-CAM map laid half-transparently over the face itself."""
    return _face_figure(image, cam, title, 0.55, "Grad-CAM", 1.0)
