"""HandlerCustomResource: a CloudFormation custom resource run by one handler of ``lambda_src/``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import CustomResource, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import custom_resources as cr
from constructs import Construct

from stacks.constructs.explicit_role import ExplicitRole
from stacks.constructs.lambda_function import LOG_RETENTION, PipelineFunction
from stacks.constructs.log_encryption import logs_key


class HandlerCustomResource(Construct):
    """A custom resource whose handler (a ``PipelineFunction``) the CDK provider framework runs, with explicit roles.

    ``handler.role`` starts with logging and tracing only; the owner grants what the handler calls. The handler's
    failure message is the reason CloudFormation shows for the failed resource.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        handler: str,
        description: str,
        resource_type: str,
        properties: Mapping[str, Any],
        timeout: Duration | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        self.handler = PipelineFunction(self, "Handler", handler=handler, description=description, timeout=timeout)
        framework_log_group = logs.LogGroup(
            self,
            "ProviderLogGroup",
            retention=LOG_RETENTION,
            removal_policy=RemovalPolicy.DESTROY,
            encryption_key=logs_key(self),
        )
        framework_role = ExplicitRole(
            self,
            "ProviderRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"Runs the CDK provider framework for {resource_type}",
        )
        framework_role.allow(
            actions=["logs:CreateLogStream", "logs:PutLogEvents"], resources=[framework_log_group.log_group_arn]
        )
        framework_role.allow(
            actions=["lambda:InvokeFunction", "lambda:GetFunction"], resources=[self.handler.function_arn]
        )
        provider = cr.Provider(
            self,
            "Provider",
            on_event_handler=self.handler.function,
            framework_on_event_role=framework_role.grantable,
            log_group=framework_log_group,
        )
        framework_role.required_by(provider.node.find_child("framework-onEvent"))
        self.resource = CustomResource(
            self,
            "Resource",
            service_token=provider.service_token,
            properties=dict(properties),
            resource_type=resource_type,
        )
