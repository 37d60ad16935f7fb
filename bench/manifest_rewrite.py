"""Benchmark 1: the streaming manifest rewrite against ``sed`` on the same file, and its peak memory.

A frame manifest in the documented format (one point cloud and 8 camera images per line) is generated; two
variants: files numbered as in the demo (``frames/41.txt``: lines differ in their digits) and files named by a
hash (``frames/9f86d081884c7d65.txt``: every line differs in letters too, the worst case for the rewrite's
validation, which can reuse one line's verdict for lines that differ only in digits).

- **Time**: the rewrite's own CPU time (streamed from the file in 1 MiB chunks, as from S3's streaming body, to a
  sink that only counts the bytes a multipart upload would take: no S3 transfer is counted) against the CPU time of
  ``sed s|<source>|<target>|g`` on the same file; best of ``repeat`` runs each, interleaved. Goal: at most 3x.
- **Memory**: peak RSS of a process rewriting 10,000 lines and of one rewriting 100,000. Goal: under 64 MiB apart.

``python -m bench.manifest_rewrite FILE`` is the measuring child: it rewrites FILE and prints its numbers as JSON.
"""

from __future__ import annotations

import hashlib
import json
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bench.report import Goal, Measurement
from gt3d import demo_data
from gt3d_core.rewrite import rewrite_json_stream
from gt3d_core.s3_location import S3Location

BENCHMARK: Final = "1. manifest rewrite"
SOURCE: Final = S3Location.parse(demo_data.DEMO_URI)
TARGET: Final = S3Location.parse("s3://my-labeling-bucket/gt3d-demo/input/")
LINES: Final = 100_000
SMALL_LINES: Final = 10_000
CAMERAS: Final = 8
CHUNK_BYTES: Final = 1024 * 1024
TIME_GOAL: Final = Goal("at most", 3.0)
MEMORY_GOAL: Final = Goal("below", 64.0)
_NAME: Final = "@NAME@"
_TIME: Final = "@TIME@"


def line_template() -> str:
    """Return one manifest line (compact JSON, as the demo's) with placeholders for the file name and timestamp."""
    line = demo_data.frame_manifest_line(0)
    metadata = line["source-ref-metadata"]
    line["source-ref"] = f"{demo_data.DEMO_URI}frames/{_NAME}.txt"
    metadata["unix-timestamp"] = _TIME
    image = metadata["images"][0]
    metadata["images"] = [
        image | {"image-path": f"images/{_NAME}_camera_{camera}.jpg", "unix-timestamp": _TIME}
        for camera in range(CAMERAS)
    ]
    return json.dumps(line, separators=(",", ":")).replace(f'"{_TIME}"', _TIME)


def write_manifest(path: Path, lines: int, name: Callable[[int], str]) -> int:
    """Write a ``lines``-line frame manifest whose frame ``i`` is named ``name(i)``; return its size in bytes."""
    template = line_template()
    with path.open("w", encoding="utf-8") as out:
        for index in range(lines):
            timestamp = repr(demo_data.FIRST_TIMESTAMP + index * demo_data.FRAME_INTERVAL_SECONDS)
            out.write(template.replace(_NAME, name(index)).replace(_TIME, timestamp) + "\n")
    return path.stat().st_size


def hashed_name(index: int) -> str:
    """Return a file name as hashed datasets have them: 16 hex digits, different letters on every line."""
    return hashlib.blake2b(str(index).encode(), digest_size=8).hexdigest()


def peak_rss_kib() -> int:
    """Return this process's peak resident set size in KiB since it started its program.

    Linux's ``VmHWM``: ``ru_maxrss`` would also count the parent's memory, which a forked child starts with.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure_rewrite(path: Path) -> dict[str, Any]:
    """Rewrite ``path`` in this process; return CPU seconds, wall seconds, peak RSS (KiB) and the counts."""
    rss_before = peak_rss_kib()
    written = 0
    cpu, wall = time.process_time(), time.perf_counter()
    with path.open("rb") as source:
        rewrite = rewrite_json_stream(path.name, iter(lambda: source.read(CHUNK_BYTES), b""), SOURCE, TARGET)
        for chunk in rewrite:
            written += len(chunk)  # where a multipart upload would take it: S3 transfer is not the rewrite's cost
    return {
        "cpu_seconds": time.process_time() - cpu,
        "wall_seconds": time.perf_counter() - wall,
        "rss_before_kib": rss_before,
        "rss_peak_kib": peak_rss_kib(),
        "bytes_written": written,
        "records": rewrite.records,
        "uris": rewrite.uris,
    }


def _child_cpu_seconds(argv: list[str]) -> tuple[float, str]:
    """Run ``argv`` to completion; return its CPU time (user + system) and its standard output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    completed = subprocess.run(argv, capture_output=True, text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), completed.stdout


def _rewrite_in_child(path: Path) -> dict[str, Any]:
    _, output = _child_cpu_seconds([sys.executable, "-m", "bench.manifest_rewrite", str(path)])
    result: dict[str, Any] = json.loads(output)
    return result


def _sed_seconds(path: Path) -> float:
    # Output to /dev/null, as the rewrite's goes to a sink: both read the same file from the page cache.
    script = f"s|{SOURCE}|{TARGET}|g"
    seconds, _ = _child_cpu_seconds(["sh", "-c", f"sed -e '{script}' '{path}' > /dev/null"])
    return seconds


@dataclass(frozen=True, slots=True)
class _Timing:
    rewrite: dict[str, Any]
    rewrite_cpu: float
    sed_cpu: float


def _time_against_sed(path: Path, repeat: int) -> _Timing:
    """Best of ``repeat`` interleaved runs of the rewrite and of sed on ``path``."""
    runs, seds = [], []
    for _ in range(repeat):
        seds.append(_sed_seconds(path))
        runs.append(_rewrite_in_child(path))
    best = min(runs, key=lambda run: float(run["cpu_seconds"]))
    return _Timing(rewrite=best, rewrite_cpu=float(best["cpu_seconds"]), sed_cpu=min(seds))


def run(work: Path, *, repeat: int = 3) -> list[Measurement]:
    """Generate the manifests under ``work`` and measure the rewrite's time against sed and its peak memory."""
    numbered, hashed, small = work / "numbered.manifest", work / "hashed.manifest", work / "small.manifest"
    write_manifest(numbered, LINES, str)
    write_manifest(hashed, LINES, hashed_name)
    write_manifest(small, SMALL_LINES, str)
    return [
        _time_measurement("numbered files", numbered, repeat),
        _time_measurement("hashed file names", hashed, repeat),
        _memory_measurement(small, numbered),
    ]


def _time_measurement(label: str, path: Path, repeat: int) -> Measurement:
    timing = _time_against_sed(path, repeat)
    note = (
        f"{LINES:,} lines, {CAMERAS} images each, {path.stat().st_size / 2**20:.0f} MiB, "
        f"{timing.rewrite['uris']:,} URIs moved: rewrite {timing.rewrite_cpu:.2f} s CPU "
        f"({timing.rewrite['wall_seconds']:.2f} s wall), sed {timing.sed_cpu:.2f} s CPU"
    )
    ratio = timing.rewrite_cpu / timing.sed_cpu
    return Measurement(BENCHMARK, f"rewrite / sed, CPU time ({label})", ratio, "x", TIME_GOAL, note)


def _memory_measurement(small: Path, large: Path) -> Measurement:
    peaks = [int(_rewrite_in_child(path)["rss_peak_kib"]) / 1024 for path in (small, large)]
    note = f"peak RSS {peaks[0]:.1f} MiB at {SMALL_LINES:,} lines, {peaks[1]:.1f} MiB at {LINES:,} lines"
    name = f"peak RSS growth, {SMALL_LINES:,} -> {LINES:,} lines"
    return Measurement(BENCHMARK, name, peaks[1] - peaks[0], "MiB", MEMORY_GOAL, note)


if __name__ == "__main__":
    print(json.dumps(measure_rewrite(Path(sys.argv[1]))))
