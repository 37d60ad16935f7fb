"""AbandonedJobStopper: when a workflow execution ends without success, its labeling job is stopped.

An execution that is stopped, times out, or fails outside every Catch (``States.Runtime``,
``States.DataLimitExceeded``) runs no state of its own any more; only the event Step Functions emits for the status
change (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html) can still act. An EventBridge rule on
ABORTED, TIMED_OUT and FAILED executions of the workflow invokes a function that stops the execution's labeling job
(workers would otherwise keep receiving its tasks) and reports the end on the results topic.
"""

from __future__ import annotations

from aws_cdk import Duration
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from stacks.constructs.lambda_function import PipelineFunction

ABANDONED_STATUSES = ("ABORTED", "TIMED_OUT", "FAILED")


class AbandonedJobStopper(Construct):
    """The EventBridge rule on the workflow's unsuccessful ends, targeting ``function`` (with retries)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, workflow: sfn.IStateMachine, function: PipelineFunction
    ) -> None:
        super().__init__(scope, construct_id)
        self.rule = events.Rule(
            self,
            "Rule",
            description="Stops the labeling job of a workflow execution that ended without success",
            event_pattern=events.EventPattern(
                source=["aws.states"],
                detail_type=["Step Functions Execution Status Change"],
                detail={"status": list(ABANDONED_STATUSES), "stateMachineArn": [workflow.state_machine_arn]},
            ),
        )
        # EventBridge retries a failed invocation; the handler is idempotent (stopping a stopped job is a no-op).
        self.rule.add_target(
            targets.LambdaFunction(function.function, retry_attempts=8, max_event_age=Duration.hours(24))
        )
