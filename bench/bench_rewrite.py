"""Benchmark: the structural manifest rewrite against the work any correct rewrite must do, in the same run.

Baselines, measured here on the same generated manifest:
- ``parse+dump``: ``json.loads`` and ``json.dumps`` of every line, the floor for a rewrite that understands JSON;
- ``sed``: the notebook's ``s/aws-ml-blog/<bucket>/g`` as ``str.replace`` (fast, and wrong: see the README).

Target: the structural rewrite (which also validates every line) costs at most 3x ``parse+dump``.
Run: ``.venv/bin/python bench/bench_rewrite.py [--lines N] [--repeat R]``; exits 1 when the target is missed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable

from gt3d_core.rewrite import rewrite_json_text
from gt3d_core.s3_location import S3Location

TARGET_RATIO = 3.0
SOURCE = S3Location.parse("s3://aws-ml-blog/artifacts/gt-point-cloud-demos/")
TARGET = S3Location.parse("s3://my-labeling-bucket/gt3d-demo/input/")


def frame_manifest(lines: int) -> str:
    """Return a frame manifest with ``lines`` sensor-fusion frames, two cameras each, in the documented format."""
    prefix = str(SOURCE.uri("frames/"))
    rows = []
    for index in range(lines):
        images = [
            {
                "image-path": f"images/frame_{index}_camera_{camera}.jpg",
                "unix-timestamp": 1566861644.759115 + index,
                "fx": 847.79,
                "fy": 850.03,
                "cx": 576.21,
                "cy": 317.24,
                "position": {"x": -2.27, "y": 116.86, "z": 1.45},
                "heading": {"qx": 0.759, "qy": 0.021, "qz": -0.024, "qw": -0.649},
                "camera-model": "pinhole",
            }
            for camera in range(2)
        ]
        row = {
            "source-ref": str(SOURCE.uri(f"frames/{index}.txt")),
            "source-ref-metadata": {
                "format": "text/xyzi",
                "unix-timestamp": 1566861644.759115 + index,
                "prefix": prefix,
                "images": images,
            },
        }
        rows.append(json.dumps(row))
    return "\n".join(rows) + "\n"


def best_of(repeat: int, work: Callable[[], object]) -> float:
    """Return the fastest of ``repeat`` timings of ``work`` in seconds (the least disturbed run)."""
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    text = frame_manifest(args.lines)
    floor = best_of(args.repeat, lambda: [json.dumps(json.loads(line)) for line in text.splitlines()])
    sed = best_of(args.repeat, lambda: text.replace("aws-ml-blog", "my-labeling-bucket"))
    ours = best_of(args.repeat, lambda: rewrite_json_text("bench.manifest", text, SOURCE, TARGET))

    uris = rewrite_json_text("bench.manifest", text, SOURCE, TARGET).uris
    ratio = ours / floor
    print(f"manifest: {args.lines} lines, {len(text) / 1e6:.1f} MB, {uris} URIs moved")
    print(f"structural rewrite / parse+dump floor: {ratio:.2f}x (target <= {TARGET_RATIO:.1f}x)")
    print(f"structural rewrite / notebook sed:     {ours / sed:.1f}x (for information: sed is not correct)")
    print("PASS" if ratio <= TARGET_RATIO else "FAIL")
    return 0 if ratio <= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
