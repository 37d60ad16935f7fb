"""Lambda: create the Ground Truth labeling job for ``$.plan``, accepting its own earlier attempt on retry."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import ClientError
from handler_support import aws_error_policy, logger, sdk_config

from gt3d_core.create_request import (
    CreatedJob,
    build_create_labeling_job_request,
    require_same_job,
    validate_job_settings,
)
from gt3d_core.errors import ConfigurationError, InvalidRequestError, QuotaExceededError
from gt3d_core.labeling_job import LabelingJobPlan

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient


@dataclass(frozen=True, slots=True)
class CreateEnvironment:
    """Who runs the job (role), who labels it (work team) and where (region)."""

    role_arn: str
    workteam_arn: str
    region: str

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> CreateEnvironment:
        """Read the role, work team and region; raise if one is unset, malformed or unsupported."""
        names = ("GROUND_TRUTH_ROLE_ARN", "WORKTEAM_ARN", "AWS_REGION")
        missing = [name for name in names if not environ.get(name)]
        if missing:
            raise ConfigurationError(
                f"Environment variable(s) {', '.join(missing)} not set. Redeploy the pipeline stack."
            )
        environment = cls(
            role_arn=environ["GROUND_TRUTH_ROLE_ARN"],
            workteam_arn=environ["WORKTEAM_ARN"],
            region=environ["AWS_REGION"],
        )
        validate_job_settings(
            region=environment.region, role_arn=environment.role_arn, workteam_arn=environment.workteam_arn
        )
        return environment


@functools.cache
def _sagemaker_client(region: str) -> SageMakerClient:
    return boto3.client("sagemaker", region_name=region, config=sdk_config())


def create_labeling_job(client: SageMakerClient, plan: LabelingJobPlan, environment: CreateEnvironment) -> CreatedJob:
    """Send CreateLabelingJob; on a name clash return the existing job if it is this plan's, else raise."""
    request = build_create_labeling_job_request(
        plan, region=environment.region, role_arn=environment.role_arn, workteam_arn=environment.workteam_arn
    )
    try:
        with aws_error_policy():
            response = client.create_labeling_job(**request)
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        if code == "ValidationException":
            message = error.response.get("Error", {}).get("Message", "")
            raise InvalidRequestError(
                f"SageMaker rejected the CreateLabelingJob request for {plan.job_name!r}: {message} "
                "Fix the execution input (or the data it names) and start a new execution."
            ) from error
        if code == "ResourceLimitExceeded":
            raise QuotaExceededError(
                f"SageMaker refused to create {plan.job_name!r}: {error.response.get('Error', {}).get('Message', '')} "
                "Wait for running labeling jobs to end or request a quota increase, then start a new execution."
            ) from error
        if code != "ResourceInUse":
            raise
        logger.info(
            "Labeling job name in use; checking whether it is this plan's job", extra={"job_name": plan.job_name}
        )
        with aws_error_policy():
            existing = client.describe_labeling_job(LabelingJobName=plan.job_name)
        require_same_job(request, existing)
        return CreatedJob.from_request(request, existing["LabelingJobArn"])
    return CreatedJob.from_request(request, response["LabelingJobArn"])


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, str]:
    """Create the labeling job described by ``$.plan`` and return ``$.job``."""
    environment = CreateEnvironment.from_environ(os.environ)
    plan = LabelingJobPlan.from_dict(event)
    job = create_labeling_job(_sagemaker_client(environment.region), plan, environment)
    logger.info("Labeling job created", extra={"job_name": job.job_name, "task_type": plan.task_type})
    return job.to_dict()
