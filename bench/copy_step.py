"""Benchmarks 2 and 3: the copy step's S3 requests and bytes, and the execution state's size, on a local run.

Each dataset is generated (tiny point cloud frames, a frame manifest naming them, the demo's label categories) and
run through the synthesized workflow on :class:`gt3d.local_cloud.LocalCloud`, as ``gt3d local-run`` does.

- **2. copy**: every S3 call the copy functions (``copy_data``, ``copy_batch``) make is counted with a botocore
  hook on the default session, which the handlers' clients come from; a call belongs to the function whose handler
  the in-process Lambda runtime is running (``_HANDLER``). Reported per data object (the frames): requests (goal 1),
  data bytes read or written by the function (goal 0: copies are server side), and copies on a re-run (goal 0; the
  re-run is stopped once the rewrite step starts, since the copy is all it measures).
- **3. state payload**: the largest ``input`` or ``output`` of any event in the workflow's history and in the
  histories of the executions it started, per dataset size (goal: the same for every size, far below 256 KiB).

``python -m bench.copy_step ASSEMBLY WORK SIZE...`` is the measuring child: it prints its numbers as JSON. It runs
apart from the runner because the emulated cloud patches botocore and moto process-wide.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Final

import boto3

from bench.report import Goal, Measurement
from gt3d import demo_data
from gt3d.cloud_assembly import CloudAssembly
from gt3d.execution_progress import Progress
from gt3d.local_cloud import LocalCloud, moto_history
from gt3d.local_run_result import LocalRunResult

COPY_BENCHMARK: Final = "2. copy"
STATE_BENCHMARK: Final = "3. state payload"
COPY_HANDLERS: Final = frozenset({"copy_data.handler", "copy_batch.handler"})
WRITES: Final = frozenset({"PutObject", "UploadPart", "CopyObject", "UploadPartCopy", "CompleteMultipartUpload"})
LABELS: Final = "label-category-config/label-category.json"
MANIFEST: Final = "manifests/frames.manifest"
TIME_SCALE: Final = 0.0002
LARGE_RUN_OBJECTS: Final = 50_000
RUN_SECONDS_BASE: Final = 300.0
RUN_SECONDS_PER_OBJECT: Final = 0.1
"""The local run's time limit: about 15 ms per object on a loaded 2-core machine, with a wide margin."""
STATE_SIZES: Final = (1_000, 10_000, 100_000)
"""The dataset sizes benchmark 3 asks for; those not run are reported with the time they would take."""
STATE_LIMIT_BYTES: Final = 256 * 1024
REQUESTS_GOAL: Final = Goal("at most", 1.0)
ZERO_GOAL: Final = Goal("exactly", 0.0)
PAYLOAD_GOAL: Final = Goal("at most", STATE_LIMIT_BYTES / 16)
PAYLOAD_GROWTH_GOAL: Final = Goal("at most", 64.0)
"""Bytes: the counts in a payload may gain digits as the dataset grows; nothing else may."""


def write_dataset(directory: Path, frames: int) -> dict[str, int]:
    """Write ``frames`` tiny point clouds, a frame manifest naming them and the demo's label categories.

    Return the data objects' sizes by key relative to the source prefix (``frames/<n>.txt``).
    """
    (directory / "frames").mkdir(parents=True)
    sizes, lines = {}, []
    for index in range(frames):
        body = f"{index} 0 0 1\n"
        (directory / "frames" / f"{index}.txt").write_text(body)
        sizes[f"frames/{index}.txt"] = len(body)
        metadata = {"format": "text/xyzi", "unix-timestamp": demo_data.FIRST_TIMESTAMP + index}
        lines.append(
            json.dumps({"source-ref": f"{demo_data.DEMO_URI}frames/{index}.txt", "source-ref-metadata": metadata})
        )
    (directory / "manifests").mkdir()
    (directory / MANIFEST).write_text("\n".join(lines) + "\n")
    (directory / LABELS).parent.mkdir()
    shutil.copy(demo_data.DEFAULT_DIR / LABELS, directory / LABELS)
    return sizes


class CopyCalls:
    """Counts the S3 calls of the copy functions, and the data bytes they move through the function.

    Registered once per emulated cloud: the handlers' clients keep the hooks their session had when they were made
    (and stay warm between runs), so a re-run is counted by the same object after :meth:`reset`.
    """

    def __init__(self, data_sizes: dict[str, int]) -> None:
        self.data_sizes = data_sizes
        self.reset()

    def reset(self) -> None:
        """Start counting afresh (for the next run)."""
        self.per_data_object: Counter[str] = Counter()
        self.per_run: Counter[str] = Counter()
        self.data_bytes = 0
        self.data_writes = 0
        self.rewrite_started = False

    def __call__(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        """botocore's ``before-parameter-build.s3`` hook: called for every S3 request, before it is sent."""
        handler = os.environ.get("_HANDLER", "")
        self.rewrite_started = self.rewrite_started or handler == "rewrite_manifests.handler"
        if handler not in COPY_HANDLERS:
            return
        operation, key = model.name, str(params.get("Key") or params.get("Prefix") or "")
        relative = key[key.find("frames/") :]
        if relative not in self.data_sizes:  # the JSON files, listings of folders, the copy's own work lists
            self.per_run[operation] += 1
            return
        self.per_data_object[operation] += 1
        if operation == "GetObject":
            self.data_bytes += self.data_sizes[relative]
        elif operation in {"PutObject", "UploadPart"}:
            body = params.get("Body", b"")
            self.data_bytes += len(body) if isinstance(body, bytes | bytearray) else 0
        if operation in WRITES:
            self.data_writes += 1


def largest_payload(result: LocalRunResult) -> tuple[int, str]:
    """Return the largest state payload (an event's ``input`` or ``output``, in bytes) of the run's executions,
    and where it was (the state's name, or the event's type)."""
    histories = [result.history, *(moto_history(child["execution_arn"]) for child in result.child_executions)]
    sizes = [
        (len(value.encode()), str(details.get("name") or event["type"]))
        for history in histories
        for event in history
        for key, details in event.items()
        if key.endswith("EventDetails") and isinstance(details, dict)
        for value in (details.get("input"), details.get("output"))
        if isinstance(value, str)
    ]
    return max(sizes, default=(0, "no events"))


def measure(assembly: Path, work: Path, sizes: list[int]) -> dict[str, Any]:
    """Run one execution per dataset size, then a re-run on the largest; return the numbers as plain data."""
    runs = []
    execution_input = {"task_type": "3DPointCloudObjectDetection", "manifest": MANIFEST}
    for frames in sizes:
        calls = CopyCalls(write_dataset(work / f"data-{frames}", frames))
        with LocalCloud(CloudAssembly.load(assembly), time_scale=TIME_SCALE, progress=Progress(None)) as cloud:
            cloud.upload(work / f"data-{frames}")
            boto3.setup_default_session()  # inside the emulation; the handlers' clients are made from it
            assert boto3.DEFAULT_SESSION is not None
            boto3.DEFAULT_SESSION.events.register("before-parameter-build.s3", calls)
            started = time.perf_counter()
            result = cloud.run(execution_input, timeout_seconds=time_limit(frames))
            run: dict[str, Any] = {
                "objects": frames,
                "seconds": time.perf_counter() - started,
                "status": result.status,
                "error": result.error and f"{result.error}: {result.cause}",
                "largest_payload": largest_payload(result),  # (bytes, where)
                "per_data_object": dict(calls.per_data_object),
                "per_run": dict(calls.per_run),
                "data_bytes": calls.data_bytes,
            }
            if frames == max(sizes) and result.status == "SUCCEEDED":
                run["rerun"] = _rerun(cloud, execution_input, calls, time_limit(frames))
            runs.append(run)
    return {"runs": runs}


def time_limit(objects: int) -> float:
    """Return the time limit of a local run over ``objects`` objects."""
    return RUN_SECONDS_BASE + RUN_SECONDS_PER_OBJECT * objects


def _rerun(cloud: LocalCloud, execution_input: dict[str, Any], calls: CopyCalls, limit: float) -> dict[str, Any]:
    """Run ``execution_input`` again on the same cloud; stop it once the copy step is over (the rewrite began)."""
    calls.reset()
    result = cloud.run(execution_input, stop_when=lambda: calls.rewrite_started, timeout_seconds=limit)
    return {
        "status": result.status,
        "copy_ran": "RewriteManifests" in result.states,
        "data_writes": calls.data_writes,
        "requests": sum(calls.per_data_object.values()) + sum(calls.per_run.values()),
    }


def measurements(numbers: dict[str, Any]) -> list[Measurement]:
    """Turn the child's numbers into measurements against the goals of benchmarks 2 and 3."""
    runs = [run for run in numbers["runs"] if run["status"] == "SUCCEEDED"]
    why = "; ".join(
        f"the run over {run['objects']:,} objects ended {run['status']}: {run['error']}"
        for run in numbers["runs"]
        if run["status"] != "SUCCEEDED"
    )
    return _copy_measurements(runs[-1] if runs else None, why) + _state_measurements(runs, why)


def _copy_measurements(run: dict[str, Any] | None, why: str) -> list[Measurement]:
    if run is None:
        return [
            Measurement(COPY_BENCHMARK, name, None, unit, goal, why)
            for name, unit, goal in (
                ("S3 requests per data object", "requests/object", REQUESTS_GOAL),
                ("data bytes through the copy functions", "bytes", ZERO_GOAL),
                ("copies on a re-run", "copies", ZERO_GOAL),
            )
        ]
    objects = run["objects"]
    per_object = ", ".join(f"{op} {count / objects:.2f}" for op, count in sorted(run["per_data_object"].items()))
    per_run = ", ".join(f"{op} {count}" for op, count in sorted(run["per_run"].items()))
    rerun = run.get("rerun")
    large_run = _not_run(run, LARGE_RUN_OBJECTS, f"--only 2 --copy-sizes {LARGE_RUN_OBJECTS}")
    return [
        Measurement(
            COPY_BENCHMARK,
            f"S3 requests per data object, {objects:,} objects",
            round(sum(run["per_data_object"].values()) / objects, 3),
            "requests/object",
            REQUESTS_GOAL,
            f"per data object: {per_object}; once per run: {per_run}",
        ),
        Measurement(COPY_BENCHMARK, "data bytes through the copy functions", run["data_bytes"], "bytes", ZERO_GOAL),
        Measurement(
            COPY_BENCHMARK,
            "copies on a re-run",
            rerun["data_writes"] if rerun and rerun["copy_ran"] else None,
            "copies",
            ZERO_GOAL,
            f"the copy functions made {rerun['requests']:,} S3 requests in the re-run, which was then stopped"
            if rerun and rerun["copy_ran"]
            else f"the re-run did not get past the copy step: {rerun}",
        ),
        Measurement(
            COPY_BENCHMARK,
            f"local run over {max(objects, LARGE_RUN_OBJECTS):,} objects",
            run["seconds"] / 60 if objects >= LARGE_RUN_OBJECTS else None,
            "min",
            None,
            "" if objects >= LARGE_RUN_OBJECTS else large_run,
        ),
    ]


def _not_run(measured: dict[str, Any], size: int, flags: str) -> str:
    """Say that ``size`` objects were not run, what they would take at the ``measured`` run's pace, and how to."""
    seconds = measured["seconds"] / measured["objects"]
    return (
        f"not run: at {seconds * 1000:.0f} ms per object (the run over {measured['objects']:,}), {size:,} objects "
        f"take about {seconds * size / 60:.0f} minutes; python -m bench.run {flags} runs it"
    )


def _state_measurements(runs: list[dict[str, Any]], why: str) -> list[Measurement]:
    if not runs:
        return [Measurement(STATE_BENCHMARK, "largest state payload", None, "bytes", PAYLOAD_GOAL, why)]
    payloads = [run["largest_payload"][0] for run in runs]
    run_sizes = {run["objects"] for run in runs}
    flags = f"--only 3 --copy-sizes {' '.join(map(str, STATE_SIZES))}"
    not_run = [
        Measurement(
            STATE_BENCHMARK,
            f"largest state payload, {size:,} objects",
            None,
            "bytes",
            PAYLOAD_GOAL,
            _not_run(runs[-1], size, flags),
        )
        for size in STATE_SIZES
        if size not in run_sizes
    ]
    return [
        *(
            Measurement(
                STATE_BENCHMARK,
                f"largest state payload, {run['objects']:,} objects",
                run["largest_payload"][0],
                "bytes",
                PAYLOAD_GOAL,
                f"in {run['largest_payload'][1]}",
            )
            for run in runs
        ),
        Measurement(
            STATE_BENCHMARK,
            f"growth of the largest payload, {runs[0]['objects']:,} -> {runs[-1]['objects']:,} objects",
            max(payloads) - min(payloads),
            "bytes",
            PAYLOAD_GROWTH_GOAL,
            why,
        ),
        *not_run,
    ]


if __name__ == "__main__":
    assembly_dir, work_dir, *size_arguments = sys.argv[1:]
    print(json.dumps(measure(Path(assembly_dir), Path(work_dir), [int(size) for size in size_arguments])))
