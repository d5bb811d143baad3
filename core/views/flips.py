"""Everything the flip view shows about one attack on one face (no Streamlit here).

``flip_view`` runs one attack (ffa_lab.attacks.run.attack_images) and keeps its :class:`AttackResult`;
:class:`FlipView` reads every attack number from it (goal sign, direction, scale, distances, trace) and
adds only what the page needs beyond the attack, precomputed so that every widget afterwards is instant:
the attacked score at the STRENGTHS multiples (for the strength slider), the other attributes' scores
before and after (side effects), and the adversarial PNG checked to still be adversarial after encoding
and decoding. Every-attribute grids are in :mod:`ffa_lab.views.flip_all`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import torch

from ffa_lab.attacks.criteria import changed_prediction, is_success
from ffa_lab.attacks.result import AttackResult, AttackSample
from ffa_lab.attacks.run import apply_scale, attack_images
from ffa_lab.attacks.search import perturb
from ffa_lab.data.attributes import ATTRIBUTES, attribute_index
from ffa_lab.data.images import decode_image, encode_png
from ffa_lab.models.bank import AttributeBank
from ffa_lab.models.evaluate import bank_scores

# Strength slider positions, as multiples of the scale the search found (1.0 = the minimal adversarial):
# dense around 1.0 where the prediction changes, coarse towards 0 and 2 (each costs one image through one net).
STRENGTHS = np.array([0.0, 0.25, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0, 1.05, 1.1, 1.2, 1.3, 1.5, 1.75, 2.0])


@dataclass(frozen=True)
class FlipView:
    """One attack on one face: ``result`` (one sample) plus what the page shows beyond it.

    Images are uint8 (H, W, 3); scores are the bank's real-valued scores (sign = prediction). The image
    at scale s is ``apply_scale(original, direction, s)`` = clip(round(original + s · direction));
    ``base_scale`` is the scale the slider's 1.0 stands for (the found scale, or the largest one tried
    when the attack failed); ``strength_scores`` (S,) is the attacked score along STRENGTHS x
    ``base_scale``; ``all_before`` / ``all_after`` (G,) are every network's scores, ``attributes`` (G,)
    the bank's names. Distances are in grey levels; ``pass_score`` is nan when not computed.
    """

    result: AttackResult
    original: np.ndarray
    base_scale: float
    strength_scores: np.ndarray
    all_before: np.ndarray
    all_after: np.ndarray
    attributes: tuple[str, ...]
    png: bytes
    png_score: float
    png_verified: bool
    seconds: float

    @property
    def attribute(self) -> str:
        return self.result.attributes[0]

    @property
    def method(self) -> str:
        return self.result.method

    @property
    def goal(self) -> str:
        return self.result.goal

    @property
    def goal_sign(self) -> int:
        """The prediction (±1) the attack aims for (``AttackResult.target``)."""
        assert self.result.target is not None, "every attack records its goal signs"
        return int(self.result.target[0])

    @property
    def adversarial(self) -> np.ndarray:
        return self.result.adversarial[0]

    @property
    def direction(self) -> np.ndarray:
        """The perturbation per unit scale: float32 (H, W, 3), unit L∞ (0 for a zero gradient)."""
        return unit_direction(self.result)

    @cached_property
    def numbers(self) -> AttackSample:
        """The attack's numbers on this face (success, scale, scores, L2, L∞, PASS) as Python scalars."""
        return self.result.sample(0)

    @property
    def trace_scales(self) -> np.ndarray:
        return trace_arrays(self.result)[0]

    @property
    def trace_scores(self) -> np.ndarray:
        return trace_arrays(self.result)[1]

    @property
    def strength_scales(self) -> np.ndarray:
        return STRENGTHS * self.base_scale

    @property
    def forward_passes(self) -> int:
        return int(self.result.forward_passes)

    @property
    def backward_passes(self) -> int:
        return int(self.result.backward_passes)

    def image_at(self, multiple: float) -> np.ndarray:
        """The face perturbed at ``multiple`` x the found scale (the strength slider), uint8."""
        return apply_scale(self.original, self.direction, float(multiple) * self.base_scale)

    def reaches_goal_at(self, multiple: float) -> bool:
        """Is the face adversarial (goal sign reached, ffa_lab.attacks.criteria) at ``multiple``?"""
        return bool(is_success(self.score_at(multiple), self.goal_sign))

    def score_at(self, multiple: float) -> float:
        """The attacked attribute's score at ``multiple`` (one of STRENGTHS; nearest otherwise)."""
        return float(self.strength_scores[int(np.abs(STRENGTHS - multiple).argmin())])


def trace_arrays(result: AttackResult, i: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(scales, scores) of sample i's search trace, sorted by scale; empty arrays when absent."""
    if not result.trace:
        return np.zeros(0), np.zeros(0)
    scales = np.asarray(result.trace[i].scales, dtype=np.float64)
    scores = np.asarray(result.trace[i].scores, dtype=np.float64)
    order = np.argsort(scales, kind="stable")
    return scales[order], scores[order]


def unit_direction(result: AttackResult, i: int = 0) -> np.ndarray:
    """Sample i's perturbation per unit scale, float32 (H, W, 3) (zeros where the result has none)."""
    if result.direction is None:
        return np.zeros(result.adversarial.shape[1:], np.float32)
    return np.asarray(result.direction[i], dtype=np.float32)


def base_scale(result: AttackResult, i: int = 0) -> float:
    """The scale the slider's 1.0 stands for: the found scale, else the largest tried (1.0 without a trace)."""
    scale = float(result.scale[i])
    if np.isfinite(scale) and scale > 0:
        return scale
    scales, _ = trace_arrays(result, i)
    return float(scales.max()) if scales.size else 1.0


def _scores_along(bank: AttributeBank, k: int, original: np.ndarray, direction: np.ndarray, base: float) -> np.ndarray:
    """Attribute k's score at every STRENGTHS multiple, through network k alone (one batched pass)."""
    n = len(STRENGTHS)
    x = torch.from_numpy(np.asarray(original, dtype=np.float32)).expand(n, *original.shape)
    d = torch.from_numpy(np.asarray(direction, dtype=np.float32)).expand(n, *direction.shape)
    images = perturb(x, d, torch.from_numpy((STRENGTHS * base).astype(np.float32)))  # the search's own arithmetic
    with torch.no_grad():
        return bank.subset([k])(images.permute(0, 3, 1, 2))[:, 0].numpy().astype(np.float64)


def png_check(bank: AttributeBank, k: int, adversarial: np.ndarray, goal_sign: int) -> tuple[bytes, float, bool]:
    """Encode as PNG, decode again, re-score: (png bytes, score after the round trip, still adversarial)."""
    png = encode_png(adversarial)
    score = float(bank_scores(bank.subset([k]), decode_image(png)[None])[0, 0])
    return png, score, bool(is_success(score, goal_sign))


def flip_view(
    bank: AttributeBank,
    original: np.ndarray,
    attribute: str,
    method: str = "ffa",
    *,
    goal: str = "flip",
    label: int | None = None,
    compute_pass: bool = True,
) -> FlipView:
    """Attack ``attribute`` of one aligned face with ``method`` and precompute the page's numbers.

    goal "flip" moves the prediction to the other sign; goal "correct" moves it to ``label`` (±1).
    """
    started = time.perf_counter()
    canonical = ATTRIBUTES[attribute_index(attribute)]
    if canonical not in bank.attributes:
        raise ValueError(f"the loaded model bank has no network for {canonical}")
    k = bank.attributes.index(canonical)
    labels = None if label is None else np.array([label])
    result = attack_images(
        bank, original[None], canonical, method=method, goal=goal, labels=labels, compute_pass=compute_pass
    )
    assert result.target is not None, "every attack records its goal signs"
    adversarial, goal_sign = result.adversarial[0], int(result.target[0])
    all_scores = bank_scores(bank, np.stack([original, adversarial]))
    base = base_scale(result)
    png, png_score, verified = png_check(bank, k, adversarial, goal_sign)
    return FlipView(
        result=result,
        original=original,
        base_scale=base,
        strength_scores=_scores_along(bank, k, original, unit_direction(result), base),
        all_before=all_scores[0],
        all_after=all_scores[1],
        attributes=tuple(bank.attributes),
        png=png,
        png_score=png_score,
        png_verified=verified and bool(result.success[0]),
        seconds=time.perf_counter() - started,
    )


def side_effects(view: FlipView, threshold: float = 0.0) -> list[dict]:
    """The other attributes' scores before/after: flipped predictions first, then by the size of the change."""
    rows: list[dict] = []
    for g, name in enumerate(view.attributes):
        if name == view.attribute:
            continue
        before, after = float(view.all_before[g]), float(view.all_after[g])
        rows.append(
            {
                "attribute": name,
                "before": before,
                "after": after,
                "change": after - before,
                "flipped": bool(changed_prediction(before, after)),
            }
        )
    rows.sort(key=lambda r: (not r["flipped"], -abs(r["change"])))  # flipped predictions first
    return [r for r in rows if abs(r["change"]) >= threshold]


def numbers_json(view: FlipView, face_ref: str, model_folder: str) -> str:
    """The flip's numbers as a JSON document (what the download button saves)."""
    flips = [r["attribute"] for r in side_effects(view) if r["flipped"]]
    doc = {
        "face": face_ref,
        "model_folder": model_folder,
        "attribute": view.attribute,
        "method": view.method,
        "goal": view.goal,
        "success": view.numbers.success,
        "score_before": round(view.numbers.score_before, 6),
        "score_after": round(view.numbers.score_after, 6),
        "score_after_png_round_trip": round(view.png_score, 6),
        "still_adversarial_after_png": view.png_verified,
        "scale": None if not np.isfinite(view.numbers.scale) else round(view.numbers.scale, 4),
        "l2": round(view.numbers.l2, 4),
        "linf": round(view.numbers.linf, 4),
        "pass": None if not np.isfinite(view.numbers.pass_score) else round(view.numbers.pass_score, 6),
        "forward_passes": view.forward_passes,
        "backward_passes": view.backward_passes,
        "other_attributes_flipped": flips,
        "scores_before": {a: round(float(s), 6) for a, s in zip(view.attributes, view.all_before, strict=True)},
        "scores_after": {a: round(float(s), 6) for a, s in zip(view.attributes, view.all_after, strict=True)},
    }
    return json.dumps(doc, indent=2)
