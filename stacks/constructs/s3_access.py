"""Prefix-scoped S3 permissions written as explicit statements (no ``s3:GetObject*``/``s3:List*`` grants)."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Aws

from stacks.constructs.explicit_role import ExplicitRole

READ_ACTIONS = ("s3:GetObject",)
"""GetObject also authorizes HeadObject and is the source side of CopyObject."""

WRITE_ACTIONS = ("s3:PutObject", "s3:AbortMultipartUpload")
"""PutObject authorizes PutObject, the destination of CopyObject and every multipart upload call but the abort."""


@dataclass(frozen=True, slots=True)
class BucketPrefix:
    """A key prefix in one bucket (the bucket name may be a token), as IAM resources and as an ``s3://`` URI."""

    bucket_name: str
    prefix: str

    @property
    def bucket_arn(self) -> str:
        """Return the bucket's ARN (what ``s3:ListBucket`` is granted on)."""
        return f"arn:{Aws.PARTITION}:s3:::{self.bucket_name}"

    @property
    def objects_arn(self) -> str:
        """Return the ARN pattern of every object under the prefix."""
        return f"{self.bucket_arn}/{self.prefix}*"

    def child(self, relative_prefix: str) -> BucketPrefix:
        """Return the prefix ``relative_prefix`` (ending in ``/``) below this one."""
        return BucketPrefix(self.bucket_name, self.prefix + relative_prefix)

    @property
    def uri(self) -> str:
        """Return ``s3://bucket/prefix``."""
        return f"s3://{self.bucket_name}/{self.prefix}"


def _reason(location: BucketPrefix) -> str:
    return (
        f"Object permissions are limited to the keys under one prefix ({location.prefix or 'the bucket root'}); "
        "IAM can only express an S3 key prefix as a trailing wildcard."
    )


def allow_read(role: ExplicitRole, location: BucketPrefix, *, list_keys: bool) -> None:
    """Let ``role`` read the objects under ``location`` and, if ``list_keys``, list keys under that prefix only."""
    role.allow(actions=READ_ACTIONS, resources=[location.objects_arn], wildcard_reason=_reason(location))
    if list_keys:
        role.allow(
            actions=["s3:ListBucket"],
            resources=[location.bucket_arn],
            conditions={"StringLike": {"s3:prefix": [f"{location.prefix}*"]}},
        )


def allow_write(role: ExplicitRole, location: BucketPrefix) -> None:
    """Let ``role`` create and overwrite (never delete) objects under ``location``."""
    role.allow(actions=WRITE_ACTIONS, resources=[location.objects_arn], wildcard_reason=_reason(location))
