"""Unit tests for the streamed manifest parse (gt3d_core.manifest.parse_manifest_stream): the same result as the
whole-text parse for any chunking, errors that name the file's line and offset, the adjustment facts gathered as
lines pass, and peak memory that does not grow with the manifest."""

from __future__ import annotations

import json
import sys
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
from fixtures import DEMO_INPUTS, demo_text

from gt3d_core.adjustment import check_task_fit
from gt3d_core.catalog import task_type
from gt3d_core.errors import ManifestFormatError
from gt3d_core.label_categories import parse_label_category_config
from gt3d_core.manifest import MAX_MANIFEST_LINES, Manifest, parse_manifest, parse_manifest_stream
from gt3d_core.references import References
from gt3d_core.s3_location import S3Uri

OD = task_type("3DPointCloudObjectDetection")
OD_ADJ = task_type("Adjustment3DPointCloudObjectDetection")
OT = task_type("3DPointCloudObjectTracking")
FRAMES = "s3://source-bucket/data/frames/"
MiB = 1024 * 1024
DOWNLOAD_CHUNK = 64 * 1024
PARSE_OVERHEAD = MiB
"""What the parse may hold beyond its references: a few chunks (the one arriving, the one being split into lines, its
run of whole lines), then one line and its validation."""

_IMAGE = (
    '{"image-path": "images/%(line)d_cam%(camera)d.jpg", "unix-timestamp": 1566861644.75, "fx": 847.7, "fy": 850.0, '
    '"cx": 576.2, "cy": 317.2, "position": {"x": -2.27, "y": 116.86, "z": 1.45}, '
    '"heading": {"qx": 0.759, "qy": 0.021, "qz": -0.024, "qw": -0.649}, "camera-model": "pinhole"}'
)
_FRAME_LINE = (
    '{"source-ref": "' + FRAMES + '%(line)d.bin", "source-ref-metadata": {"format": "binary/xyzi", '
    '"unix-timestamp": 1566861644.75, "ego-vehicle-pose": {"position": {"x": 0.0, "y": 0.0, "z": 0.0}, '
    '"heading": {"qx": 0.0, "qy": 0.0, "qz": 0.0, "qw": 1.0}}, "prefix": "' + FRAMES + '", "images": [%(images)s]}}\n'
)


def frame_line(line: int) -> bytes:
    """One frame line of about 2.5 KB: a point cloud and 8 camera images of its own."""
    images = ", ".join(_IMAGE % {"line": line, "camera": camera} for camera in range(8))
    return (_FRAME_LINE % {"line": line, "images": images}).encode()


def frame_manifest_chunks(lines: int) -> Iterator[bytes]:
    """Yield a ``lines``-line frame manifest in download-sized chunks that cut lines anywhere, made as it is read."""
    pending = bytearray()
    for line in range(lines):
        pending += frame_line(line)
        if len(pending) >= DOWNLOAD_CHUNK:
            yield bytes(memoryview(pending)[:DOWNLOAD_CHUNK])
            del pending[:DOWNLOAD_CHUNK]
    yield bytes(pending)


def cut(data: bytes, size: int) -> list[bytes]:
    return [data[start : start + size] for start in range(0, len(data), size)]


def jsonl(*lines: Any) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def streamed_parse_peak(lines: int) -> tuple[int, References]:
    """Parse a ``lines``-line manifest as it streams; return the peak traced memory beyond the references it
    returns (all that is left once the manifest is dropped), and those references."""
    tracemalloc.start()
    try:
        references = parse_manifest_stream("m.json", frame_manifest_chunks(lines), OD).references()
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - kept, references


# ------------------------------------------------------------------------------------------------- memory


@pytest.mark.parametrize("lines", [200, 2_000])
def test_given_a_frame_manifest_streamed_when_parsed_then_peak_memory_beyond_its_references_does_not_grow(
    lines: int,
) -> None:
    # The references grow with the dataset (about 200 bytes each); building them may copy their hash tables once
    # (a set becomes a frozenset). Everything else must fit in a constant: not the text (about 2.5 KB a line)
    # nor the parsed lines (several times that), as when the whole manifest was read and parsed at once.
    extra, references = streamed_parse_peak(lines)

    assert len(references.required) == 9 * lines  # each line's point cloud and 8 images
    table_copy = sys.getsizeof(references.required) + sys.getsizeof(references.point_clouds)
    assert extra <= PARSE_OVERHEAD + table_copy, f"{extra / MiB:.1f} MiB beyond the references"


# --------------------------------------------------------------------------------------- same as whole text


def summary(manifest: Manifest, audit: str | None) -> tuple[Any, ...]:
    """What the copy step reads of a manifest: its references, warnings and the audited attribute's facts."""
    facts = () if audit is None else (manifest.attributes.lacking(audit), manifest.attributes.labels(audit))
    return manifest.kind, manifest.lines, manifest.references(audit), manifest.warnings, facts


@pytest.mark.parametrize("chunk_size", [1, 5, 64, MiB])
@pytest.mark.parametrize("task_name", sorted(DEMO_INPUTS))
def test_given_demo_manifest_in_chunks_of_any_size_when_streamed_then_it_parses_as_the_whole_text(
    task_name: str, chunk_size: int
) -> None:
    manifest_key, categories_key = DEMO_INPUTS[task_name]
    text = demo_text(manifest_key)
    audit = parse_label_category_config(categories_key, demo_text(categories_key)).audit_label_attribute_name
    whole = parse_manifest(manifest_key, text, task_type(task_name))

    streamed = parse_manifest_stream(manifest_key, cut(text.encode(), chunk_size), task_type(task_name))

    assert summary(streamed, audit) == summary(whole, audit)


def test_given_bom_crlf_and_blank_lines_in_chunks_when_streamed_then_lines_keep_their_numbers() -> None:
    data = b"\xef\xbb\xbf\r\n" + jsonl({"source-ref": FRAMES + "0.bin"}).replace(b"\n", b"\r\n") + b"\n  \n[1]\n"

    with pytest.raises(ManifestFormatError, match=r"^m\.json line 5: must be a JSON object; got list"):
        parse_manifest_stream("m.json", cut(data, 2), OT)


def test_given_a_byte_that_is_not_utf8_in_a_later_chunk_when_streamed_then_its_offset_in_the_file_is_named() -> None:
    data = b"\xef\xbb\xbf" + jsonl({"source-ref": FRAMES + "0.bin"}) + b'{"source-ref": "\xff"}\n'
    offset = data.index(b"\xff")

    with pytest.raises(ManifestFormatError, match=rf"^m\.json is not UTF-8 text \(invalid byte at offset {offset}\)"):
        parse_manifest_stream("m.json", cut(data, 4), OT)


def test_given_one_line_too_many_when_streamed_then_it_fails_before_reading_on() -> None:
    line = jsonl({"source-ref": FRAMES + "seq.json"})

    def chunks() -> Iterator[bytes]:
        yield line * (MAX_MANIFEST_LINES + 1)
        pytest.fail("the parse read past the line that broke the limit")

    with pytest.raises(ManifestFormatError, match=r"has more than 100,000 lines; .*\[MANIFEST-MAX-LINES\]"):
        parse_manifest_stream("m.json", chunks(), OT)


def test_given_every_line_of_the_other_shape_when_streamed_then_the_shape_is_refused_not_each_line() -> None:
    frame = {"source-ref": FRAMES + "0.bin", "source-ref-metadata": {"unix-timestamp": 1.0}}

    with pytest.raises(ManifestFormatError, match=r"^m\.json is a frame manifest but 3DPointCloudObjectTracking"):
        parse_manifest_stream("m.json", [jsonl(frame, [1], frame)], OT)


# ------------------------------------------------------------------------------------ adjustment facts


AUDIT = "prior-ref"
AUDITING_CATEGORIES = json.dumps({"labels": [{"label": "Car"}], "auditLabelAttributeName": AUDIT})


def adjustment_line(line: int, labels: tuple[str, ...] = ()) -> dict[str, Any]:
    """A frame line; with ``labels``, also the audited job's output (a URI) and its class map."""
    value: dict[str, Any] = {"source-ref": FRAMES + f"{line}.bin", "source-ref-metadata": {"unix-timestamp": 1.0}}
    if labels:
        value[AUDIT] = FRAMES + f"out/{line}.json"
        value[f"{AUDIT}-metadata"] = {"class-map": dict(enumerate(labels))}
    return value


def test_given_audited_labels_on_late_lines_when_streamed_then_lacking_lines_labels_and_audited_uris_are_kept() -> None:
    lines = [adjustment_line(line, ("Car", f"Class{line}") if line >= 14 else ()) for line in range(1, 16)]

    manifest = parse_manifest_stream("m.json", cut(jsonl(*lines), 100), OD_ADJ)

    assert manifest.attributes.lacking(AUDIT).count == 13
    assert manifest.attributes.labels(AUDIT) == {"Car", "Class14", "Class15"}
    references = manifest.references(AUDIT)
    audited = {S3Uri.parse(FRAMES + "out/14.json"), S3Uri.parse(FRAMES + "out/15.json")}
    assert audited <= references.required
    assert not audited & references.optional
    with pytest.raises(ManifestFormatError, match=r"lacks 'Class14', 'Class15', .*\[ADJ-SAME-LABELS\]"):
        check_task_fit(
            OD_ADJ, manifest, parse_label_category_config("l.json", AUDITING_CATEGORIES), label_attribute_name="new-ref"
        )


def test_given_more_lacking_lines_than_listed_when_checked_then_the_first_ten_and_the_count_are_named() -> None:
    lines = [adjustment_line(line, ("Car",) if line == 12 else ()) for line in range(1, 16)]
    manifest = parse_manifest_stream("m.json", [jsonl(*lines)], OD_ADJ)
    categories = parse_label_category_config("l.json", AUDITING_CATEGORIES)

    (warning,) = check_task_fit(OD_ADJ, manifest, categories, label_attribute_name="new-ref")

    assert warning.startswith("m.json line(s) 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 and 4 more: 14 of 15 lines have no")
