"""Plain sentences for someone who has not read the paper (no Streamlit here; the pages only render them).

- :func:`flip_sentence`: what one attack did to one face ("the network now says *not smiling*; the two
  images differ by at most 7 grey levels and look identical, PASS 0.999").
- :func:`identical_groups` / :func:`identical_sentence`: attacks that gave the same numbers, and why
  (docs/attacks.md, "Why FFA flips what FGS and FGV cannot").
- :data:`NATURAL_INTRO`: what the Natural adversarials page shows.

PASS ≥ 0.99 is the "imperceptible" threshold used throughout (docs/attacks.md, docs/study.md).
"""

from __future__ import annotations

import math

from ffa_lab.report.numbers import fmt, score_change_text, score_text
from ffa_lab.views.flips import FlipView

IMPERCEPTIBLE = 0.99  # PASS at or above this counts as "looks identical" (the study's τ)
NOTICEABLE = 0.95  # below this the change is plainly visible


def attribute_phrase(attribute: str, present: bool) -> str:
    """'smiling' / 'not smiling', '5 o clock shadow' / 'not 5 o clock shadow' (lower case, spaces)."""
    words = attribute.replace("_", " ").lower()
    return words if present else f"not {words}"


def _grey_levels(linf: float) -> str:
    levels = int(round(linf))
    return f"{levels} grey level{'s' if levels != 1 else ''} (of 255)"


def looks_text(pass_score: float) -> str:
    """How visible a change with this PASS is, in words (with the number)."""
    if not math.isfinite(pass_score):
        return "PASS was not computed"
    if pass_score >= IMPERCEPTIBLE:
        return f"look identical (PASS {fmt(pass_score, 4)}; ≥ {IMPERCEPTIBLE} counts as imperceptible)"
    if pass_score >= NOTICEABLE:
        return f"differ slightly to a careful eye (PASS {fmt(pass_score, 4)}, below the {IMPERCEPTIBLE} threshold)"
    return f"differ visibly (PASS {fmt(pass_score, 4)})"


def flip_sentence(view: FlipView, label: str | None = None) -> str:
    """One plain sentence about ``view``'s result (markdown: the verdicts in *italics*).

    ``label`` names the attack (default: its short name in capitals)."""
    name, n = label or view.method.upper(), view.numbers
    before = attribute_phrase(view.attribute, n.score_before >= 0)
    if not n.success:
        return (
            f"{name} could not change the network's answer: it still says *{before}* (score "
            f"{score_text(n.score_after)}) even at the strongest change tried, up to {_grey_levels(n.linf)} "
            "per pixel. Along this direction the network is robust for this face."
        )
    after = attribute_phrase(view.attribute, n.score_after >= 0)
    return (
        f"The network said *{before}* (score {score_text(n.score_before)}) and now says *{after}* "
        f"(score {score_text(n.score_after)}); the two images differ by at most {_grey_levels(n.linf)} "
        f"per pixel and {looks_text(n.pass_score)}."
    )


def score_metric(view: FlipView) -> tuple[str, str]:
    """(value, delta) for the "Score before → after" metric: the score after, and the signed change with the
    score before. The delta starts with '-' exactly when the score went down (Streamlit draws ↓ then)."""
    n = view.numbers
    return (
        score_text(n.score_after),
        f"{score_change_text(n.score_before, n.score_after)} from {score_text(n.score_before)}",
    )


def _key(view: FlipView) -> tuple:
    """What two attacks must share to count as 'the same numbers' (as the Compare page rounds them)."""

    def rounded(value: float, digits: int):
        return round(value, digits) if math.isfinite(value) else None

    n = view.numbers
    return (
        n.success,
        rounded(n.scale, 3),
        rounded(n.l2, 2),
        rounded(n.linf, 1),
        rounded(n.pass_score, 5),
        rounded(n.score_after, 4),
    )


def identical_groups(views: dict[str, FlipView]) -> list[list[str]]:
    """Groups (in registry order) of two or more attacks whose results are the same numbers."""
    groups: dict[tuple, list[str]] = {}
    for method, view in views.items():
        groups.setdefault(_key(view), []).append(method)
    return [names for names in groups.values() if len(names) > 1]


WHY_FFA_FGV = (
    "For these networks' squared loss J = ½ (f − t)², FFA's direction −(f(x) − t)·∇f(x) (t the flipped label) "
    "and FGV's (f(x) − y)·∇f(x) (y the current prediction) are both multiples of the same gradient ∇f(x). "
    "While the score is inside ±1 (|f(x)| < 1) the two factors have the same sign, so after normalising to a "
    "largest pixel change of 1 the directions are the same image, and the same scale search along it gives the "
    "same numbers. When the network overshoots (|f(x)| > 1), FGV's factor changes sign: it pushes away from "
    "the boundary and fails where FFA flips (docs/attacks.md)."
)
WHY_ITERATIVE = (
    "DeepFool's and iterative FFA's first step is along that same gradient (DeepFool's −f(x)·∇f(x)/‖∇f(x)‖², "
    "iterative FFA's unit FFA step); when that one step already flips the face, the scale search runs along "
    "the same direction as FFA and ends at the same image."
)
WHY_SIGN = "FGS's sign direction matches a gradient direction only where the gradient is equally large on every pixel."


def identical_sentence(group: list[str], labels: dict[str, str] | None = None) -> str:
    """Why the attacks in ``group`` (registry names, two or more) gave identical numbers, precisely."""
    labels = labels or {}
    names = " and ".join(labels.get(m, m.upper()) for m in group)
    parts = [f"{names} gave identical numbers."]
    if {"ffa", "fgv"} <= set(group) or ({"fgv"} <= set(group) and set(group) & {"deepfool", "iffa"}):
        parts.append(WHY_FFA_FGV)
    if set(group) & {"deepfool", "iffa"}:
        parts.append(WHY_ITERATIVE)
    if "fgs" in group:
        parts.append(WHY_SIGN)
    if len(parts) == 1:  # attacks with no shared direction to point at (e.g. the minimal-norm ones)
        parts.append("They returned the same adversarial image (all results are whole grey levels).")
    return " ".join(parts)


PADDING_NOTICE = 0.01  # a crop with at least 1 % reflected border gets a note on the Inspect page


def padding_note(padded: float) -> str | None:
    """The Inspect page's note when ``padded`` (fraction of the aligned crop outside the photo) is noticeable."""
    if not math.isfinite(padded) or padded < PADDING_NOTICE:
        return None
    return (
        f"{100 * padded:.0f} % of the aligned crop lies outside the photo: the face is near the photo's edge, so "
        "those pixels are the photo mirrored at its border (as in CelebA's own crops). Mirrored hair or faces there "
        "are not in the picture, and the networks see them too; a photo with more room around the face scores "
        "more reliably."
    )


NATURAL_INTRO = (
    "**What this page shows.** A *natural adversarial sample* (Rozsa et al., ICPR 2016) is a real, unmodified "
    "face that a network gets wrong, but where a tiny, invisible change (FFA aimed at the true label, "
    "PASS ≥ τ = 0.99) is enough to make the network right: the face sits just on the wrong side of the "
    "network's decision boundary. The page lists, per attribute, how many misclassified faces are like this "
    "and shows the faces with the smallest fix first.\n\n"
    "This is a different idea from Hendrycks et al.'s *natural adversarial examples* (ImageNet-A, 2021): "
    "those are unmodified photos chosen because they fool classifiers; here the photos are ordinary dataset "
    "images and the question is how close to right the network was."
)
