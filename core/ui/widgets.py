"""Small Streamlit building blocks shared by the pages: attribute/attack choosers, images, grids."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st
from PIL import Image

from ffa_lab.attacks import REGISTRY
from ffa_lab.report.numbers import fmt
from ffa_lab.ui import state
from ffa_lab.views.exports import display_order, flip_all_csv, flip_all_png
from ffa_lab.views.flip_all import FlipAllView
from ffa_lab.views.settings import DISPLAY_HEIGHT


def enlarge(image: np.ndarray, height: int = DISPLAY_HEIGHT) -> np.ndarray:
    """Nearest-neighbour enlargement by a whole factor to at least ``height`` rows (pixels stay crisp)."""
    factor = max(1, math.ceil(height / image.shape[0]))
    if factor == 1:
        return image
    return np.asarray(
        Image.fromarray(image).resize((image.shape[1] * factor, image.shape[0] * factor), Image.Resampling.NEAREST)
    )


def show_image(image: np.ndarray, caption: str, height: int = DISPLAY_HEIGHT, where=st) -> None:
    where.image(enlarge(image, height), caption=caption)


def attribute_select(page: str, attributes: list[str], label: str = "Attribute", where=st) -> str:
    """Attribute chooser following (and setting) the shared ``attr`` value."""
    wanted = state.get("attr")
    value = wanted if wanted in attributes else attributes[0]
    bound = state.bind(state.page_key(page, "attr"), value, lambda v: state.publish(attr=v))
    value = where.selectbox(label, attributes, format_func=lambda a: a.replace("_", " "), **bound)
    state.publish(attr=value)  # the URL always names the view (shareable link)
    return value


def attack_select(page: str, where=st) -> str:
    """Attack chooser (FFA first) following (and setting) the shared ``attack`` value."""
    wanted = state.get("attack")
    value = wanted if wanted in REGISTRY else "ffa"
    bound = state.bind(state.page_key(page, "attack"), value, lambda v: state.publish(attack=v))
    value = where.selectbox("Attack", list(REGISTRY), format_func=lambda name: REGISTRY[name].label, **bound)
    state.publish(attack=value)
    return value


def flip_all_grid(view: FlipAllView, stem: str, columns: int = 8) -> None:
    """Every attribute's adversarial for one face, with success, scale and PASS (✅ = flipped), and the
    grid as a PNG and the numbers as a CSV to download (files named ``stem``_flip_all.png/.csv)."""
    order = display_order(view)
    st.caption(
        f"{int(view.result.success.sum())}/{len(view.attributes)} attributes flipped; sorted by the scale needed "
        f"(smallest first); computed in {view.seconds:.1f} s."
    )
    left, right = st.columns(2)
    files = (
        (left, "Download the grid (PNG)", lambda: flip_all_png(view), "png", "image/png"),
        (right, "Download the numbers (CSV)", lambda: flip_all_csv(view), "csv", "text/csv"),
    )
    for where, label, build, suffix, mime in files:  # built only when clicked (a callable), no rerun
        where.download_button(
            label, build, f"{stem}_flip_all.{suffix}", mime, key=f"flip_all_{suffix}", on_click="ignore"
        )
    for row_start in range(0, len(order), columns):
        cells = st.columns(columns)
        for cell, i in zip(cells, order[row_start : row_start + columns], strict=False):
            mark = "✅" if view.result.success[i] else "❌"
            cell.image(
                enlarge(view.adversarial[i], 160),
                caption=f"{mark} {view.attributes[i].replace('_', ' ')} · scale {fmt(view.result.scale[i], 1)} · "
                f"PASS {fmt(view.result.pass_or_nan[i], 3)}",
            )
