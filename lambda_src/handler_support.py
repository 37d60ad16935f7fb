"""What every handler shares: the structured logger and the policy for AWS errors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from gt3d_core.errors import AwsTransientError

logger = Logger(service="gt3d-pipeline")

PRESERVED_ATTRIBUTES: Final = (
    "ContentType",
    "CacheControl",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
)
"""Object attributes a copy with MetadataDirective=REPLACE (and the rewrite's PutObject) must carry over."""

_NOT_FOUND_CODES: Final = frozenset({"404", "NoSuchKey", "NotFound"})

_TRANSIENT_ERROR_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "SlowDown",
        "ServiceUnavailable",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)


@contextmanager
def transient_aws_errors() -> Iterator[None]:
    """Re-raise throttling and service faults as ``AwsTransientError`` so Step Functions retries them.

    Every other ``ClientError`` propagates unchanged: it is either the user's to fix (and handled by the
    caller) or a bug that retrying would only hide.
    """
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in _TRANSIENT_ERROR_CODES or status >= 500:
            raise AwsTransientError(f"{error.operation_name} failed transiently ({code}); retry.") from error
        raise


def is_not_found(error: ClientError) -> bool:
    """True when an S3 Get/HeadObject failed because the object does not exist (HeadObject says only "404")."""
    return error.response.get("Error", {}).get("Code", "") in _NOT_FOUND_CODES


def object_attributes(response: Mapping[str, Any]) -> dict[str, Any]:
    """Return the content headers and user metadata of a Get/HeadObject response, to carry them over to a copy."""
    attributes = {name: response[name] for name in PRESERVED_ATTRIBUTES if response.get(name)}
    attributes["Metadata"] = dict(response.get("Metadata") or {})
    return attributes
