"""What every handler shares: the structured logger and the policy for AWS errors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from gt3d_core.errors import AwsTransientError

logger = Logger(service="gt3d-pipeline")

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
