"""Everything the flip view shows about one attack on one face (no Streamlit here).

``flip_view`` runs one attack (ffa_lab.attacks.run.attack_images) and precomputes what the page needs so
that every widget afterwards is instant: the attacked score at 41 strengths (0x to 2x the found scale,
for the strength slider), the other attributes' scores before and after (side effects), and the
adversarial PNG checked to still be adversarial after encoding and decoding.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

import numpy as np
import torch

from ffa_lab.attacks.criteria import is_success
from ffa_lab.attacks.run import apply_scale, attack_all_attributes, attack_images
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
    """One attack on one face, with everything precomputed for the page.

    Images are uint8 (H, W, 3); scores are the bank's real-valued scores (sign = prediction);
    ``direction`` is the perturbation per unit scale (unit L∞, float32 (H, W, 3)) so that the image at
    scale s is clip(round(original + s * direction)); ``strength_scales`` (S,) and
    ``strength_scores`` (S,) give the attacked score along STRENGTHS x ``base_scale``; ``goal_sign``
    is the prediction (±1) the attack aims for.
    Distances are in grey levels; ``pass_score`` is nan when not computed.
    """

    attribute: str
    method: str
    goal: str
    goal_sign: int
    original: np.ndarray
    adversarial: np.ndarray
    direction: np.ndarray
    success: bool
    scale: float
    base_scale: float
    score_before: float
    score_after: float
    l2: float
    linf: float
    pass_score: float
    trace_scales: np.ndarray
    trace_scores: np.ndarray
    strength_scales: np.ndarray
    strength_scores: np.ndarray
    all_before: np.ndarray
    all_after: np.ndarray
    attributes: tuple[str, ...]
    png: bytes
    png_score: float
    png_verified: bool
    forward_passes: int
    backward_passes: int
    seconds: float

    def image_at(self, multiple: float) -> np.ndarray:
        """The face perturbed at ``multiple`` x the found scale (the strength slider), uint8."""
        return apply_scale(self.original, self.direction, float(multiple) * self.base_scale)

    def reaches_goal_at(self, multiple: float) -> bool:
        """Is the face adversarial (goal sign reached, ffa_lab.attacks.criteria) at ``multiple``?"""
        return bool(is_success(np.array([self.score_at(multiple)]), np.array([self.goal_sign]))[0])

    def score_at(self, multiple: float) -> float:
        """The attacked attribute's score at ``multiple`` (one of STRENGTHS; nearest otherwise)."""
        return float(self.strength_scores[int(np.abs(STRENGTHS - multiple).argmin())])


def trace_arrays(trace) -> tuple[np.ndarray, np.ndarray]:
    """(scales, scores) of one sample's search trace, sorted by scale; empty arrays when absent."""
    if trace is None:
        return np.zeros(0), np.zeros(0)
    scales = np.asarray(trace.scales, dtype=np.float64)
    scores = np.asarray(trace.scores, dtype=np.float64)
    order = np.argsort(scales, kind="stable")
    return scales[order], scores[order]


def _direction(result, original: np.ndarray) -> tuple[np.ndarray, float]:
    """The perturbation per unit scale and the scale the slider's 1.0 stands for."""
    delta = result.adversarial[0].astype(np.float32) - original.astype(np.float32)
    scale = float(result.scale[0])
    if result.direction is not None:
        direction = np.asarray(result.direction[0], dtype=np.float32)
        if np.isfinite(scale) and scale > 0:
            return direction, scale
        scales, _ = trace_arrays(result.trace[0] if result.trace else None)
        return direction, float(scales.max()) if scales.size else 1.0
    linf = float(np.abs(delta).max())  # iterative attacks: re-scale the perturbation they found
    return (delta / linf if linf > 0 else delta), max(linf, 1.0)


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
    return png, score, bool(is_success(np.array([score]), np.array([goal_sign]))[0])


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
    direction, base = _direction(result, original)
    scales, scores = trace_arrays(result.trace[0] if result.trace else None)
    adversarial = result.adversarial[0]
    all_scores = bank_scores(bank, np.stack([original, adversarial]))
    before = float(result.score_before[0])
    goal_sign = (-1 if before >= 0 else 1) if goal == "flip" else int(label)
    png, png_score, verified = png_check(bank, k, adversarial, goal_sign)
    passes = result.pass_score
    return FlipView(
        attribute=bank.attributes[k],
        method=method,
        goal=goal,
        goal_sign=goal_sign,
        original=original,
        adversarial=adversarial,
        direction=direction,
        success=bool(result.success[0]),
        scale=float(result.scale[0]),
        base_scale=base,
        score_before=before,
        score_after=float(result.score_after[0]),
        l2=float(result.l2[0]),
        linf=float(result.linf[0]),
        pass_score=float(passes[0]) if passes is not None else float("nan"),
        trace_scales=scales,
        trace_scores=scores,
        strength_scales=STRENGTHS * base,
        strength_scores=_scores_along(bank, k, original, direction, base),
        all_before=all_scores[0],
        all_after=all_scores[1],
        attributes=tuple(bank.attributes),
        png=png,
        png_score=png_score,
        png_verified=verified and bool(result.success[0]),
        forward_passes=int(result.forward_passes),
        backward_passes=int(result.backward_passes),
        seconds=time.perf_counter() - started,
    )


def amplified_perturbation(original: np.ndarray, adversarial: np.ndarray) -> tuple[np.ndarray, float]:
    """The perturbation made visible: 128 + factor x δ, factor = 127 / max|δ| (grey = unchanged)."""
    delta = adversarial.astype(np.float32) - original.astype(np.float32)
    peak = float(np.abs(delta).max())
    factor = 127.0 / peak if peak > 0 else 1.0
    return np.clip(np.round(128.0 + factor * delta), 0, 255).astype(np.uint8), factor


def side_effects(view: FlipView, threshold: float = 0.0) -> list[dict]:
    """The other attributes' scores before/after: flipped predictions first, then by the size of the change."""
    rows = []
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
                "flipped": (before >= 0) != (after >= 0),
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
        "success": view.success,
        "score_before": round(view.score_before, 6),
        "score_after": round(view.score_after, 6),
        "score_after_png_round_trip": round(view.png_score, 6),
        "still_adversarial_after_png": view.png_verified,
        "scale": None if not np.isfinite(view.scale) else round(view.scale, 4),
        "l2": round(view.l2, 4),
        "linf": round(view.linf, 4),
        "pass": None if not np.isfinite(view.pass_score) else round(view.pass_score, 6),
        "forward_passes": view.forward_passes,
        "backward_passes": view.backward_passes,
        "other_attributes_flipped": flips,
        "scores_before": {a: round(float(s), 6) for a, s in zip(view.attributes, view.all_before, strict=True)},
        "scores_after": {a: round(float(s), 6) for a, s in zip(view.attributes, view.all_after, strict=True)},
    }
    return json.dumps(doc, indent=2)


@dataclass(frozen=True)
class FlipAllView:
    """Every attribute of one face attacked separately (sample i attacks ``attributes[i]``)."""

    attributes: tuple[str, ...]
    adversarial: np.ndarray
    success: np.ndarray
    scale: np.ndarray
    score_before: np.ndarray
    score_after: np.ndarray
    linf: np.ndarray
    pass_score: np.ndarray
    seconds: float


def flip_all_view(
    bank: AttributeBank, original: np.ndarray, method: str = "ffa", compute_pass: bool = True
) -> FlipAllView:
    """Flip each of the bank's attributes on one face (batched through the bank's paired mode)."""
    started = time.perf_counter()
    result = attack_all_attributes(bank, original, method=method, compute_pass=compute_pass)
    n = len(result.attributes)
    passes = result.pass_score if result.pass_score is not None else np.full(n, np.nan)
    return FlipAllView(
        attributes=tuple(result.attributes),
        adversarial=result.adversarial,
        success=np.asarray(result.success, dtype=bool),
        scale=np.asarray(result.scale, dtype=np.float64),
        score_before=np.asarray(result.score_before, dtype=np.float64),
        score_after=np.asarray(result.score_after, dtype=np.float64),
        linf=np.asarray(result.linf, dtype=np.float64),
        pass_score=np.asarray(passes, dtype=np.float64),
        seconds=time.perf_counter() - started,
    )
