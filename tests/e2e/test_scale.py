"""Scale: nothing that grows with the dataset travels in the execution state, and a large copy runs as a
Distributed Map (executed by the local run's engine) with the same result and the same skip-if-identical re-run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from gt3d import demo_data
from gt3d.cloud_assembly import CloudAssembly
from gt3d.local_run import LocalCloud, LocalRunResult

TIME_SCALE = 0.0002
LABELS = "label-category-config/label-category.json"


def _with_inline_copy_limit(app: Path, copy_dir: Path, limit: int) -> Path:
    """A copy of the assembly whose copy step hands anything above ``limit`` objects to the Distributed Map."""
    shutil.copytree(app, copy_dir, symlinks=True)
    for template_path in copy_dir.glob("*.template.json"):
        template = json.loads(template_path.read_text())
        for resource in template["Resources"].values():
            variables = resource.get("Properties", {}).get("Environment", {}).get("Variables", {})
            if "INLINE_COPY_LIMIT" in variables:
                variables["INLINE_COPY_LIMIT"] = str(limit)
        template_path.write_text(json.dumps(template))
    return copy_dir


def _frames_dataset(directory: Path, frames: int) -> Path:
    """An object detection dataset of ``frames`` tiny point clouds, its manifest and the demo label categories."""
    uri = demo_data.DEMO_URI
    (directory / "frames").mkdir(parents=True)
    lines = []
    for index in range(frames):
        (directory / "frames" / f"{index}.txt").write_text(f"{index} 0 0 1\n")
        metadata = {"format": "text/xyzi", "unix-timestamp": 1566861644.0 + index}
        lines.append(json.dumps({"source-ref": f"{uri}frames/{index}.txt", "source-ref-metadata": metadata}))
    (directory / "manifests").mkdir()
    (directory / "manifests" / "frames.manifest").write_text("\n".join(lines) + "\n")
    (directory / "label-category-config").mkdir()
    shutil.copy(demo_data.DEFAULT_DIR / LABELS, directory / LABELS)
    return directory


def _largest_state(result: LocalRunResult) -> int:
    """The largest state payload (a state's input or output) of the run, in bytes."""
    sizes = [
        len(details[key].encode())
        for event in result.history
        for details in [next((v for k, v in event.items() if k.endswith("EventDetails")), {})]
        for key in ("input", "output")
        if isinstance(details.get(key), str)
    ]
    return max(sizes)


def _runs(app: Path, data: Path, *inputs: dict[str, Any]) -> tuple[list[LocalRunResult], dict[str, bytes]]:
    """Run each execution input in turn on one emulated deployment; return the results and the labeling bucket."""
    with LocalCloud(CloudAssembly.load(app), time_scale=TIME_SCALE) as cloud:
        cloud.upload(data)
        results = [cloud.run(execution_input) for execution_input in inputs]
        return results, cloud.bucket_objects()


def test_given_growing_datasets_when_run_then_the_largest_state_payload_does_not_grow(
    synthesized_app: Path, tmp_path: Path
) -> None:
    execution_input = {"task_type": "3DPointCloudObjectDetection", "manifest": "manifests/frames.manifest"}
    largest = []
    for frames in (10, 50, 250):
        (result,), _ = _runs(synthesized_app, _frames_dataset(tmp_path / str(frames), frames), execution_input)
        assert result.status == "SUCCEEDED", result.cause
        largest.append(_largest_state(result))

    # 25 times the objects: the payload differs only by the digits of its counts, and stays far below 256 KiB.
    assert max(largest) - min(largest) < 64
    assert max(largest) < 16 * 1024


def test_given_more_objects_than_the_inline_limit_when_run_then_a_distributed_map_copies_them_and_a_rerun_copies_none(
    synthesized_app: Path, tmp_path: Path
) -> None:
    app = _with_inline_copy_limit(synthesized_app, tmp_path / "cdk.out", limit=5)
    data = _frames_dataset(tmp_path / "data", 250)
    execution_input = {"task_type": "3DPointCloudObjectDetection", "manifest": "manifests/frames.manifest"}

    (first, second), objects = _runs(app, data, execution_input, {**execution_input, "job_name": "second-run"})
    copied_frames = len([key for key in objects if "/input/frames/" in key])

    assert first.status == "SUCCEEDED", first.cause
    assert "CopyBatches" in first.states and "CopyBatch" not in first.states  # the items run as child executions
    copy = first.output["copy"]
    assert (copy["copied"], copy["scheduled"], copy["batches"]["count"]) == (0, 252, 3)
    assert copied_frames == 250
    assert second.status == "SUCCEEDED"
    assert second.output["copy"]["scheduled"] == 0 and second.output["copy"]["batches"]["count"] == 0
    assert "CopyBatches" not in second.states
    assert first.iam_denials == []


def test_given_the_demo_through_either_copy_path_when_run_then_the_labeling_job_gets_the_same_input(
    synthesized_app: Path, tmp_path: Path
) -> None:
    inputs = {}
    for limit in (5, 1000):  # the Distributed Map, then the copy step alone
        app = _with_inline_copy_limit(synthesized_app, tmp_path / f"cdk.out-{limit}", limit=limit)
        with LocalCloud(CloudAssembly.load(app), time_scale=TIME_SCALE) as cloud:
            cloud.upload(demo_data.DEFAULT_DIR)
            result = cloud.run({"task_type": "3DPointCloudObjectTracking", "job_name": "same-input"})
            assert result.status == "SUCCEEDED", result.cause
            inputs[limit] = {key: body for key, body in cloud.bucket_objects().items() if _is_input(key)}

    assert ("CopyBatches" in result.states) is False  # the last run copied in one invocation
    assert len(inputs[5]) == 23 and inputs[5] == inputs[1000]


def _is_input(key: str) -> bool:
    return "/input/" in key and "/_gt3d-work/" not in key
