"""Live mining from two sessions at once: same settings, same folder; both get the result, neither breaks."""

import threading

import pandas as pd

from ffa_lab.views.gallery import mine, mining_folder
from tests.conftest import one_thread
from tests.study_helpers import make_inputs, open_inputs


def test_two_sessions_mining_the_same_settings_both_succeed(tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    loaded, data = open_inputs(make_inputs(tmp_path))
    results, errors = [], []

    def session() -> None:
        try:
            results.append(mine(loaded, data, "key", "Smiling", "test", 24))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    with one_thread():
        threads = [threading.Thread(target=session) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert errors == [] and len(results) == 2
    pd.testing.assert_frame_equal(results[0].samples, results[1].samples)
    folder = mining_folder("key", str(data.root), "test", "Smiling", 24)
    assert folder.is_relative_to(tmp_path) and not any(p.name.startswith("parts") for p in folder.iterdir())
