"""Lambda (EventBridge target): an execution of the labeling workflow ended without success; stop its labeling job.

Step Functions emits "Step Functions Execution Status Change" when an execution ends
(https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html). For ABORTED, TIMED_OUT and FAILED executions of
the workflow, this finds the labeling job the execution planned (the PlanLabelingJob result in its history), stops
it if the execution created it and it still runs (workers would otherwise keep receiving tasks), and publishes one
message to the results topic, unless the workflow's own failure path (NotifyFailure) already did.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from aws_lambda_powertools.utilities.typing import LambdaContext
from handler_support import aws_error_policy, logger, sdk_config
from labeling_job_stop import StopOutcome, stop_own_job

from gt3d_core.errors import ConfigurationError, InvalidRequestError

if TYPE_CHECKING:
    from mypy_boto3_sagemaker import SageMakerClient
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_stepfunctions import SFNClient

PLAN_STATE = "PlanLabelingJob"
NOTIFY_FAILURE_STATE = "NotifyFailure"


@dataclass(frozen=True, slots=True)
class EndedExecution:
    """The part of the status-change event this handler needs."""

    execution_arn: str
    name: str
    status: str
    error: str | None
    cause: str | None

    @classmethod
    def from_event(cls, event: Mapping[str, Any]) -> EndedExecution:
        """Parse an EventBridge "Step Functions Execution Status Change" event."""
        detail = event.get("detail")
        if event.get("detail-type") != "Step Functions Execution Status Change" or not isinstance(detail, Mapping):
            raise InvalidRequestError("Expected a 'Step Functions Execution Status Change' event from EventBridge.")
        return cls(
            execution_arn=str(detail["executionArn"]),
            name=str(detail["name"]),
            status=str(detail["status"]),
            error=detail.get("error"),
            cause=detail.get("cause"),
        )


@dataclass(frozen=True, slots=True)
class ExecutionRecord:
    """What the execution's history says: the job it planned, and whether it reported its failure itself."""

    job_name: str | None
    notified: bool


@functools.cache
def _clients() -> tuple[SFNClient, SageMakerClient, SNSClient]:
    config = sdk_config()
    return (
        boto3.client("stepfunctions", config=config),
        boto3.client("sagemaker", config=config),
        boto3.client("sns", config=config),
    )


@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Stop the ended execution's labeling job and report the end once; return what was done."""
    topic_arn = os.environ.get("RESULTS_TOPIC_ARN")
    if not topic_arn:
        raise ConfigurationError("Environment variable RESULTS_TOPIC_ARN is not set. Redeploy the pipeline stack.")
    sfn, sagemaker, sns = _clients()
    ended = EndedExecution.from_event(event)
    with aws_error_policy():
        record = read_execution(sfn, ended.execution_arn)
    outcome = stop_own_job(sagemaker, record.job_name, ended.name) if record.job_name else None
    if not record.notified:
        with aws_error_policy():
            sns.publish(
                TopicArn=topic_arn,
                Subject=f"Ground Truth 3D labeling workflow {ended.status.lower().replace('_', ' ')}",
                Message=json.dumps(notification(ended, outcome)),
            )
    logger.info(
        "Handled an ended execution",
        extra={"execution": ended.name, "status": ended.status, "job_name": record.job_name},
    )
    return {
        "execution_arn": ended.execution_arn,
        "status": ended.status,
        "labeling_job": outcome.as_dict() if outcome else None,
        "notified": not record.notified,
    }


def read_execution(sfn: SFNClient, execution_arn: str) -> ExecutionRecord:
    """Return the job name the execution planned (None before its plan) and whether NotifyFailure completed."""
    job_name: str | None = None
    notified = False
    for event in _history(sfn, execution_arn):
        exited = event.get("stateExitedEventDetails")
        if event["type"] != "TaskStateExited" or not exited:
            continue
        if exited["name"] == PLAN_STATE:
            plan = json.loads(exited.get("output") or "{}").get("plan") or {}
            job_name = plan.get("job_name") if isinstance(plan.get("job_name"), str) else None
        elif exited["name"] == NOTIFY_FAILURE_STATE:
            notified = True
    return ExecutionRecord(job_name=job_name, notified=notified)


def _history(sfn: SFNClient, execution_arn: str) -> Iterator[Mapping[str, Any]]:
    for page in sfn.get_paginator("get_execution_history").paginate(
        executionArn=execution_arn, includeExecutionData=True
    ):
        yield from page["events"]


def notification(ended: EndedExecution, outcome: StopOutcome | None) -> dict[str, Any]:
    """Return the results-topic message: the execution's end, its error, and what became of its labeling job."""
    return {
        "Execution": ended.execution_arn,
        "Status": ended.status,
        "Error": ended.error,
        "Cause": ended.cause,
        "LabelingJob": outcome.as_dict() if outcome else None,
    }
