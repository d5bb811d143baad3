"""Browser: the pictures tell the truth as Streamlit draws them (issue 12), in Debian's Chromium.

Pixels are read off the live page: on the dashboard's mean-|δ| maps and the Flip page's |δ| heatmap an
unperturbed region must be black and the largest |δ| the bright end of the scale, with no pink
(Streamlit's plotly theme used to repaint inferno's #000004 as its categorical pink #ffabab). Also:
the gallery's "Open in flip view" buttons of one row sit on one line, and the Compare table needs no
horizontal scrolling. Screenshots go to test-artifacts/app/ (truth_*.png).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from tests.app import test_browser
from tests.app.live_server import streamlit_server
from tests.app.test_browser import ARTIFACTS, browser, no_exception, settle  # noqa: F401 - browser is a fixture

pytestmark = pytest.mark.browser
browser_page = test_browser.browser_page  # the same headless Chromium fixture
PINK = np.array([255, 171, 171], dtype=np.float64)  # #ffabab, Streamlit's 4th categorical colour
BRIGHT_END = np.array([252, 255, 164], dtype=np.float64)  # #fcffa4, inferno's (and our scale's) top


@pytest.fixture
def server(app_models, app_results, celeba_dir, tmp_path):
    env = {"FFA_LAB_MODELS": str(app_models), "FFA_LAB_RESULTS": str(app_results), "FFA_LAB_CELEBA": str(celeba_dir)}
    with streamlit_server(env, tmp_path / "streamlit.log") as live:
        yield live.url


def heatmap_pixels(page, key: str, name: str) -> list[np.ndarray]:
    """RGB arrays (H, W, 3) of every plotly heatmap image inside the element keyed ``key``, as drawn."""
    chart = page.locator(f".st-key-{key}")
    chart.scroll_into_view_if_needed()
    page.wait_for_selector(f".st-key-{key} g.hm image")  # plotly draws a chart once it is on screen
    page.wait_for_timeout(1500)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    chart.screenshot(path=str(ARTIFACTS / f"truth_{name}.png"))
    images = []
    for box in (i.bounding_box() for i in chart.locator("g.hm image").all()):
        shot = page.screenshot(clip={k: box[k] for k in ("x", "y", "width", "height")})
        images.append(np.asarray(Image.open(io.BytesIO(shot)).convert("RGB"), dtype=np.float64))
    assert images, f"no heatmap drawn in {key}"
    return images


def luminance(rgb: np.ndarray) -> np.ndarray:
    return rgb @ np.array([0.2126, 0.7152, 0.0722])


def assert_truthful(image: np.ndarray, where: str) -> None:
    corner = image[2:6, 2:6].reshape(-1, 3)
    assert corner.max() <= 8, f"{where}: an unperturbed corner is drawn {corner.mean(0).round()}, not black"
    pink = np.linalg.norm(image - PINK, axis=-1) < 40
    assert not pink.any(), f"{where}: {int(pink.sum())} pink pixels (Streamlit's placeholder colour)"


def test_delta_pictures_zero_black_maximum_bright(server, browser_page):
    page = browser_page
    page.goto(f"{server}/Robustness_Dashboard")
    settle(page)
    no_exception(page, "dashboard")
    maps = heatmap_pixels(page, "dash_mean_delta", "dashboard_maps")
    for k, image in enumerate(maps):
        assert_truthful(image, f"map {k}")
    brightest = max(float(luminance(m).max()) for m in maps)
    assert brightest > 0.5 * luminance(BRIGHT_END), "the largest mean |δ| is drawn bright"

    page.goto(f"{server}/Flip_Attribute?face=portrait:astronaut&attr=Smiling&attack=ffa")
    settle(page)
    no_exception(page, "flip")
    (heat,) = heatmap_pixels(page, "flip_delta", "flip_heatmap")
    assert_truthful(heat, "flip heatmap")
    peak = heat.reshape(-1, 3)[luminance(heat.reshape(-1, 3)).argmax()]
    assert np.abs(peak - BRIGHT_END).max() <= 12, f"the largest |δ| is drawn {peak}, not the bright end"


def test_gallery_buttons_line_up_and_compare_table_fits(server, browser_page):
    page = browser_page
    page.goto(f"{server}/Natural_Adversarials")
    settle(page)
    no_exception(page, "gallery")
    buttons = page.locator('[class*="st-key-gallery_open_"] button').all()[:6]
    assert len(buttons) == 6
    tops = [round(b.bounding_box()["y"]) for b in buttons]
    assert max(tops) - min(tops) <= 1, f"the first row's buttons sit at {tops}"
    page.screenshot(path=str(ARTIFACTS / "truth_gallery.png"))

    page.goto(f"{server}/Compare_Attacks?face=portrait:astronaut&attr=Smiling")
    settle(page)
    no_exception(page, "compare")
    table = page.locator('[data-testid="stDataFrame"]').first  # the page's only table
    table.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    table.screenshot(path=str(ARTIFACTS / "truth_compare_table.png"))
    overflow = page.evaluate(
        "() => { const s = document.querySelector('[data-testid=\"stDataFrame\"] .dvn-scroller');"
        " return s ? [s.scrollWidth - s.clientWidth, s.scrollHeight - s.clientHeight] : [-1, -1]; }"
    )
    assert 0 <= overflow[0] <= 1, f"the Compare table scrolls sideways by {overflow[0]} px (columns cut off)"
    assert 0 <= overflow[1] <= 1, f"the Compare table scrolls down by {overflow[1]} px (rows cut off)"
