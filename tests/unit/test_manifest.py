"""Unit tests for gt3d_core.manifest: locations, parsing, validation, references and the structural rewrite."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fixtures import DEMO_BUCKET, DEMO_INPUTS, DEMO_PREFIX, EXPECTED_CLOSURE, SEQUENCE_KEY, demo_text

from gt3d_core.adjustment import check_task_fit
from gt3d_core.catalog import task_type
from gt3d_core.errors import InvalidRequestError, ManifestFormatError
from gt3d_core.findings import MAX_REPORTED_PROBLEMS
from gt3d_core.json_text import (
    decode_json_bytes,
    iter_uri_values,
    load_json_document,
    load_json_lines,
    load_json_text,
)
from gt3d_core.label_categories import parse_label_category_config
from gt3d_core.manifest import Manifest, ManifestKind, parse_manifest
from gt3d_core.rewrite import rewrite_json_text, rewrite_uri
from gt3d_core.s3_location import S3Location, S3Uri
from gt3d_core.sequence_file import parse_sequence_file

SOURCE = S3Location(DEMO_BUCKET, DEMO_PREFIX)
TARGET = S3Location("my-labeling-bucket", "exp1/input/")
FRAMES = f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}frames/"


def demo_uri(relative: str) -> S3Uri:
    return SOURCE.uri(relative)


def frame_line(**metadata: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"unix-timestamp": 1566861644.759115, "format": "binary/xyzi", "prefix": FRAMES}
    base.update(metadata)
    return {"source-ref": FRAMES + "0.bin", "source-ref-metadata": {k: v for k, v in base.items() if v is not None}}


def sequence_doc(frames: list[dict[str, Any]] | None = None, **overrides: Any) -> dict[str, Any]:
    frames = (
        frames
        if frames is not None
        else [{"frame-no": i, "unix-timestamp": 10.0 + i, "frame": f"{i}.bin"} for i in range(3)]
    )
    doc: dict[str, Any] = {"seq-no": 1, "prefix": FRAMES, "number-of-frames": len(frames), "frames": frames}
    doc.update(overrides)
    return doc


def label_doc(**overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"documentVersion": "2020-03-01", "labels": [{"label": "Car"}, {"label": "Pedestrian"}]}
    doc.update(overrides)
    return {k: v for k, v in doc.items() if v is not None}


# ------------------------------------------------------------------------------------------------ S3 URIs


@pytest.mark.parametrize(
    ("text", "bucket", "key"),
    [
        ("s3://aws-ml-blog/artifacts/x.json", "aws-ml-blog", "artifacts/x.json"),
        ("s3://aws-ml-blog/", "aws-ml-blog", ""),
        ("s3://aws-ml-blog", "aws-ml-blog", ""),
        ("s3://a.b-c/dir/with space/ü.bin", "a.b-c", "dir/with space/ü.bin"),
    ],
)
def test_given_s3_uri_text_when_parsed_then_bucket_and_key_are_split(text: str, bucket: str, key: str) -> None:
    uri = S3Uri.parse(text)
    assert (uri.bucket, uri.key) == (bucket, key)


@pytest.mark.parametrize(
    "text",
    [
        "https://aws-ml-blog.s3.amazonaws.com/x",
        "S3://aws-ml-blog/x",
        "s3:/aws-ml-blog/x",
        "aws-ml-blog/x",
        "s3://Aws-Ml-Blog/x",
        "s3://ab/x",
        "s3://under_score/x",
        "s3://a..b/x",
        "s3://-leading/x",
        "s3:///x",
        "s3://aws-ml-blog/line\nbreak",
        "see s3://aws-ml-blog/x",
    ],
)
def test_given_text_that_is_not_a_strict_s3_uri_when_parsed_then_it_is_rejected(text: str) -> None:
    assert S3Uri.try_parse(text) is None
    with pytest.raises(ValueError, match=r"s3|bucket|key"):
        S3Uri.parse(text)


def test_given_a_prefix_uri_when_joined_with_a_relative_path_then_keys_concatenate_like_ground_truth() -> None:
    prefix = S3Uri.parse(FRAMES)
    assert prefix.is_prefix
    assert str(prefix.join("images/a.jpg")) == FRAMES + "images/a.jpg"
    assert not prefix.join("images/a.jpg").is_prefix


@pytest.mark.parametrize("prefix", ["no-slash", "/abs/", "a\tb/"])
def test_given_malformed_prefix_when_location_built_then_value_error(prefix: str) -> None:
    with pytest.raises(ValueError, match="prefix"):
        S3Location("bucket-name", prefix)


def test_given_source_location_when_asked_about_similar_buckets_and_keys_then_only_exact_bucket_and_prefix_match() -> (
    None
):
    assert SOURCE.contains(S3Uri.parse(f"s3://aws-ml-blog/{DEMO_PREFIX}frames/0.txt"))
    assert SOURCE.contains(S3Uri.parse(f"s3://aws-ml-blog/{DEMO_PREFIX}"))
    assert not SOURCE.contains(S3Uri.parse(f"s3://aws-ml-blog-archive/{DEMO_PREFIX}frames/0.txt"))
    assert not SOURCE.contains(S3Uri.parse("s3://aws-ml-blog/artifacts/gt-point-cloud-demos"))
    assert not SOURCE.contains(S3Uri.parse("s3://aws-ml-blog/artifacts/other/0.txt"))


@pytest.mark.parametrize(
    ("other", "overlaps"),
    [
        (S3Location("aws-ml-blog", "artifacts/"), True),
        (S3Location("aws-ml-blog", DEMO_PREFIX + "copy/"), True),
        (S3Location("aws-ml-blog", ""), True),
        (S3Location("aws-ml-blog", "artifacts/gt-point-cloud-demos-copy/"), False),
        (S3Location("aws-ml-blog-archive", DEMO_PREFIX), False),
    ],
)
def test_given_two_locations_when_compared_then_overlap_means_one_inside_the_other(
    other: S3Location, overlaps: bool
) -> None:
    assert SOURCE.overlaps(other) is overlaps
    assert other.overlaps(SOURCE) is overlaps


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "`source` must be an object"),
        ({"bucket": 3, "prefix": ""}, "must be strings"),
        ({"bucket": "Bad_Bucket", "prefix": ""}, "not a valid S3 bucket name"),
        ({"bucket": "good-bucket", "prefix": "no-slash"}, "must be empty or end in '/'"),
    ],
)
def test_given_bad_location_in_event_when_parsed_then_invalid_request_names_the_field(value: Any, message: str) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        S3Location.from_event(value, "source")


def test_given_location_in_event_without_prefix_when_parsed_then_prefix_defaults_to_bucket_root() -> None:
    assert S3Location.from_event({"bucket": "good-bucket"}, "target") == S3Location("good-bucket", "")


# ---------------------------------------------------------------------------------------------- JSON text


def test_given_json_lines_with_a_broken_third_line_when_loaded_then_error_names_file_and_line() -> None:
    text = '{"a": 1}\n{"b": 2}\n{"c": \n{"d": 4}\n'
    with pytest.raises(ManifestFormatError, match=r"^m\.json line 3: not valid JSON .*JSON Lines"):
        load_json_lines("m.json", text)


def test_given_json_lines_with_blank_lines_crlf_and_bom_when_loaded_then_records_keep_their_line_numbers() -> None:
    text = '\ufeff{"a": 1}\r\n\r\n{"b": 2}\n'
    assert [(r.line, r.value) for r in load_json_lines("m", text)] == [(1, {"a": 1}), (3, {"b": 2})]


def test_given_raw_line_separator_inside_a_string_when_loaded_then_the_line_is_not_split() -> None:
    text = '{"a": "x\u2028y\x85z"}\n{"b": 2}\n'
    assert [r.value for r in load_json_lines("m", text)] == [{"a": "x\u2028y\x85z"}, {"b": 2}]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_given_nonstandard_constant_when_loaded_then_rejected_with_line(constant: str) -> None:
    with pytest.raises(ManifestFormatError, match=f"m line 2: {constant} is not valid JSON"):
        load_json_lines("m", f'{{"a": 1}}\n{{"b": {constant}}}\n')


def test_given_pretty_printed_document_with_error_when_loaded_then_error_names_line_and_column() -> None:
    text = '{\n  "a": 1,\n  "b": [1, 2,,]\n}\n'
    with pytest.raises(ManifestFormatError, match=r"^seq\.json line 3, column 14: not valid JSON"):
        load_json_document("seq.json", text)
    with pytest.raises(ManifestFormatError, match=r"^seq\.json line 3, column 14"):
        load_json_text("seq.json", text)


def test_given_either_format_when_loaded_as_json_text_then_format_is_detected() -> None:
    assert [r.value for r in load_json_text("d", '{\n "a": [1,\n 2]\n}\n')] == [{"a": [1, 2]}]
    assert [r.value for r in load_json_text("l", '{"a": 1}\n{"a": 2}\n')] == [{"a": 1}, {"a": 2}]
    with pytest.raises(ManifestFormatError, match=r"^l line 2: not valid JSON"):
        load_json_text("l", '{"a": 1}\n{"a": 2\n')


def test_given_non_utf8_bytes_when_decoded_then_error_says_to_save_as_utf8() -> None:
    with pytest.raises(ManifestFormatError, match=r"k\.json is not UTF-8 text \(invalid byte at offset 2\)"):
        decode_json_bytes("k.json", b'{"\xff": 1}')


def test_given_json_lines_with_line_separators_in_strings_when_rewritten_then_lines_and_values_are_kept() -> None:
    records = [
        {"source-ref": "s3://aws-ml-blog/artifacts/gt-point-cloud-demos/frames/0.txt", "note": "x\u2028y"},
        {"b": [1, {"c": None}], "t": 1566861644.759115},
    ]
    text = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)

    result = rewrite_json_text("m", text, SOURCE, TARGET)

    assert result.text.count("\n") == 2
    assert [r.value for r in load_json_lines("m", result.text)] == [
        {"source-ref": "s3://my-labeling-bucket/exp1/input/frames/0.txt", "note": "x\u2028y"},
        records[1],
    ]


def test_given_nested_json_when_uris_listed_then_only_values_are_found_in_document_order() -> None:
    value = {"s3://aws-ml-blog/key-not-value": "x", "a": ["s3://b-1/one", {"b": "s3://b-2/two"}], "c": "s3 :// no"}
    assert [str(u) for u in iter_uri_values(value)] == ["s3://b-1/one", "s3://b-2/two"]


# ------------------------------------------------------------------------------------------ demo fixtures


TASK_BY_MANIFEST = {manifest: task_type(name) for name, (manifest, _) in DEMO_INPUTS.items()}
CATEGORIES_BY_MANIFEST = dict(DEMO_INPUTS.values())


def demo_manifest(manifest_key: str) -> Manifest:
    return parse_manifest(manifest_key, demo_text(manifest_key), TASK_BY_MANIFEST[manifest_key])


@pytest.mark.parametrize("manifest_key", sorted(EXPECTED_CLOSURE))
def test_given_demo_manifest_when_parsed_then_it_references_exactly_the_expected_objects(manifest_key: str) -> None:
    manifest = demo_manifest(manifest_key)
    categories_key = CATEGORIES_BY_MANIFEST[manifest_key]
    categories = parse_label_category_config(categories_key, demo_text(categories_key))
    json_files, objects = EXPECTED_CLOSURE[manifest_key]
    references = manifest.references(categories.audit_label_attribute_name)
    if json_files:
        # sequence manifest: the manifest names the sequence file, the sequence file names the frames/images
        sequence = parse_sequence_file(SEQUENCE_KEY, demo_text(SEQUENCE_KEY))
        references = references | sequence.references()
    assert references.sequence_files == {demo_uri(k) for k in json_files}
    assert references.required == {demo_uri(k) for k in objects}
    assert references.optional == frozenset()


def test_given_demo_sequence_file_when_parsed_then_ten_frames_with_images_under_the_prefix() -> None:
    sequence = parse_sequence_file(SEQUENCE_KEY, demo_text(SEQUENCE_KEY))
    assert sequence.seq_no == 1
    assert len(sequence.frames) == 10
    assert sequence.frames[3].images == (S3Uri.parse(FRAMES + "images/frame_3_camera_0.jpg"),)
    assert {frame.point_cloud.uri for frame in sequence.frames} == {S3Uri.parse(FRAMES + "0.txt")}
    assert [f.unix_timestamp for f in sequence.frames] == sorted({f.unix_timestamp for f in sequence.frames})
    assert sequence.warnings == ()


def test_given_demo_frame_manifest_when_parsed_then_kind_frame_point_cloud_format_and_sensor_fusion_image() -> None:
    manifest = demo_manifest("manifests/SingleFrame-manifest.json")
    assert manifest.kind is ManifestKind.FRAME
    assert manifest.lines == 1
    (point_cloud,) = manifest.point_clouds
    assert point_cloud.format == "text/xyzi"
    assert manifest.data_objects == {point_cloud.uri, S3Uri.parse(FRAMES + "images/frame_0_camera_0.jpg")}
    assert manifest.warnings == ()


@pytest.mark.parametrize("task_name", sorted(DEMO_INPUTS))
def test_given_demo_inputs_for_each_task_type_when_checked_then_they_fit(task_name: str) -> None:
    manifest_key, categories_key = DEMO_INPUTS[task_name]
    task = task_type(task_name)
    manifest = demo_manifest(manifest_key)
    categories = parse_label_category_config(categories_key, demo_text(categories_key))
    warnings = check_task_fit(task, manifest, categories, label_attribute_name=task.label_attribute_name("new-job"))
    assert (categories.audit_label_attribute_name is not None) is task.is_adjustment
    # Accepted with warnings: the fixture's adjustment adds labels the audited job's class-map lacks (one page allows
    # it), and segmentation ignores the shared label file's category attributes.
    assert all("[ADJ-SAME-LABELS]" in warning or "[LCC-SS-NO-CATEGORY-ATTRS]" in warning for warning in warnings)


def test_given_many_bad_lines_when_parsed_then_count_and_first_problems_reported() -> None:
    line = json.dumps(frame_line(format="bad"))
    with pytest.raises(ManifestFormatError) as caught:
        parse_manifest("m.json", f"{line}\n" * 25, task_type("3DPointCloudObjectDetection"))
    error = str(caught.value)
    assert error.startswith(f"m.json has 25 problems; the first {MAX_REPORTED_PROBLEMS} are:")
    assert "line 20, field" in error
    assert "line 21, field" not in error


# ------------------------------------------------------------------------------------------------ rewrite


def test_given_demo_adjustment_manifest_when_rewritten_then_every_source_uri_moves_and_nothing_else_changes() -> None:
    text = demo_text("manifests/OT-adjustment-manifest.json")
    result = rewrite_json_text("m", text, SOURCE, TARGET)
    assert result.uris == 2
    (line,) = load_json_lines("m", result.text)
    assert line.value["source-ref"] == "s3://my-labeling-bucket/exp1/input/sequences/seq1.json"
    assert line.value["gt-point-cloud-demo-ot-ref"].startswith("s3://my-labeling-bucket/exp1/input/output/")
    original = load_json_lines("m", text)[0].value
    assert line.value["gt-point-cloud-demo-ot-ref-metadata"] == original["gt-point-cloud-demo-ot-ref-metadata"]
    assert list(line.value) == list(original)


def test_given_sequence_file_when_rewritten_then_prefix_moves_and_layout_is_byte_identical_elsewhere() -> None:
    text = demo_text(SEQUENCE_KEY)
    result = rewrite_json_text("seq", text, SOURCE, TARGET)
    assert result.uris == 1
    assert result.text == text.replace(FRAMES, "s3://my-labeling-bucket/exp1/input/frames/")
    assert parse_sequence_file("seq", result.text).prefix == S3Uri.parse("s3://my-labeling-bucket/exp1/input/frames/")


def test_given_lookalike_uris_when_rewritten_then_only_exact_source_location_values_move() -> None:
    doc = {
        "moved": f"s3://aws-ml-blog/{DEMO_PREFIX}frames/0.txt",
        "root": f"s3://aws-ml-blog/{DEMO_PREFIX}",
        "archive": f"s3://aws-ml-blog-archive/{DEMO_PREFIX}frames/0.txt",
        "outside-prefix": "s3://aws-ml-blog/artifacts/other/0.txt",
        "no-trailing-slash": "s3://aws-ml-blog/artifacts/gt-point-cloud-demos",
        "relative": "frames/0.txt",
        "prose": f"copied from s3://aws-ml-blog/{DEMO_PREFIX}frames/0.txt",
        "upper": f"S3://aws-ml-blog/{DEMO_PREFIX}frames/0.txt",
        f"s3://aws-ml-blog/{DEMO_PREFIX}as-key": 1,
    }
    result = rewrite_json_text("d", json.dumps(doc, indent=2), SOURCE, TARGET)
    rewritten = json.loads(result.text)
    assert result.uris == 2
    assert rewritten["moved"] == "s3://my-labeling-bucket/exp1/input/frames/0.txt"
    assert rewritten["root"] == "s3://my-labeling-bucket/exp1/input/"
    assert {k: v for k, v in rewritten.items() if k not in {"moved", "root"}} == {
        k: v for k, v in doc.items() if k not in {"moved", "root"}
    }


def test_given_escaped_slashes_and_unicode_escapes_when_rewritten_then_decoded_value_is_matched() -> None:
    text = '{"a": "s3:\\/\\/aws-ml-blog\\/artifacts\\/gt-point-cloud-demos\\/f\\u00fc.bin", "b": "caf\\u00e9"}\n'
    result = rewrite_json_text("m", text, SOURCE, TARGET)
    assert result.uris == 1
    assert json.loads(result.text) == {"a": "s3://my-labeling-bucket/exp1/input/fü.bin", "b": "café"}
    assert result.text.isascii()


def test_given_json_lines_when_rewritten_twice_then_one_object_per_line_and_second_pass_changes_nothing() -> None:
    text = demo_text("manifests/SS-audit-manifest-5-17.json") * 3
    first = rewrite_json_text("m", text, SOURCE, TARGET)
    assert first.uris == 3 * 3  # source-ref, prefix and prior output, on each line
    assert first.text.count("\n") == text.count("\n")
    second = rewrite_json_text("m", first.text, SOURCE, TARGET)
    assert (second.uris, second.text) == (0, first.text)


def test_given_whole_bucket_source_when_rewritten_then_every_uri_in_that_bucket_moves() -> None:
    result = rewrite_json_text(
        "d", '{"a": "s3://aws-ml-blog/x/y.bin"}', S3Location("aws-ml-blog", ""), S3Location("dest-bucket", "in/")
    )
    assert json.loads(result.text) == {"a": "s3://dest-bucket/in/x/y.bin"}


def test_given_invalid_json_line_when_rewritten_then_error_names_key_and_line_and_nothing_is_returned() -> None:
    with pytest.raises(ManifestFormatError, match=r"^input/m\.json line 2: not valid JSON"):
        rewrite_json_text("input/m.json", '{"a": "s3://aws-ml-blog/x"}\n{"a": \n', SOURCE, TARGET)


def test_given_overlapping_target_when_rewriting_then_invalid_request() -> None:
    with pytest.raises(InvalidRequestError, match="overlaps the source location"):
        rewrite_json_text("m", "{}", SOURCE, S3Location("aws-ml-blog", DEMO_PREFIX + "input/"))


def test_given_a_key_that_would_outgrow_s3s_limit_under_the_target_when_rewritten_then_error_says_shorten_prefix() -> (
    None
):
    long_key = DEMO_PREFIX + "k" * (1024 - len(DEMO_PREFIX))
    with pytest.raises(ManifestFormatError, match=r"would be longer than S3 allows .* Use a shorter target prefix"):
        rewrite_json_text(
            "m", json.dumps({"a": f"s3://aws-ml-blog/{long_key}"}), SOURCE, S3Location("dest-bucket", "x" * 40 + "/")
        )


def test_given_single_uri_when_rewrite_uri_called_then_relative_key_is_kept() -> None:
    assert rewrite_uri(f"s3://aws-ml-blog/{DEMO_PREFIX}a/b c.bin", SOURCE, TARGET) == (
        "s3://my-labeling-bucket/exp1/input/a/b c.bin"
    )
    assert rewrite_uri("s3://aws-ml-blog-archive/x", SOURCE, TARGET) is None
