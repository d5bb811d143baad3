"""Turn exceptions into readable messages in the page: the app never shows a traceback.

Errors a user can fix (ffa_lab.errors.USER_ERRORS, results folders, bad choices) are shown as their one-line
message; anything else is logged with its traceback on the server and shown as a short apology that
names the exception. Streamlit's own control flow (st.stop, st.rerun, st.switch_page) raises
BaseException subclasses, which pass through untouched.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

import streamlit as st

from ffa_lab.errors import USER_ERRORS

LOG = logging.getLogger("ffa_lab.app")
T = TypeVar("T")


def user_error_types() -> tuple[type[BaseException], ...]:
    """Exceptions whose message is meant for users (results-folder and value errors included)."""
    from ffa_lab.views.limits import ServerBusyError

    extra: list[type[BaseException]] = [ValueError, KeyError, ServerBusyError]
    try:
        from ffa_lab.experiments.results import ResultsError

        extra.append(ResultsError)
    except ImportError:  # pragma: no cover - results module absent in a partial install
        pass
    return (*USER_ERRORS, *extra)


def message_for(exc: BaseException, what: str) -> str:
    """The text shown for ``exc`` raised while doing ``what`` (e.g. "Loading the model bank")."""
    if isinstance(exc, user_error_types()):
        detail = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        return f"{what}: {detail}"
    return f"{what} failed unexpectedly ({type(exc).__name__}: {exc}). The details are in the server log."


def show_error(exc: BaseException, what: str, *, expected: bool = False) -> None:
    """Show ``exc`` as an st.error box (st.info when ``expected`` and it is a user error, e.g. results
    that were not computed yet); unexpected errors are logged with their traceback."""
    if not isinstance(exc, user_error_types()):
        LOG.exception("%s failed", what, exc_info=exc)
    elif expected:
        st.info(message_for(exc, what), icon="ℹ️")
        return
    st.error(message_for(exc, what), icon="⚠️")


def guarded(what: str, fn: Callable[..., T], *args, expected: bool = False, **kwargs) -> T | None:
    """Call ``fn``; on an exception show it (see :func:`show_error`) and return None."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 - every error becomes a message, never a traceback
        show_error(exc, what, expected=expected)
        return None
