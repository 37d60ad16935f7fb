"""What every handler shares: the structured logger, the SDK client settings and the policy for AWS errors."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

from aws_lambda_powertools import Logger
from botocore.config import Config
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from gt3d_core.errors import AccessDeniedError, AwsTransientError, MissingObjectsError
from gt3d_core.sdk_budget import SDK_CALL_BUDGET

logger = Logger(service="gt3d-pipeline")

PRESERVED_ATTRIBUTES: Final = (
    "ContentType",
    "CacheControl",
    "ContentDisposition",
    "ContentEncoding",
    "ContentLanguage",
)
"""Object attributes a copy with MetadataDirective=REPLACE (and the rewrite's PutObject) must carry over."""

_ACCESS_DENIED_CODES: Final = frozenset({"AccessDenied", "AccessDeniedException", "403"})
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


def sdk_config(**settings: Any) -> Config:
    """Return the botocore client settings of every handler: timeouts and retries that fit the function's timeout.

    boto3's defaults (60 s connect and read timeouts, several attempts) could outlast a function's timeout; these
    come from ``SDK_CALL_BUDGET``, which the stacks size the function timeouts with.
    """
    return Config(
        connect_timeout=SDK_CALL_BUDGET.connect_timeout_seconds,
        read_timeout=SDK_CALL_BUDGET.read_timeout_seconds,
        retries={"mode": "standard", "total_max_attempts": SDK_CALL_BUDGET.total_max_attempts},
        **settings,
    )


@contextmanager
def aws_error_policy() -> Iterator[None]:
    """Sort AWS errors into retryable and user-fixable ones, the two kinds the state machine tells apart.

    Throttling, service faults and network failures become ``AwsTransientError`` (Step Functions retries them).
    A denied call becomes ``AccessDeniedError`` and a missing bucket ``MissingObjectsError``, each saying what to
    fix. Every other ``ClientError`` propagates unchanged: the caller handles it, or it is a bug that retrying
    would only hide.
    """
    try:
        yield
    except ClientError as error:
        details = error.response.get("Error", {})
        code = details.get("Code", "")
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if code in _TRANSIENT_ERROR_CODES or status >= 500:
            raise AwsTransientError(f"{error.operation_name} failed transiently ({code}); retry.") from error
        if code in _ACCESS_DENIED_CODES:
            raise AccessDeniedError(
                f"{error.operation_name} was denied ({code}: {details.get('Message', 'no message')}). The function's "
                "role or the resource's policy does not allow it. A source bucket in another account must grant the "
                "pipeline's copy role s3:GetObject and s3:ListBucket on the source prefix; otherwise check the "
                "settings and redeploy the pipeline stack."
            ) from error
        if code == "NoSuchBucket":
            raise MissingObjectsError(
                f"{error.operation_name}: the bucket {details.get('BucketName', '')!r} does not exist. Check the "
                "source_uri setting (or the execution's source location) and start a new execution."
            ) from error
        raise
    except (BotoConnectionError, HTTPClientError) as error:
        raise AwsTransientError(f"The connection to AWS failed ({type(error).__name__}); retry.") from error


def is_not_found(error: ClientError) -> bool:
    """True when an S3 Get/HeadObject failed because the object does not exist (HeadObject says only "404")."""
    return error.response.get("Error", {}).get("Code", "") in _NOT_FOUND_CODES


def is_access_denied(error: ClientError) -> bool:
    """True when a call was denied (HeadObject says only "403")."""
    return error.response.get("Error", {}).get("Code", "") in _ACCESS_DENIED_CODES


def object_attributes(response: Mapping[str, Any]) -> dict[str, Any]:
    """Return the content headers and user metadata of a Get/HeadObject response, to carry them over to a copy."""
    attributes = {name: response[name] for name in PRESERVED_ATTRIBUTES if response.get(name)}
    attributes["Metadata"] = dict(response.get("Metadata") or {})
    return attributes
