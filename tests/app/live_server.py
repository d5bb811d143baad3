"""Start ``streamlit run app.py`` on a free local port for browser tests; stop it afterwards."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import REPO, shared_dir


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass(frozen=True)
class LiveServer:
    url: str
    pid: int

    def peak_rss_mb(self) -> float:
        """The server's peak resident memory (VmHWM) so far, in MB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return float("nan")


@contextmanager
def streamlit_server(env_overrides: dict[str, str], log_path: Path) -> Iterator[LiveServer]:
    """A headless server with ``env_overrides`` (no dataset unless given); YuNet when the shared copy exists."""
    port = free_port()
    env = {**os.environ, **env_overrides}
    if "FFA_LAB_CELEBA" not in env_overrides:
        env.pop("FFA_LAB_CELEBA", None)
    shared = shared_dir()
    if shared and (shared / "models/yunet/face_detection_yunet_2026may.onnx").is_file():
        env["FFA_LAB_YUNET"] = str(shared / "models/yunet/face_detection_yunet_2026may.onnx")
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app.py",
        "--server.headless",
        "true",
        "--server.port",
        str(port),
        "--browser.gatherUsageStats",
        "false",
    ]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 90
            while True:
                try:
                    if urllib.request.urlopen(f"{url}/_stcore/health", timeout=2).read() == b"ok":
                        break
                except OSError:
                    pass
                if process.poll() is not None or time.time() > deadline:
                    raise RuntimeError(f"streamlit did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.5)
            yield LiveServer(url=url, pid=process.pid)
        finally:
            process.terminate()
            try:  # a server with open sessions can take over 10 s to stop on SIGTERM; nothing is kept from it
                process.wait(timeout=2)
            except subprocess.TimeoutExpired:
                process.kill()
