"""Attacks on the attribute bank: one direction per module, one shared scale search (search.py).

``ATTACKS`` maps a name to ``fn(model, images, targets, *, params=None, goal="flip") -> AttackResult``
where ``model`` is a :class:`~ffa_lab.attacks.scorer.BankScorer` (the bank bound to one attribute per
sample), ``images`` uint8 (B, H, W, 3) and ``targets`` the goal signs ±1 (B,) or None (flip the
current predictions). Most callers want :mod:`ffa_lab.attacks.run` (``attack_images``,
``attack_all_attributes``, ``apply_scale``).
"""

from __future__ import annotations

from collections.abc import Callable

from ffa_lab.attacks.deepfool import deepfool
from ffa_lab.attacks.ffa import ffa
from ffa_lab.attacks.fgs import fgs
from ffa_lab.attacks.fgv import fgv
from ffa_lab.attacks.iffa import iffa
from ffa_lab.attacks.result import AttackResult, SearchTrace
from ffa_lab.attacks.search import AttackParams

AttackFn = Callable[..., AttackResult]

ATTACKS: dict[str, AttackFn] = {"ffa": ffa, "fgs": fgs, "fgv": fgv, "deepfool": deepfool, "iffa": iffa}

ATTACK_LABELS: dict[str, str] = {
    "ffa": "FFA (fast flipping attribute)",
    "fgs": "FGS (fast gradient sign)",
    "fgv": "FGV (fast gradient value)",
    "deepfool": "DeepFool (minimal L2 reference)",
    "iffa": "Iterative FFA (our extension)",
}

__all__ = ["ATTACKS", "ATTACK_LABELS", "AttackFn", "AttackParams", "AttackResult", "SearchTrace"]
