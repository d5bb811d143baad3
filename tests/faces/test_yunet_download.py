"""Where the YuNet model comes from (issue 4): cache, environment, explicit path, and a checked download
from a local HTTP server on 127.0.0.1 (tests never reach the internet)."""

from __future__ import annotations

import hashlib
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ffa_lab.cli.main import main
from ffa_lab.faces import yunet_model as yunet
from tests.conftest import REPO, shared_dir

SHARED_SHA = "ebafce4e3c118d6554634be5c27ab333b4c047a9a8c3faf1d7cf93101c22f0f0"


@pytest.fixture(scope="module")
def model_file() -> Path:
    path = (shared_dir() or REPO.parent / "shared") / "models" / "yunet" / "face_detection_yunet_2026may.onnx"
    if not path.is_file():
        pytest.skip("needs the YuNet model in ../shared/models/yunet (or $FFA_SHARED)")
    return path


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep pytest output clean
        pass


@pytest.fixture
def server(tmp_path):
    """An HTTP server on 127.0.0.1 serving tmp_path/www; yields (base URL, folder)."""
    root = tmp_path / "www"
    root.mkdir()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch, tmp_path):
    monkeypatch.delenv("FFA_LAB_YUNET", raising=False)
    monkeypatch.setenv("FFA_LAB_CACHE", str(tmp_path / "cache"))


def test_known_hashes_pin_the_official_and_the_shared_release():
    assert yunet.KNOWN_SHA256[yunet.OFFICIAL_SHA256] == "2023mar"
    assert yunet.KNOWN_SHA256[SHARED_SHA] == "2026may"
    assert yunet.OFFICIAL_URL.startswith("https://github.com/opencv/opencv_zoo/")


def test_cache_dir_honours_ffa_lab_cache_then_xdg(monkeypatch, tmp_path):
    assert yunet.cache_dir() == tmp_path / "cache"
    monkeypatch.delenv("FFA_LAB_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setattr(yunet.sys, "platform", "linux")
    assert yunet.cache_dir() == tmp_path / "xdg" / "ffa-lab"


def test_download_from_loopback_verifies_and_caches(server, model_file):
    base, root = server
    (root / "face_detection_yunet_2026may.onnx").write_bytes(model_file.read_bytes())
    assert yunet.find_yunet() is None
    result = yunet.download_yunet(f"{base}/face_detection_yunet_2026may.onnx")
    assert result.release == "2026may" and result.sha256 == SHARED_SHA and result.size == model_file.stat().st_size
    assert result.path.parent == yunet.default_model_dir() and result.path.is_file()
    assert hashlib.sha256(result.path.read_bytes()).hexdigest() == SHARED_SHA
    assert yunet.find_yunet() == result.path  # the cache is found without any setting
    assert [p.name for p in result.path.parent.iterdir()] == [result.path.name]  # no partial files left


def test_lookup_order_explicit_then_env_then_cache(server, model_file, monkeypatch, tmp_path):
    base, root = server
    (root / "m.onnx").write_bytes(model_file.read_bytes())
    cached = yunet.download_yunet(f"{base}/m.onnx").path
    other = tmp_path / "other.onnx"
    other.write_bytes(model_file.read_bytes())
    monkeypatch.setenv("FFA_LAB_YUNET", str(other))
    assert yunet.find_yunet() == other
    assert yunet.find_yunet(cached) == cached
    monkeypatch.delenv("FFA_LAB_YUNET")
    assert yunet.find_yunet() == cached


def test_a_tampered_cache_copy_is_ignored(server, model_file):
    base, root = server
    (root / "m.onnx").write_bytes(model_file.read_bytes())
    cached = yunet.download_yunet(f"{base}/m.onnx").path
    cached.write_bytes(cached.read_bytes()[:-1] + b"\0")
    assert yunet.find_yunet() is None


def test_wrong_hash_is_refused_and_nothing_is_kept(server):
    base, root = server
    (root / "evil.onnx").write_bytes(b"definitely not the model" * 100)
    with pytest.raises(yunet.YuNetModelError, match="not a known YuNet release; it was not kept"):
        yunet.download_yunet(f"{base}/evil.onnx")
    assert not any(yunet.default_model_dir().iterdir())


def test_http_errors_unreachable_hosts_and_odd_schemes_are_clear(server, tmp_path):
    base, _ = server
    with pytest.raises(yunet.YuNetModelError, match="answered HTTP 404"):
        yunet.download_yunet(f"{base}/missing.onnx")
    with pytest.raises(yunet.YuNetModelError, match="cannot fetch"):
        yunet.download_yunet("http://127.0.0.1:9/model.onnx", timeout=5)  # port 9 (discard): refused
    with pytest.raises(yunet.YuNetModelError, match="must start with https://"):
        yunet.download_yunet("ftp://example.org/model.onnx")


def test_oversized_downloads_are_cut_off(server, monkeypatch):
    base, root = server
    monkeypatch.setattr(yunet, "MAX_MODEL_BYTES", 1000)
    (root / "big.onnx").write_bytes(bytes(5000))
    with pytest.raises(yunet.YuNetModelError, match="sent more than"):
        yunet.download_yunet(f"{base}/big.onnx")


def test_cli_download_and_list(server, model_file, tmp_path, tiny_bank, capsys):
    from ffa_lab.models.checkpoint import save_bank

    base, root = server
    (root / "y.onnx").write_bytes(model_file.read_bytes())
    dest = tmp_path / "models-here"
    assert main(["models", "download", "--url", f"{base}/y.onnx", "--dest", str(dest)]) == 0
    assert (dest / "y.onnx").is_file() and "YuNet 2026may" in capsys.readouterr().out
    bank_dir = tmp_path / "bank"
    bank_dir.mkdir()
    save_bank(bank_dir, tiny_bank, {"Male": {"metrics": {"val_accuracy": 91.25, "n_val": 80}}})
    (bank_dir / "Smiling.pt").write_bytes(b"\x80\x02pickle")
    assert main(["models", "list", "--models", str(bank_dir)]) == 0
    out = capsys.readouterr().out
    assert "3 network(s)" in out and "91.25" in out and "refused Smiling.pt: " in out and "pickle" in out
    assert "none found; alignment uses the coarse Haar fallback" in out
    assert main(["models", "list", "--models", str(tmp_path / "nothing")]) == 2
    assert "model folder not found" in capsys.readouterr().err
