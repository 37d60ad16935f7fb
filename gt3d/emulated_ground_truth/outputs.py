"""The output manifest of a completed emulated job: the input lines plus labels in the task type's documented shape.

It lands at ``<S3OutputPath><job>/manifests/output/output.manifest``: cuboids inline for object detection, a
``SeqLabel.json`` per sequence for object tracking, a zlib per-point class mask for semantic segmentation.
Adjustment jobs carry the audited labels over (``adjustment-status: unadjusted``); their lines without the audited
attribute failed on their own and are written without a label.
"""

from __future__ import annotations

import copy
import json
import struct
import uuid
import zlib
from collections.abc import Mapping
from typing import Any, Final

from gt3d.emulated_ground_truth.data_rules import POINT_FIELDS, read_format
from gt3d.emulated_ground_truth.job import EmulatedJob
from gt3d.emulated_ground_truth.objects import ObjectStore, S3Uri

_OUTPUT_TYPES: Final = {
    "PointCloudObjectDetection": "groundtruth/point_cloud_object_detection",
    "PointCloudObjectTracking": "groundtruth/point_cloud_object_tracking",
    "PointCloudSemanticSegmentation": "groundtruth/point_cloud_single_frame_semantic_segmentation",
}
_PALETTE: Final = ("#ffffff", "#2ca02c", "#1f77b4", "#ff7f0e", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f")
_RAISED_METRES: Final = 0.3
"""Points above this height count as objects in the emulated labels; the rest is ground."""


class OutputWriter:
    """Writes one completed job's output manifest and annotation files, as the job's execution role."""

    def __init__(self, job: EmulatedJob, store: ObjectStore) -> None:
        self.job = job
        self.store = store
        path = job.request["OutputConfig"]["S3OutputPath"].rstrip("/")
        bucket, _, prefix = path.removeprefix("s3://").partition("/")
        self.base = S3Uri(bucket, f"{prefix}/{job.name}/" if prefix else f"{job.name}/")

    def write(self) -> S3Uri:
        """Write the output manifest (and the files its labels reference); return where it is."""
        job = self.job
        attribute = job.request["LabelAttributeName"]
        out_lines = []
        for index, line in enumerate(job.lines):
            labeled = dict(line.value)
            if job.outcome == "completed" and line.number not in job.failing_lines:
                value, metadata = self._label(index, line.value)
                labeled[attribute] = value
                labeled[f"{attribute}-metadata"] = metadata
            out_lines.append(json.dumps(labeled, separators=(",", ":")))
        manifest = self.base.join("manifests/output/output.manifest")
        self._put(manifest, ("\n".join(out_lines) + "\n").encode())
        return manifest

    def _put(self, uri: S3Uri, data: bytes) -> str:
        self.store.put(uri, data)
        self.job.written_keys.append(uri.key)
        return str(uri)

    def _metadata(self, **extra: Any) -> dict[str, Any]:
        job = self.job
        metadata = {
            **extra,
            "type": _OUTPUT_TYPES[job.task.ui_name],
            "human-annotated": "yes",
            "creation-date": job.modified.strftime("%Y-%m-%dT%H:%M:%S.%f"),
            "job-name": f"labeling-job/{job.name.lower()}",
        }
        if job.task.is_adjustment:
            metadata["adjustment-status"] = "unadjusted"
        return metadata

    def _label(self, index: int, line: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
        job = self.job
        class_map = {str(number): name for number, name in enumerate(job.label_names)}
        annotations = self.base.join(f"annotations/consolidated-annotation/output/{index}/")
        prior = line.get(job.audited) if job.audited else None
        if job.task.ui_name == "PointCloudObjectDetection":
            if isinstance(prior, dict) and isinstance(prior.get("annotations"), list):
                cuboids = copy.deepcopy(prior["annotations"])
            else:
                cuboids = [self._cuboid(self._centroid(line["source-ref"], line), tracking=False)]
            objects = [{"confidence": 0} for _ in cuboids]
            return {"annotations": cuboids}, self._metadata(objects=objects, **{"class-map": class_map})
        if job.task.ui_name == "PointCloudObjectTracking":
            sequence = self.store.read_json(_object(line["source-ref"]), "sequence file")
            if isinstance(prior, str):
                labels = self.store.read_json(_object(prior), "prior SeqLabel.json")
            else:
                labels = {"tracking-annotations": [self._tracked_frame(frame) for frame in sequence["frames"]]}
            uri = self._put(annotations.join("SeqLabel.json"), json.dumps(labels).encode())
            frames = [
                {"frame-no": frame.get("frame-no", n), "confidence": []} for n, frame in enumerate(sequence["frames"])
            ]
            return uri, self._metadata(objects=frames, **{"class-map": class_map})
        # Semantic segmentation: one class byte per point, zlib-compressed; 0 is the unpainted background.
        if isinstance(prior, str):
            mask = zlib.decompress(self.store.read(_object(prior), "prior segmentation mask"))
        else:
            mask = bytes(1 if point[2] > _RAISED_METRES else 0 for point in self._points(line["source-ref"], line))
        uri = self._put(annotations.join(f"{index}.zlib"), zlib.compress(mask))
        color_map = {"0": {"class-name": "Background", "hex-color": _PALETTE[0], "confidence": 0}}
        for number, name in enumerate(job.label_names, start=1):
            color_map[str(number)] = {
                "class-name": name,
                "hex-color": _PALETTE[number % len(_PALETTE)],
                "confidence": 0,
            }
        return uri, self._metadata(**{"color-map": color_map})

    def _points(self, source_ref: str, line: Mapping[str, Any]) -> list[tuple[float, ...]]:
        metadata = line.get("source-ref-metadata") or {}
        encoding, _, fields = read_format(metadata.get("format"), source_ref).partition("/")
        dimensions = POINT_FIELDS[fields]
        data = self.store.read(_object(source_ref), "point cloud")
        if encoding == "binary":
            count = len(data) // (4 * dimensions)
            values = struct.unpack(f"<{count * dimensions}f", data[: count * dimensions * 4])
            return [tuple(values[i : i + dimensions]) for i in range(0, len(values), dimensions)]
        return [tuple(float(v) for v in row.split()) for row in data.decode().splitlines() if row.strip()]

    def _centroid(self, source_ref: str, line: Mapping[str, Any]) -> tuple[float, float, float]:
        points = self._points(source_ref, line)
        raised = [p for p in points if p[2] > _RAISED_METRES] or points or [(0.0, 0.0, 0.0)]
        x, y, z = (round(sum(p[axis] for p in raised) / len(raised), 3) for axis in range(3))
        return x, y, z

    def _cuboid(self, center: tuple[float, float, float], *, tracking: bool) -> dict[str, Any]:
        job = self.job
        cuboid: dict[str, Any] = {
            "label-category-attributes": {},
            "object-name": f"{job.label_names[0]}:1",
            "class-id": 0,
            "center-x": center[0],
            "center-y": center[1],
            "center-z": center[2],
            "length": 4,
            "width": 2,
            "height": 1.6,
            "roll": 0,
            "pitch": 0,
            "yaw": 0,
        }
        if tracking:
            cuboid["object-id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{job.arn}/{job.label_names[0]}:1"))
        return cuboid

    def _tracked_frame(self, frame: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "frame-number": frame.get("frame-no"),
            "frame-name": frame.get("frame"),
            "frame-attributes": {},
            "annotations": [self._cuboid((0.0, 0.0, 0.0), tracking=True)],
        }


def _object(uri: str) -> S3Uri:
    """Return the object a checked manifest or sequence field names (checked at CreateLabelingJob)."""
    parsed = S3Uri.of_object(uri)
    if parsed is None:  # pragma: no cover - CreateLabelingJob refused such data
        raise ValueError(f"{uri!r} is not an s3://bucket/key URI")
    return parsed
