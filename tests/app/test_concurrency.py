"""Eight browser sessions on one server at once: each uploads its own face and flips its own attribute.

Every session must get its own correct result — the numbers the page shows equal those computed
directly through ffa_lab for that face and attribute (no cross-talk between sessions) — no session may
show an exception, and the server's peak memory must stay bounded.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from PIL import Image, ImageEnhance

from ffa_lab.models.checkpoint import load_bank
from ffa_lab.report.numbers import score_text
from ffa_lab.views.faces_data import prepare_bytes
from ffa_lab.views.flips import flip_view
from tests.app.live_server import streamlit_server
from tests.app.test_browser import CHROMIUM, FLAGS, SLOW, no_exception, settle
from tests.conftest import shared_dir

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ATTRIBUTES = ("Smiling", "Male", "Young", "Eyeglasses", "Wearing_Hat", "Bangs", "Heavy_Makeup", "Mouth_Slightly_Open")
PEAK_RSS_LIMIT_MB = 3000


def _faces(folder):
    """Eight different face photos made from the two bundled public-domain portraits."""
    from matplotlib import cbook
    from skimage import data

    with cbook.get_sample_data("grace_hopper.jpg") as handle:
        hopper = Image.open(handle).convert("RGB")
    astronaut = Image.fromarray(data.astronaut())
    variants = []
    for base in (astronaut, hopper):
        variants += [
            base,
            base.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
            ImageEnhance.Brightness(base).enhance(1.25),
            base.resize((base.width * 3 // 4, base.height * 3 // 4)),
        ]
    paths = []
    for i, image in enumerate(variants):
        path = folder / f"face{i}.jpg"
        image.save(path, quality=92)
        paths.append(path)
    return paths


def _expected(bank, path, attribute: str) -> tuple[bool, str, str]:
    torch.set_num_threads(1)
    face = prepare_bytes("upload", path.read_bytes(), path.name)
    view = flip_view(bank, face.aligned, attribute, "ffa", compute_pass=False)
    return view.numbers.success, score_text(view.numbers.score_before), score_text(view.numbers.score_after)


def test_eight_simultaneous_sessions_get_their_own_results(app_models, app_results, tmp_path, monkeypatch):
    playwright_api = pytest.importorskip("playwright.sync_api")
    yunet = (shared_dir() or tmp_path) / "models/yunet/face_detection_yunet_2026may.onnx"
    if yunet.is_file():  # the expected results must use the same face detector as the server
        monkeypatch.setenv("FFA_LAB_YUNET", str(yunet))
    if not CHROMIUM.is_file():
        pytest.skip("Debian's Chromium is not installed: apt-get install -y chromium")
    faces = _faces(tmp_path)
    env = {"FFA_LAB_MODELS": str(app_models), "FFA_LAB_RESULTS": str(app_results)}
    with streamlit_server(env, tmp_path / "streamlit.log") as live, playwright_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        pages = []
        for _ in ATTRIBUTES:  # one context each: separate cookies, separate Streamlit sessions
            page = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
            page.set_default_timeout(SLOW)
            page.goto(f"{live.url}/Flip_Attribute")
            pages.append(page)
        for page in pages:
            settle(page)
            page.get_by_text("Upload", exact=True).first.click()
        for page, path in zip(pages, faces, strict=True):  # uploads land while other sessions still run
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
        for page, attribute in zip(pages, ATTRIBUTES, strict=True):
            settle(page)
            page.get_by_label("Attribute", exact=True).first.click()
            label = attribute.replace("_", " ")  # as the select box shows it
            page.keyboard.type(label)  # the option list is virtualised: filter it, then pick
            page.get_by_role("option", name=label, exact=True).click()
        shown = []
        for page, attribute in zip(pages, ATTRIBUTES, strict=True):
            settle(page)
            no_exception(page, f"session flipping {attribute}")
            alerts = page.locator('[data-testid="stMain"] [data-testid="stAlert"]', has_text=re.compile("flip"))
            message = alerts.first.inner_text()
            shown.append(message)
        peak_mb = live.peak_rss_mb()
        browser.close()
    print(f"8 sessions, server peak RSS {peak_mb:.0f} MB")
    bank = load_bank(app_models).bank  # loaded once for the eight expected results
    for message, attribute, path in zip(shown, ATTRIBUTES, faces, strict=True):
        success, before, after = _expected(bank, path, attribute)
        assert re.search(rf"\b{attribute.replace('_', '[ _]')}\b", message), f"session for {attribute} shows: {message}"
        expected = f"from {before} to {after}" if success else "did not flip"
        assert expected in message, f"{attribute} on {path.name}: expected {expected!r}, page: {message}"
    assert peak_mb < PEAK_RSS_LIMIT_MB
    assert np.isfinite(peak_mb)
