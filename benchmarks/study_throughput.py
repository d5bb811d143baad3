"""Study throughput on the CPU: one process vs several, end to end through the CLI.

    python benchmarks/study_throughput.py [--models assets/models/default] [--celeba ../shared/celeba]
                                          [--images 40] [--attributes all] [--repeat 2] [--settings ...]

Runs the same study (FFA, FGS, FGV, PASS and side effects) as ``ffa-lab study`` subprocesses, each
setting ``--repeat`` times in alternation (so a change in machine load hits every setting alike), and
prints per setting the median wall time, the CPU seconds it used (user + system of all its processes)
and attacks per wall second. Settings: ``1x2`` = one process with two torch threads, ``1x1`` = one
process with one thread, ``torchrun2`` = ``torchrun --nproc-per-node 2`` with one thread per rank (gloo),
``workers2`` = ``--workers 2`` (the same two ranks, started by the command). The numbers and what they
decided are in docs/cluster.md.
The decoded-image cache is filled once before timing.
"""

from __future__ import annotations

import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import benchmark_parser  # benchmarks/ is on sys.path (run as scripts)

SETTINGS = {
    "1x2": (1, 2, ["--workers", "1"]),
    "1x1": (1, 1, ["--workers", "1"]),
    "torchrun2": (2, 1, ["--workers", "1"]),
    "workers2": (1, 1, ["--workers", "2"]),  # --workers 2: the command starts the 2 torchrun ranks itself
}


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_once(args: list[str], ranks: int, threads: int, extra: list[str], cache: str) -> tuple[float, float]:
    """(wall seconds, CPU seconds of every process it started) of one CLI run."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "FFA_LAB_CACHE": cache}
    cli = ["-m", "ffa_lab.cli.main", *args, *extra]
    if ranks > 1:
        launcher = ["-m", "torch.distributed.run", "--nproc-per-node", str(ranks), "--master-addr", "127.0.0.1"]
        cli = [*launcher, "--master-port", str(_port()), *cli]
        env["FFA_LAB_DIST_BACKEND"] = "gloo"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, *cli], env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        raise SystemExit(f"{' '.join(cli)} failed:\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    parser = benchmark_parser(__doc__)
    parser.add_argument("--images", type=int, default=40)
    parser.add_argument("--attributes", default="all")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument(
        "--settings", default="1x2,torchrun2,workers2", help=f"comma-separated of {', '.join(SETTINGS)}"
    )
    parser.add_argument("--extra", default="", help="more flags for every run")
    args = parser.parse_args(argv)
    names = args.settings.split(",")
    base = ["study", "--models", args.models, "--celeba", args.celeba, "--split", "test"]
    base += ["--limit", str(args.images), "--attributes", args.attributes, "--device", "cpu"]
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in names}
    with tempfile.TemporaryDirectory() as tmp:
        cache = str(Path(tmp) / "cache")
        run_once([*base, "--limit", "2", "--out", f"{tmp}/warm"], 1, 1, [], cache)
        attacks = None
        for r in range(args.repeat):
            for name in names:
                ranks, threads, extra = SETTINGS[name]
                out = f"{tmp}/{name}-{r}"
                times[name].append(
                    run_once([*base, "--out", out], ranks, threads, [*extra, *args.extra.split()], cache)
                )
                summary = json.loads(Path(out, "summary.json").read_text())
                attacks = sum(a["n_attacked"] for a in summary["attributes"].values()) * len(summary["attacks"])
    load = os.getloadavg()
    print(
        f"study: {args.images} test images x attributes {args.attributes} x ffa,fgs,fgv = {attacks} attacks; "
        f"{os.cpu_count()} CPUs, load average now {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}"
    )
    print(f"{'setting':<12}{'wall s (median)':>16}{'all walls':>22}{'CPU s':>8}{'attacks/s':>11}")
    for name in names:
        walls = [w for w, _ in times[name]]
        cpus = [c for _, c in times[name]]
        wall = statistics.median(walls)
        shown = " ".join(f"{w:.1f}" for w in walls)
        print(f"{name:<12}{wall:>16.1f}{shown:>22}{statistics.median(cpus):>8.1f}{attacks / wall:>11.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
