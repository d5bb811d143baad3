"""Latency of the app's live paths through the real server, as a user meets them.

    python benchmarks/app_latency.py [--repeat N] [--compare]

Starts ``streamlit run app.py`` from the repository root exactly as the README does (the shipped
.streamlit/config.toml, this Python's environment; only ``--server.headless true`` and a free port are added),
then drives it with Debian's headless Chromium through Playwright:

- **scores after upload**: a new JPEG (Grace Hopper, 512x600, a different quality each time so nothing is
  cached) is set on the Inspect page's uploader; until the server's run that aligns, scores and charts it ends;
- **one flip**: on the Flip page, a not yet attacked attribute is chosen (FFA with all its figures);
- **flip all 40**: the "Flip every attribute" button, on a freshly uploaded face.

A path's time runs from the browser action to the websocket message saying that the server's script run
which put the result on the page finished (``script_finished``), so it includes the upload request and the
round trip; the server's CPU
seconds over the same span come from /proc/PID/stat (all its threads). ``--compare`` also runs the server
with Streamlit's default file watcher (``--server.fileWatcherType watchdog``, what the app shipped with before)
and prints both side by side. Budgets (issue 12): 0.3 s, 0.5 s, 3 s. Prints medians and bests of ``--repeat``.
"""

from __future__ import annotations

import argparse
import io
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
FLAGS += ["--disable-component-update", "--disable-sync", "--no-first-run"]
BUDGETS = {"scores after upload": 0.3, "one flip": 0.5, "flip all 40": 3.0}
ATTRIBUTES = ("Male", "Young", "Eyeglasses", "Bangs", "Wavy_Hair", "Big_Nose", "Pale_Skin", "Goatee", "Bald")
TICK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (all threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


@contextmanager
def server(extra: list[str], log: Path) -> Iterator[tuple[str, int]]:
    """``streamlit run app.py`` from the repository root (plus headless, a free port and ``extra``)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    command += ["--server.port", str(port), *extra]
    with open(log, "w") as out:
        process = subprocess.Popen(command, cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(180):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError(f"streamlit did not start; see {log}")
        yield url, process.pid
    finally:
        process.terminate()
        process.wait(timeout=20)


class Runs:
    """Watches one page's websocket for the server's "script run finished" messages."""

    def __init__(self, page) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.finished, self.finished_at = 0, 0.0
        self._message = ForwardMsg

        def frame(payload) -> None:
            if isinstance(payload, bytes):
                message = self._message.FromString(payload)
                if message.WhichOneof("type") == "script_finished" and message.script_finished == 0:
                    self.finished, self.finished_at = self.finished + 1, time.perf_counter()  # 0 = successfully

        page.on("websocket", lambda ws: ws.on("framereceived", frame))
        self.page = page

    def timed(self, action: Callable[[], None], shown: str, pid: int) -> tuple[float, float]:
        """(seconds, server CPU seconds) from ``action`` to the end of the server run that put ``shown`` (a
        text) on the page: the last successful run finished once the text is there and runs have stopped."""
        self.page.wait_for_timeout(300)  # let any run already under way end first
        before, cpu = self.finished, cpu_seconds(pid)
        start = time.perf_counter()
        action()
        text = self.page.get_by_text(shown, exact=False).first
        while True:
            while self.finished == before or not text.is_visible():
                self.page.wait_for_timeout(5)
            count = self.finished
            self.page.wait_for_timeout(300)  # a run may still be going (the text can appear mid-run)
            if self.finished == count and self.page.locator('[data-testid="stStatusWidget"]').count() == 0:
                return self.finished_at - start, cpu_seconds(pid) - cpu

    def settle(self) -> None:
        self.page.wait_for_timeout(500)
        self.page.wait_for_function("!document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=300_000)


def photos(folder: Path, n: int) -> list[Path]:
    """``n`` different JPEGs of the same portrait (quality 80 + i: different bytes, so no cache hit)."""
    from PIL import Image

    from ffa_lab.data.portraits import bundled_portraits

    hopper = Image.fromarray(bundled_portraits()["Grace Hopper (matplotlib)"]())
    paths = []
    for i in range(n):
        buffer = io.BytesIO()
        hopper.save(buffer, format="JPEG", quality=80 + i)
        paths.append(folder / f"hopper_q{80 + i}.jpg")
        paths[-1].write_bytes(buffer.getvalue())
    return paths


def measure(extra: list[str], repeat: int, folder: Path) -> dict[str, list[tuple[float, float]]]:
    """Every path's (seconds, server CPU seconds) ``repeat`` times (flip all: max(2, repeat // 2)), plus the
    server's CPU seconds over 10 idle seconds with the session open ('idle 10 s')."""
    from playwright.sync_api import sync_playwright

    n_all = max(2, repeat // 2)
    warm, *uploads = photos(folder, 1 + repeat + n_all)  # the first upload pays one-off costs
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in (*BUDGETS, "idle 10 s")}
    with server(extra, folder / "streamlit.log") as (url, pid), sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(int(os.environ.get("APP_LATENCY_TIMEOUT_MS", "300000")))
        runs = Runs(page)
        page.goto(f"{url}/Inspect_Face?face=portrait:grace_hopper&attr=Smiling")
        runs.settle()
        page.get_by_text("Upload", exact=True).first.click()
        runs.settle()
        chooser = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
        chooser.set_input_files(str(warm))
        runs.settle()
        for photo in uploads[:repeat]:
            action = lambda p=photo: chooser.set_input_files(str(p))  # noqa: E731
            results["scores after upload"].append(runs.timed(action, f"Face: {photo.name}", pid))
            runs.settle()
        page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"]').filter(
            has_text="Flip an attribute"
        ).click()
        runs.settle()  # same session (a page link, not a reload), so its face is the last upload
        for attribute in ATTRIBUTES[:repeat]:
            page.get_by_label("Attribute", exact=True).first.click()
            page.keyboard.type(attribute.replace("_", " "))  # the selectbox filters its options as one types
            shown = f"): {attribute.replace('_', ' ')} score"  # "At ×1.00 (scale 3.47): Male score +0.003, flipped."
            results["one flip"].append(runs.timed(lambda: page.keyboard.press("Enter"), shown, pid))
            runs.settle()
        chooser = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
        button = page.get_by_role("button", name="Flip every attribute", exact=False)
        for photo in uploads[repeat:]:
            chooser.set_input_files(str(photo))
            runs.settle()
            results["flip all 40"].append(runs.timed(button.click, "attributes flipped", pid))
            runs.settle()
        cpu = cpu_seconds(pid)
        page.wait_for_timeout(10_000)
        results["idle 10 s"].append((10.0, cpu_seconds(pid) - cpu))
        log = (folder / "streamlit.log").read_text()
        results["inotify overflow lines"] = [(float(log.count("Inotify queue overflowed")), 0.0)]
        browser.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--compare", action="store_true", help="also run with the default watchdog file watcher")
    args = parser.parse_args(argv)
    configs = {"shipped config": []}
    if args.compare:
        configs["watchdog watcher"] = ["--server.fileWatcherType", "watchdog"]
    print(f"streamlit run app.py in {REPO}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    measured = {}
    for name, extra in configs.items():
        with tempfile.TemporaryDirectory() as folder:
            measured[name] = measure(extra, args.repeat, Path(folder))
    header = f"{'path':<22}{'budget s':>9}"
    for name in configs:
        header += f" | {name + ': median s':>26}{'best s':>8}{'server CPU s':>13}"
    print(header)
    for path in (*BUDGETS, "idle 10 s", "inotify overflow lines"):
        line = f"{path:<22}{BUDGETS.get(path, float('nan')):>9.1f}"
        for name in configs:
            wall = [w for w, _ in measured[name][path]]
            cpu = [c for _, c in measured[name][path]]
            if path == "inotify overflow lines":
                line += f" | {wall[0]:>26.0f}{'':>8}{'':>13}"
            else:
                line += f" | {statistics.median(wall):>26.3f}{min(wall):>8.3f}{statistics.median(cpu):>13.2f}"
        print(line)
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
