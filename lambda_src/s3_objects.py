"""The copy's S3 access layer: which objects exist (with ETag and size), and server-side copies pinned to a version.

Shared by the copy planner (``copy_data``) and the batch copier (``copy_batch``). Existence is checked by listing,
never by HeadObject of a possibly missing key: S3 answers that with 403 unless the caller may list the bucket
without a prefix condition, and the pipeline's grants are prefix-scoped.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from os.path import commonprefix
from typing import TYPE_CHECKING, Any, Final, TypeVar

from boto3.s3.transfer import TransferConfig
from botocore.exceptions import ClientError
from handler_support import is_access_denied, is_not_found, logger, object_attributes

from gt3d_core.errors import AwsTransientError
from gt3d_core.s3_location import S3Location

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CopySourceTypeDef

MIB: Final = 1024 * 1024
SOURCE_ETAG_METADATA_KEY: Final = "gt3d-source-etag"
"""User metadata on every copy: the ETag of the source object it came from (S3 sends x-amz-meta-gt3d-source-etag)."""

DEFAULT_TRANSFER_CONFIG: Final = TransferConfig(
    multipart_threshold=64 * MIB, multipart_chunksize=64 * MIB, max_concurrency=4
)
LIST_EACH_BELOW: Final = 25
"""Check fewer keys than this with one listing each; more with a paginated listing of their common prefix."""
KEYS_PER_LIST_PAGE: Final = 10
"""Listing budget: one page per this many wanted keys; past it, the keys not yet listed are listed one by one."""
LIST_PAGE_SIZE: Final = 1000

_PRECONDITION_FAILED: Final = frozenset({"412", "PreconditionFailed"})
_T = TypeVar("_T")
_R = TypeVar("_R")


@dataclass(frozen=True, slots=True)
class SourceObject:
    """One object to bring to the target; ``attributes`` is known already for the JSON files (read with GetObject)."""

    relative_key: str
    etag: str
    size: int
    attributes: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Stat:
    etag: str
    size: int


def normalize_etag(etag: str) -> str:
    return etag.strip('"')


def _error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def run_all(pool: ThreadPoolExecutor, function: Callable[[_T], _R], items: Iterable[_T]) -> list[_R]:
    """Map over ``items`` on the pool; the first exception propagates (after the running calls finish)."""
    return list(pool.map(function, items))


def stat_keys(s3: S3Client, bucket: str, keys: Collection[str], pool: ThreadPoolExecutor) -> dict[str, Stat]:
    """Return ETag and size of each of ``keys`` that exists, with as few requests as the key set allows.

    Few keys: one listing of each key as a prefix. Many: list their common prefix (S3 lists in key order, starting
    just before the smallest wanted key) until past the largest, within a page budget; keys beyond the budget are
    listed one by one. Listings, not HeadObject: S3 answers a HeadObject of a missing key with 403 unless the caller
    may list the bucket without a prefix condition, and our grants are prefix-scoped. Where listing is denied (a
    source bucket's policy may allow only GetObject), each key gets a HeadObject instead.
    """
    wanted = sorted(set(keys))
    try:
        return _list_keys(s3, bucket, wanted, pool)
    except ClientError as error:
        if not is_access_denied(error):
            raise
    logger.warning(
        "Listing is denied; checking each object with HeadObject (a missing object then reads as denied)",
        extra={"bucket": bucket, "objects": len(wanted)},
    )
    return _head_many(s3, bucket, wanted, pool)


def _list_keys(s3: S3Client, bucket: str, wanted: list[str], pool: ThreadPoolExecutor) -> dict[str, Stat]:
    if len(wanted) < LIST_EACH_BELOW:
        return _list_each(s3, bucket, wanted, pool)
    wanted_set = set(wanted)
    found: dict[str, Stat] = {}
    listed_up_to = ""
    complete = False
    paginator = s3.get_paginator("list_objects_v2")
    # Any string sorting below the smallest wanted key works as StartAfter; that key minus its last character does.
    pages_iter = paginator.paginate(
        Bucket=bucket,
        Prefix=commonprefix(wanted),  # noqa: RUF071 - a string prefix is what ListObjectsV2 takes
        StartAfter=wanted[0][:-1],
        PaginationConfig={"PageSize": LIST_PAGE_SIZE},
    )
    for pages, page in enumerate(pages_iter, start=1):
        for entry in page.get("Contents", []):
            key = entry["Key"]
            if key in wanted_set:
                found[key] = Stat(normalize_etag(entry["ETag"]), entry["Size"])
            listed_up_to = key
        if listed_up_to >= wanted[-1]:
            complete = True
            break
        if pages >= max(1, len(wanted) // KEYS_PER_LIST_PAGE):
            break
    else:
        complete = True  # the listing ran out: every wanted key not seen does not exist
    if not complete:
        found.update(_list_each(s3, bucket, [key for key in wanted if key > listed_up_to], pool))
    return found


def listed_stat(s3: S3Client, bucket: str, key: str, *, denied: ClientError | None = None) -> Stat | None:
    """Return the key's ETag and size from a listing of the key as a prefix (its first entry), or None if absent.

    With ``denied`` (the error that made the caller ask), a denied listing re-raises that error instead.
    """
    try:
        response = s3.list_objects_v2(Bucket=bucket, Prefix=key, MaxKeys=1)
    except ClientError as error:
        if denied is not None and is_access_denied(error):
            raise denied from error
        raise
    entry = next(iter(response.get("Contents", [])), None)
    if entry is None or entry["Key"] != key:
        return None
    return Stat(normalize_etag(entry["ETag"]), entry["Size"])


def _list_each(s3: S3Client, bucket: str, keys: list[str], pool: ThreadPoolExecutor) -> dict[str, Stat]:
    stats = run_all(pool, lambda key: listed_stat(s3, bucket, key), keys)
    return {key: stat for key, stat in zip(keys, stats, strict=True) if stat is not None}


def _head_many(s3: S3Client, bucket: str, keys: list[str], pool: ThreadPoolExecutor) -> dict[str, Stat]:
    def head(key: str) -> tuple[str, Stat | None]:
        try:
            response = s3.head_object(Bucket=bucket, Key=key)
        except ClientError as error:
            # Without listing, S3 answers a missing key 403 too: either way the job could not read it.
            if is_not_found(error) or is_access_denied(error):
                return key, None
            raise
        return key, Stat(normalize_etag(response["ETag"]), response["ContentLength"])

    return {key: stat for key, stat in run_all(pool, head, keys) if stat is not None}


def copy_one(
    s3: S3Client,
    source: S3Location,
    target: S3Location,
    item: SourceObject,
    config: TransferConfig = DEFAULT_TRANSFER_CONFIG,
) -> None:
    """Server-side copy of one object, pinned to the checked source version, recording that version's ETag."""
    source_key = source.key(item.relative_key)
    quoted_etag = f'"{item.etag}"'
    try:
        attributes = item.attributes
        if attributes is None:
            attributes = object_attributes(s3.head_object(Bucket=source.bucket, Key=source_key, IfMatch=quoted_etag))
        extra_args: dict[str, Any] = {
            **attributes,
            "Metadata": {**attributes.get("Metadata", {}), SOURCE_ETAG_METADATA_KEY: item.etag},
            "MetadataDirective": "REPLACE",
            "CopySourceIfMatch": quoted_etag,
        }
        copy_source: CopySourceTypeDef = {"Bucket": source.bucket, "Key": source_key}
        s3.copy(copy_source, target.bucket, target.key(item.relative_key), extra_args, Config=config)
    except ClientError as error:
        if _error_code(error) in _PRECONDITION_FAILED:
            raise AwsTransientError(
                f"{source.uri(item.relative_key)} changed while it was being copied; a retry re-reads it."
            ) from error
        raise
    logger.debug("Copied object", extra={"key": item.relative_key, "bytes": item.size})
