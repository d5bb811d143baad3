"""The shipped .streamlit/config.toml, read the way Streamlit reads it (issue 12: speed of the default command)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def _option(name: str) -> str:
    """``name``'s value as Streamlit resolves it when started from the repository root, as the README does."""
    code = f"from streamlit import config; config.get_config_options(force_reparse=True); print(config.get_option({name!r}))"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.strip()


def test_no_forced_garbage_collection_after_each_run():
    """Streamlit's post-run gc.collect(2) holds the interpreter lock while the next run starts (an upload
    makes two runs back to back); benchmarks/app_latency.py measured scores after upload 0.79 -> 0.52 s."""
    assert _option("runner.postScriptGC") == "False"


def test_the_file_watcher_polls_registered_files_only():
    assert _option("server.fileWatcherType") == "poll"
