"""PipelineFunction: the one factory every Lambda function of the project is built with."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from gt3d_core.sdk_budget import SDK_CALL_BUDGET
from stacks.constructs.explicit_role import ExplicitRole
from stacks.constructs.log_encryption import logs_key
from stacks.constructs.nag import acknowledge

LAMBDA_SOURCE = Path(__file__).resolve().parents[2] / "lambda_src"
RUNTIME = lambda_.Runtime.PYTHON_3_13
ARCHITECTURE = lambda_.Architecture.X86_64
LOG_RETENTION = logs.RetentionDays.THREE_MONTHS
DEFAULT_TIMEOUT = Duration.seconds(30)
STARTUP_ALLOWANCE_SECONDS = 20
"""A cold start (imports, Powertools) and the handler's own work around its SDK calls."""

POWERTOOLS_LAYER_ACCOUNT = "017000801446"
POWERTOOLS_LAYER_NAME = "AWSLambdaPowertoolsPythonV3-python313-x86_64"
POWERTOOLS_LAYER_VERSION = 21
"""Powertools for AWS Lambda (Python) v3, published by AWS as a public layer; pinned here and only here."""

_ASSET_EXCLUDES = ["**/__pycache__", "**/*.pyc", ".mypy_cache", ".pytest_cache", ".ruff_cache", "*.egg-info"]


def powertools_layer_arn(stack: Stack) -> str:
    """Return the pinned Powertools layer ARN in ``stack``'s region (which must be concrete)."""
    return (
        f"arn:{stack.partition}:lambda:{stack.region}:{POWERTOOLS_LAYER_ACCOUNT}:layer:"
        f"{POWERTOOLS_LAYER_NAME}:{POWERTOOLS_LAYER_VERSION}"
    )


def timeout_for_sdk_calls(calls: int) -> Duration:
    """Return a timeout that outlasts ``calls`` sequential SDK calls at their slowest (every retry timing out)."""
    return Duration.seconds(math.ceil(calls * SDK_CALL_BUDGET.worst_case_seconds()) + STARTUP_ALLOWANCE_SECONDS)


class PipelineFunction(Construct):
    """A Python Lambda function from ``lambda_src/`` with JSON logs, tracing, its own log group and explicit role."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: str,
        description: str,
        environment: Mapping[str, str] | None = None,
        timeout: Duration | None = None,
        memory_size: int = 256,
    ) -> None:
        super().__init__(scope, construct_id)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.DESTROY,
            encryption_key=logs_key(self),
        )
        self.role = ExplicitRole(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs {handler}",
        )
        self.role.allow(actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[self.log_group.log_group_arn])
        self.role.allow(
            actions=["xray:PutTraceSegments", "xray:PutTelemetryRecords"],
            resources=["*"],
            wildcard_reason="X-Ray trace ingestion (PutTraceSegments, PutTelemetryRecords) has no resource-level "
            "permissions; tracing is ACTIVE on every function.",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            code=lambda_.Code.from_asset(str(LAMBDA_SOURCE), exclude=_ASSET_EXCLUDES),
            layers=[
                lambda_.LayerVersion.from_layer_version_arn(self, "Powertools", powertools_layer_arn(Stack.of(self)))
            ],
            description=description,
            environment=dict(environment or {}),
            timeout=timeout or DEFAULT_TIMEOUT,
            memory_size=memory_size,
            logging_format=lambda_.LoggingFormat.JSON,
            application_log_level_v2=lambda_.ApplicationLogLevel.INFO,
            system_log_level_v2=lambda_.SystemLogLevel.WARN,
            tracing=lambda_.Tracing.ACTIVE,
            log_group=self.log_group,
            role=self.role.grantable,
        )
        # The role's statements live in a separate policy; create it before the function can first run.
        self.role.required_by(self.function)
        function_resource = self.function.node.default_child
        assert function_resource is not None
        acknowledge(
            function_resource,
            "AwsSolutions-L1",
            f"Pinned to {RUNTIME.name}: the AWS-published Powertools layer ({POWERTOOLS_LAYER_NAME}) this code "
            "depends on is built for that runtime; move both together.",
        )

    @property
    def function_arn(self) -> str:
        """Return the function's ARN."""
        return self.function.function_arn
