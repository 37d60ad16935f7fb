"""Generic handler-test fixtures: a moto-backed S3 client, bucket helpers and a Powertools-style Lambda context."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import boto3
import fake_context
import pytest
from aws_lambda_powertools.utilities.typing import LambdaContext
from moto import mock_aws

from gt3d.s3_preconditions import copy_source_preconditions

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

TEST_REGION = "us-east-1"


@pytest.fixture
def lambda_context() -> LambdaContext:
    """A Lambda context good enough for ``@logger.inject_lambda_context``."""
    return fake_context.lambda_context()


@pytest.fixture
def aws_mock() -> Iterator[None]:
    """Every AWS call in the test goes to moto's in-memory backend, with S3's copy-source ETag precondition."""
    with mock_aws(), copy_source_preconditions():
        yield


@pytest.fixture
def s3_client(aws_mock: None) -> S3Client:
    """A boto3 S3 client backed by moto."""
    return boto3.client("s3", region_name=TEST_REGION)


@pytest.fixture
def make_bucket(s3_client: S3Client) -> Callable[[str], str]:
    """Create a bucket by name and return the name."""

    def create(name: str) -> str:
        s3_client.create_bucket(Bucket=name)
        return name

    return create


def bucket_snapshot(s3: S3Client, bucket: str) -> dict[str, dict[str, Any]]:
    """Return every object's ETag, size, content type and user metadata: compare two snapshots to prove no writes."""
    snapshot: dict[str, dict[str, Any]] = {}
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents", []):
            head = s3.head_object(Bucket=bucket, Key=entry["Key"])
            snapshot[entry["Key"]] = {
                "etag": entry["ETag"],
                "size": entry["Size"],
                "last_modified": entry["LastModified"],
                "content_type": head.get("ContentType"),
                "metadata": head.get("Metadata", {}),
            }
    return snapshot


@pytest.fixture
def snapshot() -> Callable[[S3Client, str], dict[str, dict[str, Any]]]:
    """The ``bucket_snapshot`` helper as a fixture."""
    return bucket_snapshot
