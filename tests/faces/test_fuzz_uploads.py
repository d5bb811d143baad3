"""Fuzzing the upload path the app uses (decode -> align -> score) with hundreds of broken files (500, seeded).

Every input must either give a face with 40 finite scores or raise one of our documented user errors
(core/errors.USER_ERRORS), within a time bound and without unbounded memory growth.
"""

from __future__ import annotations

import io
import random
import resource
import struct
import time
import zlib

import numpy as np
import pytest
from PIL import Image

from ffa_lab.data.images import ImageDecodeError, decode_image
from ffa_lab.errors import USER_ERRORS
from ffa_lab.faces.align import NoFaceError
from ffa_lab.views.faces_data import face_scores, prepare_aligned_bytes, prepare_bytes

N_INPUTS = 500
PER_INPUT_SECONDS = 5.0


def _seeds() -> list[bytes]:
    rng = np.random.default_rng(0)
    seeds = []
    from skimage.data import astronaut

    face = np.asarray(Image.fromarray(astronaut()[20:260, 120:320]).resize((100, 120)))  # a real face
    noise = rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)
    for pixels in (face, noise):
        for fmt, mode in (
            ("JPEG", "RGB"),
            ("PNG", "RGBA"),
            ("GIF", "P"),
            ("WEBP", "RGB"),
            ("BMP", "RGB"),
            ("TIFF", "CMYK"),
        ):
            buffer = io.BytesIO()
            Image.fromarray(pixels).convert(mode).save(buffer, format=fmt)
            seeds.append(buffer.getvalue())
    return seeds


def _mutate(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    kind = rng.randrange(5)
    if kind == 0:  # bit flips
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif kind == 1:  # truncation
        data = data[: rng.randrange(0, len(data))]
    elif kind == 2:  # duplicated chunk
        a = rng.randrange(len(data))
        data[a:a] = data[a : a + rng.randint(1, 200)]
    elif kind == 3:  # random bytes over the header
        for i in range(rng.randint(1, 24)):
            data[min(i + rng.randrange(16), len(data) - 1)] = rng.randrange(256)
    else:  # splice two formats
        other = _SEEDS[rng.randrange(len(_SEEDS))]
        cut = rng.randrange(len(data))
        data = data[:cut] + other[rng.randrange(len(other)) :]
    return bytes(data)


_SEEDS = _seeds()


@pytest.mark.slow
def test_hundreds_of_malformed_uploads_work_or_fail_cleanly(tiny_bank):
    rng = random.Random(1234)
    outcomes = {"scored": 0, "refused": 0}
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for i in range(N_INPUTS):
        data = _mutate(_SEEDS[i % len(_SEEDS)], rng)
        start = time.perf_counter()
        try:
            try:
                face = prepare_bytes("upload", data, f"fuzz-{i}")
            except NoFaceError:  # the app then offers to use the image as already aligned
                face = prepare_aligned_bytes("upload", data, f"fuzz-{i}")
            scores = face_scores(tiny_bank, face.aligned)
            assert scores.shape == (3,) and np.isfinite(scores).all()
            outcomes["scored"] += 1
        except USER_ERRORS as exc:
            assert str(exc), "a user error must carry a message"
            outcomes["refused"] += 1
        assert time.perf_counter() - start < PER_INPUT_SECONDS, f"input {i} took too long"
    rss_growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_start) / 1024
    print(f"fuzzed {N_INPUTS} uploads: {outcomes}, peak RSS growth {rss_growth_mb:.0f} MB")
    assert outcomes["scored"] > 50 and outcomes["refused"] > 50, outcomes
    assert rss_growth_mb < 500, f"peak memory grew by {rss_growth_mb:.0f} MB"


def _png_header_only(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )


def test_decompression_bomb_is_refused_before_decoding():
    bomb = _png_header_only(60000, 60000)  # 3.6 gigapixels announced by a 100-byte file
    rss_start = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    with pytest.raises(ImageDecodeError, match="pixels"):
        decode_image(bomb)
    assert time.perf_counter() - start < 1.0
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_start) / 1024 < 50
