"""What the saliency panel shows about one face and attribute (no Streamlit): the maps and their overlap
with an attack's perturbation (ffa_lab.explain; definitions in docs/saliency.md)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ffa_lab.explain.overlap import Overlap, overlap, overlap_sentence
from ffa_lab.explain.saliency import saliency_maps
from ffa_lab.models.bank import AttributeBank

# map key -> (name used in sentences, what it is); "evidence" is the signed map the panel leads with
MAP_NAMES = {
    "gradient_x_input": (
        "evidence",
        "gradient × input: the pixel's departure from the networks' neutral colour × ∂f/∂x",
    ),
    "grad_cam": ("Grad-CAM", "Grad-CAM of the last convolution, signed"),
    "gradient": ("gradient", "∂f/∂x summed over colour channels (FFA's direction is proportional to it)"),
}


@dataclass(frozen=True)
class FaceSaliency:
    """The three signed maps (float32 (H, W), > 0 = evidence for +1) of ``attribute`` on one uint8 face."""

    attribute: str
    score: float
    gradient: np.ndarray
    gradient_x_input: np.ndarray
    grad_cam: np.ndarray
    box: tuple[int, int, int, int]


def face_saliency(bank: AttributeBank, image: np.ndarray, attribute: str) -> FaceSaliency:
    """Maps of ``attribute``'s network on the aligned uint8 face ``image`` (H, W, 3)."""
    maps = saliency_maps(bank, image[None], attribute)
    return FaceSaliency(
        attribute, float(maps.scores[0]), maps.gradient[0], maps.gradient_x_input[0], maps.grad_cam[0], maps.box
    )


def perturbation_overlaps(
    saliency: FaceSaliency, original: np.ndarray, adversarial: np.ndarray, top: float = 0.1
) -> dict[str, Overlap]:
    """Each map's overlap with δ = adversarial − original (grey levels) inside the crop box, by map key."""
    delta = adversarial.astype(np.float32) - original.astype(np.float32)
    return {key: overlap(getattr(saliency, key), delta, saliency.box, top) for key in MAP_NAMES}


def overlap_sentences(saliency: FaceSaliency, overlaps: dict[str, Overlap], attack: str) -> list[str]:
    """One plain sentence per map (evidence first), naming the attack and the attribute."""
    name = saliency.attribute.replace("_", " ")
    return [overlap_sentence(overlaps[key], MAP_NAMES[key][0], attack, name) for key in MAP_NAMES]
