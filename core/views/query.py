"""The app's URL query string: every control that changes what a page shows, read and written as text.

A link then reproduces the view (docs/app.md, "Shareable views"). Each key is a :class:`Param`: the session
key holding its value, the default, a parser from URL text (``ValueError`` with a reason when the text is not
understood) and a writer back to text. Keys whose value equals the default are left out of the URL, except
the three that name every view (``face``, ``attr``, ``attack``). No Streamlit here: ffa_lab.ui.state applies
and publishes these against ``st.session_state`` / ``st.query_params``.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from ffa_lab.data.attributes import ATTRIBUTES, attribute_index
from ffa_lab.views.faces_data import face_kind
from ffa_lab.views.flips import STRENGTHS
from ffa_lab.views.gallery import SORT_KEYS
from ffa_lab.views.settings import default_dataset_folder, default_models_folder

MIN_PASS_STEPS = (0.0, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999)  # the gallery's "PASS at least" slider
LIVE_LIMITS = (100, 200, 500, 1000, 2000, 5000)  # the gallery's "Images to scan" slider
SPLITS = ("train", "val", "test")
MAX_FACE_N = 99
UPLOAD_REF = re.compile(r"[0-9a-f]{16}")  # ffa_lab.views.faces_data.bytes_ref: 16 hex digits of a SHA-256


def portrait_slug(title: str) -> str:
    """URL name of a bundled portrait: 'Grace Hopper (matplotlib)' -> 'grace_hopper'."""
    return title.split(" (")[0].lower().replace(" ", "_")


def portrait_slugs() -> list[str]:
    from ffa_lab.data.portraits import bundled_portraits

    return [portrait_slug(title) for title in bundled_portraits()]


def parse_face(text: str) -> str:
    """A face reference: ``portrait:<slug>`` of a bundled portrait, ``dataset:<id>`` (checked against the
    dataset when it is opened), ``upload:``/``camera:`` + 16 hex digits (see :func:`bytes_ref`)."""
    kind = face_kind(text)
    name = text.split(":", 1)[1]
    if kind == "portrait" and name not in (slugs := portrait_slugs()):
        raise ValueError(f"no bundled portrait called {name!r} (there are {', '.join(slugs)})")
    if kind in ("upload", "camera") and not UPLOAD_REF.fullmatch(name):
        raise ValueError(f"not a picture reference ({kind}: is followed by 16 hexadecimal digits)")
    return text


def parse_attribute(text: str) -> str:
    """One of the 40 CelebA attributes, in any spelling attribute_index accepts (case, spaces)."""
    try:
        return ATTRIBUTES[attribute_index(text)]
    except ValueError:
        close = difflib.get_close_matches(text, ATTRIBUTES, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]}?" if close else "e.g. Smiling, Male, Eyeglasses"
        raise ValueError(f"not one of the 40 CelebA attributes ({hint})") from None


def parse_attack(text: str) -> str:
    from ffa_lab.attacks import REGISTRY

    if text.lower() not in REGISTRY:
        raise ValueError(f"not an attack (there are {', '.join(REGISTRY)})")
    return text.lower()


def one_of(options: tuple | list, what: str, convert: Callable[[str], Any] = str) -> Callable[[str], Any]:
    """A parser accepting exactly one of ``options`` (numbers compared after ``convert``)."""

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            value = None
        for option in options:
            if value == option or (isinstance(option, float) and value is not None and math.isclose(value, option)):
                return option
        raise ValueError(f"not {what} (one of {', '.join(str(o) for o in options)})")

    return parse


def list_of(options: tuple | list, what: str) -> Callable[[str], tuple[str, ...]]:
    """A parser for comma-separated values, each one of ``options`` (attributes also in any spelling)."""

    def parse(text: str) -> tuple[str, ...]:
        values = []
        for item in (t.strip() for t in text.split(",")):
            if not item:
                continue
            if options is ATTRIBUTES:
                values.append(parse_attribute(item))
            elif item in options:
                values.append(item)
            else:
                raise ValueError(f"{item!r} is not {what} (one of {', '.join(options)})")
        return tuple(dict.fromkeys(values))

    return parse


def parse_page(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise ValueError("not a page number (1, 2, …)")
    return int(text)


def parse_face_n(text: str) -> int:
    """Which face of a photo with several (0 = the best ranked; ffa_lab.faces.choice)."""
    if not text.isdigit() or int(text) > MAX_FACE_N:
        raise ValueError(f"not a face number (0, 1, … up to {MAX_FACE_N})")
    return int(text)


def parse_flag(text: str) -> bool:
    if text not in ("0", "1"):
        raise ValueError("not 0 or 1")
    return text == "1"


def join(values: tuple | list) -> str:
    return ",".join(values)


@dataclass(frozen=True)
class Param:
    """One query-string key: ``key`` in the session, its ``default`` (a value, or a function of nothing for
    defaults read from the environment), ``parse`` (URL text -> value, ValueError when not understood) and
    ``text`` (value -> URL text). ``always``: stays in the URL at its default (it names the view)."""

    key: str
    default: Any
    parse: Callable[[str], Any]
    text: Callable[[Any], str] = str
    always: bool = False

    def default_value(self) -> Any:
        return self.default() if callable(self.default) else self.default


PARAMS: dict[str, Param] = {
    # Every view: the face, the attribute and the attack (ffa_lab.ui.state.FACE / ATTR / ATTACK).
    "face": Param("shared_face", "portrait:astronaut", parse_face, always=True),
    "attr": Param("shared_attr", "Smiling", parse_attribute, always=True),
    "attack": Param("shared_attack", "ffa", parse_attack, always=True),
    # Which face of a photo with several (Inspect and the shared face picker; ffa_lab.ui.state.face_number).
    "face_n": Param("shared_face_n", 0, parse_face_n),
    # The sidebar's folders (left out while they are the server's presets).
    "models": Param("cfg_models", default_models_folder, str.strip),
    "data": Param("cfg_dataset", default_dataset_folder, str.strip),
    # Flip page: the strength slider and whether the flip-all grid is shown.
    "strength": Param("q_strength", 1.0, one_of(tuple(float(s) for s in STRENGTHS), "a strength step", float)),
    "all": Param("q_flip_all", False, parse_flag, lambda v: "1" if v else "0"),
    "saliency": Param("q_saliency", False, parse_flag, lambda v: "1" if v else "0"),
    # Natural adversarials (gallery).
    "results": Param("q_gallery_source", "saved", one_of(("saved", "live"), "a results source")),
    "split": Param("q_gallery_split", "test", one_of(("test", "train"), "a split to mine")),
    "limit": Param("q_gallery_limit", 100, one_of(LIVE_LIMITS, "a number of images to scan", int)),
    "attrs": Param("q_gallery_attributes", (), list_of(ATTRIBUTES, "an attribute"), join),
    "splits": Param("q_gallery_splits", (), list_of(SPLITS, "a split"), join),
    "min_pass": Param("q_gallery_min_pass", 0.0, one_of(MIN_PASS_STEPS, "a PASS step", float)),
    "sort": Param("q_gallery_sort", next(iter(SORT_KEYS)), one_of(tuple(SORT_KEYS), "a sort order")),
    "natural": Param("q_gallery_natural", False, parse_flag, lambda v: "1" if v else "0"),
    "page": Param("q_gallery_page", 1, parse_page),
    # Robustness dashboard: the attributes of the mean-|δ| maps (None = the page's default choice).
    "maps": Param("q_dash_maps", None, list_of(ATTRIBUTES, "an attribute"), join),
}


def parse(name: str, text: str) -> Any:
    """The value of query key ``name`` written as ``text``; ValueError naming why it is not understood."""
    return PARAMS[name].parse(text)


def url_text(name: str, value: Any) -> str | None:
    """What the URL holds for ``name`` = ``value``: None when the key is left out (default, not ``always``)."""
    param = PARAMS[name]
    if value is None or (not param.always and value == param.default_value()):
        return None
    return param.text(value)


def view_link(base: str, query: dict[str, str]) -> str:
    """``base`` (the page's URL, possibly empty) with ``query`` as its query string, keys in PARAMS order."""
    ordered = [(k, query[k]) for k in PARAMS if k in query] + [(k, v) for k, v in query.items() if k not in PARAMS]
    return f"{base}?{urlencode(ordered, safe=':,/')}" if ordered else base
