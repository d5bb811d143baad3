"""One record per attack (:class:`AttackSpec`): what the registry, the CLI, the pages and the tests read.

Each attack module defines its ``SPEC``; ``ffa_lab.attacks.REGISTRY`` collects them by name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

import numpy as np

from ffa_lab.attacks.result import AttackResult
from ffa_lab.attacks.scorer import BankScorer
from ffa_lab.attacks.search import SearchParams

# "direction": one gradient direction, then the shared scale search (FFA, FGS, FGV);
# "iterative": a direction accumulated over gradient steps, then the scale search (DeepFool, iterative FFA);
# "minimal-norm": the perturbation itself is optimised for the smallest norm.
AttackKind = Literal["direction", "iterative", "minimal-norm"]


class AttackFn(Protocol):
    """``fn(model, images uint8 (B, H, W, 3), targets ±1 (B,) or None = flip, *, params, goal) -> AttackResult``."""

    def __call__(
        self,
        model: BankScorer,
        images: np.ndarray,
        targets: np.ndarray | None,
        *,
        params: Any = None,  # the attack's own params_type (checked by AttackSpec.check_params), or None
        goal: str = "flip",
    ) -> AttackResult: ...


@dataclass(frozen=True)
class AttackSpec:
    """An attack: its registry ``name``, the ``label`` users read, its ``kind``, its own parameter class
    (``params_type()`` gives the defaults every shipped result uses) and the function that runs it."""

    name: str
    label: str
    kind: AttackKind
    params_type: type[SearchParams]
    run: AttackFn
    in_paper: bool = False  # one of the ICPR 2016 paper's attacks (FFA, FGS, FGV)

    def default_params(self) -> SearchParams:
        return self.params_type()

    def check_params(self, params: SearchParams | None) -> SearchParams:
        """``params`` or the defaults; a parameter object of another attack is refused by name."""
        if params is None:
            return self.default_params()
        if not isinstance(params, self.params_type):
            raise TypeError(f"{self.name} takes {self.params_type.__name__}, not {type(params).__name__}")
        return params
