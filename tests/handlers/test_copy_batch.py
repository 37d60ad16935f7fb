"""copy_batch against moto S3: a Distributed Map item copies exactly its objects, pinned to the checked version."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import copy_batch
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext

from gt3d_core.errors import AwsTransientError, InvalidRequestError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

SOURCE = {"bucket": "source-bucket", "prefix": "data/"}
TARGET = {"bucket": "labeling-bucket", "prefix": "exp/input/"}


@pytest.fixture
def s3(s3_client: S3Client, make_bucket: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> S3Client:
    make_bucket(SOURCE["bucket"])
    make_bucket(TARGET["bucket"])
    monkeypatch.setattr(copy_batch, "_s3_client", lambda: s3_client)
    return s3_client


def _put(s3: S3Client, key: str, body: bytes) -> list[Any]:
    response = s3.put_object(Bucket=SOURCE["bucket"], Key=SOURCE["prefix"] + key, Body=body, ContentType="text/plain")
    etag = response["ETag"].strip('"')
    return [key, etag, len(body)]


def test_given_a_batch_when_copied_then_each_object_lands_as_the_source_has_it_with_one_request_each(
    s3: S3Client, lambda_context: LambdaContext
) -> None:
    objects = [_put(s3, f"frames/{index}.txt", f"{index} 0 0 1\n".encode()) for index in range(3)]
    operations: list[str] = []
    s3.meta.events.register("before-call.s3", lambda model, **_: operations.append(model.name))

    result = copy_batch.handler({"source": SOURCE, "target": TARGET, "objects": objects}, lambda_context)

    assert result == {"copied": 3, "bytes": sum(row[2] for row in objects)}
    assert operations == ["CopyObject"] * 3
    for key, etag, _ in objects:
        head = s3.head_object(Bucket=TARGET["bucket"], Key=TARGET["prefix"] + key)
        assert (head["ETag"].strip('"'), head["ContentType"]) == (etag, "text/plain")


def test_given_an_object_changed_since_the_plan_when_copied_then_the_batch_fails_to_be_retried(
    s3: S3Client, lambda_context: LambdaContext
) -> None:
    row = _put(s3, "frames/0.txt", b"0 0 0 1\n")
    _put(s3, "frames/0.txt", b"changed\n")  # a new version after the copy step checked it

    with pytest.raises(AwsTransientError, match="changed while it was being copied"):
        copy_batch.handler({"source": SOURCE, "target": TARGET, "objects": [row]}, lambda_context)


@pytest.mark.parametrize(
    "event",
    [
        {"source": SOURCE, "target": TARGET},
        {"source": SOURCE, "target": TARGET, "objects": [["frames/0.txt", "etag"]]},
        {"source": SOURCE, "target": TARGET, "objects": [[1, "etag", 3]]},
    ],
)
def test_given_a_malformed_item_when_handled_then_it_is_refused_before_any_copy(
    s3: S3Client, lambda_context: LambdaContext, event: dict[str, Any]
) -> None:
    with pytest.raises(InvalidRequestError):
        copy_batch.handler(event, lambda_context)
