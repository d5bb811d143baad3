"""Two public-domain portraits that ship inside installed packages, for trying the app without a photo.

``Astronaut (scikit-image)``: Eileen Collins, NASA photo, ``skimage.data.astronaut()`` (512x512).
``Grace Hopper (matplotlib)``: US Navy photo, matplotlib's ``grace_hopper.jpg`` sample (512x600).
Both are public domain and are read from the installed package: nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ffa_lab.errors import PortraitUnavailableError


def _astronaut() -> np.ndarray:
    try:
        from skimage import data
    except ImportError:
        raise PortraitUnavailableError(
            "the Astronaut portrait comes with scikit-image, which is not installed (pip install scikit-image)"
        ) from None
    return np.ascontiguousarray(data.astronaut(), dtype=np.uint8)


def _grace_hopper() -> np.ndarray:
    try:
        from matplotlib import cbook
    except ImportError:
        raise PortraitUnavailableError(
            "the Grace Hopper portrait comes with matplotlib, which is not installed (pip install matplotlib)"
        ) from None
    from ffa_lab.data.images import decode_image

    return decode_image(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def bundled_portraits() -> dict[str, Callable[[], np.ndarray]]:
    """Name -> loader returning uint8 RGB (H, W, 3); a loader raises :class:`PortraitUnavailableError`
    with an install hint when its package is missing."""
    return {"Astronaut (scikit-image)": _astronaut, "Grace Hopper (matplotlib)": _grace_hopper}
