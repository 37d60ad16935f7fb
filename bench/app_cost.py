"""Benchmark 4: what the app costs to build and check. Synthesis plus cdk-nag of the full app (``app.py``) against
the one-bucket app (:mod:`bench.one_bucket_app`), in the same run, and the wall time of the whole test suite.

Both apps are synthesized the way the CDK CLI runs ``app.py`` (a process with ``CDK_OUTDIR`` and the context of
``cdk.json``), without the CLI's own start-up, which is the same for both. The ratio is of CPU time (user + system
of the app's process and its jsii kernel), which other work on the machine disturbs less than wall time.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from bench.report import Goal, Measurement

BENCHMARK: Final = "4. synth and tests"
REPO: Final = Path(__file__).resolve().parent.parent
SYNTH_GOAL: Final = Goal("at most", 2.0)
SUITE_GOAL: Final = Goal("at most", 3.0)
_CREDENTIALS: Final = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE")


@dataclass(frozen=True, slots=True)
class Cost:
    """The CPU and wall time of one child process (and the processes it waited for)."""

    cpu_seconds: float
    wall_seconds: float


def _run(argv: list[str], *, env: dict[str, str], timeout: float) -> Cost:
    """Run ``argv`` in the repository; return its cost. Raise, with its output, if it fails."""
    before, started = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    completed = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if completed.returncode != 0:
        output = completed.stdout + completed.stderr
        raise RuntimeError(f"{' '.join(argv)} failed ({completed.returncode}): {output[-2000:]}")
    return Cost(cpu, wall)


def synth_environment(out_dir: Path) -> dict[str, str]:
    """Return the environment the CDK CLI gives ``app.py``: ``cdk.json``'s context, an output folder, no credentials."""
    context = json.loads((REPO / "cdk.json").read_text())["context"]
    return {
        **{name: value for name, value in os.environ.items() if name not in _CREDENTIALS},
        "CDK_OUTDIR": str(out_dir),
        "CDK_CONTEXT_JSON": json.dumps(context),
        "AWS_EC2_METADATA_DISABLED": "true",
        "JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION": "1",
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "1",
    }


def synthesize(out_dir: Path, *, full: bool = True) -> Cost:
    """Synthesize the full app (or the one-bucket app) into ``out_dir``; return what it cost."""
    argv = [sys.executable, "app.py"] if full else [sys.executable, "-m", "bench.one_bucket_app"]
    return _run(argv, env=synth_environment(out_dir), timeout=600)


def run_synth(work: Path, *, rounds: int = 1) -> tuple[list[Measurement], Path]:
    """Synthesize both apps ``rounds`` times, interleaved; return the ratio and the full app's cloud assembly."""
    full_costs, baseline_costs = [], []
    for round_number in range(rounds):
        baseline_costs.append(synthesize(work / f"one-bucket-{round_number}", full=False))
        full_costs.append(synthesize(work / f"full-{round_number}"))
    full = min(full_costs, key=lambda cost: cost.cpu_seconds)
    baseline = min(baseline_costs, key=lambda cost: cost.cpu_seconds)
    note = (
        f"full app {full.cpu_seconds:.1f} s CPU ({full.wall_seconds:.1f} s wall), one-bucket app "
        f"{baseline.cpu_seconds:.1f} s CPU ({baseline.wall_seconds:.1f} s wall); best of {rounds}"
    )
    ratio = full.cpu_seconds / baseline.cpu_seconds
    measurement = Measurement(BENCHMARK, "synth + cdk-nag, full app / one-bucket app", ratio, "x", SYNTH_GOAL, note)
    return [measurement], work / f"full-{rounds - 1}"


def run_test_suite(*, run: bool) -> list[Measurement]:
    """Run the whole test suite once, as ``make test`` does (on every core); return its wall time in minutes.

    Unless ``run``, report it as not measured, with how to measure it.
    """
    name = "test suite wall time (pytest)"
    if not run:
        note = "not run: it takes minutes on its own; python -m bench.run --only 4 --test-suite measures it"
        return [Measurement(BENCHMARK, name, None, "min", SUITE_GOAL, note)]
    argv = [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "-n", "auto", "--dist", "loadfile"]
    started = time.perf_counter()
    completed = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, timeout=1800, check=False)
    minutes = (time.perf_counter() - started) / 60
    summary = (completed.stdout.strip().splitlines() or ["no output"])[-1]
    note = f"{os.cpu_count()} cores; {summary}" + ("" if completed.returncode == 0 else " (the suite FAILED)")
    return [Measurement(BENCHMARK, name, minutes, "min", SUITE_GOAL, note)]
