"""The copy's S3 access layer: which objects exist (ETag, size, time), server-side copies pinned to a version, and
which copies a re-run can skip.

Shared by the copy planner (``copy_data``) and the batch copier (``copy_batch``). Existence is checked by listing,
never by HeadObject of a possibly missing key: S3 answers that with 403 unless the caller may list the bucket
without a prefix condition, and the pipeline's grants are prefix-scoped.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
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
"""User metadata on a marked copy (``is_marked``): the ETag of the source object it came from
(x-amz-meta-gt3d-source-etag), for a re-run that the listings cannot tell."""

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
    """One object to bring to the target.

    ``attributes`` (content headers and user metadata) is known for the JSON files, read with GetObject: their copy
    replaces the metadata to add the source ETag marker. Data objects have none and keep the source's metadata.
    """

    relative_key: str
    etag: str
    size: int
    last_modified: datetime | None = None
    attributes: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Stat:
    etag: str
    size: int
    last_modified: datetime

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> Stat:
        """Read a ListObjectsV2 entry or a HeadObject response."""
        size = entry["Size"] if "Size" in entry else entry["ContentLength"]
        return cls(normalize_etag(entry["ETag"]), size, entry["LastModified"])


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
                found[key] = Stat.of(entry)
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
    return Stat.of(entry)


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
        return key, Stat.of(response)

    return {key: stat for key, stat in run_all(pool, head, keys) if stat is not None}


def is_marked(item: SourceObject, config: TransferConfig = DEFAULT_TRANSFER_CONFIG) -> bool:
    """Whether the copy of ``item`` records its source ETag (``SOURCE_ETAG_METADATA_KEY``).

    JSON files do, since the rewrite changes them in place; so do multipart copies, whose ETag never equals the
    source's and whose time may fall in the same listed second. Every other object is one CopyObject that keeps the
    source's own metadata and costs no other request.
    """
    return item.attributes is not None or item.size >= config.multipart_threshold


def is_current_copy(item: SourceObject, copy: Stat, *, marked: bool) -> bool | None:
    """Tell from listings whether ``copy`` (the target object) came from ``item``'s version; None when only the
    marker of a ``marked`` copy can tell.

    The same ETag means the same bytes. Otherwise an unmarked copy is current when it has the same size and was
    written after the source object last changed, the rule ``aws s3 sync`` applies between two S3 locations
    (https://docs.aws.amazon.com/cli/latest/reference/s3/sync.html); *strictly* after, since listings give whole
    seconds.
    """
    if copy.etag == item.etag:
        return True
    if marked:
        return None
    return copy.size == item.size and item.last_modified is not None and copy.last_modified > item.last_modified


def copy_one(
    s3: S3Client,
    source: S3Location,
    target: S3Location,
    item: SourceObject,
    config: TransferConfig = DEFAULT_TRANSFER_CONFIG,
) -> None:
    """Server-side copy of one object, pinned to the checked source version.

    An unmarked object (see ``is_marked``) is one CopyObject that keeps its metadata. A marked one replaces the
    metadata with the source's plus the marker (read with a HeadObject unless already known) and, above the
    multipart threshold, goes through boto3's managed copy: a multipart copy, which S3 requires above 5 GB.
    """
    source_key, target_key = source.key(item.relative_key), target.key(item.relative_key)
    quoted_etag = f'"{item.etag}"'
    copy_source: CopySourceTypeDef = {"Bucket": source.bucket, "Key": source_key}
    try:
        if not is_marked(item, config):
            s3.copy_object(CopySource=copy_source, Bucket=target.bucket, Key=target_key, CopySourceIfMatch=quoted_etag)
        else:
            attributes = item.attributes
            if attributes is None:
                head = s3.head_object(Bucket=source.bucket, Key=source_key, IfMatch=quoted_etag)
                attributes = object_attributes(head)
            extra_args: dict[str, Any] = {
                **attributes,
                "Metadata": {**attributes.get("Metadata", {}), SOURCE_ETAG_METADATA_KEY: item.etag},
                "MetadataDirective": "REPLACE",
                "CopySourceIfMatch": quoted_etag,
            }
            s3.copy(copy_source, target.bucket, target_key, extra_args, Config=config)
    except ClientError as error:
        if _error_code(error) in _PRECONDITION_FAILED:
            raise AwsTransientError(
                f"{source.uri(item.relative_key)} changed while it was being copied; a retry re-reads it."
            ) from error
        raise
    logger.debug("Copied object", extra={"key": item.relative_key, "bytes": item.size})
