"""How long one AWS SDK call may take, retries included: the handlers' client settings and the functions' timeouts.

A Lambda function's timeout must outlast its SDK calls, or a slow call is cut off mid-way, and Step Functions sees
``Sandbox.Timedout`` while the call may still have taken effect. The handlers build their botocore ``Config`` from
:data:`SDK_CALL_BUDGET` and the stacks size each function's timeout from it, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

STANDARD_MODE_MAX_BACKOFF_SECONDS: Final = 20.0
"""botocore's ``standard`` retry mode waits ``min(random() * 2**attempt, 20)`` seconds before each retry."""


@dataclass(frozen=True, slots=True)
class SdkCallBudget:
    """Connect and read timeouts and the total attempts (first try included) of one SDK call."""

    connect_timeout_seconds: int
    read_timeout_seconds: int
    total_max_attempts: int

    def worst_case_seconds(self) -> float:
        """Return the longest one call can take: every attempt timing out, with the longest backoff between them."""
        attempts = self.total_max_attempts * (self.connect_timeout_seconds + self.read_timeout_seconds)
        backoffs = sum(
            min(2.0**attempt, STANDARD_MODE_MAX_BACKOFF_SECONDS) for attempt in range(self.total_max_attempts - 1)
        )
        return attempts + backoffs


SDK_CALL_BUDGET: Final = SdkCallBudget(connect_timeout_seconds=5, read_timeout_seconds=20, total_max_attempts=3)
"""Every handler's SDK calls: 3 attempts of at most 25 s, 78 s in the worst case (boto3's defaults: 60 s each)."""
