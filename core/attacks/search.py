"""The shared scale search (docs/attacks.md, "The shared scale search") and the driver every attack runs through.

An attack only supplies a direction d (per sample, any scale); here it is normalised to unit L∞, so
the scale s reads in grey levels, and the integer images

    x'(s) = clip(round(x + s · d), 0, 255)

are scored for growing s = first_scale · growth^k (capped at ``max_scale``). The first s whose
prediction equals the goal sign starts a binary search in the last interval [lo, hi] (lo does not
flip, hi flips) until hi − lo ≤ ``tolerance``; the result is hi. A sample that has not flipped at
``max_scale`` has failed (scale NaN). All samples are searched together: each iteration evaluates,
in one batched forward, only the samples still searching (per-sample early stopping), each at its
own next scale; a candidate whose integer image equals the one at its bracket's end is not scored
again (same image, same score). Success is finally re-decided on the uint8 image that is returned.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import torch

from ffa_lab.attacks.criteria import GOALS, flip_goal, is_success
from ffa_lab.attacks.distances import l2, linf
from ffa_lab.attacks.result import AttackResult, SearchTrace
from ffa_lab.attacks.scorer import BankScorer, to_nchw, to_nhwc


@dataclass(frozen=True)
class SearchParams:
    """The shared scale search's settings (grey levels); every attack's own parameter class extends it.

    Defaults are the ones all shipped results use.
    """

    first_scale: float = 0.5  # first scale tried
    growth: float = 2.0  # factor between growing steps
    max_scale: float = 64.0  # no flip at this L∞ -> failed ("robust")
    tolerance: float = 0.05  # binary search stops when hi - lo <= tolerance

    def __post_init__(self) -> None:
        if not (0 < self.first_scale <= self.max_scale) or self.growth <= 1 or self.tolerance <= 0:
            raise ValueError("need 0 < first_scale <= max_scale, growth > 1 and tolerance > 0")


def perturb(images: torch.Tensor, direction: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    """clip(round(x + s·d), 0, 255) as float; x, d (n, C, H, W) or (n, H, W, C), s (n,) float32.

    The one place the integer image is made (the search, the results and :func:`apply_scale` agree
    bit for bit): s·d and the sum are separate float32 operations, round is half-to-even.
    """
    s = scale.to(torch.float32).reshape(-1, *([1] * (images.dim() - 1)))
    out = s * direction  # then in place: one temporary instead of three (s·d + x = x + s·d exactly)
    return out.add_(images).round_().clamp_(0, 255)


def unit_linf(direction: torch.Tensor) -> torch.Tensor:
    """Each sample's direction divided by its largest absolute entry (zero stays zero); float32."""
    peak = direction.abs().flatten(1).amax(dim=1).reshape(-1, *([1] * (direction.dim() - 1)))
    return torch.where(peak > 0, direction / peak.clamp_min(torch.finfo(direction.dtype).tiny), 0.0).float()


@dataclass
class _State:
    lo: np.ndarray  # largest scale known not to flip
    hi: np.ndarray  # smallest scale known to flip (inf until one does)
    lo_score: np.ndarray  # the attacked score at lo and at hi
    hi_score: np.ndarray
    nxt: np.ndarray  # next scale to try
    done: np.ndarray
    history: list[tuple[np.ndarray, np.ndarray, np.ndarray]]  # per iteration: (samples, scales, scores)


def _start(score_before: np.ndarray, target: np.ndarray, direction: torch.Tensor, params: SearchParams) -> _State:
    n = len(target)
    zero = (direction.flatten(1).abs().amax(dim=1) == 0).cpu().numpy()
    already = is_success(score_before, target)  # goal "correct" on a correctly classified image
    return _State(
        lo=np.zeros(n),
        hi=np.where(already, 0.0, np.inf),
        lo_score=score_before.copy(),
        hi_score=score_before.copy(),
        nxt=np.full(n, np.float32(params.first_scale), np.float64),
        done=already | zero,
        history=[(np.arange(n), np.zeros(n), np.asarray(score_before, np.float64))],
    )


def _bracket(
    state: _State,
    ends: list[torch.Tensor],
    x: torch.Tensor,
    direction: torch.Tensor,
    upper: np.ndarray,
    upper_score: np.ndarray,
    params: SearchParams,
) -> None:
    """Start from a scale known to flip (``upper``, NaN where none is known): no growing phase, the
    search bisects [0, upper]; a sample without one has failed and is not searched."""
    known = np.isfinite(upper) & ~state.done
    state.done |= ~known
    index = np.flatnonzero(known)
    if not len(index):
        return
    hi = upper[index].astype(np.float32).astype(np.float64)
    state.hi[index], state.hi_score[index] = hi, upper_score[index]
    state.history.append((index, hi, np.asarray(upper_score[index], np.float64)))
    rows = torch.as_tensor(index, device=x.device)
    scale = torch.as_tensor(hi, dtype=torch.float32, device=x.device)
    ends[1][rows] = perturb(x[rows], direction[rows], scale).to(torch.uint8)
    mid = (hi / 2).astype(np.float32).astype(np.float64)
    state.nxt[index] = mid
    state.done[index[(hi <= params.tolerance) | ~((mid > 0) & (mid < hi))]] = True


def _advance(state: _State, index: np.ndarray, scores: np.ndarray, flipped: np.ndarray, params: SearchParams) -> None:
    """Update the brackets of the samples just evaluated and choose each one's next scale (vectorised:
    the search runs thousands of samples at once, and a Python loop per sample cost more than the math)."""
    s = state.nxt[index].copy()
    state.history.append((index, s, np.asarray(scores, np.float64)))
    state.hi[index[flipped]], state.hi_score[index[flipped]] = s[flipped], scores[flipped]
    state.lo[index[~flipped]], state.lo_score[index[~flipped]] = s[~flipped], scores[~flipped]
    lo, hi = state.lo[index], state.hi[index]
    growing = np.isinf(hi)
    at_max = growing & (s >= params.max_scale)
    state.done[index[at_max]] = True
    grow = growing & ~at_max
    state.nxt[index[grow]] = np.minimum(s[grow] * params.growth, params.max_scale).astype(np.float32)
    close = ~growing & (hi - lo <= params.tolerance)
    state.done[index[close]] = True
    split = ~growing & ~close
    mid = ((lo[split] + hi[split]) / 2).astype(np.float32).astype(np.float64)
    stuck = ~((lo[split] < mid) & (mid < hi[split]))  # float32 cannot split the interval further
    state.done[index[split][stuck]] = True
    state.nxt[index[split]] = mid


def _traces(state: _State) -> list[SearchTrace]:
    """Each sample's (scale, score) pairs in the order tried, then sorted by scale."""
    samples = np.concatenate([h[0] for h in state.history])
    scales = np.concatenate([h[1] for h in state.history])
    scores = np.concatenate([h[2] for h in state.history])
    order = np.argsort(samples, kind="stable")  # per sample, the order they were tried
    bounds = np.searchsorted(samples[order], np.arange(len(state.lo) + 1))
    traces = []
    for a, b in zip(bounds[:-1], bounds[1:], strict=True):
        mine = order[a:b]
        by_scale = mine[np.argsort(scales[mine], kind="stable")]
        traces.append(SearchTrace(scales[by_scale], scores[by_scale]))
    return traces


def _same(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    """Per sample: are two uint8 image batches byte-identical? (compared 8 bytes at a time when the
    rows allow it: the search asks this for every candidate, every step)"""
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    if a.shape[1] % 8 == 0 and a.is_contiguous() and b.is_contiguous():
        a, b = a.view(torch.int64), b.view(torch.int64)
    return (a == b).all(dim=1).cpu().numpy()


def _network_view(scorer: BankScorer, x: torch.Tensor, direction: torch.Tensor):
    """(x, direction, cropped): both cut to the part of the frame the networks see, when the direction
    is zero outside it (always, for gradient directions: those pixels never reach a score). Outside the
    crop x'(s) = x then, so searching on the crop scores exactly the same integer images, with ~25 %
    less memory traffic per step and a faster resize. Otherwise the full frames, unchanged."""
    y0, y1, x0, x1 = scorer.crop_box(*x.shape[-2:])
    border = (direction[..., :y0, :], direction[..., y1:, :], direction[..., y0:y1, :x0], direction[..., y0:y1, x1:])
    if any(strip.numel() and bool(strip.ne(0).any()) for strip in border):
        return x, direction, False
    return x[..., y0:y1, x0:x1].contiguous(), direction[..., y0:y1, x0:x1].contiguous(), True


def _evaluate(
    scorer: BankScorer,
    x: torch.Tensor,
    direction: torch.Tensor,
    state: _State,
    index: np.ndarray,
    ends: list[torch.Tensor],
    cropped: bool = False,
):
    """Scores of the integer images at each sample's next scale; (scores, uint8 images, forwards used).

    ``ends`` holds each sample's uint8 images at lo and at hi. A candidate identical to one of them
    has that scale's score exactly, so it is not scored again: the result is the same as scoring
    it, at no forward pass. Along a sign direction (FGS) the image only changes at half-integer
    scales, so most binary search steps cost nothing.
    """
    idx = torch.as_tensor(index, device=x.device)
    scale = torch.as_tensor(state.nxt[index], dtype=torch.float32, device=x.device)
    everyone = len(index) == len(x)  # no gathers (copies) while every sample is still searching
    images = perturb(x, direction, scale) if everyone else perturb(x[idx], direction[idx], scale)
    small = images.to(torch.uint8)
    same_lo = _same(small, ends[0] if everyone else ends[0][idx])
    same_hi = np.isfinite(state.hi[index]) & _same(small, ends[1] if everyone else ends[1][idx]) & ~same_lo
    scores = np.where(same_lo, state.lo_score[index], state.hi_score[index])
    need = np.flatnonzero(~(same_lo | same_hi))
    if len(need):
        picked = torch.as_tensor(need, device=x.device)
        scores[need] = scorer.scores(images[picked], idx[picked], cropped).double().cpu().numpy()
    return scores, small, len(need)


def scale_search(
    scorer: BankScorer,
    x: torch.Tensor,
    direction: torch.Tensor,
    target: np.ndarray,
    score_before: np.ndarray,
    params: SearchParams,
    upper: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[np.ndarray, list[SearchTrace], int]:
    """Smallest flipping scale per sample (NaN = failed), the traces and the forward-pass count.

    x float (B, 3, H, W) integer-valued, direction (B, 3, H, W) with unit L∞, target (B,) ±1.
    ``upper`` = (scales, scores): a scale already known to flip per sample and its score (NaN: none
    known). Then there is no growing phase: [0, upper] is bisected (the minimal-norm attacks' last
    step), and a sample without a known flip has failed.
    """
    state = _start(score_before, target, direction, params)
    x, direction, cropped = _network_view(scorer, x, direction)
    ends = [x.to(torch.uint8), torch.zeros_like(x, dtype=torch.uint8)]  # images at lo and at hi
    if upper is not None:
        _bracket(state, ends, x, direction, *upper, params)
    forwards = 0
    with torch.no_grad():
        while not state.done.all():
            index = np.flatnonzero(~state.done)
            scores, small, used = _evaluate(scorer, x, direction, state, index, ends, cropped)
            forwards += used
            flipped = is_success(scores, target[index])
            for end, rows in ((ends[1], flipped), (ends[0], ~flipped)):
                if rows.any():
                    end[torch.as_tensor(index[rows], device=x.device)] = small[torch.as_tensor(rows, device=x.device)]
            _advance(state, index, scores, flipped, params)
    found = np.where(np.isfinite(state.hi), state.hi, np.nan)
    return found, _traces(state), forwards


class DirectionFn(Protocol):
    """An attack's direction: (scorer, x (B, 3, H, W) float, target (B,) ±1, score_before (B,), params)
    -> (direction (B, 3, H, W) at any scale, forward passes, backward passes)."""

    def __call__(
        self, scorer: BankScorer, x: torch.Tensor, target: torch.Tensor, score_before: torch.Tensor, params: Any, /
    ) -> tuple[torch.Tensor, int, int]: ...


def run_attack(
    direction_fn: DirectionFn, scorer: BankScorer, inputs: AttackInputs, params: SearchParams
) -> AttackResult:
    """Take the attack's direction on the checked, scored ``inputs`` (:func:`start_attack`), search the
    scale, and package an :class:`AttackResult`. ``params`` is the attack's own parameter class (a
    :class:`SearchParams`)."""
    x, before, targets = inputs.x, inputs.before, inputs.targets
    target_t = torch.as_tensor(targets, device=scorer.device)
    raw, fwd, bwd = direction_fn(scorer, x, target_t, inputs.before_tensor, params)
    direction = unit_linf(raw)
    found, traces, search_fwd = scale_search(scorer, x, direction, targets, before, params)
    # the returned image: the flipping scale, or the strongest one tried for a failed sample
    final = np.where(np.isnan(found), params.max_scale, found)
    zero = (direction.flatten(1).abs().amax(dim=1) == 0).cpu().numpy()
    final = np.where(zero, 0.0, final)
    return finish_attack(scorer, inputs, direction, final, found, traces, (fwd + search_fwd, bwd))


@dataclass(frozen=True)
class AttackInputs:
    """An attack's checked inputs: the attack's registry name, its goal, uint8 ``images`` (B, H, W, 3),
    ``x`` the same as float (B, 3, H, W), the attacked scores before (tensor and float64 array), the goal
    signs ``targets`` ±1 (B,) and when the attack started (``time.perf_counter``)."""

    method: str
    goal: str
    started: float
    images: np.ndarray
    x: torch.Tensor
    before_tensor: torch.Tensor
    before: np.ndarray
    targets: np.ndarray


def start_attack(
    method: str, scorer: BankScorer, images: np.ndarray, goal: str, targets: np.ndarray | None
) -> AttackInputs:
    """Check the inputs of attack ``method`` and score them; ``targets`` None means goal "flip" (the
    opposite of each current prediction). The attack's time counts from here."""
    started = time.perf_counter()
    if goal not in GOALS:
        raise ValueError(f"goal must be one of {', '.join(GOALS)}, not {goal!r}")
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim != 4 or images.shape[-1] != 3 or len(images) != len(scorer):
        raise ValueError(f"expected uint8 images ({len(scorer)}, H, W, 3), got {images.dtype} {images.shape}")
    x = to_nchw(images, scorer.device)
    with torch.no_grad():
        before_t = scorer.scores(x)
    before = before_t.double().cpu().numpy()
    if targets is None:
        targets = flip_goal(before)
    targets = np.asarray(targets).astype(np.int64)
    if targets.shape != (len(images),) or not np.isin(targets, (-1, 1)).all():
        raise ValueError("targets must be one ±1 value per image")
    return AttackInputs(method, goal, started, images, x, before_t, before, targets)


def finish_attack(
    scorer: BankScorer,
    inputs: AttackInputs,
    direction: torch.Tensor,
    final: np.ndarray,
    scale: np.ndarray,
    traces: list[SearchTrace],
    passes: tuple[int, int],
) -> AttackResult:
    """Make the returned images x + final·direction, re-decide success on them and package the result.

    ``scale`` (B,) is the flipping scale found (NaN = failed); ``final`` the scale of the returned image
    (the strongest tried for a failure); ``passes`` the (forward, backward) passes beyond the two scorings.
    """
    images, x, targets = inputs.images, inputs.x, inputs.targets
    with torch.no_grad():
        adv_t = perturb(x, direction, torch.as_tensor(final, dtype=torch.float32, device=x.device))
        after = scorer.scores(adv_t).double().cpu().numpy()
    adversarial = to_nhwc(adv_t)
    success = is_success(after, targets) & ~np.isnan(scale)
    return AttackResult(
        method=inputs.method,
        goal=inputs.goal,
        attributes=scorer.attributes,
        adversarial=adversarial,
        success=success,
        scale=np.where(success, scale, np.nan),
        score_before=inputs.before,
        score_after=after,
        l2=np.atleast_1d(l2(adversarial, images)),
        linf=np.atleast_1d(linf(adversarial, images)),
        pass_score=None,
        forward_passes=len(images) * 2 + passes[0],
        backward_passes=passes[1],
        trace=tuple(traces),
        direction=direction.permute(0, 2, 3, 1).cpu().numpy(),
        target=targets,
        seconds=time.perf_counter() - inputs.started,
    )


def growing_scales(params: SearchParams) -> list[float]:
    """The growing-phase grid (for docs and tests): first_scale · growth^k up to max_scale."""
    k = math.ceil(math.log(params.max_scale / params.first_scale, params.growth) - 1e-12)
    grid, s = [], np.float32(params.first_scale)
    for _ in range(k + 1):
        grid.append(float(s))
        if s >= params.max_scale:
            break
        s = np.float32(min(float(s * params.growth), params.max_scale))
    return grid


# step_fn(f (n,), ∇ₓf (n, 3, H, W), target (n,), delta (n, 3, H, W)) -> the new delta
StepFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def iterate_steps(
    scorer: BankScorer, x: torch.Tensor, target: torch.Tensor, score_before: torch.Tensor, steps: int, step_fn: StepFn
) -> tuple[torch.Tensor, int, int]:
    """Accumulate a perturbation over up to ``steps`` gradient steps, for the iterative attacks.

    Every step scores and differentiates the *integer* image clip(round(x + delta)) of each sample
    still active, stops the samples whose integer image already reaches the goal sign, and lets
    ``step_fn`` move the others (delta itself stays real-valued, so sub-grey-level steps add up).
    Returns (delta (B, 3, H, W) with x + delta in [0, 255], forward passes, backward passes); the
    shared scale search then runs along delta.
    """
    delta = torch.zeros_like(x)
    active = ~is_success(score_before, target)
    forwards = 0
    for _ in range(steps):
        idx = active.nonzero().squeeze(1)
        if len(idx) == 0:
            break
        point = torch.clamp(torch.round(x[idx] + delta[idx]), 0, 255)
        f, grad = scorer.gradient(point, lambda score: score, idx)
        forwards += len(idx)
        hit = is_success(f, target[idx])
        active[idx[hit]] = False
        go, keep = idx[~hit], ~hit
        moved = step_fn(f[keep], grad[keep], target[go].to(x.dtype), delta[go])
        delta[go] = torch.clamp(x[go] + moved, 0, 255) - x[go]
    return delta, forwards, forwards
