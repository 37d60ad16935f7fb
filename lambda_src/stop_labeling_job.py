"""Lambda: the workflow's failure path stops the labeling job it created before it reports the failure."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from handler_support import logger, sdk_config
from labeling_job_stop import stop_own_job

from gt3d_core.errors import InvalidRequestError
from gt3d_core.names import validate_job_name

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient


@functools.cache
def _sagemaker_client() -> SageMakerClient:
    return boto3.client("sagemaker", config=sdk_config())


@logger.inject_lambda_context
def handler(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Event ``{"job_name", "execution_name"}``; return ``{"job_name", "status", "stopped", "reason"}``."""
    execution_name = event.get("execution_name")
    if not isinstance(execution_name, str) or not execution_name:
        raise InvalidRequestError('The stop event needs "execution_name", the execution that created the job.')
    job_name = validate_job_name(event.get("job_name"))
    return stop_own_job(_sagemaker_client(), job_name, execution_name).as_dict()
