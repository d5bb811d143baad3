"""The minimal-norm attacks' shared driver (DDN in ddn.py, FMN in fmn.py): they optimise the perturbation.

DDN (Rony et al., CVPR 2019) and FMN (Pintor et al., NeurIPS 2021) are defined for multi-class
networks through the logit difference. A bank network has one score f, prediction sign(f) (f >= 0 is
+1), so toward the goal sign t the margin is

    m(x) = t · f(x)        (m >= 0: the goal is reached; −m is the two-class logit difference),

and every gradient below is ∇ₓ m = t ∇ₓ f. Our adaptation to integer images (docs/attacks.md):

- the perturbation δ stays real-valued (sub-grey-level steps add up), but every iterate is scored,
  differentiated and judged on its integer image q_k = clip(round(x + δ_k), 0, 255): one forward and
  one backward per sample and step, and the attack's own "is it adversarial?" is the saved image's;
- the result is the best quantized iterate: the smallest norm ‖q_k − x‖ among the iterates whose
  integer image reaches the goal sign (as in both references, the update after the last step is
  not scored);
- then (``refine``, default on) the shared scale search bisects along that perturbation, from 0 (the
  original, which does not flip) to its own L∞ (it flips), to ``tolerance`` grey levels: the returned
  image is the smallest flipping multiple of the best iterate, never larger than it. So ``direction``
  and ``scale`` mean what they mean for every attack (``apply_scale`` reproduces the image) and the
  trace is that bisection;
- a success whose L∞ exceeds ``max_scale`` counts as failed, as it does for the scale search;
- no random draws: a zero gradient takes no step (foolbox draws a random one instead), so a sample
  whose gradient is zero at x never moves and fails; results are deterministic and per sample
  (a sample's path does not depend on the rest of the batch).

All samples run all ``steps`` (these attacks keep shrinking after the first success); samples that
already reach the goal (goal "correct" on a correct image) are successes at scale 0 and do not run.
Defaults are the reference implementations' (foolbox 3.3.4), converted from [0, 1] images to grey
levels (x255), with 50 steps instead of 100 (measured on the shipped bank, 16 faces each of Smiling
and Eyeglasses: each attack's median norm within 0.5 % of 100 steps', at half the CPU time).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from ffa_lab.attacks.criteria import is_success
from ffa_lab.attacks.result import AttackResult, SearchTrace
from ffa_lab.attacks.scorer import BankScorer
from ffa_lab.attacks.search import AttackInputs, SearchParams, finish_attack, scale_search, unit_linf
from ffa_lab.attacks.spec import AttackSpec, Engine


@dataclass(frozen=True)
class MinimalNormParams(SearchParams):
    """Settings shared by DDN and FMN (grey levels), on top of the scale search's (``tolerance`` is the
    final bisection's, ``max_scale`` the largest L∞ that counts as a success)."""

    steps: int = 50  # gradient steps (each: one forward and one backward per sample)
    gamma: float = 0.05  # relative change of the norm budget per step
    max_step: float = 255.0  # L2 length of the first gradient step (foolbox: 1.0 on [0, 1] images)
    min_step: float = 2.55  # L2 length of the last one (cosine annealing in between)
    refine: bool = True  # bisect along the best iterate afterwards (False: return it as found)
    integer_iterates: bool = True  # False: score the real-valued x + δ, as the reference code does
    # (for the reference check only: the returned image is still rounded, and success decided on it)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.steps < 1 or not (0 < self.gamma < 1) or not (0 < self.min_step <= self.max_step):
            raise ValueError("need steps >= 1, 0 < gamma < 1 and 0 < min_step <= max_step")


def norms(delta: torch.Tensor, p: float) -> torch.Tensor:
    """Per-sample Lp norm (p = 2 or inf) of (n, ...) tensors."""
    flat = delta.flatten(1)
    return flat.abs().amax(dim=1) if math.isinf(p) else flat.norm(p=p, dim=1)


def cosine(k: int, steps: int, start: float, end: float) -> float:
    """Cosine annealing from ``start`` (k = 0) toward ``end`` (k = steps), as both references do."""
    return end + (start - end) * (1 + math.cos(math.pi * k / steps)) / 2


def unit_l2(grad: torch.Tensor) -> torch.Tensor:
    """Each sample's gradient over its L2 norm; a zero gradient stays zero (no step)."""
    size = norms(grad, 2.0).reshape(-1, *([1] * (grad.dim() - 1)))
    return torch.where(size > 0, grad / size.clamp_min(1e-30), 0.0)


class Path:
    """One batch of optimisation paths: scores and differentiates the iterates, keeps the best success.

    ``x`` (n, 3, h, w) are the samples' originals cut to the networks' crop (no gradient reaches the
    rest of the frame), ``index`` their positions in the scorer, ``target`` (n,) the goal signs.
    """

    def __init__(
        self,
        scorer: BankScorer,
        x: torch.Tensor,
        index: torch.Tensor,
        target: torch.Tensor,
        p: float,
        params: MinimalNormParams,
    ) -> None:
        self.scorer, self.x, self.index, self.p, self.params = scorer, x, index, p, params
        self.t = target.to(x.dtype)
        n = len(x)
        self.best_norm = torch.full((n,), math.inf, dtype=torch.float64, device=x.device)
        self.best_image = x.clone()  # the best successful integer image (x where none yet)
        self.best_delta_norm = torch.full((n,), math.inf, device=x.device)  # ‖δ‖ of that iterate
        self.best_score = torch.zeros(n, dtype=torch.float64, device=x.device)  # and its score
        self.last_image = x.clone()
        self.forwards = self.backwards = 0

    def point(self, delta: torch.Tensor) -> torch.Tensor:
        z = self.x + delta
        return z.round_().clamp_(0, 255) if self.params.integer_iterates else z

    def step(self, delta: torch.Tensor):
        """Score and differentiate the iterate x + δ: (f (n,), ∇ₓm (n, 3, h, w), success (n,)); one forward
        and one backward per sample."""
        z = self.point(delta).requires_grad_(True)
        with torch.enable_grad():
            f = self.scorer.scores(z, self.index, cropped=True)
            (grad,) = torch.autograd.grad((f * self.t).sum(), z)
        self.forwards += len(z)
        self.backwards += len(z)
        f, z = f.detach(), z.detach()
        success = is_success(f, self.t)
        self.update(z, delta, f, success)
        return f, grad, success

    def update(self, z: torch.Tensor, delta: torch.Tensor, f: torch.Tensor, success: torch.Tensor) -> None:
        """Keep each sample's smallest successful iterate (ties: the earliest)."""
        size = norms((z - self.x).double(), self.p)
        better = success & (size < self.best_norm)
        self.best_norm = torch.where(better, size, self.best_norm)
        self.best_delta_norm = torch.where(better, norms(delta, self.p), self.best_delta_norm)
        self.best_score = torch.where(better, f.double(), self.best_score)
        self.best_image[better] = z[better]
        self.last_image = z


# path_fn(path, params) -> None: runs the attack's steps on ``path`` (defined in ddn.py / fmn.py)
PathFn = Callable[[Path, Any], None]  # (path, the attack's own MinimalNormParams subclass)


def run_minimal_norm(
    p: float, path_fn: PathFn, scorer: BankScorer, inputs: AttackInputs, params: MinimalNormParams
) -> AttackResult:
    """Optimise each perturbation of the checked, scored ``inputs`` (:func:`start_attack`), bisect along
    the best one, and package an :class:`AttackResult`."""
    images, x, before, targets = inputs.images, inputs.x, inputs.before, inputs.targets
    device = scorer.device
    already = is_success(before, targets)
    y0, y1, x0, x1 = scorer.crop_box(*x.shape[-2:])
    run = np.flatnonzero(~already)
    found = np.zeros(len(images), bool)
    best_score = before.copy()
    delta = torch.zeros_like(x)  # the best iterate's perturbation (the last iterate's where none flipped)
    forwards = backwards = 0
    if len(run):
        index = torch.as_tensor(run, device=device)
        crop = x[index, :, y0:y1, x0:x1].contiguous()
        path = Path(scorer, crop, index, torch.as_tensor(targets[run], device=device), p, params)
        path_fn(path, params)
        hit = torch.isfinite(path.best_norm)
        found[run] = hit.cpu().numpy()
        best_score[run] = path.best_score.cpu().numpy()
        chosen = torch.where(hit.reshape(-1, 1, 1, 1), path.best_image, path.last_image)
        delta[index, :, y0:y1, x0:x1] = chosen - path.x
        forwards, backwards = path.forwards, path.backwards
    direction = unit_linf(delta)
    peak = delta.flatten(1).abs().amax(dim=1).double().cpu().numpy()
    found &= peak <= params.max_scale  # as for the scale search: no flip within max_scale is a failure
    if params.refine:
        upper = (np.where(found, peak, np.nan), best_score)
        scale, traces, searched = scale_search(scorer, x, direction, targets, before, params, upper=upper)
        forwards += searched
    else:
        scale = np.where(already, 0.0, np.where(found, peak, np.nan))
        traces = [
            SearchTrace(np.array([0.0, peak[i]]), np.array([before[i], best_score[i]]))
            if found[i]
            else SearchTrace(np.zeros(1), before[i : i + 1].copy())
            for i in range(len(images))
        ]
    final = np.where(np.isnan(scale), peak, scale)  # a failure returns its last iterate
    return finish_attack(scorer, inputs, direction, final, scale, traces, (forwards, backwards))


def minimal_norm_engine(p: float, path_fn: PathFn) -> Engine:
    """The engine of a minimal-norm attack in the norm ``p`` (2 or inf) whose steps ``path_fn`` takes."""

    def engine(model: BankScorer, inputs: AttackInputs, params: SearchParams, /) -> AttackResult:
        if not isinstance(params, MinimalNormParams):
            raise TypeError(f"{inputs.method} takes minimal-norm parameters, not {type(params).__name__}")
        return run_minimal_norm(p, path_fn, model, inputs, params)

    return engine


def minimal_norm_attack(
    name: str, label: str, path_fn: PathFn, params_type: type[MinimalNormParams], p: float
) -> AttackSpec:
    """The record of a minimal-norm attack in the norm ``p`` (2 or inf)."""
    return AttackSpec(name, label, "minimal-norm", params_type, minimal_norm_engine(p, path_fn), norm=p)
