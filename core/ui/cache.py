"""Cached loaders: what the pages call instead of ffa_lab directly.

- ``st.cache_resource`` holds the model bank and the dataset index once per process, keyed by the
  folder path and its files' modification times (a retrained bank is picked up). Never mutate them.
- ``st.cache_data`` holds faces, scores and attack results, keyed by the model key, the face's pixels
  (hashed by Streamlit), the attribute, the method and the goal, with ``max_entries`` bounds.

Parameters with a leading underscore are not hashed; another argument (``model_key``) identifies them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import streamlit as st

from ffa_lab.data.celeba import CelebA, load_celeba
from ffa_lab.models.bank import AttributeBank
from ffa_lab.models.checkpoint import LoadedBank, load_bank
from ffa_lab.views import faces_data, flips, limits
from ffa_lab.views.flip_all import FlipAllView, flip_all_view
from ffa_lab.views.settings import resolve_folder


def folder_stamp(folder: str) -> str:
    """``folder`` plus the newest modification time of its files: changes when the contents change."""
    path = resolve_folder(folder)
    try:
        newest = max((p.stat().st_mtime_ns for p in path.iterdir() if p.is_file()), default=0)
    except OSError:
        newest = -1
    return f"{path}@{newest}"


@st.cache_resource(max_entries=4, show_spinner="Loading the model bank…")
def _bank(stamp: str) -> LoadedBank:
    return load_bank(stamp.rsplit("@", 1)[0])


def bank(folder: str) -> tuple[LoadedBank, str]:
    """(the loaded bank of ``folder``, its cache key); raises ffa_lab.models.checkpoint.CheckpointError."""
    stamp = folder_stamp(folder)
    return _bank(stamp), stamp


@st.cache_resource(max_entries=2, show_spinner="Reading the dataset's label files…")
def dataset(root: str) -> CelebA:
    """The CelebA folder at ``root`` (labels, splits, image paths); raises CelebAFormatError."""
    return load_celeba(resolve_folder(root))


def _portraits() -> dict[str, tuple[str, Callable[[], np.ndarray]]]:
    """slug ('astronaut', 'grace_hopper') -> (title, loader) of ffa_lab.data.portraits.bundled_portraits."""
    from ffa_lab.data.portraits import bundled_portraits
    from ffa_lab.views.query import portrait_slug

    return {portrait_slug(title): (title, load) for title, load in bundled_portraits().items()}


@st.cache_data(max_entries=16, show_spinner="Finding and aligning the face…")
def portrait_face(name: str, face_n: int = 0) -> faces_data.PreparedFace:
    """A bundled portrait by slug, face ``face_n`` aligned; ValueError for an unknown name or a missing package."""
    portraits = _portraits()
    if name not in portraits:
        raise ValueError(f"no bundled portrait called {name!r}; choose one of {', '.join(portraits)}")
    title, load = portraits[name]
    return faces_data.prepare_photo(f"portrait:{name}", title, load(), face_index=face_n)


def portrait_names() -> list[str]:
    """Slugs of the public-domain portraits that ship in installed packages."""
    return list(_portraits())


def portrait_title(name: str) -> str:
    return _portraits().get(name, (name,))[0]


@st.cache_data(max_entries=16, show_spinner="Finding and aligning the face…")
def bytes_face(
    ref: str, _data: bytes, title: str, assume_aligned: bool = False, face_n: int = 0
) -> faces_data.PreparedFace:
    """An uploaded/camera picture, keyed by ``ref`` (the SHA-256 of ``_data``); face ``face_n`` aligned."""
    kind = faces_data.face_kind(ref)
    if assume_aligned:
        return faces_data.prepare_aligned_bytes(kind, _data, title)
    return faces_data.prepare_bytes(kind, _data, title, face_index=face_n)


@st.cache_data(max_entries=256, show_spinner=False)
def dataset_face(root: str, image_id: str) -> faces_data.PreparedFace:
    return faces_data.prepare_dataset_face(dataset(root), image_id)


@st.cache_data(max_entries=64, show_spinner=False)
def dataset_matches(
    root: str, split: str, conditions: tuple[tuple[int, int], ...], search: str
) -> tuple[list[str], int]:
    return faces_data.filter_dataset(dataset(root), split, dict(conditions), search)


@st.cache_data(max_entries=256, show_spinner=False)
def scores(model_key: str, _bank: AttributeBank, aligned: np.ndarray) -> np.ndarray:
    """The bank's (G,) scores of one aligned face."""
    return faces_data.face_scores(_bank, aligned)


@st.cache_data(max_entries=64, show_spinner="Attacking…")
def flip(
    model_key: str,
    _bank: AttributeBank,
    aligned: np.ndarray,
    attribute: str,
    method: str,
    goal: str = "flip",
    label: int | None = None,
) -> flips.FlipView:
    """One attack on one face with everything the flip view shows (ffa_lab.views.flips.flip_view)."""
    with limits.attack_slot():  # a cache hit never gets here, so it never waits for a slot
        return flips.flip_view(_bank, aligned, attribute, method, goal=goal, label=label)


@st.cache_data(max_entries=8, show_spinner="Flipping every attribute…")
def flip_all(model_key: str, _bank: AttributeBank, aligned: np.ndarray, method: str) -> FlipAllView:
    with limits.attack_slot():
        return flip_all_view(_bank, aligned, method)


@st.cache_data(max_entries=4, show_spinner="Reading the study results…")
def study(stamp: str):
    """ffa_lab.experiments.results.read_study of the folder in ``stamp`` (see :func:`folder_stamp`)."""
    from ffa_lab.experiments.results import read_study

    return read_study(stamp.rsplit("@", 1)[0])


@st.cache_data(max_entries=4, show_spinner="Reading the natural-adversarial results…")
def natural(stamp: str):
    from ffa_lab.experiments.results import read_natural

    return read_natural(stamp.rsplit("@", 1)[0])
