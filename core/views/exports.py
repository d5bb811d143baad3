"""Downloadable files of the flip-all view (no Streamlit here): one PNG grid and one CSV of the numbers.

The grid and the CSV list the attributes in the order the page shows them: flipped ones first, by the
scale needed (smallest first), then the ones that did not flip (:func:`display_order`).
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np
from PIL import Image, ImageDraw

from ffa_lab.data.images import encode_png
from ffa_lab.views.flip_all import FlipAllView

LABEL_HEIGHT = 14  # pixels of caption strip under each tile (PIL's default bitmap font is ~11 px high)
CSV_COLUMNS = ("attribute", "flipped", "score_before", "score_after", "scale", "linf", "pass")


def display_order(view: FlipAllView) -> np.ndarray:
    """Indices into ``view.attributes``: flipped first by scale (smallest first), then the rest, stable."""
    return np.argsort(np.where(view.result.success, view.result.scale, np.inf), kind="stable")


def flip_all_png(view: FlipAllView, columns: int = 8) -> bytes:
    """Every attribute's adversarial, tiled ``columns`` wide in :func:`display_order`, each captioned with
    its attribute and whether it flipped ("+" flipped, "x" not); PNG bytes (lossless, so the adversarials
    in it are the exact images)."""
    order = display_order(view)
    height, width = view.adversarial.shape[1:3]
    rows = math.ceil(len(order) / columns)
    canvas = Image.new("RGB", (columns * width, rows * (height + LABEL_HEIGHT)), "white")
    draw = ImageDraw.Draw(canvas)
    for cell, i in enumerate(order):
        x, y = (cell % columns) * width, (cell // columns) * (height + LABEL_HEIGHT)
        canvas.paste(Image.fromarray(view.adversarial[i]), (x, y))
        mark = "+" if view.result.success[i] else "x"
        draw.text((x + 2, y + height + 1), f"{mark} {view.attributes[i]}", fill="black")
    return encode_png(np.asarray(canvas))


def _number(value: float, digits: int) -> str:
    return "" if not math.isfinite(float(value)) else f"{float(value):.{digits}f}"


def flip_all_csv(view: FlipAllView) -> str:
    """One row per attribute (:data:`CSV_COLUMNS`), in :func:`display_order`; empty cells for no value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for i in display_order(view):
        writer.writerow(
            [
                view.attributes[i],
                "yes" if view.result.success[i] else "no",
                _number(view.result.score_before[i], 6),
                _number(view.result.score_after[i], 6),
                _number(view.result.scale[i], 4),
                _number(view.result.linf[i], 1),
                _number(view.result.pass_or_nan[i], 6),
            ]
        )
    return out.getvalue()
