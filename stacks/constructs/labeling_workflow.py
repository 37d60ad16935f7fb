"""LabelingWorkflow: the STANDARD, JSONPath state machine that plans, copies, rewrites, creates and monitors a job."""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from gt3d_core.errors import AwsTransientError
from stacks.constructs.explicit_role import ExplicitRole

LAMBDA_SERVICE_ERRORS = (
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)
"""Errors of the Lambda service itself (not of our code): always worth another attempt."""

TRANSIENT_ERRORS = (AwsTransientError.__name__,)
"""Raised by the handlers for throttling and AWS service faults; user-fixable errors are never retried."""

INITIAL_WAIT_SECONDS = 30
WORKFLOW_TIMEOUT = Duration.days(31)
"""Ground Truth fails a labeling job after 30 days; the execution outlives it by a day so it can report that."""


@dataclass(frozen=True, slots=True)
class WorkflowFunctions:
    """The five Lambda functions the workflow invokes, one per task."""

    plan: lambda_.IFunction
    copy: lambda_.IFunction
    rewrite: lambda_.IFunction
    create: lambda_.IFunction
    monitor: lambda_.IFunction

    def all(self) -> tuple[lambda_.IFunction, ...]:
        """Return every function, in execution order."""
        return (self.plan, self.copy, self.rewrite, self.create, self.monitor)


class LabelingWorkflow(Construct):
    """The labeling state machine (states and payload paths as in docs/architecture.md) and its explicit role."""

    def __init__(
        self, scope: Construct, construct_id: str, *, functions: WorkflowFunctions, results_topic: sns.ITopic
    ) -> None:
        super().__init__(scope, construct_id)
        self._topic = results_topic
        self.role = self._role(functions, results_topic)
        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            # Step Functions recommends the vended-logs prefix: it keeps the log resource policy small.
            log_group_name=f"/aws/vendedlogs/states/{Stack.of(self).stack_name}-LabelingWorkflow",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.state_machine = sfn.StateMachine(
            self,
            "StateMachine",
            comment="Ground Truth 3D point cloud labeling: plan, copy, rewrite, create, then monitor until done.",
            definition_body=sfn.DefinitionBody.from_chainable(self._definition(functions)),
            state_machine_type=sfn.StateMachineType.STANDARD,
            query_language=sfn.QueryLanguage.JSON_PATH,
            timeout=WORKFLOW_TIMEOUT,
            tracing_enabled=True,
            logs=sfn.LogOptions(destination=self.log_group, level=sfn.LogLevel.ALL, include_execution_data=True),
            role=self.role.grantable,
        )
        # Step Functions checks log-delivery permissions when the state machine is created.
        self.role.required_by(self.state_machine)

    def _role(self, functions: WorkflowFunctions, topic: sns.ITopic) -> ExplicitRole:
        role = ExplicitRole(
            self,
            "ExecutionRole",
            assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
            description="Runs the Ground Truth 3D labeling workflow",
        )
        role.allow(actions=["lambda:InvokeFunction"], resources=[fn.function_arn for fn in functions.all()])
        role.allow(actions=["sns:Publish"], resources=[topic.topic_arn])
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
            wildcard_reason="X-Ray tracing of the state machine: these X-Ray actions have no resource-level "
            "permissions.",
        )
        return role

    def _definition(self, functions: WorkflowFunctions) -> sfn.IChainable:
        failed = sfn.Fail(self, "Failed", error_path="$.error.Error", cause_path="$.error.Cause")
        notify_failure = self._notify(
            "NotifyFailure", subject="Ground Truth 3D labeling workflow failed", message_path="$.error"
        )
        # If even the notification fails, still end in Failed with the original error.
        notify_failure.add_catch(failed, errors=[sfn.Errors.ALL], result_path="$.notify_error")
        notify_failure.next(failed)

        plan = self._invoke(
            "PlanLabelingJob",
            functions.plan,
            sfn.TaskInput.from_object(
                {
                    "input": sfn.JsonPath.entire_payload,
                    "execution_name": sfn.JsonPath.string_at("$$.Execution.Name"),
                    "execution_start_time": sfn.JsonPath.string_at("$$.Execution.StartTime"),
                }
            ),
            result_path="$.plan",
            on_error=notify_failure,
        )
        copy = self._invoke(
            "CopyData",
            functions.copy,
            sfn.TaskInput.from_object(
                {
                    # The task type lets the copy refuse a manifest of the wrong shape before copying anything.
                    "task_type": sfn.JsonPath.string_at("$.plan.task_type"),
                    "source": sfn.JsonPath.object_at("$.plan.source"),
                    "target": sfn.JsonPath.object_at("$.plan.target"),
                    "manifest": sfn.JsonPath.string_at("$.plan.manifest"),
                    "label_category_config": sfn.JsonPath.string_at("$.plan.label_category_config"),
                }
            ),
            result_path="$.copy",
            on_error=notify_failure,
        )
        rewrite = self._invoke(
            "RewriteManifests",
            functions.rewrite,
            sfn.TaskInput.from_object(
                {
                    "source": sfn.JsonPath.object_at("$.plan.source"),
                    "target": sfn.JsonPath.object_at("$.plan.target"),
                    "keys": sfn.JsonPath.list_at("$.copy.json_keys"),
                }
            ),
            result_path="$.rewrite",
            on_error=notify_failure,
        )
        create = self._invoke(
            "CreateLabelingJob",
            functions.create,
            None,  # the payload is the plan object itself
            input_path="$.plan",
            result_path="$.job",
            on_error=notify_failure,
        )
        monitor = self._invoke(
            "MonitorLabelingJob",
            functions.monitor,
            sfn.TaskInput.from_object({"job_name": sfn.JsonPath.string_at("$.job.job_name")}),
            result_path="$.monitor",
            on_error=notify_failure,
        )
        initial_wait = sfn.Pass(
            self,
            "InitialWait",
            result=sfn.Result.from_object({"wait_seconds": INITIAL_WAIT_SECONDS}),
            result_path="$.monitor",
        )
        wait = sfn.Wait(self, "WaitForLabelingJob", time=sfn.WaitTime.seconds_path("$.monitor.wait_seconds"))

        succeeded = sfn.Succeed(self, "Succeeded")
        notify_success = self._notify(
            "NotifySuccess", subject="Ground Truth 3D labeling job completed", message_path="$.monitor"
        )
        # The labeling job has finished well: a notice that cannot be sent must not turn that into a failure.
        notify_success.add_catch(succeeded, errors=[sfn.Errors.ALL], result_path="$.notify_error")
        notify_success.next(succeeded)

        not_succeeded = sfn.Pass(
            self,
            "LabelingJobNotSucceeded",
            parameters={
                "Error": "LabelingJobNotSucceeded",
                "Cause": sfn.JsonPath.string_at("$.monitor.failure_reason"),
            },
            result_path="$.error",
        )
        not_succeeded.next(notify_failure)

        is_done = (
            sfn.Choice(self, "IsLabelingJobDone?")
            .when(sfn.Condition.boolean_equals("$.monitor.done", False), wait)
            .when(sfn.Condition.boolean_equals("$.monitor.succeeded", True), notify_success)
            .otherwise(not_succeeded)
        )
        return plan.next(copy).next(rewrite).next(create).next(initial_wait).next(wait).next(monitor).next(is_done)

    def _invoke(
        self,
        state_name: str,
        function: lambda_.IFunction,
        payload: sfn.TaskInput | None,
        *,
        input_path: str | None = None,
        result_path: str,
        on_error: sfn.IChainable,
    ) -> tasks.LambdaInvoke:
        task = tasks.LambdaInvoke(
            self,
            state_name,
            lambda_function=function,
            payload=payload,
            input_path=input_path,  # ResultPath still merges into the state's full input
            payload_response_only=True,  # only the handler's return value lands at result_path
            retry_on_service_exceptions=False,  # replaced by the explicit retriers below
            result_path=result_path,
        )
        task.add_retry(errors=list(LAMBDA_SERVICE_ERRORS), interval=Duration.seconds(2), max_attempts=6, backoff_rate=2)
        task.add_retry(errors=list(TRANSIENT_ERRORS), interval=Duration.seconds(5), max_attempts=5, backoff_rate=2)
        task.add_catch(on_error, errors=[sfn.Errors.ALL], result_path="$.error")
        return task

    def _notify(self, state_name: str, *, subject: str, message_path: str) -> tasks.SnsPublish:
        publish = tasks.SnsPublish(
            self,
            state_name,
            topic=self._topic,
            subject=subject,
            message=sfn.TaskInput.from_text(sfn.JsonPath.json_to_string(sfn.JsonPath.object_at(message_path))),
            result_path=sfn.JsonPath.DISCARD,
        )
        # A duplicate notice is harmless; a lost one (throttling, a KMS hiccup) is not.
        publish.add_retry(errors=[sfn.Errors.ALL], interval=Duration.seconds(2), max_attempts=4, backoff_rate=2)
        return publish
