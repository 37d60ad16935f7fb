"""gt3d.s3_preconditions: the emulated S3 refuses a copy whose source no longer has the ETag the caller pinned."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from gt3d.s3_preconditions import copy_source_preconditions

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

BUCKET = "bucket"
SOURCE = {"Bucket": BUCKET, "Key": "source.bin"}


@pytest.fixture
def s3() -> Iterator[S3Client]:
    with mock_aws(), copy_source_preconditions():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def _put(s3: S3Client, body: bytes) -> str:
    return s3.put_object(Body=body, **SOURCE)["ETag"]


def test_given_the_pinned_etag_when_copied_then_the_copy_is_made(s3: S3Client) -> None:
    etag = _put(s3, b"version 1")

    s3.copy_object(CopySource=SOURCE, Bucket=BUCKET, Key="copy.bin", CopySourceIfMatch=etag)

    assert s3.get_object(Bucket=BUCKET, Key="copy.bin")["Body"].read() == b"version 1"


def test_given_a_source_changed_since_it_was_pinned_when_copied_then_s3_answers_412_and_copies_nothing(
    s3: S3Client,
) -> None:
    etag = _put(s3, b"version 1")
    _put(s3, b"version 2")

    with pytest.raises(ClientError) as raised:
        s3.copy_object(CopySource=SOURCE, Bucket=BUCKET, Key="copy.bin", CopySourceIfMatch=etag)

    assert raised.value.response["Error"]["Code"] == "PreconditionFailed"
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET, Prefix="copy.bin")


def test_given_a_source_changed_since_it_was_pinned_when_a_part_is_copied_then_s3_answers_412(s3: S3Client) -> None:
    etag = _put(s3, b"version 1")
    _put(s3, b"version 2")
    upload = s3.create_multipart_upload(Bucket=BUCKET, Key="copy.bin")["UploadId"]

    with pytest.raises(ClientError) as raised:
        s3.upload_part_copy(
            Bucket=BUCKET, Key="copy.bin", UploadId=upload, PartNumber=1, CopySource=SOURCE, CopySourceIfMatch=etag
        )

    assert raised.value.response["Error"]["Code"] == "PreconditionFailed"
