"""One record per attack (:class:`AttackSpec`): what the registry, the CLI, the pages and the tests read.

Each attack module defines its direction (or its steps) and its parameter class; ``ffa_lab.attacks.REGISTRY``
holds one record per attack, built with :func:`direction_attack` or ``minimal_norm_attack``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from ffa_lab.attacks.result import AttackResult
from ffa_lab.attacks.scorer import BankScorer
from ffa_lab.attacks.search import AttackInputs, DirectionFn, SearchParams, run_attack, start_attack

# "direction": one gradient direction, then the shared scale search (FFA, FGS, FGV);
# "iterative": a direction accumulated over gradient steps, then the scale search (DeepFool, iterative FFA);
# "minimal-norm": the perturbation itself is optimised for the smallest norm.
AttackKind = Literal["direction", "iterative", "minimal-norm"]


class Engine(Protocol):
    """How a kind of attack runs on inputs :func:`start_attack` checked and scored: ``(model, inputs, params)``."""

    def __call__(self, model: BankScorer, inputs: AttackInputs, params: SearchParams, /) -> AttackResult: ...


def direction_engine(direction_fn: DirectionFn) -> Engine:
    """The engine of an attack that supplies a direction and lets the shared scale search do the rest."""

    def engine(model: BankScorer, inputs: AttackInputs, params: SearchParams, /) -> AttackResult:
        return run_attack(direction_fn, model, inputs, params)

    return engine


@dataclass(frozen=True)
class AttackSpec:
    """An attack: its registry ``name``, the ``label`` users read, its ``kind``, its own parameter class
    (``params_type()`` gives the defaults every shipped result uses) and the engine that runs it;
    :meth:`run` is the attack itself."""

    name: str
    label: str
    kind: AttackKind
    params_type: type[SearchParams]
    engine: Engine
    in_paper: bool = False  # one of the ICPR 2016 paper's attacks (FFA, FGS, FGV)
    norm: float | None = None  # the norm a minimal-norm attack minimises (2.0 or math.inf); None otherwise

    def run(
        self,
        model: BankScorer,
        images: np.ndarray,
        targets: np.ndarray | None,
        *,
        params: Any = None,  # the attack's own params_type (checked by AttackSpec.check_params), or None
        goal: str = "flip",
    ) -> AttackResult:
        """The attack on uint8 images (B, H, W, 3) toward ``targets`` (±1 per image, None = flip)."""
        checked = self.check_params(params)
        return self.engine(model, start_attack(self.name, model, images, goal, targets), checked)

    def default_params(self) -> SearchParams:
        return self.params_type()

    def check_params(self, params: SearchParams | None) -> SearchParams:
        """``params`` or the defaults; a parameter object of another attack is refused by name."""
        if params is None:
            return self.default_params()
        if not isinstance(params, self.params_type):
            raise TypeError(f"{self.name} takes {self.params_type.__name__}, not {type(params).__name__}")
        return params


def direction_attack(
    name: str,
    label: str,
    direction_fn: DirectionFn,
    params_type: type[SearchParams] = SearchParams,
    *,
    kind: AttackKind = "direction",
    in_paper: bool = False,
) -> AttackSpec:
    """The record of an attack that supplies a direction (or an accumulated one) to the shared scale search."""
    return AttackSpec(name, label, kind, params_type, direction_engine(direction_fn), in_paper)
