"""Every attribute of one face attacked separately: the grid view (no Streamlit here)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from ffa_lab.attacks.result import AttackResult
from ffa_lab.attacks.run import attack_all_attributes
from ffa_lab.models.bank import AttributeBank


@dataclass(frozen=True)
class FlipAllView:
    """``result`` (sample i attacks ``attributes[i]``) and the wall time of the whole grid; the grid reads
    the result's own arrays (``result.pass_or_nan`` where PASS may not have been computed)."""

    result: AttackResult
    seconds: float

    @property
    def attributes(self) -> tuple[str, ...]:
        return self.result.attributes

    @property
    def adversarial(self) -> np.ndarray:
        return self.result.adversarial


def flip_all_view(
    bank: AttributeBank, original: np.ndarray, method: str = "ffa", compute_pass: bool = True
) -> FlipAllView:
    """Flip each of the bank's attributes on one face (batched through the bank's paired mode)."""
    started = time.perf_counter()
    result = attack_all_attributes(bank, original, method=method, compute_pass=compute_pass)
    return FlipAllView(result=result, seconds=time.perf_counter() - started)
