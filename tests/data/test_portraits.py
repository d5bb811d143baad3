"""The bundled sample portraits: uint8 RGB from installed packages, a clear error when one is missing."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from ffa_lab.data.portraits import PortraitUnavailableError, bundled_portraits


def test_both_portraits_load_as_uint8_rgb():
    portraits = bundled_portraits()
    assert list(portraits) == ["Astronaut (scikit-image)", "Grace Hopper (matplotlib)"]
    shapes = {name: load().shape for name, load in portraits.items()}
    assert shapes == {"Astronaut (scikit-image)": (512, 512, 3), "Grace Hopper (matplotlib)": (600, 512, 3)}
    assert all(load().dtype == np.uint8 for load in portraits.values())


@pytest.mark.parametrize(
    ("module", "name", "package"),
    [
        ("skimage", "Astronaut (scikit-image)", "scikit-image"),
        ("matplotlib", "Grace Hopper (matplotlib)", "matplotlib"),
    ],
)
def test_a_missing_package_gives_an_install_hint(monkeypatch, module, name, package):
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` raise ImportError
    with pytest.raises(PortraitUnavailableError, match=f"not installed \\(pip install {package}\\)"):
        bundled_portraits()[name]()
