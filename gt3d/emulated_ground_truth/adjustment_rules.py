"""The emulated Ground Truth's checks of an adjustment job: the audited label attribute and the original labels.

An adjustment job names the original job's label attribute in ``auditLabelAttributeName``. Its manifest lines carry
that attribute (its value, or an ``s3://`` reference to the original annotations) and ``<attribute>-metadata``,
whose ``class-map`` (object detection, tracking) or ``color-map`` (segmentation) lists the original job's labels.
When the emulator ran the original job itself, that job's labels are used instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from gt3d.emulated_ground_truth import rules
from gt3d.emulated_ground_truth.data_rules import ManifestLine, References
from gt3d.emulated_ground_truth.label_category_rules import LabelCategories
from gt3d.emulated_ground_truth.objects import S3Uri
from gt3d.emulated_ground_truth.rules import REQUEST, Findings, Place
from gt3d_core.catalog import TaskType

MAX_LINES_NAMED: Final = 5
_BACKGROUND: Final = "Background"
"""The segmentation color map's class 0, which is no label of the original job's label category file."""


def check_adjustment(
    request: dict[str, Any],
    task: TaskType,
    manifest: S3Uri,
    lines: Sequence[ManifestLine],
    categories: LabelCategories,
    original_labels: list[str] | None,
    references: References,
    findings: Findings,
) -> frozenset[int]:
    """Record what breaks the adjustment rules; return the numbers of lines without the audited attribute.

    ``original_labels`` are the labels of the original job when the emulator ran it (None: read them from the
    manifest's ``<attribute>-metadata``).
    """
    audited = categories.audited
    if audited is None:  # refused under [ADJ-AUDIT-ATTRIBUTE] already
        return frozenset()
    if request["LabelAttributeName"] == audited:
        findings.refuse(
            rules.ADJ_LABEL_ATTRIBUTE_DIFFERENT,
            REQUEST.at("LabelAttributeName"),
            f"{audited!r} is the original job's (the label category file's auditLabelAttributeName); an adjustment "
            "job must use a different one",
        )
    without = [line.number for line in lines if audited not in line.value]
    named = ", ".join(str(number) for number in without[:MAX_LINES_NAMED]) + (
        " ..." if len(without) > MAX_LINES_NAMED else ""
    )
    if lines and len(without) == len(lines):
        findings.refuse(
            rules.ADJ_MANIFEST_LINES,
            Place(str(manifest)),
            f"no line carries the audited label attribute {audited!r}, so every data object would fail (is "
            "auditLabelAttributeName right?)",
        )
    elif without:
        findings.warn(
            rules.ADJ_MANIFEST_LINES,
            Place(str(manifest)),
            f"{len(without)} of {len(lines)} lines (line {named}) do not carry the audited label attribute "
            f"{audited!r}: those data objects fail individually",
        )
    for line in lines:
        value = line.value.get(audited)
        if isinstance(value, str) and value.startswith("s3://"):
            place = Place(str(manifest), line=line.number, field=audited)
            uri = S3Uri.of_object(value)
            if uri is None:
                findings.refuse(
                    rules.ADJ_AUDIT_REF, place, f"{value} is not the s3://bucket/key of the original annotations"
                )
            else:
                references.add(uri, place, rules.ADJ_AUDIT_REF)
    original = original_labels if original_labels is not None else _labels_in_metadata(lines, audited, task, categories)
    if original:
        _check_same_labels(original, categories, request["LabelCategoryConfigS3Uri"], findings)
    return frozenset(without)


def _labels_in_metadata(
    lines: Sequence[ManifestLine], audited: str, task: TaskType, categories: LabelCategories
) -> list[str]:
    """Return the original job's labels from the lines' ``<audited>-metadata``, in order of appearance."""
    found: dict[str, None] = {}
    for line in lines:
        metadata = line.value.get(f"{audited}-metadata")
        if not isinstance(metadata, dict):
            continue
        if task.ui_name == "PointCloudSemanticSegmentation":
            color_map = metadata.get("color-map")
            entries = color_map.values() if isinstance(color_map, dict) else []
            names = [entry.get("class-name") for entry in entries if isinstance(entry, dict)]
            names = [name for name in names if name != _BACKGROUND or _BACKGROUND in categories.labels]
        else:
            class_map = metadata.get("class-map")
            names = list(class_map.values()) if isinstance(class_map, dict) else []
        found.update((name, None) for name in names if isinstance(name, str))
    return list(found)


def _check_same_labels(original: list[str], categories: LabelCategories, file: str, findings: Findings) -> None:
    place = Place(file, field="labels")
    missing = [label for label in original if label not in categories.labels]
    if missing:
        findings.refuse(
            rules.ADJ_SAME_LABELS,
            place,
            f"lacks {', '.join(missing)} of the original job's labels ({', '.join(original)}); an adjustment job "
            "keeps every original label",
        )
    added = [label for label in categories.labels if label not in original]
    if added:
        # The 3D task pages say new labels are not supported, sms-data-verify-start-api that you can add them.
        findings.warn(
            rules.ADJ_SAME_LABELS,
            place,
            f"adds {', '.join(added)} to the original job's labels ({', '.join(original)}); the 3D task pages do not "
            "support new labels",
        )
