"""Session state and the URL query string: ids and parameters only, never tensors.

Shared across pages (one browser session): the face reference, the attribute and the attack, under
the ``shared_*`` keys. Page-specific keys are prefixed with the page's name (``flip_…``, ``gallery_…``).
The query string mirrors every control that changes what is shown (``?face=portrait:astronaut&attr=Smiling
&attack=ffa&strength=0.5``, keys in ffa_lab.views.query.PARAMS) so a link opens the same view: a value in the
URL that this session has not seen yet wins over the session; one that is not understood is kept in
:func:`problems` (the page names it) and the session's value is used instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from ffa_lab.views import query
from ffa_lab.views.query import PARAMS

FACE, ATTR, ATTACK = "shared_face", "shared_attr", "shared_attack"
QUERY_KEYS = {name: param.key for name, param in PARAMS.items()}  # URL key -> session key (views.query)
DEFAULTS = {PARAMS[name].key: PARAMS[name].default for name in ("face", "attr", "attack")}
UPLOADS = "shared_uploads"  # {face ref: (bytes, file name, already aligned)} of this session's uploads, newest last
MAX_UPLOADS = 4
PROBLEMS = "_query_problems"  # ["attack=xyz: not an attack (…)", …] of the last link opened, until a control changes


def init_state() -> None:
    """Set the shared defaults once per session, then adopt any new value from the URL."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    st.session_state.setdefault(UPLOADS, {})
    st.session_state.setdefault("_query_seen", {})
    st.session_state.setdefault(PROBLEMS, [])
    apply_query_params()


def apply_query_params() -> list[str]:
    """Copy URL values this session has not applied yet into their session keys (ffa_lab.views.query.PARAMS).

    Returns the values that were not understood, each as ``"key=value: why"`` (also kept for
    :func:`problems` when the URL brought anything new); those keys keep the session's (or default) value,
    and the next :func:`publish` replaces them in the URL."""
    seen = st.session_state["_query_seen"]
    rejected, new = [], False
    for name, param in PARAMS.items():
        value = st.query_params.get(name)
        if value is None or seen.get(name) == value:
            continue
        seen[name], new = value, True
        try:
            st.session_state[param.key] = query.parse(name, value)
        except ValueError as exc:
            rejected.append(f"{name}={value}: {exc}")
    if new:
        st.session_state[PROBLEMS] = rejected
    return rejected


def publish(**values: Any) -> None:
    """Write values (face=, attr=, strength=, … any key of ffa_lab.views.query.PARAMS) to the session and the
    URL query string; a value at its default is removed from the URL unless the key names every view."""
    for name, value in values.items():
        st.session_state[PARAMS[name].key] = value
    publish_url(**values)


def publish_url(**values: Any) -> None:
    """Write values to the URL only (for one-shot requests such as ``all=1``, whose session key only a link sets)."""
    seen = st.session_state["_query_seen"]
    for name, value in values.items():
        text = query.url_text(name, value)
        if text is None:
            if name in st.query_params:
                del st.query_params[name]
            seen.pop(name, None)
        else:
            if st.query_params.get(name) != text:
                st.query_params[name] = text
            seen[name] = text


def get(name: str) -> Any:
    """The current value of query key ``name`` ('face', 'attr', 'attack', 'strength', …)."""
    return st.session_state.get(PARAMS[name].key, PARAMS[name].default_value())


def problems() -> list[str]:
    """Values of the opened link that were not understood (shown until the user changes a control)."""
    return list(st.session_state.get(PROBLEMS, []))


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
        st.session_state[PROBLEMS] = []  # the user has moved on from the link that had them
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
