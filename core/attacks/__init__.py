"""Attacks on the attribute bank: one file per attack, one shared scale search (search.py), one registry.

``REGISTRY`` maps a name to its :class:`~ffa_lab.attacks.spec.AttackSpec` (label, kind, its own parameter
class, and ``run(model, images, targets, *, params=None, goal="flip") -> AttackResult``), where ``model``
is a :class:`~ffa_lab.attacks.scorer.BankScorer` (the bank bound to one attribute per sample), ``images``
uint8 (B, H, W, 3) and ``targets`` the goal signs ±1 (B,) or None (flip the current predictions). The
CLI, the pages, the study and the tests all read this registry. Most callers want
:mod:`ffa_lab.attacks.run` (``attack_images``, ``attack_all_attributes``, ``apply_scale``).
"""

from __future__ import annotations

import math

from ffa_lab.attacks.ddn import DDNParams, ddn_path
from ffa_lab.attacks.deepfool import DeepFoolParams, deepfool_direction
from ffa_lab.attacks.ffa import ffa_direction
from ffa_lab.attacks.fgs import fgs_direction
from ffa_lab.attacks.fgv import fgv_direction
from ffa_lab.attacks.fmn import FMNParams, fmn_path
from ffa_lab.attacks.iffa import IterativeFFAParams, iffa_direction
from ffa_lab.attacks.minimal import minimal_norm_attack
from ffa_lab.attacks.result import AttackResult, SearchTrace
from ffa_lab.attacks.search import SearchParams
from ffa_lab.attacks.spec import AttackSpec, direction_attack

_ATTACKS = (
    direction_attack("ffa", "FFA (fast flipping attribute)", ffa_direction, in_paper=True),
    direction_attack("fgs", "FGS (fast gradient sign)", fgs_direction, in_paper=True),
    direction_attack("fgv", "FGV (fast gradient value)", fgv_direction, in_paper=True),
    direction_attack(
        "deepfool", "DeepFool (minimal L2 reference)", deepfool_direction, DeepFoolParams, kind="iterative"
    ),
    direction_attack("iffa", "Iterative FFA (our extension)", iffa_direction, IterativeFFAParams, kind="iterative"),
    minimal_norm_attack("ddn", "DDN (decoupled direction and norm, minimal L2)", ddn_path, DDNParams, 2.0),
    minimal_norm_attack("fmn", "FMN (fast minimum-norm, L2)", fmn_path, FMNParams, 2.0),
    minimal_norm_attack("fmn-linf", "FMN (fast minimum-norm, L∞)", fmn_path, FMNParams, math.inf),
)
REGISTRY: dict[str, AttackSpec] = {spec.name: spec for spec in _ATTACKS}


def get_attack(name: str) -> AttackSpec:
    """The registered attack ``name``; an unknown name raises ValueError listing the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown attack {name!r}; choose one of {', '.join(REGISTRY)}") from None


__all__ = [
    "REGISTRY",
    "AttackResult",
    "AttackSpec",
    "DDNParams",
    "DeepFoolParams",
    "FMNParams",
    "IterativeFFAParams",
    "SearchParams",
    "SearchTrace",
    "get_attack",
]
