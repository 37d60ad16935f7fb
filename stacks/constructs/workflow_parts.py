"""Parts both state machines are built from: their explicit role, logging and tracing, and retried Lambda tasks."""

from __future__ import annotations

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from gt3d_core.errors import AwsTransientError
from stacks.constructs.explicit_role import ExplicitRole
from stacks.constructs.log_encryption import logs_key

LAMBDA_SERVICE_ERRORS = (
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)
"""Errors of the Lambda service itself (not of our code): always worth another attempt."""

LAMBDA_TIMEOUT_ERRORS = ("Sandbox.Timedout", "States.Timeout")
"""The function ran out of time. Every handler is idempotent (the plan is pure, the copy skips what is already there,
the rewrite only moves URIs that still point at the source, the create adopts the job its own earlier attempt
created), so another attempt is safe, and it resumes where the last one stopped."""

TRANSIENT_ERRORS = (AwsTransientError.__name__,)
"""Raised by the handlers for throttling and AWS service faults; user-fixable errors are never retried."""


def executions_arn(machine: sfn.StateMachine) -> str:
    """Return the ARN pattern of every execution of ``machine`` (Step Functions names executions as they start)."""
    return Stack.of(machine).format_arn(
        service="states",
        resource="execution",
        resource_name=f"{machine.state_machine_name}:*",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def state_machine_role(scope: Construct, *, description: str) -> ExplicitRole:
    """Return ``scope``'s ``ExecutionRole``: assumed by Step Functions, allowed to log and trace, nothing else yet."""
    role = ExplicitRole(
        scope, "ExecutionRole", assumed_by=iam.ServicePrincipal("states.amazonaws.com"), description=description
    )
    role.allow(
        actions=[
            "logs:CreateLogDelivery",
            "logs:GetLogDelivery",
            "logs:UpdateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:DescribeResourcePolicies",
            "logs:DescribeLogGroups",
        ],
        resources=["*"],
        wildcard_reason="CloudWatch Logs delivery for Step Functions (Create/Get/Update/Delete/ListLogDelivery, "
        "Put/DescribeResourcePolicies, DescribeLogGroups) does not support resource-level permissions.",
    )
    role.allow(
        actions=[
            "xray:PutTraceSegments",
            "xray:PutTelemetryRecords",
            "xray:GetSamplingRules",
            "xray:GetSamplingTargets",
        ],
        resources=["*"],
        wildcard_reason="X-Ray tracing of the state machine: these X-Ray actions have no resource-level permissions.",
    )
    return role


def logged_state_machine(
    scope: Construct,
    *,
    log_name: str,
    comment: str,
    definition: sfn.IChainable,
    timeout: Duration,
    role: ExplicitRole,
    state_machine_name: str | None = None,
) -> sfn.StateMachine:
    """Return ``scope``'s ``StateMachine``: STANDARD, JSONPath, every event logged to its own group, X-Ray traced."""
    log_group = logs.LogGroup(
        scope,
        "LogGroup",
        # Step Functions recommends the vended-logs prefix: it keeps the log resource policy small.
        log_group_name=f"/aws/vendedlogs/states/{Stack.of(scope).stack_name}-{log_name}",
        retention=logs.RetentionDays.THREE_MONTHS,
        removal_policy=RemovalPolicy.DESTROY,
        encryption_key=logs_key(scope),
    )
    machine = sfn.StateMachine(
        scope,
        "StateMachine",
        comment=comment,
        definition_body=sfn.DefinitionBody.from_chainable(definition),
        state_machine_type=sfn.StateMachineType.STANDARD,
        query_language=sfn.QueryLanguage.JSON_PATH,
        timeout=timeout,
        tracing_enabled=True,
        logs=sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
        role=role.grantable,
        state_machine_name=state_machine_name,
    )
    # Step Functions checks log-delivery permissions when the state machine is created.
    role.required_by(machine)
    return machine


def invoke_lambda(
    scope: Construct,
    state_name: str,
    function: lambda_.IFunction,
    payload: sfn.TaskInput | None,
    *,
    input_path: str | None = None,
    result_path: str,
    on_error: sfn.IChainable | None,
    error_path: str = "$.error",
) -> tasks.LambdaInvoke:
    """Return a Lambda task that retries service, timeout and transient errors; the rest go to ``on_error``."""
    task = tasks.LambdaInvoke(
        scope,
        state_name,
        lambda_function=function,
        payload=payload,
        input_path=input_path,  # ResultPath still merges into the state's full input
        payload_response_only=True,  # only the handler's return value lands at result_path
        retry_on_service_exceptions=False,  # replaced by the explicit retriers below
        result_path=result_path,
    )
    task.add_retry(errors=list(LAMBDA_SERVICE_ERRORS), interval=Duration.seconds(2), max_attempts=5, backoff_rate=2)
    task.add_retry(errors=list(LAMBDA_TIMEOUT_ERRORS), interval=Duration.seconds(5), max_attempts=2, backoff_rate=2)
    task.add_retry(errors=list(TRANSIENT_ERRORS), interval=Duration.seconds(5), max_attempts=5, backoff_rate=2)
    if on_error is not None:
        task.add_catch(on_error, errors=[sfn.Errors.ALL], result_path=error_path)
    return task
