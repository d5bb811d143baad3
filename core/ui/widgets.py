"""Small Streamlit building blocks shared by the pages: attribute/attack choosers, images, grids."""

from __future__ import annotations

import math

import numpy as np
import streamlit as st
from PIL import Image

from ffa_lab.attacks import REGISTRY
from ffa_lab.ui import state
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


def fmt(value: float, digits: int = 2, unit: str = "") -> str:
    """A number for display; '—' for nan/None."""
    if value is None or not np.isfinite(value):
        return "—"
    return f"{value:.{digits}f}{unit}"


def score_text(score: float) -> str:
    """A signed score that never rounds to a sign-less zero: -0.0002 shows as -2.07e-04, not -0.000."""
    if not np.isfinite(score):
        return "—"
    return f"{score:+.3f}" if abs(score) >= 0.0005 else f"{score:+.2e}"


def flip_all_grid(view: FlipAllView, columns: int = 8) -> None:
    """Every attribute's adversarial for one face, with success, scale and PASS (✅ = flipped)."""
    order = np.argsort(np.where(view.success, view.scale, np.inf), kind="stable")
    st.caption(
        f"{int(view.success.sum())}/{len(view.attributes)} attributes flipped; sorted by the scale needed "
        f"(smallest first); computed in {view.seconds:.1f} s."
    )
    for row_start in range(0, len(order), columns):
        cells = st.columns(columns)
        for cell, i in zip(cells, order[row_start : row_start + columns], strict=False):
            mark = "✅" if view.success[i] else "❌"
            cell.image(
                enlarge(view.adversarial[i], 160),
                caption=f"{mark} {view.attributes[i].replace('_', ' ')} · scale {fmt(view.scale[i], 1)} · "
                f"PASS {fmt(view.pass_score[i], 3)}",
            )
