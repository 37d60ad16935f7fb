"""LabelingWorkflow: the STANDARD, JSONPath state machine that plans, copies, rewrites, creates and monitors a job.

Monitoring runs in the child state machine :class:`LabelingJobMonitor` (``.sync:2``), one bounded execution after
another, so no execution comes near Step Functions' limit of 25,000 history events however long the job runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Annotations, ArnFormat, Duration, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import aws_stepfunctions_tasks as tasks
from constructs import Construct

from stacks.constructs.explicit_role import ExplicitRole
from stacks.constructs.labeling_job_monitor import LabelingJobMonitor
from stacks.constructs.workflow_parts import executions_arn, invoke_lambda, logged_state_machine, state_machine_role

INITIAL_WAIT_SECONDS = 30
COPY_BATCH_CONCURRENCY = 10
"""CopyBatch invocations at once: each runs up to 16 server-side copies, so at most 160 copies in flight."""
WORKFLOW_TIMEOUT = Duration.days(31)
"""Ground Truth fails a labeling job after 30 days; the execution outlives it by a day so it can report that."""

SYNC_EVENTS_RULE = "StepFunctionsGetEventsForStepFunctionsExecutionRule"
"""The EventBridge rule Step Functions manages for ``startExecution.sync`` to learn that a child execution ended."""

START_EXECUTION_ERRORS = (
    "StepFunctions.ExecutionLimitExceededException",
    "StepFunctions.AWSStepFunctionsException",
    "StepFunctions.SdkClientException",
)
"""Starting or watching the monitor execution failed for a reason of the service (too many running executions,
throttling, a service fault): worth another attempt. A monitor execution that failed is not retried: its own
Lambda task already retried, and its error is the one to report."""


@dataclass(frozen=True, slots=True)
class WorkflowFunctions:
    """The Lambda functions of the workflow, one per task (``monitor``'s task runs in the monitor)."""

    plan: lambda_.IFunction
    copy: lambda_.IFunction
    rewrite: lambda_.IFunction
    create: lambda_.IFunction
    monitor: lambda_.IFunction
    stop: lambda_.IFunction
    prepare_follow_up: lambda_.IFunction
    copy_batch: lambda_.IFunction


_PLAN_LOCATIONS = {
    "source": sfn.JsonPath.object_at("$.plan.source"),
    "target": sfn.JsonPath.object_at("$.plan.target"),
}
"""The copy and rewrite steps both work between the plan's source and target locations."""


class LabelingWorkflow(Construct):
    """The labeling state machine (states and payload paths as in docs/architecture.md), its monitor and roles."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: WorkflowFunctions,
        results_topic: sns.ITopic,
        work_objects: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self._topic = results_topic
        self.monitor = LabelingJobMonitor(self, "LabelingJobMonitor", monitor=functions.monitor)
        stack = Stack.of(self)
        # Named, so the role can let the Distributed Map start this state machine's child executions without a
        # reference to the state machine (which waits for the role's policy: a cycle).
        self.state_machine_name = f"{stack.stack_name}-LabelingWorkflow"
        self.role = self._role(functions, results_topic, self.monitor.state_machine, work_objects)
        self.state_machine = logged_state_machine(
            self,
            log_name="LabelingWorkflow",
            comment="Ground Truth 3D point cloud labeling: plan, copy, rewrite, create, then monitor until done.",
            definition=self._definition(functions),
            timeout=WORKFLOW_TIMEOUT,
            role=self.role,
            state_machine_name=self.state_machine_name,
        )
        # CDK grants the Distributed Map's needs in a policy of its own, on wildcards nobody reviewed; the role's
        # explicit statements (_allow_distributed_map) replace it.
        self.state_machine.node.try_remove_child("DistributedMapPolicy")

    def _role(
        self, functions: WorkflowFunctions, topic: sns.ITopic, monitor: sfn.StateMachine, work_objects: str
    ) -> ExplicitRole:
        role = state_machine_role(self, description="Runs the Ground Truth 3D labeling workflow")
        invoked = (
            functions.plan,
            functions.copy,
            functions.rewrite,
            functions.create,
            functions.stop,
            functions.prepare_follow_up,
            functions.copy_batch,
        )
        role.allow(actions=["lambda:InvokeFunction"], resources=[fn.function_arn for fn in invoked])
        role.allow(actions=["sns:Publish"], resources=[topic.topic_arn])
        # startExecution.sync:2 on the monitor (as documented for the Step Functions integration): start it,
        # watch and stop its executions, and keep the managed rule that reports their end.
        role.allow(actions=["states:StartExecution"], resources=[monitor.state_machine_arn])
        role.allow(
            actions=["states:DescribeExecution", "states:StopExecution"],
            resources=[executions_arn(monitor)],
            wildcard_reason="Executions of the monitor state machine get names chosen by Step Functions when the "
            "workflow starts them; access is limited to executions of that one state machine.",
        )
        self._allow_distributed_map(role, work_objects)
        role.allow(
            actions=["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            resources=[Stack.of(self).format_arn(service="events", resource="rule", resource_name=SYNC_EVENTS_RULE)],
        )
        return role

    def _allow_distributed_map(self, role: ExplicitRole, work_objects: str) -> None:
        """What the CopyBatches Distributed Map needs (https://docs.aws.amazon.com/step-functions/latest/dg/
        iam-policies-eg-dist-map.html): read its item file, run and watch its child executions."""
        stack = Stack.of(self)
        role.allow(
            actions=["s3:GetObject"],
            resources=[work_objects],
            wildcard_reason="The copy step writes each execution's copy batches under the input location's work "
            "prefix; the Distributed Map reads them from there.",
        )
        role.allow(
            actions=["states:StartExecution"],
            resources=[
                stack.format_arn(
                    service="states",
                    resource="stateMachine",
                    resource_name=self.state_machine_name,
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
        )
        role.allow(
            actions=["states:DescribeExecution", "states:StopExecution"],
            resources=[
                stack.format_arn(
                    service="states",
                    resource="execution",
                    resource_name=f"{self.state_machine_name}/*",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            ],
            wildcard_reason="The Distributed Map's child executions are named by Step Functions; access is limited "
            "to the children of this one state machine.",
        )

    def _definition(self, functions: WorkflowFunctions) -> sfn.IChainable:
        notify_failure = self._failure_path()
        stop_then_notify = self._stop_job_step(functions.stop, notify_failure)
        run_monitor = self._monitor_step(stop_then_notify)
        # JSONPath cannot put the child's output at $.monitor directly: the task leaves it at $.monitor.last.
        read_result = sfn.Pass(self, "ReadMonitorResult", input_path="$.monitor.last", result_path="$.monitor")
        initial_wait = sfn.Pass(
            self,
            "InitialWait",
            result=sfn.Result.from_object({"wait_seconds": INITIAL_WAIT_SECONDS}),
            result_path="$.monitor",
        )
        create = self._create_step(functions.create, stop_then_notify)
        follow_up = self._follow_up_step(functions.prepare_follow_up, notify_failure)
        follow_up.next(create)
        create.next(initial_wait).next(run_monitor).next(read_result).next(
            self._outcome_choice(run_monitor, notify_failure, follow_up)
        )
        return self._preparation_steps(functions, notify_failure, then=create)

    def _failure_path(self) -> sfn.TaskStateBase:
        """NotifyFailure -> Failed, the end of every failure (the error is at ``$.error``)."""
        failed = sfn.Fail(self, "Failed", error_path="$.error.Error", cause_path="$.error.Cause")
        notify_failure = self._notify(
            "NotifyFailure", subject="Ground Truth 3D labeling workflow failed", message_path="$.error"
        )
        # If even the notification fails, still end in Failed with the original error.
        notify_failure.add_catch(failed, errors=[sfn.Errors.ALL], result_path="$.notify_error")
        notify_failure.next(failed)
        return notify_failure

    def _preparation_steps(
        self, functions: WorkflowFunctions, on_error: sfn.IChainable, *, then: sfn.IChainable
    ) -> sfn.TaskStateBase:
        """PlanLabelingJob -> CopyData -> (CopyBatches, a Distributed Map, when there is much to copy) ->
        RewriteManifests."""
        plan = invoke_lambda(
            self,
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
            on_error=on_error,
        )
        copy = invoke_lambda(
            self,
            "CopyData",
            functions.copy,
            sfn.TaskInput.from_object(
                {
                    # With these the copy refuses, before copying anything, a manifest of the wrong shape and an
                    # adjustment whose label attribute is the one being audited.
                    "task_type": sfn.JsonPath.string_at("$.plan.task_type"),
                    "label_attribute_name": sfn.JsonPath.string_at("$.plan.label_attribute_name"),
                    # Names this execution's work location (the lists the copy writes for later steps).
                    "execution_name": sfn.JsonPath.string_at("$.plan.execution_name"),
                    **_PLAN_LOCATIONS,
                    "manifest": sfn.JsonPath.string_at("$.plan.manifest"),
                    "label_category_config": sfn.JsonPath.string_at("$.plan.label_category_config"),
                }
            ),
            result_path="$.copy",
            on_error=on_error,
        )
        rewrite = invoke_lambda(
            self,
            "RewriteManifests",
            functions.rewrite,
            sfn.TaskInput.from_object({**_PLAN_LOCATIONS, "keys": sfn.JsonPath.object_at("$.copy.json_keys")}),
            result_path="$.rewrite",
            on_error=on_error,
        )
        rewrite.next(then)
        copy_batches = self._copy_batches_step(functions.copy_batch, on_error)
        copy_batches.next(rewrite)
        in_batches = (
            sfn.Choice(self, "CopyInBatches?")
            .when(sfn.Condition.number_greater_than("$.copy.batches.count", 0), copy_batches)
            .otherwise(rewrite)
        )
        plan.next(copy).next(in_batches)
        return plan

    def _copy_batches_step(self, copy_batch: lambda_.IFunction, on_error: sfn.IChainable) -> sfn.DistributedMap:
        """CopyBatches: a Distributed Map over the copy step's batches, one CopyBatch invocation each."""
        copy_batches = sfn.DistributedMap(
            self,
            "CopyBatches",
            item_reader=sfn.S3JsonItemReader(
                bucket_name_path=sfn.JsonPath.string_at("$.copy.batches.bucket"),
                key=sfn.JsonPath.string_at("$.copy.batches.key"),
            ),
            item_selector={
                **_PLAN_LOCATIONS,
                "objects": sfn.JsonPath.list_at("$$.Map.Item.Value.objects"),
            },
            max_concurrency=COPY_BATCH_CONCURRENCY,
            # No failure is tolerated (the default): a batch that outlasts its retries fails the map, reported.
            result_path=sfn.JsonPath.DISCARD,
        )
        copy_batches.item_processor(
            invoke_lambda(self, "CopyBatch", copy_batch, None, result_path="$", on_error=None),
            mode=sfn.ProcessorMode.DISTRIBUTED,
            execution_type=sfn.ProcessorType.STANDARD,
        )
        # The ASL needs ProcessorConfig.ExecutionType (CDK writes it from this), though CDK warns it prefers
        # DistributedMap's own property, which this version then refuses as missing.
        Annotations.of(copy_batches).acknowledge_warning(
            "@aws-cdk/aws-stepfunctions:propertyIgnored", "ExecutionType STANDARD is in the synthesized definition."
        )
        copy_batches.add_catch(on_error, errors=[sfn.Errors.ALL], result_path="$.error")
        return copy_batches

    def _create_step(self, create: lambda_.IFunction, after_create: sfn.IChainable) -> tasks.LambdaInvoke:
        """CreateLabelingJob from ``$.plan`` (the first job's, then a follow-up's)."""
        return invoke_lambda(
            self,
            "CreateLabelingJob",
            create,
            None,  # the payload is the plan object itself
            input_path="$.plan",
            result_path="$.job",
            # A create that failed after Ground Truth accepted it (a lost response, a timeout) may leave a job.
            on_error=after_create,
        )

    def _follow_up_step(self, prepare: lambda_.IFunction, on_error: sfn.IChainable) -> tasks.LambdaInvoke:
        """PrepareFollowUpJob: the adjustment job of ``$.plan.then`` on the first job's output, as the new state."""
        return invoke_lambda(
            self,
            "PrepareFollowUpJob",
            prepare,
            sfn.TaskInput.from_object(
                {
                    "plan": sfn.JsonPath.object_at("$.plan"),
                    "job": sfn.JsonPath.object_at("$.job"),
                    "monitor": sfn.JsonPath.object_at("$.monitor"),
                }
            ),
            # {"plan": the follow-up's plan, "previous": the first job's results}: the loop runs on it.
            result_path="$",
            on_error=on_error,
        )

    def _stop_job_step(self, stop: lambda_.IFunction, notify_failure: sfn.IChainable) -> sfn.IChainable:
        """StopLabelingJob -> NotifyFailure: a failure once the job may exist stops it, so workers get no more tasks."""
        stop_job = invoke_lambda(
            self,
            "StopLabelingJob",
            stop,
            sfn.TaskInput.from_object(
                {
                    "job_name": sfn.JsonPath.string_at("$.plan.job_name"),
                    "execution_name": sfn.JsonPath.string_at("$$.Execution.Name"),
                }
            ),
            result_path="$.stop",
            # A stop that fails must not hide the error being reported; the EventBridge target tries again.
            on_error=notify_failure,
            error_path="$.stop_error",
        )
        stop_job.next(notify_failure)
        return stop_job

    def _monitor_step(self, on_error: sfn.IChainable) -> tasks.StepFunctionsStartExecution:
        """RunLabelingJobMonitor: one monitor execution (at most MONITOR_POLL_BUDGET polls), its last ``$.monitor``."""
        run_monitor = tasks.StepFunctionsStartExecution(
            self,
            "RunLabelingJobMonitor",
            state_machine=self.monitor.state_machine,
            integration_pattern=sfn.IntegrationPattern.RUN_JOB,  # startExecution.sync:2: Output is JSON
            associate_with_parent=True,
            input=sfn.TaskInput.from_object(
                {
                    "job_name": sfn.JsonPath.string_at("$.job.job_name"),
                    "monitor": sfn.JsonPath.object_at("$.monitor"),
                }
            ),
            result_selector={"last": sfn.JsonPath.object_at("$.Output")},
            result_path="$.monitor",
        )
        run_monitor.add_retry(
            errors=list(START_EXECUTION_ERRORS), interval=Duration.seconds(2), max_attempts=6, backoff_rate=2
        )
        # A monitor execution that failed (its Lambda task's error outlasted the retries) fails this task with
        # States.TaskFailed; its Cause is the monitor execution's DescribeExecution output, its Error and Cause inside.
        monitor_failed = sfn.Pass(
            self,
            "LabelingJobMonitorFailed",
            parameters={"Error": "LabelingJobMonitorFailed", "Cause": sfn.JsonPath.string_at("$.error.Cause")},
            result_path="$.error",
        )
        monitor_failed.next(on_error)
        run_monitor.add_catch(monitor_failed, errors=[sfn.Errors.TASKS_FAILED], result_path="$.error")
        run_monitor.add_catch(on_error, errors=[sfn.Errors.ALL], result_path="$.error")
        return run_monitor

    def _outcome_choice(
        self, run_monitor: sfn.IChainable, on_error: sfn.IChainable, follow_up: sfn.IChainable
    ) -> sfn.Choice:
        """IsLabelingJobDone?: another monitor execution, the follow-up job, NotifySuccess -> Succeeded, or
        LabelingJobNotSucceeded."""
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
        not_succeeded.next(on_error)
        has_follow_up = (
            sfn.Choice(self, "HasFollowUpJob?")
            .when(
                sfn.Condition.and_(sfn.Condition.is_present("$.plan.then"), sfn.Condition.is_not_null("$.plan.then")),
                follow_up,
            )
            .otherwise(notify_success)
        )
        return (
            sfn.Choice(self, "IsLabelingJobDone?")
            .when(sfn.Condition.boolean_equals("$.monitor.done", False), run_monitor)
            .when(sfn.Condition.boolean_equals("$.monitor.succeeded", True), has_follow_up)
            .otherwise(not_succeeded)
        )

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
