"""Lambda (Distributed Map item): copy one batch of objects that the copy step planned, server side.

The copy step (``copy_data``) has already validated the inputs, checked that every object exists and decided what
the target lacks; it lists those objects in batches (``copy-batches.json``) when there are too many to copy in one
invocation. Each batch names the source ETag it checked, so each copy is pinned to that version and records it.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from handler_support import aws_error_policy, logger, sdk_config
from s3_objects import SourceObject, copy_one, run_all

from gt3d_core.errors import InvalidRequestError
from gt3d_core.s3_location import S3Location

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MAX_WORKERS: Final = 16


@dataclass(frozen=True, slots=True)
class CopyBatch:
    """The item: the source and target locations and ``objects``, ``[relative key, ETag, size]`` each."""

    source: S3Location
    target: S3Location
    objects: tuple[SourceObject, ...]

    @classmethod
    def from_event(cls, event: object) -> CopyBatch:
        """Parse the Distributed Map item the workflow builds; a malformed one is a wiring error."""
        if not isinstance(event, Mapping) or not isinstance(event.get("objects"), list):
            raise InvalidRequestError('The copy batch must be an object {"source", "target", "objects": [...]}.')
        objects = []
        for row in event["objects"]:
            if not (isinstance(row, list) and len(row) == 3 and isinstance(row[0], str) and isinstance(row[2], int)):
                raise InvalidRequestError(f"Each batch object is [relative key, ETag, size]; got {row!r}.")
            objects.append(SourceObject(relative_key=row[0], etag=str(row[1]), size=row[2]))
        return cls(
            source=S3Location.from_event(event.get("source"), "source"),
            target=S3Location.from_event(event.get("target"), "target"),
            objects=tuple(objects),
        )


@functools.cache
def _s3_client() -> S3Client:
    return boto3.client("s3", config=sdk_config(max_pool_connections=MAX_WORKERS * 4))


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    """Copy every object of the batch; return ``{"copied", "bytes"}``."""
    batch = CopyBatch.from_event(event)
    with aws_error_policy(), ThreadPoolExecutor(max_workers=MAX_WORKERS) as pool:
        run_all(pool, lambda item: copy_one(_s3_client(), batch.source, batch.target, item), batch.objects)
    logger.info("Copied a batch", extra={"objects": len(batch.objects)})
    return {"copied": len(batch.objects), "bytes": sum(item.size for item in batch.objects)}
