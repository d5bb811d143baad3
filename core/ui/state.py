"""Session state and the URL query string: ids and parameters only, never tensors.

Shared across pages (one browser session): the face reference, the attribute and the attack, under
the ``shared_*`` keys. Page-specific keys are prefixed with the page's name (``flip_…``, ``gallery_…``).
The query string mirrors the shared values (``?face=portrait:astronaut&attr=Smiling&attack=ffa``, plus
``face_n`` = which face of a photo with several) so a link opens the same view: a value in the URL that this session has not seen yet wins over the session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from ffa_lab.data.attributes import ATTRIBUTES, attribute_index
from ffa_lab.views.faces_data import face_kind

FACE, ATTR, ATTACK = "shared_face", "shared_attr", "shared_attack"
FACE_N = "shared_face_n"  # which detected face of the photo (0 = best ranked), as a string
QUERY_KEYS = {"face": FACE, "attr": ATTR, "attack": ATTACK, "face_n": FACE_N}
DEFAULTS = {FACE: "portrait:astronaut", ATTR: "Smiling", ATTACK: "ffa", FACE_N: "0"}
FACE_N_OWNER = "_face_n_ref"  # the face reference the shared face number was chosen for
MAX_FACE_N = 99
UPLOADS = "shared_uploads"  # {face ref: (bytes, file name, already aligned)} of this session's uploads, newest last
MAX_UPLOADS = 4


def init_state() -> None:
    """Set the shared defaults once per session, then adopt any new value from the URL."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    st.session_state.setdefault(UPLOADS, {})
    st.session_state.setdefault("_query_seen", {})
    apply_query_params()


def _valid(name: str, value: str) -> str | None:
    """The canonical form of a query value, or None when it is not valid."""
    try:
        if name == "face":
            face_kind(value)
            return value
        if name == "attr":
            return ATTRIBUTES[attribute_index(value)]
        if name == "face_n":
            return str(int(value)) if value.isdigit() and int(value) <= MAX_FACE_N else None
        if name == "attack":
            from ffa_lab.attacks import ATTACKS

            return value.lower() if value.lower() in ATTACKS else None
    except ValueError:
        return None
    return None


def apply_query_params() -> list[str]:
    """Copy URL values this session has not applied yet into the shared keys; returns rejected values."""
    seen = st.session_state["_query_seen"]
    rejected = []
    for name, key in QUERY_KEYS.items():
        value = st.query_params.get(name)
        if value is None or seen.get(name) == value:
            continue
        seen[name] = value
        canonical = _valid(name, value)
        if canonical is None:
            rejected.append(f"{name}={value}")
        else:
            st.session_state[key] = canonical
            if name == "face_n":  # a linked face number belongs to the linked face
                st.session_state.pop(FACE_N_OWNER, None)
    return rejected


def publish(**values: str) -> None:
    """Write shared values (face=, attr=, attack=) to the session and the URL query string."""
    seen = st.session_state["_query_seen"]
    for name, value in values.items():
        st.session_state[QUERY_KEYS[name]] = value
        if st.query_params.get(name) != value:
            st.query_params[name] = value
        seen[name] = value


def get(name: str) -> str:
    """The shared value ``name`` ('face', 'attr' or 'attack')."""
    return st.session_state[QUERY_KEYS[name]]


def face_number(ref: str) -> int:
    """The chosen face number of the photo ``ref``: the shared ``face_n`` while it belongs to ``ref`` (or came
    with a link), else 0 again (another photo was picked)."""
    owner = st.session_state.get(FACE_N_OWNER)
    if owner is not None and owner != ref and get("face_n") != "0":
        publish(face_n="0")
    st.session_state[FACE_N_OWNER] = ref
    return int(get("face_n"))


def remember_upload(ref: str, data: bytes, filename: str, assume_aligned: bool = False) -> None:
    """Keep an uploaded picture's bytes for this session (so other pages can use it), newest last."""
    uploads: dict = st.session_state[UPLOADS]
    uploads.pop(ref, None)
    uploads[ref] = (data, filename, bool(assume_aligned))
    while len(uploads) > MAX_UPLOADS:
        uploads.pop(next(iter(uploads)))


def upload_for(ref: str) -> tuple[bytes, str, bool] | None:
    return st.session_state[UPLOADS].get(ref)


def page_key(page: str, name: str) -> str:
    """A page-prefixed session key, e.g. page_key('flip', 'strength') -> 'flip_strength'."""
    return f"{page}_{name}"


def bind(widget_key: str, value, on_change: Callable[[Any], None]) -> dict:
    """Drive a widget from our own state: set its value before it is drawn, report user changes.

    Widget state does not survive a page switch (the widget gets a new identity on another page), so
    the value lives elsewhere (the shared keys, the settings) and is written into the widget every run;
    a user's change reaches ``on_change(new value)`` in a callback, before the script reruns. Returns
    the keyword arguments for the widget call (``key`` and ``on_change``); never pass value/index too.
    """
    st.session_state[widget_key] = value

    def changed() -> None:
        on_change(st.session_state[widget_key])

    return {"key": widget_key, "on_change": changed}


def remembered(widget_key: str, fallback, face_ref: str) -> dict:
    """Widget kwargs for a choice that belongs to one face: the user's last choice while the face stays the
    same, else ``fallback`` (e.g. the source radio follows a face opened from a link)."""
    store = f"_{widget_key}_choice"
    chosen = st.session_state.get(store)
    value = chosen[0] if chosen is not None and chosen[1] == face_ref else fallback

    def keep(new) -> None:
        st.session_state[store] = (new, face_ref)

    return bind(widget_key, value, keep)
