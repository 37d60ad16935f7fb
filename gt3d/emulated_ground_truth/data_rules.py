"""The emulated Ground Truth's checks of a job's data: manifests, sequence files, poses, images and point clouds.

Read from the 3D point cloud input pages (frame and sequence manifests, raw data formats), independently of the
core. What a documented field references (point clouds, images, sequence files, audited annotations) must exist
and be readable by the job's execution role; an ``s3://`` string in a key the pages do not define is passed through
and never required to exist ([FRAME-PASS-THROUGH]).

Where a sequence frame's files live: its ``frame`` (the point cloud) is relative to the sequence file's top-level
``prefix``; its own optional ``prefix`` is, in the pages' words, "where your metadata, such as camera images, is
stored for this frame", so its images are relative to it, and to the top-level ``prefix`` when it has none.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any, Final

from gt3d.emulated_ground_truth import rules
from gt3d.emulated_ground_truth.objects import ObjectStore, S3Uri
from gt3d.emulated_ground_truth.rules import Findings, Place, Rule
from gt3d_core.catalog import TaskType

POINT_FIELDS: Final = {"xyz": 3, "xyzi": 4, "xyzrgb": 6, "xyzirgb": 7}
"""The documented point layouts and how many values each point has."""
POINT_CLOUD_FORMATS: Final = tuple(f"{encoding}/{fields}" for encoding in ("binary", "text") for fields in POINT_FIELDS)
MAX_MANIFEST_LINES: Final = 100_000
MAX_SEQUENCE_FRAMES: Final = 500
MAX_IMAGES: Final = 8
MAX_REFERENCED_BUCKETS_SHOWN: Final = 5

_DEFAULT_FORMATS: Final = {".bin": "binary/xyzi", ".txt": "text/xyzi"}
_CALIBRATION: Final = {
    "fx": (rules.IMAGE_FX, "the focal length in x"),
    "fy": (rules.IMAGE_FY, "the focal length in y"),
    "cx": (rules.IMAGE_CX, "the x coordinate of the principal point"),
    "cy": (rules.IMAGE_CY, "the y coordinate of the principal point"),
}
_DISTORTION: Final = ("k1", "k2", "k3", "k4", "p1", "p2", "skew")
_CAMERA_MODELS: Final = ("pinhole", "fisheye")
_POSITION: Final = ("x", "y", "z")
_HEADING: Final = ("qx", "qy", "qz", "qw")


@dataclass(frozen=True, slots=True)
class ManifestLine:
    """One non-blank line of the input manifest that is a JSON object, with its 1-based line number."""

    number: int
    value: dict[str, Any]


def is_number(value: Any) -> bool:
    """Return whether ``value`` is a JSON number (a boolean is not one)."""
    return isinstance(value, int | float) and not isinstance(value, bool)


def as_number(value: Any) -> float | None:
    """Return ``value`` when it is a JSON number, else None."""
    return float(value) if is_number(value) else None


def is_integer(value: Any) -> bool:
    """Return whether ``value`` is a JSON integer (a boolean is not one)."""
    return isinstance(value, int) and not isinstance(value, bool)


def shown(value: Any) -> str:
    """Return ``value`` as JSON, cut to a length that keeps a message readable."""
    text = json.dumps(value)
    return text if len(text) <= 60 else text[:57] + "..."


def default_format(path: str) -> str | None:
    """Return the documented format of a point cloud without ``format``: by its extension, None for another one."""
    return _DEFAULT_FORMATS.get(PurePosixPath(path).suffix.lower())


def read_format(declared: Any, path: str) -> str:
    """Return the format the emulator reads a checked point cloud in (binary/xyzi where the pages give none)."""
    if declared in POINT_CLOUD_FORMATS:
        return str(declared)
    return default_format(path) or "binary/xyzi"


class References:
    """The objects the job's documented fields reference, each checked once after all the data was read."""

    def __init__(self, store: ObjectStore, manifest: S3Uri) -> None:
        self._store = store
        self._manifest = manifest
        self._objects: dict[S3Uri, tuple[Rule, Place]] = {}
        self._point_clouds: dict[S3Uri, tuple[str, Place]] = {}

    def add(self, uri: S3Uri, place: Place, rule: Rule = rules.REF_EXISTS) -> None:
        """Require ``uri`` to exist (refused under ``rule``, at the first place that references it)."""
        self._objects.setdefault(uri, (rule, place))

    def add_point_cloud(self, uri: S3Uri, cloud_format: str | None, place: Place) -> None:
        """Require the point cloud to exist and, when its format is known, to be laid out in it."""
        self.add(uri, place)
        if cloud_format is not None:
            self._point_clouds.setdefault(uri, (cloud_format, place))

    def check(self, findings: Findings) -> None:
        """Record missing objects, point clouds not in their format, and buckets other than the manifest's."""
        for uri, (rule, place) in self._objects.items():
            if not self._store.exists(uri):
                findings.refuse(rule, place, f"{uri} does not exist or the execution role cannot read it")
        for uri, (cloud_format, place) in self._point_clouds.items():
            if self._store.exists(uri):
                self._check_point_cloud(uri, cloud_format, place, findings)
        outside = sorted({uri.bucket for uri in self._objects} - {self._manifest.bucket})
        if outside:
            listed = ", ".join(outside[:MAX_REFERENCED_BUCKETS_SHOWN])
            hidden = len(outside) - MAX_REFERENCED_BUCKETS_SHOWN
            more = f" and {hidden} more" if hidden > 0 else ""
            findings.warn(
                rules.REF_OUTSIDE_SOURCE,
                Place(str(self._manifest)),
                f"references objects in bucket(s) {listed}{more}, outside the manifest's bucket "
                f"{self._manifest.bucket}: Ground Truth reads them in place, so the execution role needs read access "
                "to them and each bucket the 3D point cloud CORS policy",
            )

    def _check_point_cloud(self, uri: S3Uri, cloud_format: str, place: Place, findings: Findings) -> None:
        encoding, _, fields = cloud_format.partition("/")
        values = POINT_FIELDS[fields]
        if encoding == "binary":
            size = self._store.size(uri) or 0
            if size % (4 * values):
                findings.refuse(
                    rules.POINT_CLOUD_BINARY_SIZE,
                    place,
                    f"{uri} is {size} bytes, not a multiple of {4 * values}: {cloud_format} packs {values} 4-byte "
                    "floats per point",
                )
            return
        # Not a row of the table (the core never reads frames): a text cloud the worker UI cannot parse would fail
        # the job later, and the emulator refuses it now.
        text = self._store.read(uri, "point cloud").decode("utf-8", errors="replace")
        for number, row in enumerate(text.splitlines(), start=1):
            items = row.split()
            if items and not (len(items) == values and all(_is_float(item) for item in items)):
                findings.refuse_unlisted(
                    place, f"line {number} of {uri} is not {cloud_format}: {row[:60]!r}", rules.RAW_DATA_PAGE
                )
                return


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_manifest(store: ObjectStore, uri: S3Uri, findings: Findings) -> list[ManifestLine]:
    """Return the manifest's JSON-object lines, recording [MANIFEST-JSON-LINES] and [MANIFEST-MAX-LINES]."""
    data = store.read(uri, "input manifest")
    lines: list[ManifestLine] = []
    bad: list[tuple[int, str]] = []
    count = 0
    for number, raw in enumerate(data.split(b"\n"), start=1):
        if not raw.strip():
            continue
        count += 1
        try:
            value = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            bad.append((number, "is not UTF-8"))
            continue
        except json.JSONDecodeError as error:
            bad.append((number, f"is not one complete JSON object ({error})"))
            continue
        if isinstance(value, dict):
            lines.append(ManifestLine(number, value))
        else:
            bad.append((number, f"is {shown(value)}, not a JSON object"))
    if bad:
        number, problem = bad[0]
        others = f"; {len(bad) - 1} more line(s) are not JSON objects either" if len(bad) > 1 else ""
        findings.refuse(rules.MANIFEST_JSON_LINES, Place(str(uri), line=number), f"{problem}{others}")
    if not 1 <= count <= MAX_MANIFEST_LINES:
        findings.refuse(
            rules.MANIFEST_MAX_LINES,
            Place(str(uri)),
            f"has {count:,} lines; a manifest has 1 to {MAX_MANIFEST_LINES:,}",
        )
    return lines


def check_manifest_lines(
    store: ObjectStore, uri: S3Uri, lines: Iterable[ManifestLine], task: TaskType, findings: Findings
) -> References:
    """Record what breaks the frame or sequence rules in each line; return what the lines reference, unchecked."""
    references = References(store, uri)
    sequences: set[S3Uri] = set()
    for line in lines:
        place = Place(str(uri), line=line.number)
        if task.uses_sequences:
            _check_sequence_line(store, line.value, place, task, sequences, references, findings)
        else:
            _check_frame_line(line.value, place, task, references, findings)
    return references


def _check_frame_line(
    line: dict[str, Any], place: Place, task: TaskType, references: References, findings: Findings
) -> None:
    source = line.get("source-ref")
    if "source-ref-metadata" not in line and isinstance(source, str) and source.endswith(".json"):
        findings.refuse(
            rules.MANIFEST_KIND,
            place,
            f"is a sequence manifest line (source-ref {source} without source-ref-metadata); {task.name} needs a "
            "frame manifest: one point cloud frame per line",
        )
        return
    uri = S3Uri.of_object(source)
    if uri is None:
        findings.refuse(
            rules.FRAME_SOURCE_REF,
            place.at("source-ref"),
            f"is required: the s3://bucket/key of a point cloud file, got {shown(source)}",
        )
    metadata = line.get("source-ref-metadata")
    if not isinstance(metadata, dict):
        findings.refuse(
            rules.FRAME_METADATA, place.at("source-ref-metadata"), f"is required: a JSON object, got {shown(metadata)}"
        )
        return
    where = place.at("source-ref-metadata")
    if not is_number(metadata.get("unix-timestamp")):
        findings.refuse(
            rules.FRAME_UNIX_TIMESTAMP,
            where.at("unix-timestamp"),
            f"is required: a number of seconds since the epoch, got {shown(metadata.get('unix-timestamp'))}",
        )
    if uri is not None:
        references.add_point_cloud(uri, _point_cloud_format(metadata, uri.key, where, findings), place.at("source-ref"))
    _check_pose(metadata, where, findings)
    prefix = _given_prefix(metadata, rules.FRAME_PREFIX, where, findings, otherwise=None)
    has_images = _check_images(metadata, where, prefix, references, findings)
    if has_images and "prefix" not in metadata:
        findings.refuse(
            rules.FRAME_PREFIX,
            where.at("prefix"),
            "is required when images are given: each image-path is relative to it",
        )


def _check_sequence_line(
    store: ObjectStore,
    line: dict[str, Any],
    place: Place,
    task: TaskType,
    sequences: set[S3Uri],
    references: References,
    findings: Findings,
) -> None:
    if "source-ref-metadata" in line:
        findings.refuse(
            rules.MANIFEST_KIND,
            place,
            f"is a frame manifest line (it has source-ref-metadata); {task.name} needs a sequence manifest: each "
            "line's source-ref names a sequence file",
        )
        return
    uri = S3Uri.of_object(line.get("source-ref"))
    if uri is None:
        findings.refuse(
            rules.SEQ_SOURCE_REF,
            place.at("source-ref"),
            f"is required: the s3://bucket/key of a sequence file, got {shown(line.get('source-ref'))}",
        )
        return
    if uri in sequences:
        return
    sequences.add(uri)
    if not store.exists(uri):
        findings.refuse(
            rules.REF_EXISTS, place.at("source-ref"), f"{uri} does not exist or the execution role cannot read it"
        )
        return
    _check_sequence_file(store.read(uri, "sequence file"), uri, references, findings)


def _check_sequence_file(data: bytes, uri: S3Uri, references: References, findings: Findings) -> None:
    file = Place(str(uri))
    try:
        sequence = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        findings.refuse(rules.SEQ_FILE_JSON, file, f"must be one JSON object: {error}")
        return
    if not isinstance(sequence, dict):
        findings.refuse(rules.SEQ_FILE_JSON, file, f"must be one JSON object, not {shown(sequence)}")
        return
    if not is_integer(sequence.get("seq-no")):
        findings.refuse(
            rules.SEQ_NO, file.at("seq-no"), f"is required: an integer, got {shown(sequence.get('seq-no'))}"
        )
    prefix = S3Uri.of_prefix(sequence.get("prefix"))
    if prefix is None:
        findings.refuse(
            rules.SEQ_PREFIX,
            file.at("prefix"),
            "is required: an s3:// URI ending in '/' that frame paths are relative to, got "
            f"{shown(sequence.get('prefix'))}",
        )
    frames = sequence.get("frames")
    if not isinstance(frames, list) or not 1 <= len(frames) <= MAX_SEQUENCE_FRAMES:
        count = f"{len(frames)} frames" if isinstance(frames, list) else shown(frames)
        findings.refuse(
            rules.SEQ_FRAMES_MAX, file.at("frames"), f"must list 1 to {MAX_SEQUENCE_FRAMES} frames, got {count}"
        )
    frames = frames if isinstance(frames, list) else []
    number = sequence.get("number-of-frames")
    if not is_integer(number) or number != len(frames):
        findings.refuse(
            rules.SEQ_NUMBER_OF_FRAMES,
            file.at("number-of-frames"),
            f"is {shown(number)}; it must be an integer equal to the {len(frames)} frame(s) listed in frames",
        )
    previous: float | None = None
    for index, frame in enumerate(frames):
        if not isinstance(frame, dict):
            findings.refuse(rules.SEQ_FRAMES_MAX, file.at(f"frames[{index}]"), f"is {shown(frame)}, not a frame object")
            continue
        stamp = _check_sequence_frame(frame, Place(str(uri), frame=index), prefix, previous, references, findings)
        previous = stamp if stamp is not None else previous


def _check_sequence_frame(
    frame: dict[str, Any],
    place: Place,
    prefix: S3Uri | None,
    previous: float | None,
    references: References,
    findings: Findings,
) -> float | None:
    """Record what breaks the rules of one sequence frame; return its timestamp when it is a number."""
    if "frame-no" in frame and not is_integer(frame["frame-no"]):
        findings.warn(
            rules.SEQ_FRAME_NO,
            place.at("frame-no"),
            f"is {shown(frame['frame-no'])}, not an integer (Ground Truth does not use it)",
        )
    given = frame.get("unix-timestamp")
    stamp = as_number(given)
    if stamp is None:
        findings.refuse(
            rules.SEQ_FRAME_UNIX_TIMESTAMP, place.at("unix-timestamp"), f"is required: a number, got {shown(given)}"
        )
    elif previous is not None and stamp < previous:
        findings.warn(
            rules.SEQ_FRAME_ORDER,
            place.at("unix-timestamp"),
            f"{stamp} is earlier than the previous frame's {previous}: workers see frames in list order",
        )
    path = frame.get("frame")
    if not isinstance(path, str) or not path or path.startswith("s3://"):
        findings.refuse(
            rules.SEQ_FRAME_PATH,
            place.at("frame"),
            f"is required: a path relative to the sequence's prefix (not an s3:// URI), got {shown(path)}",
        )
    else:
        cloud_format = _point_cloud_format(frame, path, place, findings)
        if prefix is not None:
            references.add_point_cloud(prefix.join(path), cloud_format, place.at("frame"))
    _check_pose(frame, place, findings)
    image_prefix = _given_prefix(frame, rules.SEQ_FRAME_PREFIX, place, findings, otherwise=prefix)
    _check_images(frame, place, image_prefix, references, findings)
    return stamp


def _given_prefix(
    holder: dict[str, Any], rule: Rule, place: Place, findings: Findings, *, otherwise: S3Uri | None
) -> S3Uri | None:
    """Return the ``prefix`` ``holder`` gives (refusing one that is not an ``s3://`` folder), else ``otherwise``."""
    if "prefix" not in holder:
        return otherwise
    prefix = S3Uri.of_prefix(holder["prefix"])
    if prefix is None:
        findings.refuse(rule, place.at("prefix"), f"must be an s3:// URI ending in '/', got {shown(holder['prefix'])}")
    return prefix


def _point_cloud_format(holder: dict[str, Any], path: str, place: Place, findings: Findings) -> str | None:
    """Return the format the point cloud at ``path`` is read in, or None when it is not known."""
    if "format" in holder:
        declared = holder["format"]
        if declared in POINT_CLOUD_FORMATS:
            return str(declared)
        findings.refuse(
            rules.POINT_CLOUD_FORMAT,
            place.at("format"),
            f"is {shown(declared)}; it must be one of {', '.join(POINT_CLOUD_FORMATS)}",
        )
        return None
    default = default_format(path)
    if default is None:
        findings.warn(
            rules.POINT_CLOUD_FORMAT_DEFAULT,
            place.at("format"),
            f"is not given and {path} is neither .bin nor .txt, the only extensions with a documented default: "
            "Ground Truth may not read it; add format",
        )
    return default


def _check_vector(value: Any, names: tuple[str, ...], rule: Rule, place: Place, what: str, findings: Findings) -> None:
    if not isinstance(value, dict) or not all(is_number(value.get(name)) for name in names):
        findings.refuse(rule, place, f"is required: {what} with numbers {', '.join(names)}, got {shown(value)}")


def _check_pose(holder: dict[str, Any], place: Place, findings: Findings) -> None:
    pose = holder.get("ego-vehicle-pose")
    if pose is None:
        return
    where = place.at("ego-vehicle-pose")
    if not isinstance(pose, dict):
        findings.refuse(rules.POSE_POSITION, where, f"must be an object with position and heading, got {shown(pose)}")
        return
    _check_vector(pose.get("position"), _POSITION, rules.POSE_POSITION, where.at("position"), "a vector", findings)
    _check_vector(pose.get("heading"), _HEADING, rules.POSE_HEADING, where.at("heading"), "a quaternion", findings)


def _check_images(
    holder: dict[str, Any], place: Place, prefix: S3Uri | None, references: References, findings: Findings
) -> bool:
    """Record what breaks the image rules; return whether the holder lists any image."""
    images = holder.get("images")
    if images is None:
        return False
    if not isinstance(images, list) or len(images) > MAX_IMAGES or not all(isinstance(i, dict) for i in images):
        count = f"{len(images)} items" if isinstance(images, list) else shown(images)
        findings.refuse(
            rules.FRAME_IMAGES_MAX,
            place.at("images"),
            f"must be a list of at most {MAX_IMAGES} image objects, got {count}",
        )
        return isinstance(images, list) and bool(images)
    for index, image in enumerate(images):
        _check_image(image, place.at(f"images[{index}]"), prefix, references, findings)
    return bool(images)


def _check_image(
    image: dict[str, Any], place: Place, prefix: S3Uri | None, references: References, findings: Findings
) -> None:
    path = image.get("image-path")
    if not isinstance(path, str) or not path or path.startswith("s3://"):
        findings.refuse(
            rules.IMAGE_PATH,
            place.at("image-path"),
            f"is required: a path relative to the prefix (not an s3:// URI), got {shown(path)}",
        )
    elif prefix is not None:
        references.add(prefix.join(path), place.at("image-path"))
    if not is_number(image.get("unix-timestamp")):
        findings.refuse(
            rules.IMAGE_UNIX_TIMESTAMP,
            place.at("unix-timestamp"),
            f"is required: a number, got {shown(image.get('unix-timestamp'))}",
        )
    for name, (rule, meaning) in _CALIBRATION.items():
        if not is_number(image.get(name)):
            findings.refuse(rule, place.at(name), f"is required: a number ({meaning}), got {shown(image.get(name))}")
    _check_vector(image.get("position"), _POSITION, rules.IMAGE_POSITION, place.at("position"), "a vector", findings)
    _check_vector(image.get("heading"), _HEADING, rules.IMAGE_HEADING, place.at("heading"), "a quaternion", findings)
    for name in _DISTORTION:
        if name in image and not is_number(image[name]):
            findings.refuse(rules.IMAGE_DISTORTION, place.at(name), f"must be a number, got {shown(image[name])}")
    if "camera-model" in image and image["camera-model"] not in _CAMERA_MODELS:
        findings.refuse(
            rules.IMAGE_CAMERA_MODEL,
            place.at("camera-model"),
            f"is {shown(image['camera-model'])}; it must be {' or '.join(_CAMERA_MODELS)}",
        )
