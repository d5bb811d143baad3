"""Links that reproduce the view: URL-bound widgets, the "not understood" warning and "copy link to this view".

``control(widget, name, label, …)`` draws a widget whose value lives in the session key of query key
``name`` (ffa_lab.views.query.PARAMS) and is written to the URL on every run, so the address bar always names
what the page shows. ``share_box`` shows that address in full with Streamlit's copy button (``st.code``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from ffa_lab.ui import state
from ffa_lab.views import query

SHARE_LABEL = "🔗 Link to this view (the button at the right of the address copies it)"


def control(widget: Callable[..., Any], name: str, *args: Any, value: Any = None, key: str, **kwargs: Any) -> Any:
    """``widget(*args, **kwargs)`` (e.g. ``st.select_slider`` or ``column.multiselect``) showing query key
    ``name``'s current value (or ``value`` when given: the page's valid choice), under widget key ``key``.
    A user's change is stored and published before the rerun; the shown value is published every run."""
    current = state.get(name) if value is None else value
    bound = state.bind(key, current, lambda new: state.publish(**{name: _canonical(new)}))
    shown = widget(*args, **bound, **kwargs)
    state.publish(**{name: _canonical(shown)})
    return shown


def _canonical(value: Any) -> Any:
    """Widget values as PARAMS holds them: multiselect lists as tuples (hashable, comparable to defaults)."""
    return tuple(value) if isinstance(value, list) else value


def show_problems() -> None:
    """Name each value of the opened link that was not understood (then the defaults are used)."""
    rejected = state.problems()
    if rejected:
        lines = "\n".join(f"- `{item.split(': ', 1)[0]}`: {item.split(': ', 1)[1]}" for item in rejected)
        st.warning(
            f"This link has {'a value' if len(rejected) == 1 else 'values'} that could not be understood, so "
            f"the page shows {'its default' if len(rejected) == 1 else 'their defaults'} instead:\n{lines}",
            icon="⚠️",
        )


def current_link() -> str:
    """The full URL of this view: the page's address (``st.context.url``; empty under AppTest) and the
    query string the page has published."""
    base = st.context.url or ""
    return query.view_link(base, {key: st.query_params[key] for key in st.query_params})


def share_box(where: Any) -> None:
    """Fill the placeholder ``where`` with the link to this view and its copy button."""
    with where.container():
        st.caption(SHARE_LABEL)
        st.code(current_link(), language=None, wrap_lines=True)
