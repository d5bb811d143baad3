"""Entry points for the CLI, the app and the study: attack images, attack all attributes, re-scale.

``attack_images`` attacks a batch of images, each on its own attribute (or all on one), in chunks of
``CHUNK`` samples so memory stays bounded; ``attack_all_attributes`` attacks one image on every
attribute of the bank at once through the bank's paired mode. PASS is computed here (it is the
slow part and the study may not need it for every sample).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import torch

from ffa_lab.attacks import get_attack
from ffa_lab.attacks.criteria import GOALS
from ffa_lab.attacks.distances import pass_score
from ffa_lab.attacks.result import AttackResult
from ffa_lab.attacks.scorer import BankScorer
from ffa_lab.attacks.search import SearchParams, perturb
from ffa_lab.models.family import AttributeModel

# samples per attack call. On a CPU small chunks keep the working set in cache (measured on the
# 2-ffa_lab dev machine: 160 samples per chunk costs ~25% less CPU per sample than 1280); a GPU wants
# big batches.
CHUNK = {"cpu": 160}
CHUNK_OTHER = 4096


def _check_images(images: np.ndarray) -> np.ndarray:
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[None]
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3:
        raise ValueError(f"expected uint8 RGB images (B, H, W, 3), got {images.dtype} {images.shape}")
    return images


def _merge(parts: list[AttackResult]) -> AttackResult:
    if len(parts) == 1:
        return parts[0]
    first = parts[0]

    def cat(name: str):
        values = [getattr(p, name) for p in parts]
        return None if any(v is None for v in values) else np.concatenate(values)

    return replace(
        first,
        attributes=tuple(a for p in parts for a in p.attributes),
        **{
            k: cat(k)
            for k in (
                "adversarial",
                "success",
                "scale",
                "score_before",
                "score_after",
                "l2",
                "linf",
                "pass_score",
                "direction",
                "target",
                "pass_converged",
            )
        },
        forward_passes=sum(p.forward_passes for p in parts),
        backward_passes=sum(p.backward_passes for p in parts),
        trace=tuple(t for p in parts for t in (p.trace or ())),
        seconds=sum(p.seconds for p in parts),
    )


def attack_images(
    bank: AttributeModel,
    images: np.ndarray,
    attribute: str | Sequence[str],
    method: str = "ffa",
    goal: str = "flip",
    labels: np.ndarray | None = None,
    params: SearchParams | None = None,
    compute_pass: bool = True,
    device: str = "cpu",
) -> AttackResult:
    """Attack uint8 images (B, H, W, 3) (or one (H, W, 3)), image i on ``attribute`` (or ``attribute[i]``).

    goal "flip" pushes each prediction across its boundary; goal "correct" pushes toward ``labels``
    (±1 per image, required), samples already correct count as successes at scale 0.
    """
    attack = get_attack(method)
    params = attack.check_params(params)
    if goal not in GOALS:
        raise ValueError(f"goal must be one of {', '.join(GOALS)}, not {goal!r}")
    images = _check_images(images)
    names = [attribute] * len(images) if isinstance(attribute, str) else list(attribute)
    if len(names) != len(images):
        raise ValueError(f"{len(names)} attributes for {len(images)} images; give one per image or a single name")
    targets = None
    if goal == "correct":
        if labels is None:
            raise ValueError('goal "correct" needs the true labels (±1 per image)')
        targets = np.broadcast_to(np.asarray(labels).astype(np.int64).reshape(-1), (len(images),)).copy()
        if not np.isin(targets, (-1, 1)).all():
            raise ValueError("labels must be +1 or -1")
    parts, chunk = [], CHUNK.get(torch.device(device).type, CHUNK_OTHER)
    for start in range(0, len(images), chunk):
        stop = start + chunk
        scorer = BankScorer(bank, names[start:stop], device)
        chunk_targets = None if targets is None else targets[start:stop]
        parts.append(attack.run(scorer, images[start:stop], chunk_targets, params=params, goal=goal))
    result = _merge(parts)
    if compute_pass:
        measured = pass_score(result.adversarial, images)
        result = replace(
            result, pass_score=np.atleast_1d(measured.score), pass_converged=np.atleast_1d(measured.converged)
        )
    return result


def attack_all_attributes(
    bank: AttributeModel,
    image: np.ndarray,
    method: str = "ffa",
    goal: str = "flip",
    attributes: Sequence[str] | None = None,
    compute_pass: bool = True,
    labels: np.ndarray | None = None,
    params: SearchParams | None = None,
    device: str = "cpu",
) -> AttackResult:
    """Attack one uint8 image (H, W, 3) on every attribute of the bank (or ``attributes``).

    B = number of attributes; sample i attacks attribute i, all in one paired pass per step.
    ``labels`` (±1 per attribute) are needed for goal "correct".
    """
    image = np.asarray(image)
    if image.ndim != 3:
        raise ValueError(f"expected one uint8 image (H, W, 3), got shape {image.shape}")
    names = list(bank.attributes) if attributes is None else list(attributes)
    batch = np.broadcast_to(image, (len(names), *image.shape))
    return attack_images(bank, batch, names, method, goal, labels, params, compute_pass, device)


def apply_scale(image: np.ndarray, direction: np.ndarray, scale: float) -> np.ndarray:
    """clip(round(image + scale · direction), 0, 255) as uint8 (H, W, 3): the strength slider.

    Uses the search's own arithmetic, so ``apply_scale(x, r.direction[i], r.scale[i])`` reproduces
    ``r.adversarial[i]`` exactly.
    """
    x = torch.from_numpy(np.asarray(image, dtype=np.float32)[None])
    d = torch.from_numpy(np.asarray(direction, dtype=np.float32)[None])
    out = perturb(x, d, torch.tensor([scale], dtype=torch.float32))
    return out[0].to(torch.uint8).numpy()


def amplified_perturbation(original: np.ndarray, adversarial: np.ndarray) -> tuple[np.ndarray, float]:
    """The perturbation δ = adversarial − original made visible, uint8 (H, W, 3): 128 + round(gain · δ),
    gain = 127 / max|δ| (1 when unchanged), so grey 128 = unchanged and the largest |δ| reaches 1 or 255.
    The one picture the report and the pages show."""
    delta = adversarial.astype(np.int16) - original.astype(np.int16)
    peak = int(np.abs(delta).max()) if delta.size else 0
    gain = 127.0 / peak if peak else 1.0
    return np.clip(128 + np.round(delta * gain), 0, 255).astype(np.uint8), gain


def attack_batch(
    bank: AttributeModel,
    images: np.ndarray,
    attribute: str,
    *,
    method: str,
    goal: str,
    labels: np.ndarray | None = None,
    device: str = "cpu",
) -> dict[str, np.ndarray]:
    """One batched :func:`attack_images` for the study and natural mining; PASS for successes only.

    Returns per-image arrays: success (bool), scale/l2/linf/pass (float32, NaN where the attack failed:
    there is no adversarial to measure), score_before/score_after (float32), adversarial (uint8 NHWC).
    """
    result = attack_images(
        bank, images, attribute, method=method, goal=goal, labels=labels, compute_pass=False, device=device
    )
    success = np.asarray(result.success, dtype=bool)
    won = np.flatnonzero(success)
    measures = {}
    for key in ("scale", "l2", "linf"):
        measures[key] = np.where(success, np.asarray(getattr(result, key), np.float32), np.nan).astype(np.float32)
    measures["pass"] = np.full(len(images), np.nan, np.float32)
    if len(won):
        measures["pass"][won] = pass_score(result.adversarial[won], images[won]).score
    return {
        "success": success,
        **measures,
        "adversarial": result.adversarial,
        "score_before": np.asarray(result.score_before, np.float32),
        "score_after": np.asarray(result.score_after, np.float32),
    }
