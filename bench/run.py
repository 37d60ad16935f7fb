"""Run the benchmarks of issue 11 and report each goal as met or missed by how much (``make bench``).

Order: 1 (manifest rewrite), 4 (synthesis: the full app's cloud assembly is what 2 and 3 run), 2 and 3 (local
runs of the workflow), and with ``--test-suite`` the test suite's wall time (part of 4; it takes longer than the
10 minutes the rest may take, so it is asked for). Data is generated in a temporary folder and removed afterwards.
A run of all four writes the results and the machine to ``bench/RESULTS.md`` (``--results`` to write elsewhere).
Exit status 0 when no goal is missed and every benchmark ran.

``python -m bench.run [--only 1 2 3 4] [--copy-sizes N ...] [--synth-rounds R] [--test-suite] [--results FILE]``
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final

from bench import app_cost, copy_step, manifest_rewrite
from bench.report import Measurement, machine, render_notes, render_table, summary, write_results

RESULTS: Final = Path(__file__).resolve().parent / "RESULTS.md"
DEFAULT_COPY_SIZES: Final = (1_000, 10_000)
"""Both copy paths: the copy step copies 1,000 objects itself and hands 10,000 to the Distributed Map."""


def _progress(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def _copy_benchmarks(assembly: Path, work: Path, sizes: Sequence[int]) -> list[Measurement]:
    """Run benchmarks 2 and 3 in a child process (the emulated cloud patches botocore process-wide)."""
    argv = [sys.executable, "-m", "bench.copy_step", str(assembly), str(work), *(str(size) for size in sizes)]
    # Each run's own limit, and the re-run of the largest dataset.
    timeout = 2 * sum(map(copy_step.time_limit, sizes))
    completed = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"bench.copy_step failed ({completed.returncode}): {completed.stderr[-3000:]}")
    return copy_step.measurements(json.loads(completed.stdout.strip().splitlines()[-1]))


def main(argv: Sequence[str] | None = None) -> int:
    """Run the chosen benchmarks, print the table, write ``RESULTS.md``; return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", type=int, choices=(1, 2, 3, 4), default=[1, 2, 3, 4])
    parser.add_argument(
        "--copy-sizes",
        nargs="+",
        type=int,
        default=list(DEFAULT_COPY_SIZES),
        metavar="N",
        help="dataset sizes (objects) for benchmarks 2 and 3 (default: %(default)s)",
    )
    parser.add_argument("--synth-rounds", type=int, default=1, help="synthesis runs per app; the best counts")
    parser.add_argument("--test-suite", action="store_true", help="also time the whole test suite (benchmark 4)")
    parser.add_argument("--results", type=Path, help=f"where to write the results (default: {RESULTS} for a full run)")
    args = parser.parse_args(argv)
    results = args.results or (RESULTS if set(args.only) == {1, 2, 3, 4} else None)

    started, clock = datetime.datetime.now(datetime.UTC), time.perf_counter()
    host = machine()
    measurements: list[Measurement] = []
    failures: list[str] = []

    def step(name: str, work: Callable[[], list[Measurement]]) -> None:
        _progress(f"{name} ... ({(time.perf_counter() - clock) / 60:.1f} min so far)")
        try:
            measurements.extend(work())
        except Exception as error:  # one broken benchmark must not hide the others' results
            failures.append(f"{name}: {error}")
            measurements.append(Measurement(name, "could not run", None, "", None, f"{type(error).__name__}: {error}"))
            traceback.print_exc()

    with tempfile.TemporaryDirectory(prefix="gt3d-bench-") as temporary:
        work = Path(temporary)
        if 1 in args.only:
            (work / "rewrite").mkdir()
            step(manifest_rewrite.BENCHMARK, lambda: manifest_rewrite.run(work / "rewrite"))
        assembly: list[Path] = []
        if {2, 3, 4} & set(args.only):

            def synth() -> list[Measurement]:
                synth_measurements, full_app = app_cost.run_synth(work / "synth", rounds=args.synth_rounds)
                assembly.append(full_app)
                return synth_measurements if 4 in args.only else []

            step(f"{app_cost.BENCHMARK}: synthesis", synth)
        if {2, 3} & set(args.only) and assembly:
            (work / "copy").mkdir()
            step(
                f"{copy_step.COPY_BENCHMARK} and {copy_step.STATE_BENCHMARK}",
                lambda: _copy_benchmarks(assembly[0], work / "copy", args.copy_sizes),
            )
        if 4 in args.only:
            step(f"{app_cost.BENCHMARK}: test suite", lambda: app_cost.run_test_suite(run=args.test_suite))

    minutes = (time.perf_counter() - clock) / 60
    print(render_table(measurements))
    print(render_notes(measurements))
    print(f"\n{summary(measurements)} in {minutes:.1f} minutes")
    if results is not None:
        command = " ".join(["python -m bench.run", *(argv if argv is not None else sys.argv[1:])])
        write_results(results, measurements, host, command=command, started=started, minutes=minutes)
        print(f"results written to {results}")
    for failure in failures:
        print(f"could not run {failure}")
    return 1 if failures or any(m.missed for m in measurements) else 0


if __name__ == "__main__":
    sys.exit(main())
