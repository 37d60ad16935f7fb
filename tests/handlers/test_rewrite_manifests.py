"""rewrite_manifests against moto S3, after a real copy_data run."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import boto3
import copy_data
import pytest
import rewrite_manifests
import s3_objects
from aws_lambda_powertools.utilities.typing import LambdaContext
from fixtures import DEMO_BUCKET, DEMO_INPUTS, DEMO_PREFIX, SEQUENCE_KEY, upload_demo

from gt3d_core.catalog import task_type
from gt3d_core.errors import InvalidRequestError, ManifestFormatError, MissingObjectsError
from gt3d_core.json_text import iter_uri_values, load_json_text

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

TARGET_BUCKET = "gt3d-labeling-bucket"
TARGET_PREFIX = "demo-exp/input/"
SOURCE_EVENT = {"bucket": DEMO_BUCKET, "prefix": DEMO_PREFIX}
TARGET_EVENT = {"bucket": TARGET_BUCKET, "prefix": TARGET_PREFIX}
Snapshot = Callable[["S3Client", str], dict[str, dict[str, Any]]]


@pytest.fixture
def s3(s3_client: S3Client, make_bucket: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> S3Client:
    make_bucket(DEMO_BUCKET)
    make_bucket(TARGET_BUCKET)
    monkeypatch.setattr(copy_data, "_s3_client", lambda: s3_client)
    monkeypatch.setattr(rewrite_manifests, "_s3_client", lambda: s3_client)
    return s3_client


def copy_event(task_name: str, manifest: str, categories: str) -> dict[str, Any]:
    return {
        "task_type": task_name,
        "label_attribute_name": task_type(task_name).label_attribute_name("new-job-7"),
        "execution_name": "exec-1",
        "source": SOURCE_EVENT,
        "target": TARGET_EVENT,
        "manifest": manifest,
        "label_category_config": categories,
    }


def copy(task_name: str, context: LambdaContext) -> list[str]:
    result = copy_data.handler(copy_event(task_name, *DEMO_INPUTS[task_name]), context)
    return listed_keys(result["json_keys"])


def listed_keys(location: dict[str, str]) -> list[str]:
    """The list of files the copy step wrote for the rewrite."""
    body = boto3.client("s3").get_object(Bucket=location["bucket"], Key=location["key"])["Body"].read()
    keys: list[str] = json.loads(body)
    return keys


def put_keys(keys: list[str]) -> dict[str, str]:
    """Write the list of files to rewrite where the copy step leaves it; return its location."""
    location = {"bucket": TARGET_BUCKET, "key": f"{TARGET_PREFIX}_gt3d-work/test/json-keys.json"}
    boto3.client("s3").put_object(Bucket=location["bucket"], Key=location["key"], Body=json.dumps(keys).encode())
    return location


def rewrite_listed(location: dict[str, str], context: LambdaContext) -> dict[str, int]:
    """Run the rewrite as the workflow does: the list of files travels through S3, its location in the event."""
    result: dict[str, int] = rewrite_manifests.handler(
        {"source": SOURCE_EVENT, "target": TARGET_EVENT, "keys": location}, context
    )
    return result


def rewrite(keys: list[str], context: LambdaContext) -> dict[str, int]:
    return rewrite_listed(put_keys(keys), context)


def text(s3: S3Client, key: str) -> str:
    return s3.get_object(Bucket=TARGET_BUCKET, Key=key)["Body"].read().decode()


def all_uris(s3: S3Client, key: str) -> list[str]:
    return [str(uri) for record in load_json_text(key, text(s3, key)) for uri in iter_uri_values(record.value)]


def test_given_copied_tracking_adjustment_inputs_when_rewritten_then_every_source_uri_points_at_the_input_location(
    s3: S3Client, lambda_context: LambdaContext
) -> None:
    upload_demo(s3, DEMO_BUCKET)
    keys = copy("Adjustment3DPointCloudObjectTracking", lambda_context)

    result = rewrite(keys, lambda_context)

    # manifest: source-ref and the prior job's SeqLabel.json; sequence file: its prefix; label file: none
    assert result == {"rewritten": 2, "uris": 3}
    target_root = f"s3://{TARGET_BUCKET}/{TARGET_PREFIX}"
    for key in keys:
        assert all(uri.startswith(target_root) for uri in all_uris(s3, key)), key
    sequence = json.loads(text(s3, TARGET_PREFIX + SEQUENCE_KEY))
    assert sequence["prefix"] == f"{target_root}frames/"
    # every rewritten URI names an object the copy put there
    manifest_key = TARGET_PREFIX + DEMO_INPUTS["Adjustment3DPointCloudObjectTracking"][0]
    for uri in all_uris(s3, manifest_key):
        s3.head_object(Bucket=TARGET_BUCKET, Key=uri.removeprefix(f"s3://{TARGET_BUCKET}/"))


def test_given_a_rewritten_file_when_inspected_then_content_type_and_source_etag_marker_are_kept(
    s3: S3Client, lambda_context: LambdaContext
) -> None:
    upload_demo(s3, DEMO_BUCKET)
    keys = copy("3DPointCloudObjectTracking", lambda_context)
    manifest_key = TARGET_PREFIX + DEMO_INPUTS["3DPointCloudObjectTracking"][0]
    before = s3.head_object(Bucket=TARGET_BUCKET, Key=manifest_key)

    rewrite(keys, lambda_context)

    after = s3.head_object(Bucket=TARGET_BUCKET, Key=manifest_key)
    assert after["ETag"] != before["ETag"]
    assert after["ContentType"] == before["ContentType"] == "application/json"
    assert after["Metadata"] == before["Metadata"]
    assert s3_objects.SOURCE_ETAG_METADATA_KEY in after["Metadata"]


def test_given_a_finished_rewrite_when_run_again_then_nothing_is_written(
    s3: S3Client, lambda_context: LambdaContext, snapshot: Snapshot
) -> None:
    upload_demo(s3, DEMO_BUCKET)
    listed = put_keys(copy("Adjustment3DPointCloudSemanticSegmentation", lambda_context))
    assert rewrite_listed(listed, lambda_context)["rewritten"] == 1
    before = snapshot(s3, TARGET_BUCKET)
    writes: list[str] = []
    s3.meta.events.register("before-call.s3.PutObject", lambda params, **_: writes.append(params["Key"]))

    assert rewrite_listed(listed, lambda_context) == {"rewritten": 0, "uris": 0}
    assert writes == []
    assert snapshot(s3, TARGET_BUCKET) == before


def test_given_a_manifest_with_archive_and_source_uris_when_copied_and_rewritten_then_only_source_uris_move(
    s3: S3Client, lambda_context: LambdaContext
) -> None:
    archive = "s3://aws-ml-blog-archive/artifacts/gt-point-cloud-demos/frames/0.txt"
    line = {
        "source-ref": f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}frames/0.txt",
        "source-ref-metadata": {"unix-timestamp": 1566861644.759115, "format": "text/xyzi"},
        "archived-copy": archive,
        "note": f"from s3://{DEMO_BUCKET}/{DEMO_PREFIX}frames/0.txt",
    }
    s3.put_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + "m.json", Body=(json.dumps(line) + "\n").encode())
    s3.put_object(Bucket=DEMO_BUCKET, Key=DEMO_PREFIX + "frames/0.txt", Body=b"0 0 0 1\n")
    s3.put_object(
        Bucket=DEMO_BUCKET,
        Key=DEMO_PREFIX + "l.json",
        Body=json.dumps({"documentVersion": "2020-03-01", "labels": [{"label": "Car"}]}).encode(),
    )
    event = copy_event("3DPointCloudObjectDetection", "m.json", "l.json")
    keys = listed_keys(copy_data.handler(event, lambda_context)["json_keys"])

    assert rewrite(keys, lambda_context) == {"rewritten": 1, "uris": 1}

    rewritten = json.loads(text(s3, TARGET_PREFIX + "m.json"))
    assert rewritten["source-ref"] == f"s3://{TARGET_BUCKET}/{TARGET_PREFIX}frames/0.txt"
    assert rewritten["archived-copy"] == archive
    assert rewritten["note"] == line["note"]
    assert rewritten["source-ref-metadata"] == line["source-ref-metadata"]


def test_given_a_target_file_with_an_invalid_json_line_when_rewritten_then_error_names_key_and_line_and_file_is_kept(
    s3: S3Client, lambda_context: LambdaContext
) -> None:
    key = TARGET_PREFIX + "manifests/broken.json"
    broken = f'{{"source-ref": "s3://{DEMO_BUCKET}/{DEMO_PREFIX}a.bin"}}\n{{"source-ref": \n'.encode()
    s3.put_object(Bucket=TARGET_BUCKET, Key=key, Body=broken)

    with pytest.raises(ManifestFormatError, match=rf"^s3://{TARGET_BUCKET}/{key} line 2: not valid JSON"):
        rewrite([key], lambda_context)
    assert s3.get_object(Bucket=TARGET_BUCKET, Key=key)["Body"].read() == broken


def test_given_a_pretty_printed_document_when_rewritten_then_it_stays_valid_json_with_its_layout(
    s3: S3Client, lambda_context: LambdaContext
) -> None:
    key = TARGET_PREFIX + "sequences/pretty.json"
    original = json.dumps({"prefix": f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}frames/", "n": [1.50, 2]}, indent=4)
    s3.put_object(Bucket=TARGET_BUCKET, Key=key, Body=original.encode())

    assert rewrite([key], lambda_context) == {"rewritten": 1, "uris": 1}
    assert text(s3, key) == original.replace(
        f"s3://{DEMO_BUCKET}/{DEMO_PREFIX}", f"s3://{TARGET_BUCKET}/{TARGET_PREFIX}"
    )


def test_given_a_key_that_does_not_exist_when_rewritten_then_missing_objects_error_names_it(
    s3: S3Client, lambda_context: LambdaContext
) -> None:
    with pytest.raises(MissingObjectsError, match=rf"s3://{TARGET_BUCKET}/{TARGET_PREFIX}gone\.json does not exist"):
        rewrite([TARGET_PREFIX + "gone.json"], lambda_context)


def test_given_no_keys_when_rewritten_then_nothing_happens(s3: S3Client, lambda_context: LambdaContext) -> None:
    assert rewrite([], lambda_context) == {"rewritten": 0, "uris": 0}


def test_given_keys_that_are_not_the_copy_steps_list_location_when_handled_then_the_error_says_what_they_must_be(
    s3: S3Client, lambda_context: LambdaContext
) -> None:
    with pytest.raises(InvalidRequestError, match=r'`keys` must be the copy step\'s \{"bucket", "key"\}'):
        rewrite_manifests.handler({"source": SOURCE_EVENT, "target": TARGET_EVENT, "keys": ["a.json"]}, lambda_context)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"target": TARGET_EVENT, "keys": []}, "`source` must be an object"),
        ({"source": SOURCE_EVENT, "target": TARGET_EVENT, "keys": "a.json"}, "`keys` must be a list"),
        (
            {"source": SOURCE_EVENT, "target": TARGET_EVENT, "keys": [DEMO_PREFIX + "manifests/x.json"]},
            "`keys` must name files under the target location",
        ),
        (
            {"source": SOURCE_EVENT, "target": TARGET_EVENT, "keys": [TARGET_PREFIX + "line\nbreak.json"]},
            "`keys` must name files under the target location",
        ),
        (
            {"source": SOURCE_EVENT, "target": {"bucket": DEMO_BUCKET, "prefix": "artifacts/"}, "keys": []},
            "overlaps the source location",
        ),
    ],
)
def test_given_a_malformed_event_when_parsed_then_invalid_request_error_names_the_field(
    event: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRequestError, match=message):
        rewrite_manifests.RewriteRequest.from_event(event)
