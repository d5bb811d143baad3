"""Where the YuNet face-detector model comes from, how it is fetched, and how it is loaded.

Lookup order (:func:`find_yunet`): an explicit path (CLI ``--yunet``, app setting), then the
``FFA_LAB_YUNET`` environment variable, then a verified copy in the user cache directory
(``$FFA_LAB_CACHE`` if set, else the platform's user cache dir + ``/ffa-lab``). Nothing is
downloaded implicitly: ``ffa-lab models download`` (:func:`download_yunet`) fetches OpenCV Zoo's
file over HTTPS and keeps it only if its SHA-256 is one of :data:`KNOWN_SHA256`. The model file is
never part of the project (MIT-licensed, but third-party): it lives in the cache.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from ffa_lab.errors import YuNetModelError

ENV_MODEL = "FFA_LAB_YUNET"
ENV_CACHE = "FFA_LAB_CACHE"
OFFICIAL_URL = (
    "https://github.com/opencv/opencv_zoo/raw/main/models/face_detection_yunet/face_detection_yunet_2023mar.onnx"
)
OFFICIAL_SHA256 = "8f2383e4dd3cfbb4553ea8718107fc0423210dc964f9f4280604804ed2552fa4"  # 232,589 bytes (Git LFS oid)
# sha256 -> release name; any of these is accepted from a download or in the cache.
KNOWN_SHA256: dict[str, str] = {
    OFFICIAL_SHA256: "2023mar",
    "ebafce4e3c118d6554634be5c27ab333b4c047a9a8c3faf1d7cf93101c22f0f0": "2026may",
}
MAX_MODEL_BYTES = 20 * 2**20  # YuNet is ~230 kB; anything far larger is not the model
ALLOWED_SCHEMES = ("https", "http", "file")


@dataclass(frozen=True)
class DownloadResult:
    """A verified model file written by :func:`download_yunet`."""

    path: Path
    sha256: str
    release: str
    size: int


def cache_dir() -> Path:
    """The ffa-lab user cache folder: ``$FFA_LAB_CACHE``, else the platform's user cache dir / ffa-lab."""
    override = os.environ.get(ENV_CACHE)
    if override:
        return Path(override).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "ffa-lab"


def default_model_dir() -> Path:
    """Where ``ffa-lab models download`` puts the model and where :func:`find_yunet` looks for it."""
    return cache_dir() / "yunet"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def cached_model() -> Path | None:
    """A cached model whose SHA-256 is known (newest name first), or None."""
    folder = default_model_dir()
    if not folder.is_dir():
        return None
    for path in sorted(folder.glob("*.onnx"), reverse=True):
        if path.is_file() and path.stat().st_size <= MAX_MODEL_BYTES and sha256_of(path) in KNOWN_SHA256:
            return path
    return None


def find_yunet(explicit: str | Path | None = None) -> Path | None:
    """The YuNet model to use: ``explicit``, else ``$FFA_LAB_YUNET``, else the cache; None when there is none.

    A path that is given (argument or environment) but does not exist raises :class:`YuNetModelError`
    rather than silently falling back, so a typo is noticed.
    """
    for given, origin in ((explicit, "--yunet"), (os.environ.get(ENV_MODEL) or None, ENV_MODEL)):
        if given:
            path = Path(given).expanduser()
            if not path.is_file():
                raise YuNetModelError(f"YuNet model given by {origin} not found: {path}")
            return path
    return cached_model()


def load_detector(path: str | Path, *, score_threshold: float = 0.6, nms_threshold: float = 0.3, top_k: int = 5000):
    """A ``cv2.FaceDetectorYN`` for the model at ``path``; :class:`YuNetModelError` if OpenCV cannot load it."""
    import cv2

    path = Path(path)
    if not path.is_file():
        raise YuNetModelError(f"YuNet model not found: {path}")
    if path.stat().st_size > MAX_MODEL_BYTES:
        raise YuNetModelError(f"{path.name} is {path.stat().st_size:,} bytes; not a YuNet model")
    try:
        return cv2.FaceDetectorYN.create(str(path), "", (320, 320), score_threshold, nms_threshold, top_k)
    except cv2.error as exc:
        first = str(exc).strip().splitlines()[-1] if str(exc).strip() else "unknown OpenCV error"
        raise YuNetModelError(f"{path.name} is not a YuNet ONNX model OpenCV can load ({first})") from None


def _file_name(url: str) -> str:
    name = Path(urllib.parse.urlparse(url).path).name
    return name if name.endswith(".onnx") else "face_detection_yunet.onnx"


def _fetch(url: str, handle, timeout: float) -> tuple[str, int]:
    """Stream ``url`` into ``handle`` with a size cap; (sha256, size). Network trouble -> YuNetModelError."""
    digest, size = hashlib.sha256(), 0
    request = urllib.request.Request(url, headers={"User-Agent": "ffa-lab"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - scheme checked by caller
            while block := response.read(1 << 16):
                size += len(block)
                if size > MAX_MODEL_BYTES:
                    raise YuNetModelError(f"{url} sent more than {MAX_MODEL_BYTES // 2**20} MB; not a YuNet model")
                digest.update(block)
                handle.write(block)
    except urllib.error.HTTPError as exc:
        raise YuNetModelError(f"download failed: {url} answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError) as exc:  # refused, DNS, timeout, file:// path missing
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        raise YuNetModelError(f"download failed: cannot fetch {url} ({reason})") from None
    return digest.hexdigest(), size


def download_yunet(
    url: str = OFFICIAL_URL,
    dest: str | Path | None = None,
    *,
    timeout: float = 60.0,
    accepted_sha256: dict[str, str] | None = None,
) -> DownloadResult:
    """Fetch the YuNet model from ``url`` into folder ``dest`` (default :func:`default_model_dir`).

    The file is written atomically and kept only if its SHA-256 is in ``accepted_sha256``
    (default :data:`KNOWN_SHA256`); it is then checked to load in OpenCV. ``file://`` URLs are
    accepted (installing a copy you already have). Raises :class:`YuNetModelError` with a
    readable reason on any failure.
    """
    accepted = KNOWN_SHA256 if accepted_sha256 is None else accepted_sha256
    scheme = urllib.parse.urlparse(url).scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise YuNetModelError(f"cannot download from {url!r}: the URL must start with https://, http:// or file://")
    folder = Path(dest).expanduser() if dest else default_model_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise YuNetModelError(f"cannot create the model folder {folder}: {exc.strerror or exc}") from None
    target = folder / _file_name(url)
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".download-", suffix=".part")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            sha, size = _fetch(url, handle, timeout)
        if sha not in accepted:
            raise YuNetModelError(
                f"the file from {url} has SHA-256 {sha}, which is not a known YuNet release; it was not kept"
            )
        try:
            os.replace(_checked_onnx(tmp), target)
        except OSError as exc:
            raise YuNetModelError(f"cannot write {target}: {exc.strerror or exc}") from None
    finally:
        for leftover in (tmp, tmp.with_suffix(".onnx")):
            leftover.unlink(missing_ok=True)
    return DownloadResult(path=target, sha256=sha, release=accepted[sha], size=size)


def _checked_onnx(tmp: Path) -> Path:
    """Rename the verified download to ``.onnx`` (OpenCV picks its importer by extension) and load it once."""
    onnx = tmp.with_suffix(".onnx")
    os.replace(tmp, onnx)
    load_detector(onnx)
    return onnx
