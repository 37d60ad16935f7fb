"""S3 as the emulated Ground Truth sees a job's data: ``s3://`` URIs, and objects read and written as a role."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from gt3d.emulated_ground_truth.errors import validation


@dataclass(frozen=True, slots=True)
class S3Uri:
    """An ``s3://bucket/key`` location: an object, or a prefix when the key ends in ``/``."""

    bucket: str
    key: str

    @classmethod
    def parse(cls, value: Any) -> S3Uri | None:
        """Return the location ``value`` names, or None when it is not an ``s3://bucket/...`` string."""
        if not isinstance(value, str) or not value.startswith("s3://"):
            return None
        bucket, _, key = value.removeprefix("s3://").partition("/")
        return cls(bucket, key) if bucket else None

    @classmethod
    def of_object(cls, value: Any) -> S3Uri | None:
        """Return the object ``value`` names, or None when it is not ``s3://bucket/key`` (a prefix is not one)."""
        uri = cls.parse(value)
        return uri if uri is not None and uri.key and not uri.key.endswith("/") else None

    @classmethod
    def of_prefix(cls, value: Any) -> S3Uri | None:
        """Return the prefix ``value`` names, or None unless it is ``s3://bucket/`` or ``s3://bucket/.../``."""
        uri = cls.parse(value)
        return uri if uri is not None and (not uri.key or uri.key.endswith("/")) else None

    def join(self, relative: str) -> S3Uri:
        """Return the object at ``relative`` under this prefix (the documented ``<prefix><path>``)."""
        return S3Uri(self.bucket, self.key + relative)

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


class ObjectStore:
    """A job's objects, read and written through one client from ``make_client()``, acting as the job's role."""

    def __init__(self, make_client: Callable[[], Any]) -> None:
        self._make_client = make_client
        self._s3: Any = None
        self._sizes: dict[S3Uri, int | None] = {}

    def _client(self) -> Any:
        # One client per store: making a botocore client costs more than the requests a small object needs.
        if self._s3 is None:
            self._s3 = self._make_client()
        return self._s3

    def size(self, uri: S3Uri) -> int | None:
        """Return the object's size in bytes, or None when it does not exist or the role cannot see it."""
        if uri not in self._sizes:
            try:
                head = self._client().head_object(Bucket=uri.bucket, Key=uri.key)
                self._sizes[uri] = int(head["ContentLength"])
            except ClientError:
                self._sizes[uri] = None
        return self._sizes[uri]

    def exists(self, uri: S3Uri) -> bool:
        """Return whether the object exists and the role can see it."""
        return self.size(uri) is not None

    def read(self, uri: S3Uri, what: str) -> bytes:
        """Return the object's bytes, or refuse naming ``what`` it is when the role cannot read it."""
        try:
            data: bytes = self._client().get_object(Bucket=uri.bucket, Key=uri.key)["Body"].read()
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            raise validation(f"Cannot read the {what} {uri} ({code}).") from error
        return data

    def read_json(self, uri: S3Uri, what: str) -> Any:
        """Return the object parsed as JSON, or refuse naming ``what`` it is when it is not JSON."""
        try:
            return json.loads(self.read(uri, what))
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise validation(f"The {what} {uri} is not valid JSON: {error}.") from error

    def put(self, uri: S3Uri, data: bytes) -> None:
        """Write the object."""
        self._client().put_object(Bucket=uri.bucket, Key=uri.key, Body=data)
