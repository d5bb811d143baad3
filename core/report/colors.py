"""The one colour scale for |δ| (perturbation size in grey levels): zero = black, brighter = larger.

Used by every |δ| picture: the dashboard's and the HTML report's mean-|δ| maps
(:func:`ffa_lab.report.figures.mean_perturbation_heatmaps`) and the Flip page's per-pixel heatmap
(:func:`ffa_lab.views.plots.delta_heatmap`).

The stops are matplotlib's *inferno* except the first: inferno starts at ``#000004``, and Streamlit's
plotly theme uses ``#000001`` … ``#000040`` as placeholders that its browser code replaces by string
(``#000004`` is its fourth categorical colour, a pink), so under ``st.plotly_chart`` inferno's zero
turned pink. Pure black ``#000000`` is not a placeholder. :func:`delta_rgb` maps values exactly as
plotly interpolates a colour scale (linearly in RGB between stops), so tests can read the colours a
figure will show without a browser.
"""

from __future__ import annotations

import re

import numpy as np

DELTA_COLORSCALE: list[list] = [
    [0.0, "#000000"],
    [0.1111111111111111, "#1b0c41"],
    [0.2222222222222222, "#4a0c6b"],
    [0.3333333333333333, "#781c6d"],
    [0.4444444444444444, "#a52c60"],
    [0.5555555555555556, "#cf4446"],
    [0.6666666666666666, "#ed6925"],
    [0.7777777777777778, "#fb9b06"],
    [0.8888888888888888, "#f7d13d"],
    [1.0, "#fcffa4"],
]
DELTA_TITLE = "|δ| grey levels"

# Streamlit's plotly theme (streamlit/elements/lib/streamlit_plotly_theme.py) marks its colours with these.
_STREAMLIT_PLACEHOLDER = re.compile(r"^#0000([0-3][0-9]|40)$", re.IGNORECASE)


def is_streamlit_placeholder(color: str) -> bool:
    """True for the colours ``#000001`` … ``#000040`` that Streamlit's chart theme rewrites in the browser."""
    return bool(_STREAMLIT_PLACEHOLDER.match(color)) and color.lower() != "#000000"


def hex_rgb(color: str) -> tuple[int, int, int]:
    """'#fcffa4' -> (252, 255, 164)."""
    return int(color[1:3], 16), int(color[3:5], 16), int(color[5:7], 16)


def colorscale_rgb(values: np.ndarray, colorscale, cmin: float, cmax: float, reverse: bool = False) -> np.ndarray:
    """uint8 RGB (..., 3) of ``values`` through a plotly ``colorscale`` ([[position, '#rrggbb'], ...]) on
    ``cmin`` … ``cmax``, as plotly draws it (clipped, linear in RGB between stops; ``reverse`` =
    plotly's ``reversescale``). NaN values come back as NaN-free zeros of the scale's start colour."""
    span = float(cmax) - float(cmin)
    t = (np.nan_to_num(np.asarray(values, dtype=np.float64), nan=float(cmin)) - float(cmin)) / (span or 1.0)
    t = np.clip(t, 0.0, 1.0)
    if reverse:
        t = 1.0 - t
    positions = np.array([float(p) for p, _ in colorscale])
    rgb = np.array([hex_rgb(c) for _, c in colorscale], dtype=np.float64)
    channels = [np.interp(t, positions, rgb[:, c]) for c in range(3)]
    return np.round(np.stack(channels, axis=-1)).astype(np.uint8)


def delta_rgb(values: np.ndarray, top: float) -> np.ndarray:
    """uint8 RGB (..., 3) of |δ| ``values`` on :data:`DELTA_COLORSCALE` from 0 to ``top`` (clipped);
    ``top`` <= 0 is treated as 1 (an all-zero map is all black)."""
    return colorscale_rgb(values, DELTA_COLORSCALE, 0.0, float(top) if top > 0 else 1.0)


def delta_coloraxis(top: float) -> dict:
    """A plotly ``coloraxis`` (or heatmap colour keywords) for |δ| from 0 to ``top`` grey levels."""
    return {
        "colorscale": DELTA_COLORSCALE,
        "cmin": 0.0,
        "cmax": float(top) if top > 0 else 1.0,
        "colorbar": {"title": {"text": DELTA_TITLE}},
    }
