"""Ground Truth 3D point cloud input manifests: parse and validate them, and list what they reference.

Two documented shapes (docs/ground-truth-rules.md): a frame manifest (object detection, semantic segmentation),
one point cloud frame per line, and a sequence manifest (object tracking), one sequence file per line. Pure
Python: the handlers fetch the bytes and hand them in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from gt3d_core.catalog import TaskType
from gt3d_core.display import shorten
from gt3d_core.errors import ManifestFormatError
from gt3d_core.findings import Findings, Place
from gt3d_core.frame_data import Frame, check_pose, is_number, object_uri, parse_images, prefix_uri
from gt3d_core.json_text import JsonRecord, load_json_lines
from gt3d_core.point_cloud import PointCloud, check_format
from gt3d_core.references import References, pass_through
from gt3d_core.rules import (
    FRAME_METADATA,
    FRAME_PREFIX,
    FRAME_SOURCE_REF,
    FRAME_UNIX_TIMESTAMP,
    MANIFEST_JSON_LINES,
    MANIFEST_KIND,
    MANIFEST_MAX_LINES,
    SEQ_SOURCE_REF,
)
from gt3d_core.s3_location import S3Uri

__all__ = ["MAX_MANIFEST_LINES", "Manifest", "ManifestKind", "parse_manifest"]

MAX_MANIFEST_LINES: Final = 100_000


class ManifestKind(StrEnum):
    """The two input manifest shapes: one frame per line, or one sequence file per line."""

    FRAME = "frame"
    SEQUENCE = "sequence"

    @classmethod
    def for_task(cls, task: TaskType) -> ManifestKind:
        """Return the manifest shape ``task`` needs: sequences for object tracking, frames otherwise."""
        return cls.SEQUENCE if task.uses_sequences else cls.FRAME


@dataclass(frozen=True, slots=True)
class Manifest:
    """A validated input manifest: frame lines (object detection, segmentation) or sequence lines (tracking)."""

    name: str
    kind: ManifestKind
    records: tuple[JsonRecord, ...]
    frames: tuple[Frame, ...]
    sequence_files: tuple[S3Uri, ...]
    warnings: tuple[str, ...] = ()

    def references(self, audit_attribute: str | None = None) -> References:
        """Return what the lines reference; ``audit_attribute`` names the audited labels of an adjustment job.

        Point clouds, images, sequence files and (``ADJ-AUDIT-REF``) an audited attribute holding an ``s3://``
        URI are read by Ground Truth; every other ``s3://`` string passes through.
        """
        required: set[S3Uri] = set()
        for frame in self.frames:
            required.add(frame.point_cloud.uri)
            required.update(frame.images)
        if audit_attribute is not None:
            required.update(self._audited_uris(audit_attribute))
        sequence_files = frozenset(self.sequence_files)
        documented = frozenset(required) | sequence_files
        return References(
            sequence_files=sequence_files,
            required=frozenset(required),
            optional=pass_through((record.value for record in self.records), documented),
            point_clouds=frozenset(frame.point_cloud for frame in self.frames),
        )

    def _audited_uris(self, audit_attribute: str) -> set[S3Uri]:
        uris: set[S3Uri] = set()
        for record in self.records:
            value = record.value.get(audit_attribute)
            uri = S3Uri.try_parse(value) if isinstance(value, str) else None
            if uri is not None and not uri.is_prefix:
                uris.add(uri)
        return uris


def _line_kind(value: dict[str, object]) -> ManifestKind:
    return ManifestKind.FRAME if "source-ref-metadata" in value else ManifestKind.SEQUENCE


def _parse_frame_line(name: str, record: JsonRecord, findings: Findings) -> Frame | None:
    place = Place(line=record.line)
    value = record.value
    point_cloud = object_uri(
        value.get("source-ref"), FRAME_SOURCE_REF, place, "source-ref", findings, "the point cloud file"
    )
    metadata = value.get("source-ref-metadata")
    if not isinstance(metadata, dict):
        findings.refuse(
            FRAME_METADATA,
            place.at("source-ref-metadata"),
            f"is required: an object with at least `unix-timestamp`; got {shorten(metadata)}.",
        )
        return None
    here = place.child("source-ref-metadata")
    timestamp = metadata.get("unix-timestamp")
    if not is_number(timestamp):
        findings.refuse(
            FRAME_UNIX_TIMESTAMP,
            here.at("unix-timestamp"),
            f"is required: the capture time in seconds since the Unix epoch, a number; got {shorten(timestamp)}.",
        )
    point_format = check_format(metadata.get("format"), point_cloud, here, findings)
    prefix = prefix_uri(metadata["prefix"], FRAME_PREFIX, here, "prefix", findings) if "prefix" in metadata else None
    check_pose(metadata, here, findings)
    images = parse_images(metadata, prefix, FRAME_PREFIX, here, findings)
    if point_cloud is None or not is_number(timestamp):
        return None
    return Frame(PointCloud(point_cloud, point_format, f"{name} {place.at('source-ref')}"), timestamp, images)


def _check_size(name: str, records: tuple[JsonRecord, ...]) -> None:
    if not records or len(records) > MAX_MANIFEST_LINES:
        raise ManifestFormatError(
            f"{name} has {len(records):,} lines; Ground Truth accepts 1 to {MAX_MANIFEST_LINES:,} (one frame or "
            f"sequence per line). {'Split it into several labeling jobs' if records else 'Add lines'}. "
            f"{MANIFEST_MAX_LINES.cite()}"
        )


def _check_kind(name: str, records: tuple[JsonRecord, ...], task: TaskType) -> None:
    """Refuse a manifest whose every line is of the other shape: the user picked the wrong file or task type."""
    wanted = ManifestKind.for_task(task)
    kinds = {_line_kind(record.value) for record in records if isinstance(record.value, dict)}
    if kinds and wanted not in kinds:
        (found,) = kinds
        raise ManifestFormatError(
            f"{name} is a {found} manifest but {task.name} needs a {wanted} manifest "
            f"({'one sequence file per line' if task.uses_sequences else 'one frame per line'}). "
            f"Use the matching manifest or task type. {MANIFEST_KIND.cite()}"
        )


def parse_manifest(name: str, text: str, task: TaskType) -> Manifest:
    """Return the validated manifest in ``text`` (JSON Lines) for ``task``; ``name`` is used in messages."""
    records = load_json_lines(name, text)
    _check_size(name, records)
    _check_kind(name, records, task)
    kind = ManifestKind.for_task(task)
    findings = Findings(name)
    frames: list[Frame] = []
    sequence_files: list[S3Uri] = []
    for record in records:
        place = Place(line=record.line)
        if not isinstance(record.value, dict):
            findings.refuse(
                MANIFEST_JSON_LINES, place.at(), f"must be a JSON object; got {type(record.value).__name__}."
            )
        elif kind is ManifestKind.FRAME:
            frame = _parse_frame_line(name, record, findings)
            if frame is not None:
                frames.append(frame)
        elif _line_kind(record.value) is ManifestKind.FRAME:
            findings.refuse(
                MANIFEST_KIND,
                place.at("source-ref-metadata"),
                "makes this a frame line, but a sequence manifest lists only sequence files (`source-ref`). "
                "Move the frame into a sequence file.",
            )
        else:
            uri = object_uri(
                record.value.get("source-ref"), SEQ_SOURCE_REF, place, "source-ref", findings, "a sequence file"
            )
            if uri is not None:
                sequence_files.append(uri)
    findings.raise_if_refused()
    return Manifest(name, kind, records, tuple(frames), tuple(sequence_files), findings.warnings)
