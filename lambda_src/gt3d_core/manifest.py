"""Ground Truth 3D point cloud input manifests: parse and validate them, and list what they reference.

Two documented shapes (docs/ground-truth-rules.md): a frame manifest (object detection, semantic segmentation),
one point cloud frame per line, and a sequence manifest (object tracking), one sequence file per line. A manifest
may have 100,000 lines of a few kilobytes each, so it is parsed as it streams (:func:`parse_manifest_stream`): each
line is validated and reduced to what it references, then dropped. Pure Python: the handlers fetch the bytes and
hand them in.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from itertools import chain
from typing import Any, Final

from gt3d_core.catalog import TaskType
from gt3d_core.display import shorten
from gt3d_core.errors import ManifestFormatError
from gt3d_core.findings import Findings, Place
from gt3d_core.frame_data import Frame, check_pose, is_number, object_uri, parse_images, prefix_uri
from gt3d_core.json_text import JsonRecord, iter_json_lines, iter_uri_values
from gt3d_core.line_attributes import LineAttributes
from gt3d_core.point_cloud import PointCloud, check_format
from gt3d_core.references import References
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

__all__ = ["MAX_MANIFEST_LINES", "Manifest", "ManifestKind", "parse_manifest", "parse_manifest_stream"]

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
    """A validated input manifest, reduced to what its lines reference and hold: no line is kept.

    ``data_objects`` are the point clouds and images of frame lines and ``sequence_files`` the files of sequence
    lines; ``nested_uris`` are the ``s3://`` objects inside the lines' objects and lists, and ``attributes`` holds
    those that are an attribute's value, with what the adjustment checks need.
    """

    name: str
    kind: ManifestKind
    attributes: LineAttributes
    point_clouds: frozenset[PointCloud]
    data_objects: frozenset[S3Uri]
    sequence_files: frozenset[S3Uri]
    nested_uris: frozenset[S3Uri]
    warnings: tuple[str, ...] = ()

    @property
    def lines(self) -> int:
        """How many lines (JSON objects) the manifest has."""
        return self.attributes.lines

    def references(self, audit_attribute: str | None = None) -> References:
        """Return what the lines reference; ``audit_attribute`` names the audited labels of an adjustment job.

        Point clouds, images, sequence files and (``ADJ-AUDIT-REF``) an audited attribute holding an ``s3://``
        URI are read by Ground Truth; every other ``s3://`` string passes through.
        """
        audited = self.attributes.uris(audit_attribute) if audit_attribute is not None else frozenset()
        required = self.data_objects | audited if audited else self.data_objects  # no copy of the largest set
        candidates = chain(self.nested_uris, self.attributes.all_uris())
        return References(
            sequence_files=self.sequence_files,
            required=required,
            optional=frozenset(uri for uri in candidates if uri not in required and uri not in self.sequence_files),
            point_clouds=self.point_clouds,
        )


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


def _nested_uris(value: dict[str, Any]) -> Iterator[S3Uri]:
    """Yield the ``s3://`` objects inside the line's objects and lists (not its attributes' own values)."""
    for item in value.values():
        if not isinstance(item, str):
            yield from (uri for uri in iter_uri_values(item) if not uri.is_prefix)


def _size_error(name: str, lines: str, fix: str) -> ManifestFormatError:
    return ManifestFormatError(
        f"{name} has {lines} lines; Ground Truth accepts 1 to {MAX_MANIFEST_LINES:,} (one frame or sequence per "
        f"line). {fix}. {MANIFEST_MAX_LINES.cite()}"
    )


def _check_kind(name: str, kinds: set[ManifestKind], task: TaskType) -> None:
    """Refuse a manifest whose every line is of the other shape: the user picked the wrong file or task type."""
    wanted = ManifestKind.for_task(task)
    if kinds and wanted not in kinds:
        (found,) = kinds
        raise ManifestFormatError(
            f"{name} is a {found} manifest but {task.name} needs a {wanted} manifest "
            f"({'one sequence file per line' if task.uses_sequences else 'one frame per line'}). "
            f"Use the matching manifest or task type. {MANIFEST_KIND.cite()}"
        )


class _ManifestReader:
    """One manifest's parse as its lines come: what they reference and hold so far, and their problems.

    Whether the lines are of the other shape is decided at the end, over all of them, but each line is checked as
    the task needs when it comes: the problems of a wrong-shape line are collected, then the shape error wins.
    """

    def __init__(self, name: str, task: TaskType) -> None:
        self._name = name
        self._task = task
        self._kind = ManifestKind.for_task(task)
        self._findings = Findings(name)
        self._records = 0
        self._kinds: set[ManifestKind] = set()
        self._attributes = LineAttributes()
        self._point_clouds: set[PointCloud] = set()
        self._data_objects: set[S3Uri] = set()
        self._sequence_files: set[S3Uri] = set()
        self._nested_uris: set[S3Uri] = set()

    def add(self, record: JsonRecord) -> None:
        """Validate the line ``record`` and keep what it references; raise once there are too many lines."""
        self._records += 1
        if self._records > MAX_MANIFEST_LINES:
            raise _size_error(self._name, f"more than {MAX_MANIFEST_LINES:,}", "Split it into several labeling jobs")
        if not isinstance(record.value, dict):
            self._findings.refuse(
                MANIFEST_JSON_LINES,
                Place(line=record.line).at(),
                f"must be a JSON object; got {type(record.value).__name__}.",
            )
            return
        self._kinds.add(_line_kind(record.value))
        self._attributes.add(record.line, record.value)
        self._nested_uris.update(_nested_uris(record.value))
        if self._kind is ManifestKind.FRAME:
            self._add_frame(record)
        else:
            self._add_sequence(record)

    def manifest(self) -> Manifest:
        """Return the manifest the lines make, or raise for no line, the wrong shape, or the lines' problems."""
        if not self._records:
            raise _size_error(self._name, "0", "Add lines")
        _check_kind(self._name, self._kinds, self._task)
        self._findings.raise_if_refused()
        return Manifest(
            name=self._name,
            kind=self._kind,
            attributes=self._attributes,
            point_clouds=frozenset(self._point_clouds),
            data_objects=frozenset(self._data_objects),
            sequence_files=frozenset(self._sequence_files),
            nested_uris=frozenset(self._nested_uris),
            warnings=self._findings.warnings,
        )

    def _add_frame(self, record: JsonRecord) -> None:
        frame = _parse_frame_line(self._name, record, self._findings)
        if frame is not None:
            self._point_clouds.add(frame.point_cloud)
            self._data_objects.add(frame.point_cloud.uri)
            self._data_objects.update(frame.images)

    def _add_sequence(self, record: JsonRecord) -> None:
        place = Place(line=record.line)
        if _line_kind(record.value) is ManifestKind.FRAME:
            self._findings.refuse(
                MANIFEST_KIND,
                place.at("source-ref-metadata"),
                "makes this a frame line, but a sequence manifest lists only sequence files (`source-ref`). "
                "Move the frame into a sequence file.",
            )
            return
        uri = object_uri(
            record.value.get("source-ref"), SEQ_SOURCE_REF, place, "source-ref", self._findings, "a sequence file"
        )
        if uri is not None:
            self._sequence_files.add(uri)


def parse_manifest_stream(name: str, chunks: Iterable[bytes], task: TaskType) -> Manifest:
    """Return the validated manifest for ``task`` that arrives as ``chunks`` (JSON Lines, UTF-8, pieces of any size).

    Line by line: each line is decoded, validated and reduced to what it references and holds, then dropped, so
    memory holds a chunk, a line and the references, never the file nor its lines. ``name`` is used in messages,
    with the line numbers (and, for bytes that are not UTF-8, the offset) in the file; a manifest with more than
    ``MAX_MANIFEST_LINES`` lines fails as soon as the line past the limit comes, without reading on.
    """
    reader = _ManifestReader(name, task)
    for record in iter_json_lines(name, chunks, MANIFEST_JSON_LINES):
        reader.add(record)
    return reader.manifest()


def parse_manifest(name: str, text: str, task: TaskType) -> Manifest:
    """Return the validated manifest in ``text`` (JSON Lines) for ``task``: :func:`parse_manifest_stream` over a text
    already in memory; ``name`` is used in messages."""
    return parse_manifest_stream(name, (text.encode(),), task)
