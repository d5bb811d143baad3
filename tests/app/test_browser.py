"""End to end: ``streamlit run app.py`` on a free port, driven by Debian's Chromium through Playwright.

Over every page: pick a bundled portrait, flip Smiling, flip all 40, open the gallery and the
dashboard; images and charts must be visible and no page may show an exception. Full-page
screenshots go to test-artifacts/app/ (gitignored). Chromium comes from ``apt-get install chromium``
(never ``playwright install``); the test skips when it or Playwright is missing.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.app.live_server import streamlit_server
from tests.conftest import REPO

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = REPO / "test-artifacts" / "app"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SLOW = 300_000  # ms: a cold flip-all on a busy shared 2-ffa_lab CPU

pytestmark = pytest.mark.browser


@pytest.fixture
def server(app_models, app_results, tmp_path):
    """A headless Streamlit server on the test bank and results, no dataset; yields its base URL."""
    env = {"FFA_LAB_MODELS": str(app_models), "FFA_LAB_RESULTS": str(app_results)}
    with streamlit_server(env, tmp_path / "streamlit.log") as live:
        yield live.url


@pytest.fixture
def browser():
    playwright_api = pytest.importorskip("playwright.sync_api")
    if not CHROMIUM.is_file():
        pytest.skip("Debian's Chromium is not installed: apt-get install -y chromium")
    with playwright_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def browser_page(browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(SLOW)
    return page


SETTLE_MS = 400  # long enough for an action's run to have started (its status widget shown)


def settle(page) -> None:
    """Wait until the script run has finished (no 'Running…' status widget) and the page is still."""
    page.wait_for_selector('[data-testid="stApp"]')
    for _ in range(2):  # a run may start right after the first one ends (a callback, a rerun)
        page.wait_for_timeout(SETTLE_MS)
        page.wait_for_function(
            "!document.querySelector('[data-testid=\"stStatusWidget\"]')"
            " && !document.querySelector('[data-testid=\"stSkeleton\"]')",  # lazily loaded charts
            timeout=SLOW,
        )


def no_exception(page, where: str) -> None:
    count = page.locator('[data-testid="stException"]').count()
    assert count == 0, (
        f"{where}: {count} exception box(es): {page.locator('[data-testid=stException]').first.inner_text()}"
    )


def visible_count(page, selector: str, wanted: int = 0, timeout_ms: int = 20_000) -> int:
    """How many elements matching ``selector`` are visible, waiting up to ``timeout_ms`` for ``wanted`` of them
    (a run's images and charts can still be mounting once its status widget is gone)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        count = sum(1 for element in page.locator(selector).all() if element.is_visible())
        if count >= wanted or time.monotonic() > deadline:
            return count
        page.wait_for_timeout(200)


def shoot(page, name: str) -> Path:
    """Full-page screenshot: the viewport is grown to the app's scroll height first (Streamlit scrolls
    inside its main container, not the document)."""
    height = page.evaluate(
        "() => { const m = document.querySelector('[data-testid=\"stMain\"]'); return m ? m.scrollHeight : 2000; }"
    )
    page.set_viewport_size({"width": 1400, "height": int(min(max(height + 80, 1000), 14000))})
    page.wait_for_timeout(1500)  # plotly re-lays out on resize
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size({"width": 1400, "height": 1000})
    return path


def click_button(page, name: str, where: str) -> None:
    """Click the button whose label contains ``name``; when the page has none, fail with what it shows instead
    (its alerts and the end of its text) and a screenshot, rather than a bare timeout."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    button = page.get_by_role("button", name=name, exact=False).first
    try:
        button.wait_for(state="attached", timeout=60_000)
    except PlaywrightTimeout:
        alerts = [a.inner_text() for a in page.locator('[data-testid="stAlert"]').all()]
        text = page.locator('[data-testid="stMain"]').first.inner_text()
        shoot(page, f"failed_{where.replace(' ', '_')}")
        raise AssertionError(
            f"{where}: no button {name!r} at {page.url}; alerts {alerts}; page ends: {text[-1500:]}"
        ) from None
    button.click()


def choose(page, label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit selectbox labelled ``label``."""
    page.get_by_label(label, exact=True).first.click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def open_page(page, url: str) -> None:
    page.goto(url)
    settle(page)


def upload_checks(page, folder: Path) -> None:
    """On the Inspect page: a photo upload is aligned and scored; a web page renamed .jpg is a message."""
    from PIL import Image
    from skimage import data

    photo = folder / "astronaut.jpg"
    Image.fromarray(data.astronaut()).save(photo, quality=90)
    page.get_by_text("Upload", exact=True).first.click()
    settle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(photo))
    settle(page)
    no_exception(page, "upload")
    assert visible_count(page, '[data-testid="stPlotlyChart"]', 2) >= 2
    shoot(page, "1b_inspect_upload")
    fake = folder / "not_a_photo.jpg"
    fake.write_text("<html><body>not a photo</body></html>")
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(fake))
    settle(page)
    no_exception(page, "bad upload")
    assert page.get_by_text("web page", exact=False).first.is_visible()


def test_every_page_in_chromium(server, browser_page, tmp_path):
    page = browser_page
    open_page(page, server)
    assert page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]').first.is_visible()
    no_exception(page, "home")
    shoot(page, "0_home")

    open_page(page, f"{server}/Inspect_Face")
    choose(page, "Portrait", "Grace Hopper (matplotlib)")
    no_exception(page, "inspect")
    assert visible_count(page, '[data-testid="stImage"] img', 1) >= 1
    assert visible_count(page, '[data-testid="stPlotlyChart"]', 2) >= 2  # landmarks over the photo, 40 scores
    shoot(page, "1_inspect_grace_hopper")

    upload_checks(page, tmp_path)

    open_page(page, f"{server}/Flip_Attribute")  # the session's face is still the bad upload
    no_exception(page, "flip with a bad upload")
    page.get_by_text("Bundled portrait", exact=True).first.click()
    settle(page)
    choose(page, "Portrait", "Astronaut (scikit-image)")
    choose(page, "Attribute", "Smiling")
    no_exception(page, "flip")
    assert page.get_by_text("flipped", exact=False).first.is_visible()
    assert visible_count(page, '[data-testid="stImage"] img', 3) >= 3  # original | adversarial | perturbation
    assert visible_count(page, '[data-testid="stPlotlyChart"]', 3) >= 3  # |δ|, score vs scale, side effects
    shoot(page, "2_flip_smiling")
    click_button(page, "Flip every attribute", "flip all")
    settle(page)
    no_exception(page, "flip all")
    assert visible_count(page, '[data-testid="stImage"] img', 3 + 40) >= 3 + 40
    shoot(page, "2b_flip_all_40")

    open_page(page, f"{server}/Compare_Attacks")
    no_exception(page, "compare")
    assert visible_count(page, '[data-testid="stImage"] img', 1 + 2 * 5) >= 1 + 2 * 5
    shoot(page, "3_compare_attacks")

    open_page(page, f"{server}/Natural_Adversarials")
    no_exception(page, "gallery")
    assert visible_count(page, '[data-testid="stPlotlyChart"]', 1) >= 1
    assert page.get_by_text("FFA_LAB_CELEBA", exact=False).first.is_visible()  # says how to add the dataset
    shoot(page, "4_natural_gallery")

    open_page(page, f"{server}/Robustness_Dashboard")
    no_exception(page, "dashboard")
    assert visible_count(page, '[data-testid="stPlotlyChart"]', 4) >= 4
    assert visible_count(page, '[data-testid="stDataFrame"]', 1) >= 1
    shoot(page, "5_dashboard")


def new_session(browser, server: str):
    """A page in a fresh browser context (its own cookies, so its own Streamlit session) that may use the
    clipboard (http://127.0.0.1 is a secure context)."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = context.new_page()
    page.set_default_timeout(SLOW)
    return page


def test_home_navigation_and_a_copied_link_reopened_elsewhere(server, browser):
    """Home is the first navigation entry, no Deploy button; on the Flip page the copy button of "link to
    this view" puts the full URL (face, attribute, attack, strength) on the clipboard, and that link opened
    in another session shows the same view."""
    page = new_session(browser, server)
    open_page(page, server)
    nav = [
        link.inner_text().strip() for link in page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]').all()
    ]
    assert nav[0].endswith("Home") and not any(entry.endswith("app") for entry in nav), nav
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0, "Streamlit's own navigation (first entry 'app')"
    assert page.locator('[data-testid="stAppDeployButton"]').count() == 0, "the Deploy button is hidden"
    shoot(page, "6_home")

    open_page(page, f"{server}/Flip_Attribute?face=portrait:grace_hopper")
    page.get_by_label("Attribute", exact=True).first.click()
    page.keyboard.type("Male")  # the list of 40 is virtualised: far options are not rendered until typed
    page.keyboard.press("Enter")
    settle(page)
    slider = page.get_by_role("slider").first
    slider.focus()
    slider.press("ArrowLeft")  # ×1.00 -> ×0.95 -> ×0.90
    slider.press("ArrowLeft")
    settle(page)
    assert page.get_by_text("At ×0.90", exact=False).first.is_visible()
    box = page.locator('[data-testid="stCode"]').first
    box.hover()
    box.get_by_role("button", name="Copy to clipboard").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == box.inner_text().strip()
    assert copied.startswith(f"{server}/Flip_Attribute?face=portrait:grace_hopper&attr=Male&attack=ffa"), copied
    assert "strength=0.9" in copied
    assert parse_qs(urlsplit(copied).query) == parse_qs(urlsplit(page.url).query), "the address bar agrees"

    other = new_session(browser, server)
    open_page(other, copied)
    no_exception(other, "reopened link")
    assert "Male score" in other.get_by_text("At ×0.90", exact=False).first.inner_text()  # attribute and strength
    assert other.get_by_text("Face: Grace Hopper (matplotlib)", exact=False).first.is_visible()
    assert other.locator('[data-testid="stCode"]').first.inner_text().strip() == copied
    shoot(other, "7_share_link_reopened")


def inotify_watches(pid: int) -> int:
    """Inotify watches the process holds (one ``inotify wd:`` line per watched folder in /proc/PID/fdinfo)."""
    total = 0
    for info in Path(f"/proc/{pid}/fdinfo").iterdir():
        try:
            total += info.read_text().count("inotify wd:")
        except OSError:  # a descriptor closed meanwhile
            continue
    return total


def test_shipped_config_does_not_watch_the_environment(app_models, app_results, browser, tmp_path):
    """``streamlit run app.py`` with the shipped .streamlit/config.toml (the repository's, with .venv inside
    it as the README installs it): after a session has opened a page, the server holds no inotify watch (the
    default watcher watches the whole repository recursively, .venv included: thousands of folders, and
    logs "Inotify queue overflowed"), and the toolbar has no Deploy button."""
    log = tmp_path / "streamlit.log"
    env = {"FFA_LAB_MODELS": str(app_models), "FFA_LAB_RESULTS": str(app_results)}
    with streamlit_server(env, log) as live:
        page = new_session(browser, live.url)
        open_page(page, live.url)  # the file watchers start with the first session
        no_exception(page, "home")
        assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
        watches = inotify_watches(live.pid)
    assert watches == 0, f"the server watches {watches} folders through inotify"
    assert "Inotify queue overflowed" not in log.read_text()
