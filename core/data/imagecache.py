"""Decoded-image cache: one uint8 array (N, H, W, 3) per split, stored as .npy beside a key file.

Decoding 10,000 JPEGs every epoch would make the CPU wait; the cache decodes once and memory-maps
afterwards. The key covers the folder, ids, file sizes and mtimes, so a changed dataset rebuilds.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ffa_lab.data.celeba import CelebA, CelebAFormatError
from ffa_lab.data.images import load_rgb


def default_cache_dir() -> Path:
    base = os.environ.get("FFA_LAB_CACHE") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / ("ffa-lab" if "FFA_LAB_CACHE" not in os.environ else "")


def images_key(data: CelebA, ids: list[str]) -> str:
    """Short hash of the folder and each image's name, size and modification time (changes with any file)."""
    digest = hashlib.sha256(str(data.root.resolve()).encode())
    for image_id in ids:
        stat = (data.image_dir / image_id).stat()
        digest.update(f"{image_id}:{stat.st_size}:{int(stat.st_mtime)};".encode())
    return digest.hexdigest()[:20]


def load_images(
    data: CelebA, ids: list[str], cache_dir: Path | None = None, progress: Callable[[int, int], None] | None = None
) -> np.ndarray:
    """All images of ``ids`` as one uint8 (N, H, W, 3) array, via the on-disk cache.

    ``progress(decoded, len(ids))`` is called from this thread while a missing cache is built (about every
    1 % of the images); a cache hit calls it once with everything done."""
    if not ids:
        raise ValueError("no images to load")
    cache_dir = Path(cache_dir) if cache_dir else default_cache_dir()
    key = images_key(data, ids)
    array_path = cache_dir / f"images-{key}.npy"
    if array_path.is_file():
        try:
            cached = np.load(array_path, mmap_mode="r")
        except (OSError, ValueError):
            array_path.unlink(missing_ok=True)  # a broken cache is rebuilt, never trusted
        else:
            if progress is not None:
                progress(len(ids), len(ids))
            return cached
    first = load_rgb(data.image_dir / ids[0])
    out = np.empty((len(ids), *first.shape), dtype=np.uint8)

    def decode(i: int) -> None:
        image = load_rgb(data.image_dir / ids[i])
        if image.shape != first.shape:
            raise CelebAFormatError(
                data.image_dir / ids[i],
                None,
                f"image is {image.shape[1]}x{image.shape[0]}, others are {first.shape[1]}x{first.shape[0]}",
            )
        out[i] = image

    every = max(1, len(ids) // 100)
    with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
        # results arrive here in order, so the callback runs in the caller's thread (Streamlit needs that)
        for done, _ in enumerate(pool.map(decode, range(len(ids))), 1):
            if progress is not None and (done % every == 0 or done == len(ids)):
                progress(done, len(ids))
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = cache_dir / f".images-{key}.{uuid.uuid4().hex}.tmp.npy"  # unique across nodes sharing the cache
    np.save(tmp, out)
    os.replace(tmp, array_path)
    (cache_dir / f"images-{key}.json").write_text(json.dumps({"root": str(data.root), "n": len(ids)}))
    return out
