"""Safe decoding of any image file into a uint8 RGB array (H, W, 3).

Handles EXIF orientation, grayscale / RGBA / palette / 16-bit / CMYK modes and animated images
(first frame), and refuses with :class:`ImageDecodeError` — one readable sentence — empty files,
non-images (an HTML page renamed .jpg), truncated files and decompression bombs.
"""

from __future__ import annotations

import io
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from ffa_lab.errors import ImageDecodeError

MAX_PIXELS = 40_000_000  # refuse larger images before decoding them (decompression-bomb limit)
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_SIDE = 20_000  # refuse strips like 200,000 x 200 too: no camera makes them, and every step downstream
# (EXIF rotation, RGB conversion, the detector's downscale) would allocate along that side


def _sniff_non_image(data: bytes) -> str | None:
    head = data[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<svg")) or b"<html" in head:
        return "this file is a web page or XML document, not an image"
    if head.startswith(b"%pdf"):
        return "this file is a PDF document, not an image"
    if head.startswith(b"pk\x03\x04"):
        return "this file is a ZIP archive, not an image"
    return None


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I"):
        # 16-bit grey: full range 0..65535 maps to 0..255 (brightness kept, not stretched); 32-bit
        # integers beyond 16 bits are scaled by their maximum.
        arr = np.asarray(image, dtype=np.float64)
        top = 65535.0 if arr.max() <= 65535 else float(arr.max())
        return Image.fromarray(np.clip(arr / top * 255.0, 0, 255).round().astype(np.uint8)).convert("RGB")
    if image.mode == "F":
        arr = np.asarray(image, dtype=np.float64)
        arr = (arr - arr.min()) / max(arr.max() - arr.min(), 1e-12) * 255.0
        return Image.fromarray(arr.round().astype(np.uint8)).convert("RGB")
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def decode_image(source: bytes | str | Path, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """Decode bytes or a file path into uint8 RGB (H, W, 3); raise :class:`ImageDecodeError`."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.is_file():
            raise ImageDecodeError(f"image file not found: {path}")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ImageDecodeError(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")
        data = path.read_bytes()
    else:
        data = bytes(source)
    if not data:
        raise ImageDecodeError("the file is empty (0 bytes)")
    if len(data) > MAX_FILE_BYTES:
        raise ImageDecodeError(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")
    sniffed = _sniff_non_image(data)
    if sniffed:
        raise ImageDecodeError(sniffed)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image: Image.Image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > max_pixels:
                raise ImageDecodeError(
                    f"the image is {width}x{height} pixels, more than the limit of {max_pixels:,} pixels"
                )
            if max(width, height) > MAX_SIDE:
                raise ImageDecodeError(
                    f"the image is {width}x{height} pixels; its longer side is over the limit of {MAX_SIDE:,} pixels"
                )
            image.seek(0)  # animated GIF/WebP/APNG: the first frame
            image.load()
    except ImageDecodeError:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        raise ImageDecodeError(
            f"the image has more pixels than the decompression-bomb limit ({min(max_pixels, Image.MAX_IMAGE_PIXELS or max_pixels):,}); "
            "refused without decoding"
        ) from None
    except UnidentifiedImageError:
        raise ImageDecodeError(
            "the file is not an image format we can read (JPEG, PNG, WebP, GIF, BMP, TIFF)"
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        if "truncated" in str(exc).lower():
            raise ImageDecodeError(
                "the image file is truncated: it ends before the picture does (incomplete download?)"
            ) from None
        if isinstance(exc, OSError):
            raise ImageDecodeError(f"the image file is corrupt ({exc})") from None
        raise ImageDecodeError(f"the image could not be decoded ({exc})") from None
    if image.size[0] < 8 or image.size[1] < 8:
        raise ImageDecodeError(f"the image is only {image.size[0]}x{image.size[1]} pixels")
    try:
        image = ImageOps.exif_transpose(image) or image
    except Exception:  # noqa: BLE001 - a broken EXIF block must not sink a good image
        pass
    return np.ascontiguousarray(np.asarray(_to_rgb(image), dtype=np.uint8))


def encode_png(image: np.ndarray) -> bytes:
    """Lossless PNG bytes of a uint8 RGB (H, W, 3) image."""
    buffer = io.BytesIO()
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="PNG")
    return buffer.getvalue()


def load_rgb(path: str | Path) -> np.ndarray:
    """Decode a trusted dataset file (fast path for training caches)."""
    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def shrink_to_side(image: np.ndarray, max_side: int) -> tuple[np.ndarray, float]:
    """``image`` area-downscaled so its longer side is at most ``max_side``; (image, the x scale applied,
    1.0 when it was small enough). Detectors run on the copy and divide their coordinates by the scale."""
    scale = min(1.0, max_side / max(image.shape[:2]))
    if scale >= 1.0:
        return image, 1.0
    size = (max(1, round(image.shape[1] * scale)), max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), size[0] / image.shape[1]


def warp_source(image: np.ndarray, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """What a warp that shrinks ``image`` by ``scale`` should sample: (source, 3x3 map image -> source).

    Shrinking by bilinear warping aliases, so below half size the image is area-averaged to twice the
    target scale first; compose the warp with the inverse of the returned map."""
    if scale >= 0.5:
        return image, np.eye(3)
    factor = 2.0 * scale
    size = (max(1, round(image.shape[1] * factor)), max(1, round(image.shape[0] * factor)))
    fx, fy = size[0] / image.shape[1], size[1] / image.shape[0]
    # resize maps pixel centres: x' = (x + 0.5) * fx - 0.5
    to_source = np.array([[fx, 0, 0.5 * fx - 0.5], [0, fy, 0.5 * fy - 0.5], [0, 0, 1]])
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA), to_source
