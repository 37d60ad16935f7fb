"""Lambda: point the copied manifests, sequence files and label categories at the input location.

Rewrites the given target files in place: every string value that is an ``s3://`` URI under the source location
moves to the same relative key under the target location; nothing else in the file changes (see
``gt3d_core.rewrite.rewrite_json_stream``). Only files that change are written, and they keep their content
headers and user metadata (including the copy step's source-ETag marker), so a second run writes nothing and a
re-run of the copy still recognizes them.
"""

from __future__ import annotations

import functools
import io
import json
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError
from handler_support import aws_error_policy, is_not_found, logger, object_attributes, sdk_config

from gt3d_core.errors import InvalidRequestError, MissingObjectsError
from gt3d_core.json_text import STREAM_CHUNK_BYTES, decode_json_bytes
from gt3d_core.rewrite import rewrite_json_stream
from gt3d_core.s3_location import S3Location, S3Uri

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MAX_WORKERS: Final = 8


@dataclass(frozen=True, slots=True)
class RewriteRequest:
    """Which target files to rewrite, and the source location whose URIs move to the target location."""

    source: S3Location
    target: S3Location
    keys: tuple[str, ...]

    @classmethod
    def from_event(cls, event: object) -> RewriteRequest:
        """Parse the state machine's payload; raise ``InvalidRequestError`` saying which field is wrong and how."""
        if not isinstance(event, Mapping):
            raise InvalidRequestError('The rewrite event must be an object {"source", "target", "keys"}.')
        source = S3Location.from_event(event.get("source"), "source")
        target = S3Location.from_event(event.get("target"), "target")
        if source.overlaps(target):
            raise InvalidRequestError(
                f"The target location {target} overlaps the source location {source}; use separate prefixes."
            )
        keys = event.get("keys")
        if not isinstance(keys, list) or not all(isinstance(key, str) for key in keys):
            raise InvalidRequestError(f"`keys` must be a list of object keys in the target bucket; got {keys!r}.")
        outside = [key for key in keys if not _is_file_under(target, key)]
        if outside:
            raise InvalidRequestError(
                f"`keys` must name files under the target location {target} (full keys, as copy_data returns "
                f"them); these do not: {outside[:5]!r}."
            )
        return cls(source, target, tuple(dict.fromkeys(keys)))


def _is_file_under(location: S3Location, key: str) -> bool:
    if not key.startswith(location.prefix) or key.endswith("/"):
        return False
    try:
        S3Uri(location.bucket, key)
    except ValueError:  # control characters, or longer than S3 allows
        return False
    return True


@dataclass(frozen=True, slots=True)
class RewriteSummary:
    """How many files were written and how many URIs moved in them."""

    rewritten: int
    uris: int

    def as_dict(self) -> dict[str, int]:
        """Return the handler's response: ``{"rewritten", "uris"}``."""
        return {"rewritten": self.rewritten, "uris": self.uris}


@functools.cache
def _s3_client() -> S3Client:
    return boto3.client("s3", config=sdk_config())


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    """Rewrite the target files the copy step listed (``keys``: where it wrote their list) to reference the input
    location; return files and URIs changed."""
    s3 = _s3_client()
    with aws_error_policy():
        keys = read_key_list(s3, event.get("keys"))
        request = RewriteRequest.from_event({**event, "keys": keys})
        summary = rewrite_manifests(s3, request)
    return summary.as_dict()


def read_key_list(s3: S3Client, location: object) -> object:
    """Return the JSON list the copy step wrote at ``location`` (``{"bucket", "key"}``): the files to rewrite.

    The list travels through S3, not the execution state, whose 256 KiB limit a large dataset's list would break.
    """
    if not isinstance(location, Mapping) or not all(isinstance(location.get(k), str) for k in ("bucket", "key")):
        raise InvalidRequestError(f'`keys` must be the copy step\'s {{"bucket", "key"}} of its list; got {location!r}.')
    uri = S3Uri(location["bucket"], location["key"])
    return json.loads(decode_json_bytes(str(uri), s3.get_object(Bucket=uri.bucket, Key=uri.key)["Body"].read()))


def rewrite_manifests(s3: S3Client, request: RewriteRequest, *, max_workers: int = MAX_WORKERS) -> RewriteSummary:
    """Rewrite each of ``request.keys`` in place, writing only the files whose content changes.

    Raises ``ManifestFormatError`` (naming the file and line) for a file that is not JSON / JSON Lines, and
    ``MissingObjectsError`` for a key that does not exist; files rewritten before that stay rewritten, which is
    harmless because the rewrite is idempotent.
    """
    with ThreadPoolExecutor(max_workers=max_workers) as pool:
        moved = list(pool.map(lambda key: _rewrite_one(s3, request, key), request.keys))
    summary = RewriteSummary(rewritten=sum(1 for count in moved if count), uris=sum(moved))
    logger.info(
        "Rewrite finished",
        extra={"target": str(request.target), "files": len(request.keys), **summary.as_dict()},
    )
    return summary


def _rewrite_one(s3: S3Client, request: RewriteRequest, key: str) -> int:
    """Rewrite one file; return the number of URIs moved (0: the file was left untouched).

    Streams: a first pass counts what would move (a re-run finds nothing and writes nothing), a second pass over
    the same object version uploads the rewritten file in parts. Memory does not grow with the file.
    """
    uri = S3Uri(request.target.bucket, key)
    try:
        response = s3.get_object(Bucket=uri.bucket, Key=key)
    except ClientError as error:
        if is_not_found(error):
            raise MissingObjectsError(
                f"{uri} does not exist, but the copy step listed it. Start a new execution to copy it again."
            ) from error
        raise
    counting = rewrite_json_stream(
        str(uri), response["Body"].iter_chunks(STREAM_CHUNK_BYTES), request.source, request.target
    )
    for _ in counting:
        pass
    if not counting.uris:
        return 0
    version = s3.get_object(Bucket=uri.bucket, Key=key, IfMatch=response["ETag"])["Body"]
    rewrite = rewrite_json_stream(str(uri), version.iter_chunks(STREAM_CHUNK_BYTES), request.source, request.target)
    # A failure part-way aborts the multipart upload: the file stays as it was.
    upload = io.BufferedReader(_ChunkReader(iter(rewrite)), buffer_size=STREAM_CHUNK_BYTES)
    s3.upload_fileobj(upload, uri.bucket, key, ExtraArgs=object_attributes(response))
    logger.debug("Rewrote file", extra={"key": key, "uris": rewrite.uris})
    return rewrite.uris


class _ChunkReader(io.RawIOBase):
    """A read-only file over an iterator of byte chunks, for boto3's managed (multipart) upload."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        super().__init__()
        self._chunks = chunks
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
