"""Minimal-norm attacks (DDN, FMN L2, FMN L∞): reference check against foolbox 3, and time per image beside FFA.

(a) Reference check. For each attribute, the first N correctly classified test faces of the shared
    CelebA subset (file order) are attacked (goal "flip") by ours and by foolbox's DDNAttack,
    L2FMNAttack and LInfFMNAttack on the same network: foolbox sees [0, 1] images and the two logits
    [-f, f] of f(255 x), so its logit difference is our margin (times 2) and its cross-entropy has our
    gradient direction; both run the same steps and schedules (ours in grey levels = foolbox's x 255).
    foolbox 3.3.4's L2FMNAttack never projects onto its L2 ball (``project`` divides the norm by
    itself), so the check uses it with that one method fixed; the unfixed numbers are printed too.
    Printed per attack: success % and the median L2 / L∞ of the successes (grey levels) for ours (the
    saved uint8 image), for foolbox on its float images and after rounding them to uint8, and a
    verdict against the tolerance:
      - success: ours >= foolbox's (float) - 5 points;
      - median of the attack's own norm: L2, 0.95 <= ours / foolbox <= 1.15 (ours is an integer image:
        it cannot use sub-grey-level changes); L∞, within 1 grey level of foolbox's (an integer image
        moves by whole grey levels: a float optimum of 0.8 is at best 1 for us);
      - the same algorithm: our float path (``integer_iterates=False, refine=False``, iterating on
        real-valued images as foolbox does) gives foolbox's rounded images on >= 90 % of the faces:
        per face the same L∞ and an L2 within 1 % (foolbox differentiates a cross-entropy or a logit
        difference of [-f, f], we the margin t·f: the same direction up to float rounding, which over
        50 steps moves a few values across a rounding boundary; the share of differing values is printed).
(b) Time per image, side by side in one run, on the same faces: every attack of ``--methods`` (wall
    and process CPU), forward/backward passes per image, success, median L2 / L∞ / PASS, and the
    per-image ratio FFA norm / minimal norm on the faces both flip (median; L2 for DDN and FMN, L∞
    for FMN-L∞) — the study's "how far from minimal is FFA" number.

foolbox is a benchmark-only dependency (``pip install foolbox``; it needs neither torchvision nor
another torch); without it (a) is skipped with a message. Without the shared data the benchmark
says so and exits. Run: ``python benchmarks/minimal_norm.py [--images 16] [--attributes Smiling,Eyeglasses]``.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from common import REPO, benchmark_parser  # benchmarks/ is on sys.path (run as scripts)

sys.path.insert(0, str(REPO))

from ffa_lab.attacks import REGISTRY  # noqa: E402
from ffa_lab.attacks.distances import pass_score  # noqa: E402
from ffa_lab.attacks.run import attack_images  # noqa: E402
from ffa_lab.data.attributes import resolve_attributes  # noqa: E402
from ffa_lab.data.celeba import load_celeba  # noqa: E402
from ffa_lab.data.imagecache import load_images  # noqa: E402
from ffa_lab.models.checkpoint import load_bank  # noqa: E402
from ffa_lab.models.evaluate import bank_scores  # noqa: E402

MINIMAL = ("ddn", "fmn", "fmn-linf")
OWN_NORM = {"ddn": "l2", "fmn": "l2", "fmn-linf": "linf"}


def median(values: np.ndarray) -> float:
    return float(np.median(values)) if len(values) else float("nan")


def summary(success: np.ndarray, l2: np.ndarray, linf: np.ndarray) -> dict:
    ok = np.asarray(success, bool)
    return {"success": 100.0 * float(ok.mean()), "l2": median(l2[ok]), "linf": median(linf[ok])}


def norms_of(adversarial: np.ndarray, images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    d = (adversarial.astype(np.float64) - images).reshape(len(images), -1)
    return np.sqrt((d**2).sum(axis=1)), np.abs(d).max(axis=1)


def foolbox_attacks(steps: int) -> dict | None:
    """name -> [(label, foolbox attack)], or None when foolbox is not installed."""
    try:
        import eagerpy as ep
        import foolbox as fb
        from foolbox.devutils import atleast_kd, flatten
    except ImportError:
        return None

    class L2FMNProjected(fb.attacks.L2FMNAttack):
        """foolbox's L2 FMN with its projection onto the L2 ball of radius epsilon fixed."""

        def project(self, x, x0, epsilon):
            d = x - x0
            size = ep.maximum(flatten(d).norms.l2(axis=-1), 1e-12)
            return x0 + d * atleast_kd(ep.minimum(1, epsilon / size), x.ndim)

    return {
        "ddn": [("foolbox DDNAttack", fb.attacks.DDNAttack(steps=steps))],
        "fmn": [
            ("foolbox L2FMNAttack, projection fixed", L2FMNProjected(steps=steps)),
            ("foolbox L2FMNAttack as shipped", fb.attacks.L2FMNAttack(steps=steps)),
        ],
        "fmn-linf": [("foolbox LInfFMNAttack", fb.attacks.LInfFMNAttack(steps=steps))],
    }


class TwoLogits(torch.nn.Module):
    """[-f, f] of a one-network bank on [0, 1] images: foolbox's view of our single score."""

    def __init__(self, single):
        super().__init__()
        self.single = single

    def forward(self, x):
        f = self.single(x * 255.0)[:, :1]
        return torch.cat([-f, f], dim=1)


def run_foolbox(attack, single, faces: np.ndarray, before: np.ndarray):
    """(float adversarials in grey levels, seconds)."""
    import foolbox as fb

    model = fb.PyTorchModel(TwoLogits(single).eval(), bounds=(0, 1))
    x = torch.from_numpy(faces.transpose(0, 3, 1, 2).astype(np.float32) / 255.0)
    labels = torch.from_numpy((before >= 0).astype(np.int64))
    started = time.perf_counter()
    _, adversarial, _ = attack(model, x, labels, epsilons=None)
    return adversarial.numpy().transpose(0, 2, 3, 1) * 255.0, time.perf_counter() - started


def verdict(ours: dict, ref: dict, norm: str, same: float) -> tuple[bool, str]:
    checks = [ours["success"] >= ref["success"] - 5.0]
    if norm == "l2":
        ratio = ours["l2"] / ref["l2"]
        checks.append(0.95 <= ratio <= 1.15)
        text = f"L2 ratio {ratio:.3f} (tolerance 0.95-1.15)"
    else:
        checks.append(ref["linf"] - 1 <= ours["linf"] <= ref["linf"] + 1)
        text = f"Linf {ours['linf']:g} vs {ref['linf']:.2f} (tolerance +-1 grey level)"
    checks.append(same >= 90.0)
    ok = all(checks)
    return ok, (
        f"{'PASS' if ok else 'FAIL'}: success {ours['success']:.1f} vs {ref['success']:.1f} (>= ref - 5), "
        f"{text}, float path = foolbox's images on {same:.0f} % of faces (>= 90)"
    )


def row(label: str, s: dict, seconds: float, n: int) -> None:
    print(
        f"    {label:<44} success {s['success']:5.1f} %  median L2 {s['l2']:7.2f}  median Linf {s['linf']:6.2f}"
        f"  {seconds / n * 1e3:7.1f} ms/image"
    )


def reference_check(bank, faces, attribute: str, steps: int | None, refs: dict) -> bool:
    k = bank.attributes.index(attribute)
    single = bank.subset([k]).eval().requires_grad_(False)
    before = bank_scores(single, faces)[:, 0]
    all_ok = True
    for name in MINIMAL:
        spec = REGISTRY[name]
        params = spec.default_params() if steps is None else dataclasses.replace(spec.default_params(), steps=steps)
        print(f"  {name} ({spec.label}), {params.steps} steps")
        ours = attack_images(bank, faces, attribute, name, params=params, compute_pass=False)
        mine = summary(ours.success, ours.l2, ours.linf)
        row("ours (integer iterates, uint8 result)", mine, ours.seconds, len(faces))
        float_path = dataclasses.replace(params, integer_iterates=False, refine=False)
        ours_float = attack_images(bank, faces, attribute, name, params=float_path, compute_pass=False)
        row(
            "ours, float path (check only)",
            summary(ours_float.success, ours_float.l2, ours_float.linf),
            ours_float.seconds,
            len(faces),
        )
        for index, (label, attack) in enumerate(refs[name]):
            adversarial, seconds = run_foolbox(attack, single, faces, before)
            after_float = bank_scores(single, np.clip(adversarial, 0, 255).astype(np.float32))[:, 0]
            rounded = np.clip(np.round(adversarial), 0, 255).astype(np.uint8)
            after = bank_scores(single, rounded)[:, 0]
            flipped_float = (after_float >= 0) != (before >= 0)
            flipped = (after >= 0) != (before >= 0)
            l2f, linff = norms_of(adversarial, faces)
            ref = summary(flipped_float, l2f, linff)
            row(label + " (float)", ref, seconds, len(faces))
            row(label + " (rounded to uint8)", summary(flipped, *norms_of(rounded, faces)), seconds, len(faces))
            if index == 0:
                l2_ours, linf_ours = norms_of(ours_float.adversarial, faces)
                l2_ref, linf_ref = norms_of(rounded, faces)
                drift = np.abs(l2_ours - l2_ref) / np.maximum(l2_ref, 1.0)  # grey levels where foolbox's is 0
                same = 100.0 * float(np.mean((np.abs(l2_ours - l2_ref) <= 0.01 * l2_ref) & (linf_ours == linf_ref)))
                values = 100.0 * float(np.mean(ours_float.adversarial != rounded))
                print(
                    f"    float path vs foolbox rounded: {values:.3f} % of values differ, per-face L2 within "
                    f"{100 * drift.max():.2f} %, L-inf equal on {int((linf_ours == linf_ref).sum())}/{len(faces)}"
                )
                ok, text = verdict(mine, ref, OWN_NORM[name], same)
                all_ok &= ok
                print(f"    {text}")
    return all_ok


def timing(bank, faces, attribute: str, methods: list[str], steps: int | None) -> None:
    n = len(faces)
    results = {}
    print(
        f"  {'attack':<9} {'ms/image':>9} {'CPU ms':>7} {'fwd/img':>8} {'bwd/img':>8} {'success%':>8} "
        f"{'med L2':>7} {'med Linf':>8} {'med PASS':>8}"
    )
    for method in methods:
        params = REGISTRY[method].default_params()
        if steps is not None and REGISTRY[method].kind == "minimal-norm":
            params = dataclasses.replace(params, steps=steps)
        attack_images(bank, faces[:2], attribute, method, params=params, compute_pass=False)  # warm-up
        wall, cpu = time.perf_counter(), time.process_time()
        r = attack_images(bank, faces, attribute, method, params=params, compute_pass=False)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        passes = np.full(n, np.nan)
        if r.success.any():
            passes[r.success] = pass_score(r.adversarial[r.success], faces[r.success]).score
        results[method] = (r, passes)
        ok = r.success
        print(
            f"  {method:<9} {wall / n * 1e3:>9.1f} {cpu / n * 1e3:>7.1f} {r.forward_passes / n:>8.1f} "
            f"{r.backward_passes / n:>8.1f} {r.success_rate:>8.1f} {median(r.l2[ok]):>7.1f} "
            f"{median(r.linf[ok]):>8.1f} {median(passes[ok]):>8.4f}"
        )
    if "ffa" not in results:
        return
    ffa, ffa_pass = results["ffa"]
    for name in (m for m in methods if m in OWN_NORM):
        other, other_pass = results[name]
        both = ffa.success & other.success
        norm = OWN_NORM[name]
        mine = getattr(ffa, norm)[both]
        theirs = getattr(other, norm)[both]
        ratio = median(mine / np.maximum(theirs, 1e-12))
        print(
            f"  FFA / {name}: {int(both.sum())} faces both flip; median per-face {norm.upper()} ratio {ratio:.2f} "
            f"(FFA {median(mine):.1f} vs {median(theirs):.1f}); median PASS {median(ffa_pass[both]):.4f} vs "
            f"{median(other_pass[both]):.4f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--attributes", default="Smiling,Eyeglasses")
    parser.add_argument("--images", type=int, default=16, help="correctly classified test faces per attribute")
    parser.add_argument(
        "--steps", type=int, default=None, help="DDN/FMN steps in (a) and (b) (default: the attacks' defaults)"
    )
    parser.add_argument("--methods", default=",".join(REGISTRY), help="attacks timed in (b)")
    parser.add_argument("--skip-reference", action="store_true", help="only (b)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    if not Path(args.celeba).is_dir():
        print(f"skipped: the shared CelebA data is not at {args.celeba} (set $FFA_SHARED)")
        return 0
    bank = load_bank(args.models).bank
    data = load_celeba(args.celeba)
    ids = data.split_ids("test")[: max(200, 20 * args.images)]
    faces = np.ascontiguousarray(load_images(data, ids))
    scores = bank_scores(bank, faces)
    labels = data.labels_for(ids)[:, [resolve_attributes("all").index(a) for a in bank.attributes]]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    steps = args.steps or REGISTRY["ddn"].default_params().steps
    refs = None if args.skip_reference else foolbox_attacks(steps)
    print(
        f"models {args.models}; {args.images} correctly classified test faces per attribute; torch threads "
        f"{torch.get_num_threads()}, load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    all_ok = True
    for attribute in resolve_attributes(args.attributes):
        k = bank.attributes.index(attribute)
        correct = np.flatnonzero(np.where(scores[:, k] >= 0, 1, -1) == labels[:, k])[: args.images]
        chosen = faces[correct]
        print(f"\n{attribute}: {len(chosen)} faces")
        if args.skip_reference:
            pass
        elif refs is None:
            print("  (a) reference check skipped: foolbox is not installed (pip install foolbox; benchmark only)")
        else:
            print("  (a) reference check against foolbox")
            all_ok &= reference_check(bank, chosen, attribute, args.steps, refs)
        print("  (b) time per image, side by side")
        timing(bank, chosen, attribute, methods, args.steps)
    if refs is not None:
        print(f"\nreference check: {'PASS' if all_ok else 'FAIL'}")
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main())
