"""The installed package is ffa_lab (the folder core/), never a top-level ``core``; every subpackage is listed."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_every_subpackage_folder_is_listed_in_pyproject():
    config = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert config["package-dir"] == {"ffa_lab": "core"}
    on_disk = {
        "ffa_lab" + ("." + ".".join(p.parent.relative_to(REPO / "core").parts) if p.parent != REPO / "core" else "")
        for p in (REPO / "core").rglob("__init__.py")
    }
    assert set(config["packages"]) == on_disk


def test_core_is_not_importable_outside_the_repository(tmp_path):
    # From a folder that is not the repository, only what the installation put on sys.path counts.
    code = "import importlib.util as u; print(u.find_spec('core') is None, u.find_spec('ffa_lab') is not None)"
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]
