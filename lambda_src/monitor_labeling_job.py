"""Lambda: report a labeling job's status and how long the state machine should wait before asking again."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError
from handler_support import aws_error_policy, logger, sdk_config

from gt3d_core.errors import InvalidRequestError
from gt3d_core.names import validate_job_name
from gt3d_core.progress import JobProgress, interpret_job_description

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient


@dataclass(frozen=True, slots=True)
class MonitorEvent:
    """The task payload: ``{"job_name": str}``."""

    job_name: str

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> MonitorEvent:
        """Parse and validate the payload."""
        return cls(job_name=validate_job_name(event.get("job_name")))


@functools.cache
def _sagemaker_client() -> SageMakerClient:
    return boto3.client("sagemaker", config=sdk_config())


def _utc_now() -> datetime:
    return datetime.now(UTC)


def monitor_labeling_job(client: SageMakerClient, job_name: str, *, now: datetime) -> JobProgress:
    """Describe ``job_name`` and interpret its status as of ``now``."""
    try:
        with aws_error_policy():
            description = client.describe_labeling_job(LabelingJobName=job_name)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFound":
            raise
        raise InvalidRequestError(
            f"No labeling job named {job_name!r} exists in this account and region. It may have been created "
            "elsewhere; start a new execution."
        ) from error
    return interpret_job_description(description, now=now)


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Return ``$.monitor`` for the job named in the event."""
    request = MonitorEvent.from_event(event)
    progress = monitor_labeling_job(_sagemaker_client(), request.job_name, now=_utc_now())
    logger.info(
        "Labeling job status",
        extra={"job_name": request.job_name, "status": progress.status, "wait_seconds": progress.wait_seconds},
    )
    return progress.to_dict()
