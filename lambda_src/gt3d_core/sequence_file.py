"""Sequence files (object tracking): up to 500 time-ordered frames under one prefix, validated frame by frame."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from gt3d_core.display import shorten
from gt3d_core.errors import ManifestFormatError
from gt3d_core.findings import Findings, Place
from gt3d_core.frame_data import Frame, check_pose, is_int, is_number, parse_images, prefix_uri, relative_path
from gt3d_core.json_text import load_json_document
from gt3d_core.point_cloud import PointCloud, check_format
from gt3d_core.references import References, pass_through
from gt3d_core.rules import (
    SEQ_FILE_JSON,
    SEQ_FRAME_NO,
    SEQ_FRAME_ORDER,
    SEQ_FRAME_PATH,
    SEQ_FRAME_PREFIX,
    SEQ_FRAME_UNIX_TIMESTAMP,
    SEQ_FRAMES_MAX,
    SEQ_NO,
    SEQ_NUMBER_OF_FRAMES,
    SEQ_PREFIX,
)
from gt3d_core.s3_location import S3Uri

MAX_FRAMES_PER_SEQUENCE: Final = 500


@dataclass(frozen=True, slots=True)
class SequenceFile:
    """A validated sequence file: its frames, each with the point cloud under the sequence's top-level prefix."""

    name: str
    seq_no: int
    prefix: S3Uri
    frames: tuple[Frame, ...]
    value: Mapping[str, Any]
    warnings: tuple[str, ...] = ()

    def references(self) -> References:
        """Return the frames (prefix + frame) and images to read, and the pass-through URIs of the file."""
        required: set[S3Uri] = set()
        for frame in self.frames:
            required.add(frame.point_cloud.uri)
            required.update(frame.images)
        return References(
            required=frozenset(required),
            optional=pass_through([self.value], frozenset(required)),
            point_clouds=frozenset(frame.point_cloud for frame in self.frames),
        )


def _frames_list(value: Mapping[str, Any], findings: Findings) -> list[Any]:
    frames = value.get("frames")
    if not isinstance(frames, list) or not frames:
        findings.refuse(
            SEQ_FRAMES_MAX,
            Place().at("frames"),
            f"is required: a list of 1 to {MAX_FRAMES_PER_SEQUENCE} frames; got {shorten(frames)}.",
        )
        return []
    if len(frames) > MAX_FRAMES_PER_SEQUENCE:
        findings.refuse(
            SEQ_FRAMES_MAX,
            Place().at("frames"),
            f"has {len(frames)} frames; Ground Truth allows at most {MAX_FRAMES_PER_SEQUENCE} per sequence. Split it.",
        )
    count = value.get("number-of-frames")
    if not is_int(count) or count != len(frames):
        findings.refuse(
            SEQ_NUMBER_OF_FRAMES,
            Place().at("number-of-frames"),
            f"is required and must equal the number of entries in `frames`; it is {shorten(count)} but `frames` "
            f"has {len(frames)}. Set it to {len(frames)}.",
        )
    return frames


def _timestamp(frame: Mapping[str, Any], previous: float | None, place: Place, findings: Findings) -> float | None:
    timestamp = frame.get("unix-timestamp")
    if is_number(timestamp):
        if previous is not None and timestamp < previous:
            findings.warn(
                SEQ_FRAME_ORDER,
                place.at("unix-timestamp"),
                f"is {timestamp!r}, earlier than the previous frame's {previous!r}. Workers see the frames in list "
                "order: check that the frames are sorted by capture time.",
            )
        return float(timestamp)
    findings.refuse(
        SEQ_FRAME_UNIX_TIMESTAMP,
        place.at("unix-timestamp"),
        f"is required: the capture time in seconds since the Unix epoch, a number; got {shorten(timestamp)}.",
    )
    return None


def _parse_frame(
    name: str, index: int, frame: object, prefix: S3Uri | None, previous: float | None, findings: Findings
) -> tuple[Frame | None, float | None]:
    """Return the frame at ``index`` (None if invalid) and its timestamp, the next frame's ``previous``."""
    place = Place(frame=index, path=f"frames[{index}]")
    if not isinstance(frame, dict):
        findings.refuse(SEQ_FRAMES_MAX, place.at(), f"must be a frame object; got {shorten(frame)}.")
        return None, previous
    if "frame-no" in frame and not is_int(frame["frame-no"]):
        findings.warn(
            SEQ_FRAME_NO,
            place.at("frame-no"),
            f"is {shorten(frame['frame-no'])}, not an integer. Ground Truth does not use it; fix or drop it.",
        )
    timestamp = _timestamp(frame, previous, place, findings)
    path = relative_path(frame.get("frame"), SEQ_FRAME_PATH, place, "frame", findings)
    # The point cloud is relative to the sequence's prefix; the frame's own prefix locates its images.
    point_cloud = prefix.join(path) if prefix is not None and path is not None else None
    point_format = check_format(frame.get("format"), point_cloud, place, findings)
    image_prefix = prefix
    if "prefix" in frame:
        image_prefix = prefix_uri(frame["prefix"], SEQ_FRAME_PREFIX, place, "prefix", findings)
    check_pose(frame, place, findings)
    images = parse_images(frame, image_prefix, SEQ_FRAME_PREFIX, place, findings)
    if point_cloud is None or timestamp is None:
        return None, timestamp if timestamp is not None else previous
    return Frame(PointCloud(point_cloud, point_format, f"{name} {place.at('frame')}"), timestamp, images), timestamp


def parse_sequence_file(name: str, text: str) -> SequenceFile:
    """Return the validated sequence file in ``text`` (one JSON document); ``name`` is used in messages."""
    value = load_json_document(name, text, SEQ_FILE_JSON)
    if not isinstance(value, dict):
        raise ManifestFormatError(
            f"{name} must be a JSON object with `seq-no`, `prefix`, `number-of-frames` and `frames`; got "
            f"{type(value).__name__}. {SEQ_FILE_JSON.cite()}"
        )
    findings = Findings(name)
    seq_no = value.get("seq-no")
    if not is_int(seq_no):
        findings.refuse(SEQ_NO, Place().at("seq-no"), f"is required: an integer; got {shorten(seq_no)}.")
    prefix = prefix_uri(value.get("prefix"), SEQ_PREFIX, Place(), "prefix", findings)
    frames: list[Frame] = []
    previous: float | None = None
    for index, frame_value in enumerate(_frames_list(value, findings)):
        frame, previous = _parse_frame(name, index, frame_value, prefix, previous, findings)
        if frame is not None:
            frames.append(frame)
    findings.raise_if_refused()
    assert prefix is not None and isinstance(seq_no, int)  # guaranteed: any problem above has raised
    return SequenceFile(name, seq_no, prefix, tuple(frames), value, findings.warnings)
