"""What a labeling job's output manifest holds, per label category: how many frames or sequences, how many annotations.

The output shapes of the 3D point cloud task types (https://docs.aws.amazon.com/sagemaker/latest/dg/sms-data-output.html),
adjustment task types included:

- object detection: the label attribute holds ``{"annotations": [cuboid, ...]}``; each cuboid's ``class-id`` is a key
  of ``<attribute>-metadata.class-map``;
- object tracking: the label attribute is the URI of the sequence's ``SeqLabel.json``, whose ``tracking-annotations``
  list each frame's ``annotations`` (cuboids with ``class-id`` and ``object-id``), classes as for object detection;
- semantic segmentation: the label attribute is the URI of a zlib-compressed label mask, one class index byte per
  point, each index a key of ``<attribute>-metadata.color-map`` (``class-name``).

A line whose metadata has a ``failure-reason`` failed; a line without the label attribute was not labeled.
"""

from __future__ import annotations

import collections
import json
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

Kind = Literal["detection", "tracking", "segmentation"]

_KINDS: Final[Mapping[str, Kind]] = {
    "groundtruth/point_cloud_object_detection": "detection",
    "groundtruth/point_cloud_object_tracking": "tracking",
    "groundtruth/point_cloud_single_frame_semantic_segmentation": "segmentation",
}
_UNITS: Final[Mapping[Kind, tuple[str, str]]] = {
    "detection": ("frames", "cuboids"),
    "tracking": ("sequences", "cuboids"),
    "segmentation": ("frames", "points"),
}
"""What one data object (manifest line) is, and what an annotation is, per kind of output."""


class UnreadableObjectError(Exception):
    """An object a label refers to (a ``SeqLabel.json``, a label mask) cannot be read."""


@dataclass
class CategoryCount:
    """One label category's share of the output."""

    data_objects: int = 0
    """Frames or sequences holding at least one annotation of the category."""
    annotations: int = 0
    """Cuboids (detection, tracking: one per object per frame) or painted points (segmentation)."""
    objects: set[str] = field(default_factory=set)
    """Tracking: the ids of the objects tracked across frames."""


@dataclass
class LabelSummary:
    """Counts of one output manifest, per label category, in class index order."""

    label_attribute: str
    data_objects: int = 0
    labeled: int = 0
    failed: int = 0
    kind: Kind | None = None
    categories: dict[str, CategoryCount] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Return the summary as text lines: the totals, then a table of the categories."""
        unit, annotation = _UNITS[self.kind or "detection"]
        failed = f", {self.failed} failed" if self.failed else ""
        lines = [f"{self.labeled} of {self.data_objects} {unit} labeled{failed}"]
        if self.categories:
            header = ["category", unit, annotation] + (["objects"] if self.kind == "tracking" else [])
            rows = [
                [name, str(count.data_objects), str(count.annotations)]
                + ([str(len(count.objects))] if self.kind == "tracking" else [])
                for name, count in self.categories.items()
            ]
            widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
            for row in [header, *rows]:
                cells = [row[0].ljust(widths[0])] + [
                    cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)
                ]
                lines.append("  " + "  ".join(cells))
        lines.extend(f"  ! {problem}" for problem in self.problems)
        return lines


def summarize(manifest: str, label_attribute: str, read: Callable[[str], bytes]) -> LabelSummary:
    """Count the labels of ``label_attribute`` in an output manifest's text; ``read`` fetches an s3:// URI's bytes."""
    summary = LabelSummary(label_attribute)
    for number, text in enumerate(manifest.splitlines(), start=1):
        if not text.strip():
            continue
        summary.data_objects += 1
        try:
            line = json.loads(text)
        except json.JSONDecodeError as error:
            summary.problems.append(f"line {number} is not JSON: {error}")
            continue
        metadata = line.get(f"{label_attribute}-metadata")
        metadata = metadata if isinstance(metadata, dict) else {}
        if metadata.get("failure-reason"):
            summary.failed += 1
        elif label_attribute in line:
            summary.labeled += 1
            _count_line(summary, number, line[label_attribute], metadata, read)
    return summary


def _count_line(
    summary: LabelSummary, number: int, value: Any, metadata: Mapping[str, Any], read: Callable[[str], bytes]
) -> None:
    kind = _KINDS.get(str(metadata.get("type")))
    if kind is None:
        summary.problems.append(f"line {number}: output type {metadata.get('type')!r} is not a 3D point cloud type")
        return
    summary.kind = kind
    names = _class_names(kind, metadata)
    for name in names.values():
        summary.categories.setdefault(name, CategoryCount())
    try:
        if kind == "detection":
            _add_cuboids(summary, names, _objects(value, "annotations"))
        elif kind == "tracking":
            frames = _objects(json.loads(read(str(value))), "tracking-annotations")
            _add_cuboids(summary, names, [cuboid for frame in frames for cuboid in _objects(frame, "annotations")])
        else:
            points = collections.Counter(zlib.decompress(read(str(value))))
            _add(summary, {names.get(str(index), f"class {index}"): count for index, count in points.items()})
    except (UnreadableObjectError, zlib.error, json.JSONDecodeError, ValueError) as error:
        summary.problems.append(f"line {number}: the label {value!r} cannot be read: {error}")


def _objects(document: Any, key: str) -> list[dict[str, Any]]:
    """Return ``document[key]``, a list of JSON objects; raise ValueError for another shape."""
    items = document.get(key) if isinstance(document, dict) else None
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise ValueError(f"{key} is not a list of JSON objects")
    return items


def _class_names(kind: Kind, metadata: Mapping[str, Any]) -> dict[str, str]:
    """Return the class index -> category name map of a line's metadata, in index order."""
    if kind == "segmentation":
        colors = metadata.get("color-map")
        entries = colors.items() if isinstance(colors, dict) else []
        names = {key: str(entry.get("class-name", key)) for key, entry in entries if isinstance(entry, dict)}
    else:
        classes = metadata.get("class-map")
        names = {key: str(name) for key, name in (classes.items() if isinstance(classes, dict) else [])}
    return dict(sorted(names.items(), key=lambda item: int(item[0]) if item[0].isdigit() else -1))


def _add_cuboids(summary: LabelSummary, names: Mapping[str, str], cuboids: list[dict[str, Any]]) -> None:
    """Add one data object's cuboids (all frames of a sequence) to their categories' counts."""
    counts: collections.Counter[str] = collections.Counter()
    objects: dict[str, set[str]] = collections.defaultdict(set)
    for cuboid in cuboids:
        class_id = cuboid.get("class-id")
        name = names.get(str(class_id), f"class {class_id}")
        counts[name] += 1
        objects[name].add(str(cuboid.get("object-id") or cuboid.get("object-name")))
    _add(summary, counts, objects if summary.kind == "tracking" else {})


def _add(summary: LabelSummary, counts: Mapping[str, int], objects: Mapping[str, set[str]] | None = None) -> None:
    """Add one data object's annotation counts (and tracked object ids) per category."""
    for name, number in counts.items():
        count = summary.categories.setdefault(name, CategoryCount())
        count.data_objects += 1
        count.annotations += number
        count.objects |= (objects or {}).get(name, set())
