"""copy_data against moto S3: real objects, real server-side copies, real ETags."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import copy_data
import pytest
import s3_objects
from aws_lambda_powertools.utilities.typing import LambdaContext
from boto3.s3.transfer import TransferConfig
from botocore.awsrequest import AWSResponse, HTTPHeaders
from botocore.exceptions import ClientError
from fixtures import (
    DEMO_BUCKET,
    DEMO_INPUTS,
    DEMO_PREFIX,
    EXPECTED_CLOSURE,
    FRAME_KEY,
    IMAGE_KEYS,
    SEQUENCE_KEY,
    demo_json_files,
    upload_demo,
)
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.s3.models import s3_backends

from gt3d_core.catalog import task_type
from gt3d_core.copy_layout import WORK_DIRECTORY
from gt3d_core.errors import AwsTransientError, InvalidRequestError, ManifestFormatError, MissingObjectsError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

TARGET_BUCKET = "gt3d-labeling-bucket"
TARGET_PREFIX = "demo-exp/input/"
EXECUTION = "exec-1"
WORK_PREFIX = f"{TARGET_PREFIX}{WORK_DIRECTORY}"
LABELS_KEY = "label-category-config/label-category.json"
FRAME_TASK = "3DPointCloudObjectDetection"
Snapshot = Callable[["S3Client", str], dict[str, dict[str, Any]]]


@pytest.fixture
def s3(s3_client: S3Client, make_bucket: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> S3Client:
    """Empty source and target buckets; the handler uses this moto client."""
    make_bucket(DEMO_BUCKET)
    make_bucket(TARGET_BUCKET)
    monkeypatch.setattr(copy_data, "_s3_client", lambda: s3_client)
    return s3_client


@pytest.fixture
def demo(s3: S3Client) -> S3Client:
    """The full demo data set at the source location."""
    upload_demo(s3, DEMO_BUCKET)
    return s3


def make_event(task_name: str = "3DPointCloudObjectTracking", **overrides: Any) -> dict[str, Any]:
    manifest, categories = DEMO_INPUTS[task_name]
    event: dict[str, Any] = {
        "task_type": task_name,
        "label_attribute_name": task_type(task_name).label_attribute_name("new-job-7"),
        "execution_name": EXECUTION,
        "source": {"bucket": DEMO_BUCKET, "prefix": DEMO_PREFIX},
        "target": {"bucket": TARGET_BUCKET, "prefix": TARGET_PREFIX},
        "manifest": manifest,
        "label_category_config": categories,
    }
    event.update(overrides)
    return event


def frame_event() -> dict[str, Any]:
    """The event for an object detection job over the test's own ``m.json`` and ``l.json``."""
    return make_event(FRAME_TASK, manifest="m.json", label_category_config="l.json")


def target_keys(s3: S3Client) -> set[str]:
    """The data at the target (the copy's own lists, under the work location, aside)."""
    return {
        entry["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=TARGET_BUCKET)
        for entry in page.get("Contents", [])
        if not entry["Key"].startswith(WORK_PREFIX)
    }


def listed_json_keys(s3: S3Client, result: dict[str, Any]) -> list[str]:
    """The JSON files the copy listed for the rewrite (the list is in S3; the result says where)."""
    location = result["json_keys"]
    keys: list[str] = json.loads(s3.get_object(Bucket=location["bucket"], Key=location["key"])["Body"].read())
    return keys


def data_snapshot(snapshot: Snapshot, s3: S3Client) -> dict[str, dict[str, Any]]:
    return {key: value for key, value in snapshot(s3, TARGET_BUCKET).items() if not key.startswith(WORK_PREFIX)}


def expected_relative_keys(task_name: str) -> set[str]:
    manifest, categories = DEMO_INPUTS[task_name]
    json_files, objects = EXPECTED_CLOSURE[manifest]
    return {manifest, categories, *json_files, *objects}


def body(s3: S3Client, bucket: str, key: str) -> bytes:
    return s3.get_object(Bucket=bucket, Key=key)["Body"].read()


def _jsonl(lines: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def put_manifest(s3: S3Client, relative_key: str, lines: list[dict[str, Any]]) -> None:
    s3.put_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + relative_key, Body=_jsonl(lines))


def put_frames_dataset(s3: S3Client, frames: int) -> list[str]:
    """Put ``frames`` point clouds, a frame manifest ``m.json`` naming them and ``l.json``; return their keys."""
    keys = [f"frames/{index:03d}.bin" for index in range(frames)]
    put_manifest(s3, "m.json", [frame_line(f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}{key}") for key in keys])
    s3.put_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + "l.json", Body=demo_json_files()[LABELS_KEY])
    for key in keys:
        s3.put_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + key, Body=key.encode())
    return keys


def frame_line(point_cloud: str, **extra: Any) -> dict[str, Any]:
    # Text format: the stand-in bodies are not packed binary points (POINT-CLOUD-BINARY-SIZE).
    metadata = {"unix-timestamp": 1566861644.759115, "format": "text/xyzi"}
    return {"source-ref": point_cloud, "source-ref-metadata": metadata, **extra}


# --------------------------------------------------------------------------------------------- happy path


@pytest.mark.parametrize("task_name", sorted(DEMO_INPUTS))
def test_given_demo_inputs_when_copied_then_exactly_the_transitive_closure_lands_at_the_same_relative_keys(
    demo: S3Client, lambda_context: LambdaContext, task_name: str
) -> None:
    result = copy_data.handler(make_event(task_name, task_type=task_name), lambda_context)

    expected = expected_relative_keys(task_name)
    assert target_keys(demo) == {TARGET_PREFIX + key for key in expected}
    for key in expected:
        assert body(demo, TARGET_BUCKET, TARGET_PREFIX + key) == body(demo, DEMO_BUCKET, DEMO_PREFIX + key)
    assert result["copied"] == len(expected)
    assert result["skipped"] == 0
    assert result["bytes"] == sum(
        demo.head_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + key)["ContentLength"] for key in expected
    )
    manifest, categories = DEMO_INPUTS[task_name]
    sequences = EXPECTED_CLOSURE[manifest][0]
    assert sorted(listed_json_keys(demo, result)) == sorted(
        TARGET_PREFIX + key for key in {manifest, categories, *sequences}
    )
    assert result["json_keys"]["key"] == f"{WORK_PREFIX}{EXECUTION}/json-keys.json"
    assert result["batches"]["count"] == 0  # few objects: copied by this invocation


def test_given_copied_objects_when_inspected_then_data_keeps_its_metadata_and_json_files_record_their_source_etag(
    demo: S3Client, lambda_context: LambdaContext
) -> None:
    image = DEMO_PREFIX + IMAGE_KEYS[4]
    demo.put_object(Bucket=DEMO_BUCKET, Key=image, Body=b"jpeg", ContentType="image/jpeg", Metadata={"camera": "0"})
    manifest = "manifests/OT-manifest-10-frame.json"
    manifest_etag = demo.head_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + manifest)["ETag"].strip('"')

    copy_data.handler(make_event(), lambda_context)

    head = demo.head_object(Bucket=TARGET_BUCKET, Key=TARGET_PREFIX + IMAGE_KEYS[4])
    assert (head["ContentType"], head["Metadata"]) == ("image/jpeg", {"camera": "0"})
    manifest_head = demo.head_object(Bucket=TARGET_BUCKET, Key=TARGET_PREFIX + manifest)
    assert manifest_head["ContentType"] == "application/json"
    assert manifest_head["Metadata"][s3_objects.SOURCE_ETAG_METADATA_KEY] == manifest_etag


def test_given_data_objects_when_copied_then_each_costs_exactly_one_copy_object_pinned_to_its_listed_etag(
    s3: S3Client, lambda_context: LambdaContext
) -> None:
    keys = put_frames_dataset(s3, 30)
    requests: list[tuple[str, str]] = []
    s3.meta.events.register(
        "before-parameter-build.s3",
        lambda model, params, **_: requests.append((model.name, str(params.get("Key", "")))),
    )

    copy_data.handler(frame_event(), lambda_context)

    per_data_object = [operation for operation, key in requests if "/frames/" in key]
    assert per_data_object == ["CopyObject"] * len(keys)
    for key in keys:
        etag = s3.head_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + key)["ETag"]
        assert s3.head_object(Bucket=TARGET_BUCKET, Key=TARGET_PREFIX + key)["ETag"] == etag


def test_given_a_finished_run_when_run_again_then_nothing_is_copied_and_json_keys_are_still_listed(
    demo: S3Client, lambda_context: LambdaContext, snapshot: Snapshot
) -> None:
    first = copy_data.handler(make_event(), lambda_context)
    before = data_snapshot(snapshot, demo)

    second = copy_data.handler(make_event(), lambda_context)

    assert second == {
        "copied": 0,
        "scheduled": 0,
        "skipped": first["copied"],
        "bytes": 0,
        "json_files": first["json_files"],
        "json_keys": first["json_keys"],
        "batches": first["batches"],
        "warnings": [],
    }
    assert data_snapshot(snapshot, demo) == before
    assert listed_json_keys(demo, second) == listed_json_keys(demo, first)


def test_given_many_objects_already_copied_when_run_again_then_two_listings_replace_per_object_requests(
    s3: S3Client, lambda_context: LambdaContext
) -> None:
    put_frames_dataset(s3, 40)
    event = frame_event()
    copy_data.handler(event, lambda_context)
    calls: list[str] = []
    s3.meta.events.register("before-call.s3", lambda model, **_: calls.append(model.name))

    result = copy_data.handler(event, lambda_context)

    assert (result["copied"], result["skipped"]) == (0, 42)
    # The two JSON files, two listings, and the lists for the later steps (JSON files, no batches): none per object.
    assert sorted(calls) == ["GetObject", "GetObject", "ListObjectsV2", "ListObjectsV2", "PutObject", "PutObject"]


def test_given_json_files_rewritten_after_the_copy_when_run_again_then_they_are_skipped_not_overwritten(
    demo: S3Client, lambda_context: LambdaContext
) -> None:
    first = copy_data.handler(make_event(), lambda_context)
    json_keys = listed_json_keys(demo, first)
    for key in json_keys:  # what the rewrite step does: new content, same metadata
        head = demo.head_object(Bucket=TARGET_BUCKET, Key=key)
        demo.put_object(Bucket=TARGET_BUCKET, Key=key, Body=b'{"rewritten": true}\n', Metadata=head["Metadata"])

    second = copy_data.handler(make_event(), lambda_context)

    assert (second["copied"], second["skipped"]) == (0, first["copied"])
    assert sorted(listed_json_keys(demo, second)) == sorted(json_keys)
    for key in json_keys:
        assert body(demo, TARGET_BUCKET, key) == b'{"rewritten": true}\n'


def test_given_one_source_object_changed_after_a_run_when_run_again_then_only_it_is_copied(
    demo: S3Client, lambda_context: LambdaContext
) -> None:
    copy_data.handler(make_event(), lambda_context)
    demo.put_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + IMAGE_KEYS[2], Body=b"a new camera image")

    second = copy_data.handler(make_event(), lambda_context)

    assert (second["copied"], second["bytes"]) == (1, len(b"a new camera image"))
    assert body(demo, TARGET_BUCKET, TARGET_PREFIX + IMAGE_KEYS[2]) == b"a new camera image"


def test_given_a_source_object_replaced_by_one_of_the_same_size_when_run_again_then_it_is_copied_again(
    demo: S3Client, lambda_context: LambdaContext
) -> None:
    copy_data.handler(make_event(), lambda_context)
    original = body(demo, DEMO_BUCKET, DEMO_PREFIX + IMAGE_KEYS[2])
    replacement = bytes(reversed(original)) if len(set(original)) > 1 else b"x" * len(original)
    demo.put_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + IMAGE_KEYS[2], Body=replacement)

    second = copy_data.handler(make_event(), lambda_context)

    assert second["copied"] == 1
    assert body(demo, TARGET_BUCKET, TARGET_PREFIX + IMAGE_KEYS[2]) == replacement


def test_given_a_target_object_without_the_marker_and_different_content_when_copied_then_it_is_replaced(
    demo: S3Client, lambda_context: LambdaContext
) -> None:
    demo.put_object(Bucket=TARGET_BUCKET, Key=TARGET_PREFIX + FRAME_KEY, Body=b"someone else's file")

    result = copy_data.handler(make_event(), lambda_context)

    assert result["skipped"] == 0
    assert body(demo, TARGET_BUCKET, TARGET_PREFIX + FRAME_KEY) == body(demo, DEMO_BUCKET, DEMO_PREFIX + FRAME_KEY)


def test_given_a_target_object_with_identical_content_when_copied_then_it_is_skipped_by_etag(
    demo: S3Client, lambda_context: LambdaContext
) -> None:
    demo.put_object(
        Bucket=TARGET_BUCKET, Key=TARGET_PREFIX + FRAME_KEY, Body=body(demo, DEMO_BUCKET, DEMO_PREFIX + FRAME_KEY)
    )

    result = copy_data.handler(make_event(), lambda_context)

    assert result["skipped"] == 1
    assert s3_objects.SOURCE_ETAG_METADATA_KEY not in demo.head_object(
        Bucket=TARGET_BUCKET, Key=TARGET_PREFIX + FRAME_KEY
    ).get("Metadata", {})


def test_given_a_source_run_and_rerun_when_compared_then_the_source_bucket_is_never_modified(
    demo: S3Client, lambda_context: LambdaContext, snapshot: Snapshot
) -> None:
    before = snapshot(demo, DEMO_BUCKET)

    copy_data.handler(make_event("Adjustment3DPointCloudObjectTracking"), lambda_context)
    copy_data.handler(make_event("Adjustment3DPointCloudObjectTracking"), lambda_context)

    assert snapshot(demo, DEMO_BUCKET) == before


def test_given_an_object_above_the_multipart_threshold_when_copied_then_a_multipart_copy_is_made_and_rerun_skips_it(
    s3: S3Client,
) -> None:
    five_mib = 5 * 1024 * 1024
    big = bytes(range(256)) * (6 * 1024 * 1024 // 256)
    s3.put_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + "frames/big.bin", Body=big)
    put_manifest(s3, "m.json", [frame_line(f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}frames/big.bin")])
    s3.put_object(
        Bucket=DEMO_BUCKET,
        Key=DEMO_PREFIX + "l.json",
        Body=json.dumps({"documentVersion": "2020-03-01", "labels": [{"label": "Car"}]}).encode(),
    )
    request = copy_data.CopyRequest.from_event(frame_event())
    config = TransferConfig(multipart_threshold=five_mib, multipart_chunksize=five_mib)

    first = copy_data.copy_data(s3, request, transfer_config=config)

    head = s3.head_object(Bucket=TARGET_BUCKET, Key=TARGET_PREFIX + "frames/big.bin")
    assert head["ETag"].strip('"').endswith("-2")  # two parts: the copy was multipart
    assert body(s3, TARGET_BUCKET, TARGET_PREFIX + "frames/big.bin") == big
    assert first.copied == 3
    second = copy_data.copy_data(s3, request, transfer_config=config)
    assert (second.copied, second.skipped) == (0, 3)  # ETags differ; the recorded source ETag matches
    assert s3.head_object(Bucket=TARGET_BUCKET, Key=TARGET_PREFIX + "frames/big.bin")["ETag"] == head["ETag"]


# --------------------------------------------------------------------------------------- what is not copied


def test_given_references_outside_the_source_location_when_copied_then_they_are_not_copied_and_a_warning_names_them(
    s3: S3Client, lambda_context: LambdaContext
) -> None:
    inside = f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}frames/0.bin"
    s3.put_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + "frames/0.bin", Body=b"points")
    s3.put_object(Bucket=DEMO_BUCKET, Key="artifacts/other/1.bin", Body=b"elsewhere in the source bucket")
    put_manifest(
        s3,
        "m.json",
        [
            frame_line(inside, **{"prior-ref": "s3://aws-ml-blog-archive/artifacts/gt-point-cloud-demos/out/0.json"}),
            frame_line(f"s3://{DEMO_BUCKET}/artifacts/other/1.bin"),
            frame_line("s3://some-other-bucket/never-created.bin"),
        ],
    )
    s3.put_object(
        Bucket=DEMO_BUCKET,
        Key=DEMO_PREFIX + "l.json",
        Body=json.dumps({"documentVersion": "2020-03-01", "labels": [{"label": "Car"}]}).encode(),
    )

    result = copy_data.handler(frame_event(), lambda_context)

    assert target_keys(s3) == {TARGET_PREFIX + key for key in ("m.json", "l.json", "frames/0.bin")}
    assert result["copied"] == 3
    (warning,) = result["warnings"]
    assert warning.startswith("2 object(s) the inputs reference lie outside the source location")
    assert f"s3://{DEMO_BUCKET}/artifacts/other/1.bin" in warning
    assert "s3://some-other-bucket/never-created.bin" in warning
    assert "aws-ml-blog-archive" not in warning  # a pass-through field, not read by Ground Truth
    assert "IAM grant" in warning
    assert "CORS" in warning
    assert "[REF-OUTSIDE-SOURCE]" in warning


# ------------------------------------------------------------------------------------------------ failures


def test_given_referenced_objects_missing_when_copied_then_missing_objects_error_lists_them_and_nothing_is_copied(
    s3: S3Client, lambda_context: LambdaContext
) -> None:
    upload_demo(s3, DEMO_BUCKET, skip=frozenset({IMAGE_KEYS[3], IMAGE_KEYS[7]}))

    with pytest.raises(MissingObjectsError) as caught:
        copy_data.handler(make_event(), lambda_context)

    message = str(caught.value)
    assert message.startswith("2 object(s)")
    assert f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}{IMAGE_KEYS[3]}" in message
    assert f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}{IMAGE_KEYS[7]}" in message
    assert "nothing was copied" in message
    assert target_keys(s3) == set()


def test_given_a_missing_sequence_file_when_copied_then_it_is_reported_and_nothing_is_copied(
    s3: S3Client, lambda_context: LambdaContext
) -> None:
    upload_demo(s3, DEMO_BUCKET, skip=frozenset({SEQUENCE_KEY}))

    with pytest.raises(MissingObjectsError, match=rf"^1 object\(s\) .*{SEQUENCE_KEY}"):
        copy_data.handler(make_event(), lambda_context)
    assert target_keys(s3) == set()


def test_given_more_than_twenty_missing_objects_when_copied_then_the_first_twenty_and_the_count_are_listed(
    s3: S3Client, lambda_context: LambdaContext
) -> None:
    lines = [frame_line(f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}frames/{index:03d}.bin") for index in range(60)]
    put_manifest(s3, "m.json", lines)
    s3.put_object(
        Bucket=DEMO_BUCKET,
        Key=DEMO_PREFIX + "l.json",
        Body=demo_json_files()[LABELS_KEY],
    )
    for index in range(60):
        if index % 2 == 0:  # every odd frame is missing: 30 in all
            s3.put_object(Bucket=DEMO_BUCKET, Key=f"{DEMO_PREFIX}frames/{index:03d}.bin", Body=b"p")

    with pytest.raises(MissingObjectsError) as caught:
        copy_data.handler(frame_event(), lambda_context)

    message = str(caught.value)
    assert message.startswith("30 object(s)")
    assert message.count("s3://") == 20 + 1  # twenty missing URIs and the source location
    assert "frames/001.bin" in message
    assert "frames/039.bin" in message
    assert "frames/041.bin" not in message
    assert "and 10 more" in message
    assert target_keys(s3) == set()


@pytest.mark.parametrize(
    ("page_size", "keys_per_page", "missing"),
    [
        (1000, 10, "frames/004.bin"),  # one listing covers everything
        (3, 10, "frames/004.bin"),  # found missing inside the listed range
        (3, 10, "frames/027.bin"),  # budget spent: found by HeadObject after the listed range
        (3, 1000, "frames/027.bin"),  # budget of one page
    ],
)
def test_given_many_objects_and_any_listing_budget_when_checked_then_exactly_the_missing_one_is_found(
    s3: S3Client,
    lambda_context: LambdaContext,
    monkeypatch: pytest.MonkeyPatch,
    page_size: int,
    keys_per_page: int,
    missing: str,
) -> None:
    monkeypatch.setattr(s3_objects, "LIST_PAGE_SIZE", page_size)
    monkeypatch.setattr(s3_objects, "KEYS_PER_LIST_PAGE", keys_per_page)
    keys = [f"frames/{index:03d}.bin" for index in range(40)]
    put_manifest(s3, "m.json", [frame_line(f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}{key}") for key in keys])
    s3.put_object(
        Bucket=DEMO_BUCKET,
        Key=DEMO_PREFIX + "l.json",
        Body=demo_json_files()[LABELS_KEY],
    )
    for key in [*keys, "frames/000.bin.extra", "frames/0"]:  # neighbours that sort between the wanted keys
        if key != missing:
            s3.put_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + key, Body=b"p")

    with pytest.raises(MissingObjectsError, match=rf"^1 object\(s\) .*{missing}\. Upload"):
        copy_data.handler(frame_event(), lambda_context)

    s3.put_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + missing, Body=b"p")
    assert copy_data.handler(frame_event(), lambda_context)["copied"] == 42


@pytest.mark.parametrize(
    "missing", ["manifests/OT-manifest-10-frame.json", "label-category-config/label-category.json"]
)
def test_given_the_manifest_or_label_file_missing_when_copied_then_the_error_names_it_and_the_source_location(
    s3: S3Client, lambda_context: LambdaContext, missing: str
) -> None:
    upload_demo(s3, DEMO_BUCKET, skip=frozenset({missing}))

    with pytest.raises(
        MissingObjectsError, match=rf"s3://{DEMO_BUCKET}/{DEMO_PREFIX}{missing} does not exist\. Its path is relative"
    ):
        copy_data.handler(make_event(), lambda_context)
    assert target_keys(s3) == set()


def test_given_an_invalid_json_line_in_the_manifest_when_copied_then_the_error_names_key_and_line_and_nothing_is_copied(
    demo: S3Client, lambda_context: LambdaContext
) -> None:
    key = DEMO_PREFIX + "manifests/SingleFrame-manifest.json"
    demo.put_object(Bucket=DEMO_BUCKET, Key=key, Body=body(demo, DEMO_BUCKET, key) + b'{"source-ref": \n')

    with pytest.raises(ManifestFormatError, match=rf"^s3://{DEMO_BUCKET}/{key} line 2: not valid JSON"):
        copy_data.handler(make_event("3DPointCloudObjectDetection"), lambda_context)
    assert target_keys(demo) == set()


def test_given_a_byte_that_is_not_utf8_in_the_manifest_when_copied_then_the_error_names_its_offset_in_the_file(
    demo: S3Client, lambda_context: LambdaContext
) -> None:
    key = DEMO_PREFIX + "manifests/SingleFrame-manifest.json"
    original = body(demo, DEMO_BUCKET, key)
    demo.put_object(Bucket=DEMO_BUCKET, Key=key, Body=original + b'{"source-ref": "\xff"}\n')

    with pytest.raises(
        ManifestFormatError,
        match=rf"^s3://{DEMO_BUCKET}/{key} is not UTF-8 text \(invalid byte at offset {len(original) + 16}\)",
    ):
        copy_data.handler(make_event("3DPointCloudObjectDetection"), lambda_context)
    assert target_keys(demo) == set()


def test_given_a_manifest_body_that_can_only_be_streamed_when_copied_then_it_is_parsed_as_it_downloads(
    demo: S3Client, lambda_context: LambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifest_key = DEMO_PREFIX + DEMO_INPUTS[FRAME_TASK][0]
    get_object = demo.get_object
    chunk_sizes: list[int] = []

    class ChunksOnly:
        """A body without ``read``: a manifest of hundreds of megabytes must not be read whole."""

        def __init__(self, streamed: Any) -> None:
            self._streamed = streamed

        def iter_chunks(self, chunk_size: int) -> Iterator[bytes]:
            chunk_sizes.append(chunk_size)
            chunks: Iterator[bytes] = self._streamed.iter_chunks(chunk_size)
            return chunks

        def close(self) -> None:
            self._streamed.close()

    def manifest_streamed_only(**request: Any) -> Any:
        response = get_object(**request)
        if request["Key"] == manifest_key:
            response["Body"] = ChunksOnly(response["Body"])
        return response

    monkeypatch.setattr(demo, "get_object", manifest_streamed_only)

    result = copy_data.handler(make_event(FRAME_TASK), lambda_context)

    assert result["copied"] == len(expected_relative_keys(FRAME_TASK))
    assert chunk_sizes == [copy_data.STREAM_CHUNK_BYTES]


def test_given_a_sequence_file_breaking_a_limit_when_copied_then_the_error_names_it_and_nothing_is_copied(
    demo: S3Client, lambda_context: LambdaContext
) -> None:
    sequence = json.loads(body(demo, DEMO_BUCKET, DEMO_PREFIX + SEQUENCE_KEY))
    sequence["number-of-frames"] = 11
    demo.put_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + SEQUENCE_KEY, Body=json.dumps(sequence).encode())

    with pytest.raises(ManifestFormatError, match=rf"{SEQUENCE_KEY} field `number-of-frames`: .* it is 11 but"):
        copy_data.handler(make_event(), lambda_context)
    assert target_keys(demo) == set()


def test_given_a_task_type_that_does_not_fit_the_manifest_when_copied_then_nothing_is_copied(
    demo: S3Client, lambda_context: LambdaContext
) -> None:
    event = make_event("3DPointCloudObjectDetection", task_type="3DPointCloudObjectTracking")

    with pytest.raises(ManifestFormatError, match="needs a sequence manifest"):
        copy_data.handler(event, lambda_context)
    assert target_keys(demo) == set()


def test_given_an_adjustment_reusing_the_audited_label_attribute_when_copied_then_nothing_is_copied(
    demo: S3Client, lambda_context: LambdaContext
) -> None:
    event = make_event(
        "Adjustment3DPointCloudObjectTracking",
        task_type="Adjustment3DPointCloudObjectTracking",
        label_attribute_name="gt-point-cloud-demo-ot-ref",
    )

    with pytest.raises(InvalidRequestError, match=r"'gt-point-cloud-demo-ot-ref' is the `auditLabelAttributeName`"):
        copy_data.handler(event, lambda_context)
    assert target_keys(demo) == set()


def test_given_an_adjustment_with_a_new_label_attribute_when_copied_then_it_is_copied(
    demo: S3Client, lambda_context: LambdaContext
) -> None:
    event = make_event(
        "Adjustment3DPointCloudObjectTracking",
        task_type="Adjustment3DPointCloudObjectTracking",
        label_attribute_name="gt3d-ot-adj-20240517093005-ref",
    )

    assert copy_data.handler(event, lambda_context)["copied"] > 0


# ------------------------------------------------------------------------------------------------ warnings


def test_given_adjustment_lines_without_the_audited_labels_when_copied_then_they_are_copied_with_a_warning(
    demo: S3Client, lambda_context: LambdaContext
) -> None:
    key = DEMO_PREFIX + "manifests/OD-adjustment-manifest.json"
    audited = json.loads(body(demo, DEMO_BUCKET, key))
    unaudited = {name: value for name, value in audited.items() if not name.startswith("gt-point-cloud-demo-od")}
    demo.put_object(Bucket=DEMO_BUCKET, Key=key, Body=_jsonl([audited, unaudited, unaudited]))

    result = copy_data.handler(make_event("Adjustment3DPointCloudObjectDetection"), lambda_context)

    assert result["copied"] > 0
    (lines_warning,) = [warning for warning in result["warnings"] if "[ADJ-MANIFEST-LINES]" in warning]
    assert lines_warning.startswith(f"s3://{DEMO_BUCKET}/{key} line(s) 2, 3: 2 of 3 lines have no")


def test_given_a_pass_through_uri_when_copied_then_it_is_copied_if_it_exists_and_never_required(
    s3: S3Client, lambda_context: LambdaContext
) -> None:
    extra = {
        "calibration": f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}calib/0.json",
        "notes": f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}gone.txt",
    }
    put_manifest(s3, "m.json", [frame_line(f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}frames/0.bin", **extra)])
    s3.put_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + "l.json", Body=demo_json_files()[LABELS_KEY])
    s3.put_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + "frames/0.bin", Body=b"0 0 0 1\n")
    s3.put_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + "calib/0.json", Body=b"{}")

    result = copy_data.handler(frame_event(), lambda_context)

    assert target_keys(s3) == {TARGET_PREFIX + key for key in ("m.json", "l.json", "frames/0.bin", "calib/0.json")}
    assert result["warnings"] == []


@pytest.mark.parametrize(("size", "refused"), [(32, False), (33, True)])
def test_given_a_binary_point_cloud_when_copied_then_its_size_must_be_whole_packed_points(
    s3: S3Client, lambda_context: LambdaContext, size: int, refused: bool
) -> None:
    line = frame_line(f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}frames/0.bin")
    line["source-ref-metadata"]["format"] = "binary/xyzi"
    put_manifest(s3, "m.json", [line])
    s3.put_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + "l.json", Body=demo_json_files()[LABELS_KEY])
    s3.put_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + "frames/0.bin", Body=b"\0" * size)

    if refused:
        with pytest.raises(
            ManifestFormatError, match=r"0\.bin is 33 bytes, not a multiple of 16 .*\[POINT-CLOUD-BINARY-SIZE\]"
        ):
            copy_data.handler(frame_event(), lambda_context)
        assert target_keys(s3) == set()
    else:
        assert copy_data.handler(frame_event(), lambda_context)["copied"] == 3


def test_given_many_warnings_when_copied_then_the_result_lists_the_first_twenty_and_the_count(
    s3: S3Client, lambda_context: LambdaContext
) -> None:
    lines = []
    for index in range(25):
        line = frame_line(f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}frames/{index}.pcd")
        del line["source-ref-metadata"]["format"]  # no documented default for .pcd: POINT-CLOUD-FORMAT-DEFAULT
        lines.append(line)
        s3.put_object(Bucket=DEMO_BUCKET, Key=f"{DEMO_PREFIX}frames/{index}.pcd", Body=b"p")
    put_manifest(s3, "m.json", lines)
    s3.put_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + "l.json", Body=demo_json_files()[LABELS_KEY])

    result = copy_data.handler(frame_event(), lambda_context)

    assert len(result["warnings"]) == 21
    assert all("[POINT-CLOUD-FORMAT-DEFAULT]" in warning for warning in result["warnings"][:20])
    assert result["warnings"][20] == "... and 5 more warnings."


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"manifest": None}, "manifest None is invalid: it must be a string"),
        ({"manifest": f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}m.json"}, "must be a path relative to the source location"),
        ({"manifest": "manifests/../../escape.json"}, "must not contain '..'"),
        ({"label_category_config": "/abs.json"}, "label_category_config '/abs.json' is invalid: it must not start"),
        ({"source": "s3://aws-ml-blog/"}, "`source` must be an object"),
        ({"target": {"bucket": TARGET_BUCKET, "prefix": "no-slash"}}, "`target` is not a valid S3 location"),
        ({"target": {"bucket": DEMO_BUCKET, "prefix": DEMO_PREFIX + "input/"}}, "overlaps the source location"),
    ],
)
def test_given_a_malformed_event_when_handled_then_invalid_request_error_names_the_field(
    s3: S3Client, lambda_context: LambdaContext, overrides: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        copy_data.handler(make_event(**overrides), lambda_context)


def test_given_s3_throttles_when_copying_then_aws_transient_error_is_raised_for_a_retry(
    demo: S3Client, lambda_context: LambdaContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    def slow_down(**_: Any) -> Any:
        raise ClientError(
            {
                "Error": {"Code": "SlowDown", "Message": "Reduce your request rate."},
                "ResponseMetadata": {"HTTPStatusCode": 503},
            },
            "GetObject",
        )

    monkeypatch.setattr(demo, "get_object", slow_down)

    with pytest.raises(AwsTransientError, match="GetObject failed transiently"):
        copy_data.handler(make_event(), lambda_context)


def test_given_the_source_changes_between_check_and_copy_when_copying_then_aws_transient_error_asks_for_a_retry(
    demo: S3Client,
) -> None:
    request = copy_data.CopyRequest.from_event(make_event())
    real_copy = demo.copy_object

    def change_then_copy(**kwargs: Any) -> Any:
        source_key = kwargs["CopySource"]["Key"]
        if source_key.endswith(FRAME_KEY):
            demo.put_object(Bucket=DEMO_BUCKET, Key=source_key, Body=b"changed meanwhile")
        return real_copy(**kwargs)

    demo.copy_object = change_then_copy  # type: ignore[method-assign]

    with pytest.raises(AwsTransientError, match=rf"{FRAME_KEY} changed while it was being copied"):
        copy_data.copy_data(demo, request)


# S3's rule for a missing key (https://docs.aws.amazon.com/AmazonS3/latest/API/API_HeadObject.html, "Permissions"):
# without s3:ListBucket on the bucket (a grant conditioned on s3:prefix does not apply to a HEAD/GET, which carries
# no prefix), a HEAD or GET of a missing key is answered 403, not 404. The copy role has only prefix-scoped grants.
def _forbidden(operation: str) -> tuple[AWSResponse, dict[str, Any]]:
    code = "403" if operation == "HeadObject" else "AccessDenied"
    return AWSResponse("", 403, HTTPHeaders(), None), {
        "Error": {"Code": code, "Message": "Forbidden" if code == "403" else "Access Denied"},
        "ResponseMetadata": {"HTTPStatusCode": 403, "HTTPHeaders": {}},
    }


def _object_exists(bucket: str, key: str) -> bool:
    return key in s3_backends[DEFAULT_ACCOUNT_ID]["global"].get_bucket(bucket).keys


@pytest.fixture
def prefix_scoped_s3(s3: S3Client) -> Callable[..., list[str]]:
    """Make the moto client answer as S3 answers a role with prefix-scoped grants; return the calls it saw.

    ``deny_listing`` names buckets whose policy denies listing (a source bucket that only allows GetObject).
    """

    def install(*, deny_listing: frozenset[str] = frozenset()) -> list[str]:
        calls: list[str] = []

        def keep(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            context["caller_params"] = dict(params)

        def answer(model: Any, context: dict[str, Any], **_: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
            params = context["caller_params"]
            bucket = params.get("Bucket", "")
            calls.append(f"{model.name} {bucket}")
            if model.name in ("HeadObject", "GetObject") and not _object_exists(bucket, params["Key"]):
                return _forbidden(model.name)
            if model.name == "ListObjectsV2" and bucket in deny_listing:
                return _forbidden(model.name)
            return None

        s3.meta.events.register("before-parameter-build.s3", keep)
        s3.meta.events.register("before-call.s3", answer)
        return calls

    return install


def test_given_prefix_scoped_grants_when_copied_to_an_empty_target_then_everything_lands_without_a_denial(
    demo: S3Client, prefix_scoped_s3: Callable[..., list[str]], lambda_context: LambdaContext
) -> None:
    prefix_scoped_s3()

    result = copy_data.handler(make_event(), lambda_context)

    assert {key.removeprefix(TARGET_PREFIX) for key in target_keys(demo)} == expected_relative_keys(
        "3DPointCloudObjectTracking"
    )
    assert result["skipped"] == 0


def test_given_prefix_scoped_grants_and_a_missing_manifest_when_copied_then_the_error_says_it_does_not_exist(
    s3: S3Client, prefix_scoped_s3: Callable[..., list[str]], lambda_context: LambdaContext
) -> None:
    upload_demo(s3, DEMO_BUCKET, skip=frozenset({DEMO_INPUTS["3DPointCloudObjectTracking"][0]}))
    prefix_scoped_s3()

    with pytest.raises(MissingObjectsError, match="does not exist"):
        copy_data.handler(make_event(), lambda_context)


def test_given_listing_the_source_is_denied_when_copied_then_each_object_is_checked_and_copied(
    demo: S3Client, prefix_scoped_s3: Callable[..., list[str]], lambda_context: LambdaContext
) -> None:
    calls = prefix_scoped_s3(deny_listing=frozenset({DEMO_BUCKET}))

    result = copy_data.handler(make_event(), lambda_context)

    assert result["copied"] == len(expected_relative_keys("3DPointCloudObjectTracking"))
    assert f"HeadObject {DEMO_BUCKET}" in calls


def test_given_listing_the_source_is_denied_and_an_image_missing_when_copied_then_it_is_reported_and_nothing_copied(
    s3: S3Client, prefix_scoped_s3: Callable[..., list[str]], lambda_context: LambdaContext
) -> None:
    upload_demo(s3, DEMO_BUCKET, skip=frozenset({IMAGE_KEYS[3]}))
    prefix_scoped_s3(deny_listing=frozenset({DEMO_BUCKET}))

    with pytest.raises(MissingObjectsError, match=r"cannot be read\).*frame_3_camera_0\.jpg"):
        copy_data.handler(make_event(), lambda_context)
    assert target_keys(s3) == set()
