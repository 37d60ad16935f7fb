"""The one fake Lambda context the handler tests share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from aws_lambda_powertools.utilities.typing import LambdaContext


@dataclass(frozen=True)
class FakeLambdaContext:
    """The attributes Powertools' ``inject_lambda_context`` reads from the real context object."""

    function_name: str = "gt3d-test-function"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:gt3d-test-function"
    aws_request_id: str = "00000000-0000-4000-8000-000000000000"
    log_group_name: str = "/aws/lambda/gt3d-test-function"
    log_stream_name: str = "2025/01/01/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def lambda_context() -> LambdaContext:
    """Return a context good enough for the handlers' Powertools decorator."""
    return cast(LambdaContext, FakeLambdaContext())
