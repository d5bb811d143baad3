"""Attacks on the attribute bank: one file per attack, one shared scale search (search.py), one registry.

``REGISTRY`` maps a name to its :class:`~ffa_lab.attacks.spec.AttackSpec` (label, kind, its own parameter
class, and ``run(model, images, targets, *, params=None, goal="flip") -> AttackResult``), where ``model``
is a :class:`~ffa_lab.attacks.scorer.BankScorer` (the bank bound to one attribute per sample), ``images``
uint8 (B, H, W, 3) and ``targets`` the goal signs ±1 (B,) or None (flip the current predictions). The
CLI, the pages, the study and the tests all read this registry. Most callers want
:mod:`ffa_lab.attacks.run` (``attack_images``, ``attack_all_attributes``, ``apply_scale``).
"""

from __future__ import annotations

from ffa_lab.attacks import ddn, deepfool, ffa, fgs, fgv, fmn, iffa
from ffa_lab.attacks.ddn import DDNParams
from ffa_lab.attacks.deepfool import DeepFoolParams
from ffa_lab.attacks.fmn import FMNParams
from ffa_lab.attacks.iffa import IterativeFFAParams
from ffa_lab.attacks.result import AttackResult, SearchTrace
from ffa_lab.attacks.search import SearchParams
from ffa_lab.attacks.spec import AttackFn, AttackSpec

REGISTRY: dict[str, AttackSpec] = {
    spec.name: spec
    for spec in (ffa.SPEC, fgs.SPEC, fgv.SPEC, deepfool.SPEC, iffa.SPEC, ddn.SPEC, fmn.SPEC, fmn.SPEC_LINF)
}


def get_attack(name: str) -> AttackSpec:
    """The registered attack ``name``; an unknown name raises ValueError listing the known ones."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown attack {name!r}; choose one of {', '.join(REGISTRY)}") from None


__all__ = [
    "REGISTRY",
    "AttackFn",
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
