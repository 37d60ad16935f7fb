"""Ground Truth 3D point cloud input files: parse, validate, list what they reference, and move their locations.

Covers the three documented formats (see ``shared/ground-truth-facts.md``): frame manifests and sequence manifests
(JSON Lines), sequence files and label category files (single JSON documents). Pure Python: the handlers fetch the
bytes and hand them in, so every rule here is unit-tested without AWS.

The rewrite works on the JSON text, not on a re-serialization: only string *values* that are S3 URIs under the
source location are replaced, so numbers, key order, whitespace and line structure stay byte-for-byte the same.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Final

from gt3d_core.catalog import TaskType
from gt3d_core.errors import InvalidRequestError, ManifestFormatError

MAX_MANIFEST_LINES: Final = 100_000
MAX_FRAMES_PER_SEQUENCE: Final = 500
MAX_IMAGES_PER_FRAME: Final = 8
MIN_LABELS: Final = 1
MAX_LABELS: Final = 30
MAX_LABEL_LENGTH: Final = 16
MAX_FRAME_ATTRIBUTES: Final = 10
LABEL_CATEGORY_DOCUMENT_VERSION: Final = "2020-03-01"
POINT_CLOUD_FORMATS: Final = frozenset(
    f"{encoding}/{fields}" for encoding in ("binary", "text") for fields in ("xyz", "xyzi", "xyzrgb", "xyzirgb")
)
CAMERA_MODELS: Final = frozenset({"pinhole", "fisheye"})
MAX_REPORTED_PROBLEMS: Final = 20
"""A file with thousands of bad lines reports this many and the total count, not a message of megabytes."""

_S3_SCHEME = "s3://"
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")
_MAX_KEY_BYTES = 1024
_JSON_WHITESPACE = " \t\r"
# A JSON string token, and whether it is an object key (followed by a colon). In valid JSON every '"' outside
# a string opens one, so scanning left to right with this pattern visits exactly the string tokens.
_STRING_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"(?P<colon>[ \t\n\r]*:)?')


# ---------------------------------------------------------------------------------------------------- locations


def is_valid_bucket_name(name: str) -> bool:
    """Return whether ``name`` follows the S3 naming rules for general purpose buckets (3-63 chars, a-z 0-9 . -)."""
    return _BUCKET_NAME.fullmatch(name) is not None and ".." not in name


@dataclass(frozen=True, slots=True, order=True)
class S3Uri:
    """One object (or folder-like prefix) in S3, as ``s3://bucket/key``."""

    bucket: str
    key: str

    def __post_init__(self) -> None:
        if not is_valid_bucket_name(self.bucket):
            raise ValueError(f"{self.bucket!r} is not a valid S3 bucket name")
        if _CONTROL_CHARACTERS.search(self.key) or len(self.key.encode("utf-8")) > _MAX_KEY_BYTES:
            raise ValueError(f"{self.key!r} is not a valid S3 key")

    @classmethod
    def parse(cls, text: str) -> S3Uri:
        """Return the URI ``text`` names; raise ``ValueError`` unless it is exactly ``s3://<valid bucket>[/<key>]``."""
        if not text.startswith(_S3_SCHEME):
            raise ValueError(f"{_shorten(text)} is not an s3:// URI")
        bucket, _, key = text[len(_S3_SCHEME) :].partition("/")
        return cls(bucket, key)

    @classmethod
    def try_parse(cls, text: str) -> S3Uri | None:
        """Return the URI ``text`` names, or None when it is anything else (relative path, prose, other scheme)."""
        if not text.startswith(_S3_SCHEME):
            return None
        try:
            return cls.parse(text)
        except ValueError:
            return None

    @property
    def is_prefix(self) -> bool:
        """True for a folder-like URI (empty key or ending in ``/``): a location, not an object to copy."""
        return not self.key or self.key.endswith("/")

    def join(self, relative: str) -> S3Uri:
        """Return the URI of ``relative`` resolved against this prefix, the way Ground Truth concatenates them."""
        return S3Uri(self.bucket, self.key + relative)

    def __str__(self) -> str:
        return f"{_S3_SCHEME}{self.bucket}/{self.key}"


@dataclass(frozen=True, slots=True)
class S3Location:
    """A bucket and a key prefix (``""`` or ending in ``/``): the source, input or output location of a run."""

    bucket: str
    prefix: str

    def __post_init__(self) -> None:
        if not is_valid_bucket_name(self.bucket):
            raise ValueError(f"{self.bucket!r} is not a valid S3 bucket name")
        if self.prefix and (not self.prefix.endswith("/") or self.prefix.startswith("/")):
            raise ValueError(f"prefix {self.prefix!r} must be empty or end in '/' (and not start with '/')")
        if _CONTROL_CHARACTERS.search(self.prefix):
            raise ValueError(f"prefix {self.prefix!r} contains control characters")

    @classmethod
    def parse(cls, text: str) -> S3Location:
        """Return the location ``s3://bucket/prefix/`` names; raise ``ValueError`` when it is not one."""
        uri = S3Uri.parse(text)
        return cls(uri.bucket, uri.key)

    @classmethod
    def from_event(cls, value: object, field: str) -> S3Location:
        """Return the location in an event's ``{"bucket", "prefix"}`` object, or raise naming ``field``."""
        if not isinstance(value, Mapping):
            raise InvalidRequestError(f'`{field}` must be an object {{"bucket": str, "prefix": str}}; got {value!r}.')
        bucket, prefix = value.get("bucket"), value.get("prefix", "")
        if not isinstance(bucket, str) or not isinstance(prefix, str):
            raise InvalidRequestError(f"`{field}.bucket` and `{field}.prefix` must be strings; got {dict(value)!r}.")
        try:
            return cls(bucket, prefix)
        except ValueError as error:
            raise InvalidRequestError(f"`{field}` is not a valid S3 location: {error}.") from None

    def contains(self, uri: S3Uri) -> bool:
        """True when ``uri`` is in exactly this bucket and its key starts with this prefix."""
        return uri.bucket == self.bucket and uri.key.startswith(self.prefix)

    def relative_key(self, uri: S3Uri) -> str:
        """Return ``uri``'s key relative to this location; raise ``ValueError`` when it lies elsewhere."""
        if not self.contains(uri):
            raise ValueError(f"{uri} is not under {self}")
        return uri.key[len(self.prefix) :]

    def key(self, relative: str) -> str:
        """Return the full key of ``relative`` (a key relative to this location)."""
        return self.prefix + relative

    def uri(self, relative: str = "") -> S3Uri:
        """Return the URI of ``relative`` under this location."""
        return S3Uri(self.bucket, self.prefix + relative)

    def overlaps(self, other: S3Location) -> bool:
        """True when one location lies inside the other, so copying between them would write into the source."""
        return self.bucket == other.bucket and (
            self.prefix.startswith(other.prefix) or other.prefix.startswith(self.prefix)
        )

    def __str__(self) -> str:
        return f"{_S3_SCHEME}{self.bucket}/{self.prefix}"


# --------------------------------------------------------------------------------------------------- JSON text


@dataclass(frozen=True, slots=True)
class JsonRecord:
    """One parsed JSON value and the 1-based line it starts on."""

    line: int
    value: Any


class _NonStandardConstant(ValueError):
    """Python's json accepts NaN and Infinity; JSON (and Ground Truth) do not."""


def _reject_constant(name: str) -> Any:
    raise _NonStandardConstant(name)


_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _loads(text: str) -> Any:
    return _DECODER.decode(text)


def _strip_bom(text: str) -> str:
    return text.removeprefix("\ufeff")


def decode_json_bytes(name: str, data: bytes) -> str:
    """Return ``data`` as text, or raise ``ManifestFormatError`` naming ``name`` when it is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ManifestFormatError(
            f"{name} is not UTF-8 text (invalid byte at offset {error.start}). Save the file as UTF-8."
        ) from None


def load_json_lines(name: str, text: str) -> tuple[JsonRecord, ...]:
    """Return every non-blank line of a JSON Lines file, or raise naming the first line that is not valid JSON."""
    records: list[JsonRecord] = []
    # Split on "\n" only: str.splitlines() would also split on U+2028 and friends, which may sit raw in strings.
    for number, line in enumerate(_strip_bom(text).split("\n"), start=1):
        if not line.strip(_JSON_WHITESPACE):
            continue
        try:
            records.append(JsonRecord(number, _loads(line)))
        except json.JSONDecodeError as error:
            raise ManifestFormatError(
                f"{name} line {number}: not valid JSON ({error.msg} at column {error.colno}). Make every line "
                "one complete JSON object (JSON Lines); do not pretty-print a manifest over several lines."
            ) from None
        except _NonStandardConstant as error:
            raise ManifestFormatError(
                f"{name} line {number}: {error} is not valid JSON. Replace it with a number or null."
            ) from None
    return tuple(records)


def load_json_document(name: str, text: str) -> Any:
    """Return the single JSON document in ``text``, or raise naming the line and column where it breaks."""
    try:
        return _loads(_strip_bom(text))
    except json.JSONDecodeError as error:
        raise ManifestFormatError(
            f"{name} line {error.lineno}, column {error.colno}: not valid JSON ({error.msg}). "
            "Fix the file so that it is one valid JSON document."
        ) from None
    except _NonStandardConstant as error:
        raise ManifestFormatError(f"{name}: {error} is not valid JSON. Replace it with a number or null.") from None


def load_json_text(name: str, text: str) -> tuple[JsonRecord, ...]:
    """Return the records of either a single JSON document or a JSON Lines file, telling them apart by content.

    A file whose first non-blank line is a complete JSON value is treated as JSON Lines (so a bad later line is
    reported by its number); anything else must be one document (so a pretty-printed file's error has its line).
    """
    body = _strip_bom(text)
    try:
        return (JsonRecord(_first_content_line(body), _loads(body)),)
    except ValueError:  # JSONDecodeError, or NaN/Infinity: decide the format first, then report
        pass
    first = next((line for line in body.split("\n") if line.strip(_JSON_WHITESPACE)), None)
    if first is not None and _parses(first):
        return load_json_lines(name, text)
    return (JsonRecord(1, load_json_document(name, text)),)


def _parses(text: str) -> bool:
    """True when ``text`` is one JSON value (NaN/Infinity count: the line is JSON Lines, reported as such)."""
    try:
        _loads(text)
    except _NonStandardConstant:
        return True
    except ValueError:
        return False
    return True


def _first_content_line(text: str) -> int:
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip(_JSON_WHITESPACE):
            return number
    return 1


def iter_uri_values(value: Any) -> Iterator[S3Uri]:
    """Yield every string value (not object key) anywhere in ``value`` that is an ``s3://`` URI, in document order."""
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            uri = S3Uri.try_parse(item)
            if uri is not None:
                yield uri
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


# --------------------------------------------------------------------------------------------------- rewriting


def rewrite_uri(value: str, source: S3Location, target: S3Location) -> str | None:
    """Return ``value`` moved to ``target`` when it is an S3 URI under ``source`` (same relative key), else None."""
    uri = S3Uri.try_parse(value)
    if uri is None or not source.contains(uri):
        return None
    return str(target.uri(source.relative_key(uri)))


@dataclass(frozen=True, slots=True)
class RewriteResult:
    """The rewritten text of one file and how many URIs changed (0 means the text is unchanged)."""

    text: str
    uris: int


def rewrite_json_text(name: str, text: str, source: S3Location, target: S3Location) -> RewriteResult:
    """Return ``text`` with every string value under ``source`` moved to ``target``; nothing else changes.

    ``text`` is a JSON document or JSON Lines; it is validated first, so a broken file fails with its line number
    instead of being half-rewritten. Only exact URIs move: not object keys, not prose that mentions a URI, not
    buckets whose names merely contain the source bucket's name, not keys outside the source prefix. Idempotent,
    because ``source`` and ``target`` may not overlap.
    """
    if source.overlaps(target):
        raise InvalidRequestError(
            f"The target location {target} overlaps the source location {source}; use separate prefixes."
        )
    load_json_text(name, text)
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        token = match.group(0)
        if match.group("colon") is not None or ("\\" not in token and not token.startswith('"s3://')):
            return token
        value = json.loads(token)
        try:
            moved = rewrite_uri(value, source, target)
        except ValueError:  # the key grows past S3's 1024 bytes under the target prefix
            raise ManifestFormatError(
                f"{name}: {_shorten(value)} would be longer than S3 allows under {target}. Use a shorter target prefix."
            ) from None
        if moved is None:
            return token
        count += 1
        # Keep the file's style: an all-ASCII token stays ASCII (\u escapes), raw UTF-8 stays raw.
        return json.dumps(moved, ensure_ascii=token.isascii())

    rewritten = _STRING_TOKEN.sub(replace, text)
    return RewriteResult(text=rewritten if count else text, uris=count)


# ------------------------------------------------------------------------------------------- references & models


@dataclass(frozen=True, slots=True)
class References:
    """The S3 objects a file references: JSON files to fetch and scan in turn, and plain data objects."""

    json_files: frozenset[S3Uri] = frozenset()
    objects: frozenset[S3Uri] = frozenset()

    def __or__(self, other: References) -> References:
        json_files = self.json_files | other.json_files
        return References(json_files, (self.objects | other.objects) - json_files)

    @property
    def all(self) -> frozenset[S3Uri]:
        """Every referenced object, JSON or not."""
        return self.json_files | self.objects

    def within(self, location: S3Location) -> References:
        """Return only the references that lie under ``location``."""
        return References(
            frozenset(uri for uri in self.json_files if location.contains(uri)),
            frozenset(uri for uri in self.objects if location.contains(uri)),
        )


class ManifestKind(StrEnum):
    """The two input manifest shapes: one frame per line, or one sequence file per line."""

    FRAME = "frame"
    SEQUENCE = "sequence"


@dataclass(frozen=True, slots=True)
class Frame:
    """One point cloud frame and the camera images fused with it."""

    point_cloud: S3Uri
    unix_timestamp: float
    format: str | None
    images: tuple[S3Uri, ...]


@dataclass(frozen=True, slots=True)
class Manifest:
    """A validated input manifest: frame lines (object detection, segmentation) or sequence lines (tracking)."""

    name: str
    kind: ManifestKind
    records: tuple[JsonRecord, ...]
    frames: tuple[Frame, ...]
    sequence_files: tuple[S3Uri, ...]

    def references(self) -> References:
        """Return the sequence files to scan, and the point clouds, images and other URIs the lines name."""
        objects: set[S3Uri] = set()
        for frame in self.frames:
            objects.add(frame.point_cloud)
            objects.update(frame.images)
        for record in self.records:
            objects.update(uri for uri in iter_uri_values(record.value) if not uri.is_prefix)
        json_files = frozenset(self.sequence_files)
        return References(json_files, frozenset(objects) - json_files)


@dataclass(frozen=True, slots=True)
class SequenceFile:
    """A validated sequence file: up to 500 time-ordered frames under one prefix."""

    name: str
    seq_no: int
    prefix: S3Uri
    frames: tuple[Frame, ...]
    value: Mapping[str, Any]

    def references(self) -> References:
        """Return the frames (prefix + frame), images (prefix + image-path) and any other URI in the file."""
        objects: set[S3Uri] = set()
        for frame in self.frames:
            objects.add(frame.point_cloud)
            objects.update(frame.images)
        objects.update(uri for uri in iter_uri_values(self.value) if not uri.is_prefix)
        return References(objects=frozenset(objects))


@dataclass(frozen=True, slots=True)
class LabelCategoryConfig:
    """A validated label category configuration file."""

    name: str
    labels: tuple[str, ...]
    frame_attributes: int
    audit_label_attribute_name: str | None
    value: Mapping[str, Any]

    def references(self) -> References:
        """Return any S3 object the file names (e.g. images in instructions); usually none."""
        return References(objects=frozenset(uri for uri in iter_uri_values(self.value) if not uri.is_prefix))


# ------------------------------------------------------------------------------------------------- validation


class _Problems:
    """Collects validation problems so one run reports many, with file, line and field, then raises once."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0
        self.shown: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.count += 1
        if len(self.shown) < MAX_REPORTED_PROBLEMS:
            self.shown.append(f"{where}: {message}")

    def raise_if_any(self) -> None:
        if not self.count:
            return
        if self.count == 1:
            raise ManifestFormatError(f"{self.name} {self.shown[0]}")
        more = f"; the first {len(self.shown)} are" if self.count > len(self.shown) else ""
        listed = "\n".join(f"  - {line}" for line in self.shown)
        raise ManifestFormatError(f"{self.name} has {self.count} problems{more}:\n{listed}")


def _where(line: int | None, field: str) -> str:
    return f"line {line}, field `{field}`" if line is not None else f"field `{field}`"


def _shorten(value: object, limit: int = 80) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _uri_field(value: object, line: int | None, field: str, problems: _Problems, what: str) -> S3Uri | None:
    uri = S3Uri.try_parse(value) if isinstance(value, str) else None
    if uri is None or uri.is_prefix:
        problems.add(_where(line, field), f"must be the s3:// URI of {what}; got {_shorten(value)}.")
        return None
    return uri


def _prefix_field(value: object, line: int | None, field: str, problems: _Problems) -> S3Uri | None:
    uri = S3Uri.try_parse(value) if isinstance(value, str) else None
    if uri is None or not isinstance(value, str) or not value.endswith("/"):
        problems.add(
            _where(line, field),
            f"must be an s3:// URI ending in '/', the folder the relative paths start from; got {_shorten(value)}.",
        )
        return None
    return uri


def _relative_path(value: object, line: int | None, field: str, problems: _Problems) -> str | None:
    if not isinstance(value, str) or not value:
        problems.add(_where(line, field), f"must be a path relative to `prefix`; got {_shorten(value)}.")
        return None
    if value.startswith(_S3_SCHEME):
        problems.add(
            _where(line, field),
            f"must be relative to `prefix` (Ground Truth prepends the prefix); got the full URI {_shorten(value)}. "
            "Remove the s3://bucket/prefix part.",
        )
        return None
    return value


def _check_format(value: object, line: int | None, field: str, problems: _Problems) -> str | None:
    if value is None:
        return None
    if value not in POINT_CLOUD_FORMATS:
        problems.add(
            _where(line, field),
            f"{_shorten(value)} is not a point cloud format. Use one of {', '.join(sorted(POINT_CLOUD_FORMATS))}.",
        )
        return None
    return str(value)


def _parse_images(
    value: object, prefix: S3Uri | None, line: int | None, field: str, problems: _Problems
) -> tuple[S3Uri, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        problems.add(_where(line, field), f"must be a list of image objects; got {_shorten(value)}.")
        return ()
    if len(value) > MAX_IMAGES_PER_FRAME:
        problems.add(
            _where(line, field),
            f"has {len(value)} images; Ground Truth allows at most {MAX_IMAGES_PER_FRAME} per frame. Drop cameras.",
        )
    uris: list[S3Uri] = []
    for index, image in enumerate(value):
        here = f"{field}[{index}]"
        if not isinstance(image, dict):
            problems.add(_where(line, here), f"must be an object with `image-path`; got {_shorten(image)}.")
            continue
        path = _relative_path(image.get("image-path"), line, f"{here}.image-path", problems)
        if path is not None:
            if prefix is None:
                problems.add(
                    _where(line, f"{here}.image-path"),
                    "is relative but there is no valid `prefix` to resolve it against. Add `prefix`: the s3:// "
                    "URI (ending in '/') of the folder the image paths are relative to.",
                )
            else:
                uris.append(prefix.join(path))
        model = image.get("camera-model")
        if model is not None and model not in CAMERA_MODELS:
            problems.add(
                _where(line, f"{here}.camera-model"),
                f"{_shorten(model)} is not a camera model. Use one of {', '.join(sorted(CAMERA_MODELS))}.",
            )
        for number_field in ("unix-timestamp", "fx", "fy", "cx", "cy"):
            if number_field in image and not _is_number(image[number_field]):
                problems.add(
                    _where(line, f"{here}.{number_field}"), f"must be a number; got {_shorten(image[number_field])}."
                )
    return tuple(uris)


def _timestamp(value: object, line: int | None, field: str, problems: _Problems) -> float | None:
    if not _is_number(value):
        problems.add(
            _where(line, field),
            f"must be the capture time in seconds since the Unix epoch (a number); got {_shorten(value)}.",
        )
        return None
    return float(value)  # type: ignore[arg-type]


def _parse_frame_line(record: JsonRecord, problems: _Problems) -> Frame | None:
    line, value = record.line, record.value
    point_cloud = _uri_field(value.get("source-ref"), line, "source-ref", problems, "the point cloud file")
    metadata = value.get("source-ref-metadata")
    if not isinstance(metadata, dict):
        problems.add(
            _where(line, "source-ref-metadata"),
            "must be an object with at least `unix-timestamp`; see the frame input manifest format.",
        )
        return None
    timestamp = _timestamp(metadata.get("unix-timestamp"), line, "source-ref-metadata.unix-timestamp", problems)
    point_format = _check_format(metadata.get("format"), line, "source-ref-metadata.format", problems)
    prefix = None
    if "prefix" in metadata:
        prefix = _prefix_field(metadata["prefix"], line, "source-ref-metadata.prefix", problems)
    images = _parse_images(metadata.get("images"), prefix, line, "source-ref-metadata.images", problems)
    if point_cloud is None or timestamp is None:
        return None
    return Frame(point_cloud, timestamp, point_format, images)


def parse_manifest(name: str, text: str) -> Manifest:
    """Return the validated frame or sequence manifest in ``text`` (JSON Lines); ``name`` is used in messages.

    A line with ``source-ref-metadata`` is a frame; a line without is a sequence whose ``source-ref`` is a
    sequence file. All lines must be of one kind.
    """
    records = load_json_lines(name, text)
    problems = _Problems(name)
    if not records:
        raise ManifestFormatError(f"{name} has no lines. Add one JSON object per frame or sequence.")
    if len(records) > MAX_MANIFEST_LINES:
        raise ManifestFormatError(
            f"{name} has {len(records)} lines; Ground Truth accepts at most {MAX_MANIFEST_LINES}. "
            "Split it into several labeling jobs."
        )
    kind: ManifestKind | None = None
    frames: list[Frame] = []
    sequence_files: list[S3Uri] = []
    for record in records:
        if not isinstance(record.value, dict):
            problems.add(f"line {record.line}", f"must be a JSON object; got {type(record.value).__name__}.")
            continue
        line_kind = ManifestKind.FRAME if "source-ref-metadata" in record.value else ManifestKind.SEQUENCE
        if kind is None:
            kind = line_kind
        elif line_kind is not kind:
            problems.add(
                f"line {record.line}",
                f"is a {line_kind} line but the manifest's first line is a {kind} line. A manifest lists either "
                "frames (with `source-ref-metadata`) or sequence files (`source-ref` only), not both.",
            )
            continue
        if line_kind is ManifestKind.FRAME:
            frame = _parse_frame_line(record, problems)
            if frame is not None:
                frames.append(frame)
        else:
            uri = _uri_field(record.value.get("source-ref"), record.line, "source-ref", problems, "a sequence file")
            if uri is not None:
                sequence_files.append(uri)
    problems.raise_if_any()
    assert kind is not None  # at least one record, and every record is an object
    return Manifest(name, kind, records, tuple(frames), tuple(sequence_files))


def parse_sequence_file(name: str, text: str) -> SequenceFile:
    """Return the validated sequence file in ``text`` (one JSON document); ``name`` is used in messages."""
    value = load_json_document(name, text)
    problems = _Problems(name)
    if not isinstance(value, dict):
        raise ManifestFormatError(
            f"{name} must be a JSON object with `seq-no`, `prefix`, `number-of-frames`, `frames`."
        )
    seq_no = value.get("seq-no")
    if not _is_int(seq_no):
        problems.add(_where(None, "seq-no"), f"must be an integer; got {_shorten(seq_no)}.")
    prefix = _prefix_field(value.get("prefix"), None, "prefix", problems)
    frames_value = value.get("frames")
    frames: list[Frame] = []
    if not isinstance(frames_value, list) or not frames_value:
        problems.add(_where(None, "frames"), f"must be a non-empty list of frames; got {_shorten(frames_value)}.")
        frames_value = []
    elif len(frames_value) > MAX_FRAMES_PER_SEQUENCE:
        problems.add(
            _where(None, "frames"),
            f"has {len(frames_value)} frames; Ground Truth allows at most {MAX_FRAMES_PER_SEQUENCE} per sequence. "
            "Split the sequence.",
        )
    count = value.get("number-of-frames")
    if not _is_int(count) or count != len(frames_value):
        problems.add(
            _where(None, "number-of-frames"),
            f"is {_shorten(count)} but `frames` has {len(frames_value)} entries; set it to {len(frames_value)}.",
        )
    previous: float | None = None
    for index, frame_value in enumerate(frames_value):
        here = f"frames[{index}]"
        if not isinstance(frame_value, dict):
            problems.add(_where(None, here), f"must be an object; got {_shorten(frame_value)}.")
            continue
        if not _is_int(frame_value.get("frame-no")):
            problems.add(
                _where(None, f"{here}.frame-no"), f"must be an integer; got {_shorten(frame_value.get('frame-no'))}."
            )
        timestamp = _timestamp(frame_value.get("unix-timestamp"), None, f"{here}.unix-timestamp", problems)
        if timestamp is not None:
            if previous is not None and timestamp <= previous:
                problems.add(
                    _where(None, f"{here}.unix-timestamp"),
                    f"is {timestamp!r}, not after the previous frame's {previous!r}. Timestamps must be distinct and "
                    "increasing: order the frames by capture time.",
                )
            previous = timestamp
        path = _relative_path(frame_value.get("frame"), None, f"{here}.frame", problems)
        point_format = _check_format(frame_value.get("format"), None, f"{here}.format", problems)
        image_prefix = prefix
        if "prefix" in frame_value:
            image_prefix = _prefix_field(frame_value["prefix"], None, f"{here}.prefix", problems)
        images = _parse_images(frame_value.get("images"), image_prefix, None, f"{here}.images", problems)
        if prefix is not None and path is not None and timestamp is not None:
            frames.append(Frame(prefix.join(path), timestamp, point_format, images))
    problems.raise_if_any()
    assert prefix is not None and isinstance(seq_no, int)  # guaranteed: any problem above has raised
    return SequenceFile(name, seq_no, prefix, tuple(frames), value)


def parse_label_category_config(name: str, text: str) -> LabelCategoryConfig:
    """Return the validated label category configuration in ``text`` (one JSON document)."""
    value = load_json_document(name, text)
    problems = _Problems(name)
    if not isinstance(value, dict):
        raise ManifestFormatError(f"{name} must be a JSON object with `documentVersion` and `labels`.")
    if value.get("documentVersion") != LABEL_CATEGORY_DOCUMENT_VERSION:
        problems.add(
            _where(None, "documentVersion"),
            f"must be {LABEL_CATEGORY_DOCUMENT_VERSION!r}; got {_shorten(value.get('documentVersion'))}.",
        )
    labels_value = value.get("labels")
    labels: list[str] = []
    if not isinstance(labels_value, list) or not MIN_LABELS <= len(labels_value) <= MAX_LABELS:
        size = len(labels_value) if isinstance(labels_value, list) else _shorten(labels_value)
        problems.add(_where(None, "labels"), f"must list {MIN_LABELS} to {MAX_LABELS} labels; got {size}.")
        labels_value = labels_value if isinstance(labels_value, list) else []
    for index, entry in enumerate(labels_value):
        label = entry.get("label") if isinstance(entry, dict) else None
        if not isinstance(label, str) or not 1 <= len(label) <= MAX_LABEL_LENGTH:
            problems.add(
                _where(None, f"labels[{index}].label"),
                f"must be a name of 1 to {MAX_LABEL_LENGTH} characters; got {_shorten(label)}.",
            )
        elif label in labels:
            problems.add(_where(None, f"labels[{index}].label"), f"{label!r} appears twice; labels must be unique.")
        else:
            labels.append(label)
    frame_attributes = value.get("frameAttributes", [])
    if not isinstance(frame_attributes, list) or len(frame_attributes) > MAX_FRAME_ATTRIBUTES:
        size = len(frame_attributes) if isinstance(frame_attributes, list) else _shorten(frame_attributes)
        problems.add(
            _where(None, "frameAttributes"), f"must be a list of at most {MAX_FRAME_ATTRIBUTES} attributes; got {size}."
        )
        frame_attributes = []
    for list_field in ("categoryGlobalAttributes",):
        if list_field in value and not isinstance(value[list_field], list):
            problems.add(_where(None, list_field), f"must be a list; got {_shorten(value[list_field])}.")
    audit = value.get("auditLabelAttributeName")
    if audit is not None and (not isinstance(audit, str) or not audit):
        problems.add(
            _where(None, "auditLabelAttributeName"),
            f"must be the label attribute name of the job being adjusted; got {_shorten(audit)}.",
        )
        audit = None
    problems.raise_if_any()
    return LabelCategoryConfig(name, tuple(labels), len(frame_attributes), audit, value)


def check_task_fit(
    task: TaskType,
    manifest: Manifest,
    categories: LabelCategoryConfig,
    *,
    label_attribute_name: str | None = None,
) -> None:
    """Raise ``ManifestFormatError`` when the manifest or label categories cannot work for ``task``.

    Tracking needs a sequence manifest and the other tasks a frame manifest; adjustment jobs need
    ``auditLabelAttributeName``, every manifest line must carry the labels under that attribute, and the new job's
    ``label_attribute_name`` (when given) must differ from it.
    """
    wanted = ManifestKind.SEQUENCE if task.uses_sequences else ManifestKind.FRAME
    if manifest.kind is not wanted:
        raise ManifestFormatError(
            f"{manifest.name} is a {manifest.kind} manifest but {task.name} needs a {wanted} manifest "
            f"({'one sequence file per line' if task.uses_sequences else 'one frame per line'}). "
            "Use the matching manifest or task type."
        )
    if not task.is_adjustment:
        return
    audit = categories.audit_label_attribute_name
    if audit is None:
        raise ManifestFormatError(
            f"{categories.name} has no `auditLabelAttributeName`, which {task.name} requires. Set it to the label "
            "attribute name of the labeling job whose labels are being adjusted."
        )
    if label_attribute_name == audit:
        raise InvalidRequestError(
            f"The adjustment job's label attribute {audit!r} is the `auditLabelAttributeName` of {categories.name}, "
            "the attribute holding the labels being adjusted; Ground Truth needs a new one. Choose another job_name "
            "(the label attribute is derived from it)."
        )
    problems = _Problems(manifest.name)
    for record in manifest.records:
        if audit not in record.value:
            problems.add(
                f"line {record.line}",
                f"has no `{audit}` attribute (the `auditLabelAttributeName` in {categories.name}). Use the output "
                "manifest of the job being adjusted, or fix `auditLabelAttributeName`.",
            )
    problems.raise_if_any()
