"""Input hygiene (issue 4): a corpus of broken and unusual files, made here, each with its specific outcome."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from ffa_lab.cli.main import main
from ffa_lab.data.images import ImageDecodeError, decode_image, encode_png

# A smooth colour picture (JPEG keeps it close) whose four corners differ, so rotations are visible.
_Y, _X = np.mgrid[0:48, 0:64]
PICTURE = np.stack([_X * 4, _Y * 5, 255 - _X * 2], axis=-1).clip(0, 255).astype(np.uint8)


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def jpeg() -> bytes:
    return encoded(Image.fromarray(PICTURE), "JPEG", quality=95)


def close(a: np.ndarray, b: np.ndarray, tolerance: float = 6.0) -> bool:
    return a.shape == b.shape and float(np.abs(a.astype(float) - b).mean()) < tolerance


REFUSED = {
    "empty.jpg": (lambda: b"", "the file is empty"),
    "page.jpg": (lambda: b"<!DOCTYPE html>\n<html><head><title>404</title></head></html>", "web page"),
    "truncated.jpg": (lambda: jpeg()[: len(jpeg()) // 2], "truncated: it ends before the picture does"),
    "header-only.jpg": (lambda: jpeg()[:24], "truncated"),  # recognisably a JPEG, cut after its header
    "noise.jpg": (lambda: bytes(np.random.default_rng(1).integers(0, 256, 4096, dtype=np.uint8)), "not an image"),
    "document.jpg": (lambda: b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF document"),
    "archive.png": (lambda: b"PK\x03\x04" + bytes(64), "ZIP archive"),
    # 9000x9000 = 81 M pixels: over our 40 M limit, checked from the header before any decoding
    "bomb.png": (lambda: encoded(Image.new("1", (9000, 9000)), "PNG"), "more than the limit of 40,000,000 pixels"),
    # 14000x14000 = 196 M pixels: Pillow's own DecompressionBombError fires while opening
    "huge-bomb.png": (lambda: encoded(Image.new("1", (14000, 14000)), "PNG"), "decompression-bomb limit"),
    "tiny.png": (lambda: encoded(Image.new("RGB", (4, 4)), "PNG"), "only 4x4 pixels"),
}


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_broken_files_get_their_specific_message(tmp_path, name):
    make, message = REFUSED[name]
    path = tmp_path / name
    path.write_bytes(make())
    with pytest.raises(ImageDecodeError, match=message):
        decode_image(path)
    with pytest.raises(ImageDecodeError, match=message):
        decode_image(path.read_bytes())


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ImageDecodeError, match="not found: .*nowhere.png"):
        decode_image(tmp_path / "nowhere.png")


@pytest.mark.parametrize("name", ["empty.jpg", "page.jpg", "truncated.jpg", "bomb.png"])
def test_cli_reports_broken_files_in_one_line(tmp_path, capsys, name):
    path = tmp_path / name
    path.write_bytes(REFUSED[name][0]())
    assert main(["align", "--image", str(path), "--aligner", "haar"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ffa-lab align: error: ") and err.count("\n") == 1 and "Traceback" not in err


def test_animated_gif_gives_its_first_frame():
    frames = [Image.fromarray(np.full((32, 40, 3), value, np.uint8)) for value in (30, 220, 120)]
    data = io.BytesIO()
    frames[0].save(data, format="GIF", save_all=True, append_images=frames[1:], duration=80, loop=0)
    image = decode_image(data.getvalue())
    assert image.shape == (32, 40, 3) and image.dtype == np.uint8 and np.all(image == 30)


def test_grayscale_becomes_three_equal_channels():
    image = decode_image(encoded(Image.fromarray(PICTURE[..., 1]), "PNG"))
    assert image.shape == (48, 64, 3) and np.array_equal(image[..., 0], PICTURE[..., 1])
    assert np.array_equal(image[..., 0], image[..., 2])


def test_rgba_is_composited_on_white():
    alpha = np.zeros((48, 64), np.uint8)
    alpha[:, 32:] = 255
    image = decode_image(encoded(Image.fromarray(np.dstack([PICTURE, alpha])), "PNG"))
    assert np.all(image[:, :32] == 255) and np.array_equal(image[:, 32:], PICTURE[:, 32:])


def test_palette_image_is_expanded():
    palette = Image.fromarray(PICTURE).convert("P", palette=Image.Palette.ADAPTIVE, colors=64)
    image = decode_image(encoded(palette, "PNG"))
    assert np.array_equal(image, np.asarray(palette.convert("RGB"))) and close(image, PICTURE, 12)


def test_palette_with_transparency_is_composited_on_white():
    palette = Image.fromarray(PICTURE).convert("P", palette=Image.Palette.ADAPTIVE, colors=16)
    image = decode_image(encoded(palette, "PNG", transparency=int(np.asarray(palette)[0, 0])))
    assert tuple(image[0, 0]) == (255, 255, 255)


def test_16_bit_grey_keeps_its_brightness():
    grey16 = PICTURE[..., 0].astype(np.uint16) * 257  # full 16-bit range
    image = decode_image(encoded(Image.fromarray(grey16), "PNG"))
    assert np.abs(image[..., 0].astype(int) - PICTURE[..., 0]).max() <= 1
    dark = (PICTURE[..., 0].astype(np.uint16) * 16).astype(np.uint16)  # dim 12-bit data stays dim
    assert decode_image(encoded(Image.fromarray(dark), "PNG")).max() <= 16


def test_16_bit_rgb_png_is_reduced_to_8_bit():
    rgb16 = PICTURE.astype(np.uint16) * 257
    ok, data = cv2.imencode(".png", rgb16[..., ::-1])  # OpenCV writes BGR, 16 bits per channel
    assert ok
    image = decode_image(data.tobytes())
    assert np.abs(image.astype(int) - PICTURE).max() <= 1


def test_cmyk_jpeg_is_converted_to_rgb():
    image = decode_image(encoded(Image.fromarray(PICTURE).convert("CMYK"), "JPEG", quality=95))
    assert image.shape == (48, 64, 3) and close(image, PICTURE)


@pytest.mark.parametrize(
    ("orientation", "expected"), [(3, np.rot90(PICTURE, 2)), (6, np.rot90(PICTURE, -1)), (8, np.rot90(PICTURE, 1))]
)
def test_exif_orientation_is_honoured(orientation, expected):
    picture = Image.fromarray(PICTURE)
    exif = picture.getexif()
    exif[0x0112] = orientation
    image = decode_image(encoded(picture, "JPEG", quality=95, exif=exif.tobytes()))
    assert close(image, expected), orientation


def test_encode_png_round_trips():
    assert np.array_equal(decode_image(encode_png(PICTURE)), PICTURE)


def test_an_overlong_strip_is_refused_before_decoding():
    buffer = io.BytesIO()
    Image.new("L", (25_000, 8)).save(buffer, format="PNG")  # 200,000 pixels: far under the pixel limit
    with pytest.raises(ImageDecodeError, match="longer side is over the limit of 20,000 pixels"):
        decode_image(buffer.getvalue())
    buffer = io.BytesIO()
    Image.new("L", (20_000, 8)).save(buffer, format="PNG")
    assert decode_image(buffer.getvalue()).shape == (8, 20_000, 3)
