"""The one |δ| colour scale (ffa_lab.report.colors): zero black, larger brighter, on every |δ| figure.

The pixel checks render each figure's own z values through the figure's own colour settings exactly as
plotly interpolates them (colors.colorscale_rgb); the browser test (tests/app/test_browser_colors.py)
reads the same pixels off the live Streamlit page.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from ffa_lab.report import figures
from ffa_lab.report.colors import DELTA_COLORSCALE, colorscale_rgb, delta_rgb, is_streamlit_placeholder
from ffa_lab.views.plots import delta_heatmap
from tests.conftest import REPO

STUDY = REPO / "assets" / "results" / "default" / "study"


def luminance(rgb) -> float:
    r, g, b = (float(v) for v in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_scale_runs_from_black_to_bright():
    assert DELTA_COLORSCALE[0][1] == "#000000" and DELTA_COLORSCALE[-1][0] == 1.0
    steps = [luminance(delta_rgb(np.array(v), 10.0)) for v in np.linspace(0, 10, 21)]
    assert steps[0] == 0.0 and all(b > a for a, b in zip(steps, steps[1:], strict=False)), "brighter = larger"
    assert tuple(delta_rgb(np.array(10.0), 10.0)) == (252, 255, 164)


def test_no_colour_is_one_streamlit_rewrites():
    """Streamlit's plotly theme replaces #000001…#000040 in the browser; inferno's #000004 became pink."""
    assert is_streamlit_placeholder("#000004") and is_streamlit_placeholder("#000040")
    assert not is_streamlit_placeholder("#000000") and not is_streamlit_placeholder("#000041")
    assert not any(is_streamlit_placeholder(color) for _, color in DELTA_COLORSCALE)


def _rendered_heatmap(trace, coloraxis=None) -> tuple[np.ndarray, list]:
    """(RGB image, colourscale) of one plotly heatmap trace as plotly draws it."""
    settings = coloraxis if coloraxis is not None else trace
    low = settings.cmin if coloraxis is not None else trace.zmin
    high = settings.cmax if coloraxis is not None else trace.zmax
    scale = [list(stop) for stop in settings.colorscale]
    z = np.asarray(trace.z, dtype=np.float64)
    return colorscale_rgb(z, scale, low, high, reverse=bool(settings.reversescale)), scale


def _check(image: np.ndarray, z: np.ndarray, scale: list) -> None:
    assert not any(is_streamlit_placeholder(c) for _, c in scale), "Streamlit would repaint these"
    zero = tuple(image[np.unravel_index(np.nanargmin(np.where(z == 0, 0, np.inf)), z.shape)])
    peak = tuple(image[np.unravel_index(np.nanargmax(z), z.shape)])
    assert zero == (0, 0, 0), f"zero |δ| is drawn {zero}, not black"
    assert luminance(peak) == max(luminance(c) for c in colorscale_rgb(np.linspace(0, 1, 11), scale, 0, 1))


def test_flip_heatmap_zero_black_maximum_brightest():
    original = np.full((20, 16, 3), 100, np.uint8)
    changed = original.copy()
    changed[5:9, 4:8] += 3
    changed[6, 5] = (100, 118, 100)  # the maximum, 18 grey levels
    figure = delta_heatmap(original, changed)
    trace = next(t for t in figure.data if t.type == "heatmap")
    z = np.asarray(trace.z, dtype=np.float64)
    assert np.isfinite(z).all() and z[0, 0] == 0, "unchanged pixels are drawn, as zero"
    image, scale = _rendered_heatmap(trace)
    _check(image, z, scale)


@pytest.mark.skipif(not (STUDY / "summary.json").is_file(), reason="the committed study results are absent")
def test_dashboard_maps_zero_black_maximum_brightest():
    from ffa_lab.experiments.results import read_study

    study = read_study(Path(STUDY))
    figure = figures.mean_perturbation_heatmaps(study)  # every attribute, one shared colour axis
    axis = figure.layout.coloraxis
    top = float(np.nanmax(study.mean_perturbation))
    assert axis.cmin == 0 and axis.cmax == pytest.approx(top)
    some = figures.mean_perturbation_heatmaps(study, study.attributes[:3])
    peak = max(float(np.nanmax(study.mean_perturbation[k])) for k in range(3))
    assert some.layout.coloraxis.cmax == pytest.approx(peak), "the brightest map shown reaches the bright end"
    for trace in figure.data:
        z = np.asarray(trace.z, dtype=np.float64)
        image, _ = _rendered_heatmap(trace, axis)
        assert z[0, 0] == 0 and tuple(image[0, 0]) == (0, 0, 0), "the map's corner (never perturbed) is black"
    hottest = max(figure.data, key=lambda t: float(np.nanmax(t.z)))
    image, scale = _rendered_heatmap(hottest, axis)
    _check(image, np.asarray(hottest.z, dtype=np.float64), scale)


def test_saliency_dashboard_uses_the_same_delta_scale():
    """The dashboard's "where each network looks" figure draws mean |δ| with the one scale too."""
    from ffa_lab.report.saliency_figures import ROWS

    delta_rows = [scale for title, scale in ROWS if "|δ|" in title]
    assert delta_rows == [DELTA_COLORSCALE]
    for _, scale in ROWS:
        if isinstance(scale, list):
            assert not any(is_streamlit_placeholder(color) for _, color in scale)
