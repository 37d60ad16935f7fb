"""Custom resource handler: stops a ``create`` deployment before it makes a second private workforce.

An account has one private workforce per region ("Ground Truth only allows one workforce per account per AWS
Region", https://docs.aws.amazon.com/sagemaker/latest/dg/sms-security-workforce-authentication.html), and the
first Cognito work team creates it. In an account that already has one, ``AWS::SageMaker::Workteam`` fails with an
error that does not say what to do, and the rollback leaves the retained user pool behind. This resource runs
before anything retained is created; its failure message, which CloudFormation shows as the reason, names the
existing workforce and the settings that let a redeploy join it.

A workforce bound to this stack's own user pool is not in the way: that is a stack deployed before this check
existed, gaining it on update. The pool's physical id comes from CloudFormation (``DescribeStackResource``), which
needs no reference to the pool and so keeps the pool free to depend on this resource.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.exceptions import ClientError
from handler_support import logger, sdk_config

from gt3d_core.workforce import PrivateWorkforce, existing_workforce_message, private_workforces

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext
    from mypy_boto3_sagemaker import SageMakerClient

PHYSICAL_RESOURCE_ID = "private-workforce-check"


class ExistingWorkforceError(RuntimeError):
    """The account already has a private workforce in this region; the message says how to redeploy with it."""


@dataclass(frozen=True, slots=True)
class CheckRequest:
    """The custom resource event, typed."""

    request_type: str
    stack_id: str
    own_user_pool_logical_id: str

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> CheckRequest:
        """Parse a CloudFormation custom resource event."""
        return cls(
            request_type=event["RequestType"],
            stack_id=event["StackId"],
            own_user_pool_logical_id=event["ResourceProperties"]["UserPoolLogicalId"],
        )


@functools.cache
def _sagemaker() -> SageMakerClient:
    return boto3.client("sagemaker", config=sdk_config())


@functools.cache
def _cloudformation() -> Any:  # no CloudFormation type stubs among the dev dependencies
    return boto3.client("cloudformation", config=sdk_config())


@logger.inject_lambda_context(log_event=False)
def handler(event: Mapping[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Custom resource entry point (``custom_resources.Provider`` onEvent)."""
    request = CheckRequest.from_event(event)
    if request.request_type != "Create":
        # The check guards creation only: once the stack has its pool and team, the workforce they made is its own.
        return {"PhysicalResourceId": event.get("PhysicalResourceId", PHYSICAL_RESOURCE_ID)}
    own_pool = own_user_pool_id(_cloudformation(), request.stack_id, request.own_user_pool_logical_id)
    require_no_other_workforce(_sagemaker(), own_user_pool_id=own_pool)
    return {"PhysicalResourceId": PHYSICAL_RESOURCE_ID}


def own_user_pool_id(cloudformation: Any, stack_id: str, logical_id: str) -> str | None:
    """Return the physical id of this stack's user pool, or None while CloudFormation has not created it."""
    try:
        detail = cloudformation.describe_stack_resource(StackName=stack_id, LogicalResourceId=logical_id)
    except ClientError as error:
        # CloudFormation answers ValidationError for a logical id it has no resource for (yet).
        if error.response.get("Error", {}).get("Code") == "ValidationError":
            return None
        raise
    return detail["StackResourceDetail"].get("PhysicalResourceId") or None


def require_no_other_workforce(sagemaker: SageMakerClient, *, own_user_pool_id: str | None) -> None:
    """Raise ``ExistingWorkforceError`` if the region has a private workforce not bound to ``own_user_pool_id``."""
    region = sagemaker.meta.region_name
    for workforce in list_private_workforces(sagemaker):
        if own_user_pool_id is not None and workforce.cognito_user_pool == own_user_pool_id:
            logger.info("The private workforce is this stack's own", extra={"workforce_name": workforce.name})
            continue
        raise ExistingWorkforceError(existing_workforce_message(workforce, region=region))
    logger.info("No private workforce yet", extra={"region": region})


def list_private_workforces(sagemaker: SageMakerClient) -> list[PrivateWorkforce]:
    """Return the region's private workforces (ListWorkforces also lists vendor workforces)."""
    entries: list[Mapping[str, Any]] = []
    for page in sagemaker.get_paginator("list_workforces").paginate():
        entries.extend(page["Workforces"])
    return private_workforces(entries)
