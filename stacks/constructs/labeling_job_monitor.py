"""LabelingJobMonitor: the child state machine that polls a labeling job a bounded number of times.

Step Functions ends a STANDARD execution that reaches 25,000 history events. Polling a 30-day labeling job every 5
minutes from one execution would cross that line after about 10 days, so the polling loop runs here, in executions
of at most :data:`MONITOR_POLL_BUDGET` polls each, and the labeling workflow starts one after another (``.sync:2``)
until the job is done. See docs/architecture.md.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.constructs.workflow_parts import invoke_lambda, logged_state_machine, state_machine_role

MONITOR_POLL_BUDGET = 500
"""Polls per monitor execution. 11 history events per poll (Wait 2, Lambda task 5, Pass 2, Choice 2) make 5,500;
even if every poll exhausted every Lambda retrier (11 more attempts, 3 events each) it would be 22,000 < 25,000."""

MONITOR_TIMEOUT = Duration.days(5)
"""500 polls at the 5-minute cap take 41.7 hours; the rest leaves room for Lambda time and every retry of every poll
(about 4.6 days at worst). The labeling workflow stops a running monitor execution when it ends itself."""


class LabelingJobMonitor(Construct):
    """The monitor state machine (input ``{"job_name", "monitor"}``, output the last ``$.monitor``) and its role."""

    def __init__(self, scope: Construct, construct_id: str, *, monitor: lambda_.IFunction) -> None:
        super().__init__(scope, construct_id)
        self.role = state_machine_role(self, description="Polls a Ground Truth 3D labeling job for the workflow")
        self.role.allow(actions=["lambda:InvokeFunction"], resources=[monitor.function_arn])
        self.state_machine = logged_state_machine(
            self,
            log_name="LabelingJobMonitor",
            comment=(
                f"Polls a Ground Truth labeling job up to {MONITOR_POLL_BUDGET} times, then returns the last status "
                "(the labeling workflow starts it again while the job runs)."
            ),
            definition=self._definition(monitor),
            timeout=MONITOR_TIMEOUT,
            role=self.role,
        )

    def _definition(self, monitor: lambda_.IFunction) -> sfn.IChainable:
        # Only what the loop needs; this also drops the parent's AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID.
        start = sfn.Pass(
            self,
            "StartPolling",
            parameters={
                "job_name": sfn.JsonPath.string_at("$.job_name"),
                "monitor": sfn.JsonPath.object_at("$.monitor"),
                "polls": 0,
            },
        )
        wait = sfn.Wait(self, "WaitForLabelingJob", time=sfn.WaitTime.seconds_path("$.monitor.wait_seconds"))
        poll = invoke_lambda(
            self,
            "MonitorLabelingJob",
            monitor,
            sfn.TaskInput.from_object({"job_name": sfn.JsonPath.string_at("$.job_name")}),
            result_path="$.monitor",
            # An error that outlasts the retries fails this execution with the handler's error and cause; the
            # labeling workflow's Catch reports it.
            on_error=None,
        )
        count = sfn.Pass(
            self,
            "CountPoll",
            parameters={
                "job_name": sfn.JsonPath.string_at("$.job_name"),
                "monitor": sfn.JsonPath.object_at("$.monitor"),
                "polls": sfn.JsonPath.math_add(sfn.JsonPath.number_at("$.polls"), 1),
            },
        )
        finished = sfn.Succeed(self, "LabelingJobFinished", output_path="$.monitor")
        budget_used = sfn.Succeed(self, "PollBudgetUsed", output_path="$.monitor")
        keep_polling = (
            sfn.Choice(self, "KeepPolling?")
            .when(sfn.Condition.boolean_equals("$.monitor.done", True), finished)
            .when(sfn.Condition.number_greater_than_equals("$.polls", MONITOR_POLL_BUDGET), budget_used)
            .otherwise(wait)
        )
        return start.next(wait).next(poll).next(count).next(keep_polling)
