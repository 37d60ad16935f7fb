"""OperationsAlarms: alarms on every way the pipeline can go wrong unattended, published to an operations topic.

Some ends of an execution bypass the workflow's own failure notice (an execution timeout, an abort,
``States.Runtime``, ``States.DataLimitExceeded``), and a function can fail repeatedly inside retries that end well;
these alarms catch both. The topic is encrypted with a customer-managed key whose policy lets CloudWatch (alarm
actions) and EventBridge publish to it: an AWS managed key cannot be granted to them
(https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

PUBLISHING_SERVICES = ("cloudwatch.amazonaws.com", "events.amazonaws.com")
TOPIC_KEY_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey")
ALARM_PERIOD = Duration.minutes(5)


class OperationsAlarms(Construct):
    """The operations topic (customer-managed key), and one alarm per state machine outcome and function's errors."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        state_machines: Mapping[str, sfn.StateMachine],
        functions: Mapping[str, lambda_.IFunction],
        display_name: str,
    ) -> None:
        super().__init__(scope, construct_id)
        self.key = kms.Key(self, "TopicKey", description=f"Encrypts the {display_name} topic", enable_key_rotation=True)
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal(service) for service in PUBLISHING_SERVICES],
                actions=list(TOPIC_KEY_ACTIONS),
                resources=["*"],  # in a key policy, "*" is the key itself
            )
        )
        self.topic = sns.Topic(self, "Topic", display_name=display_name, master_key=self.key, enforce_ssl=True)
        self.alarms: list[cloudwatch.Alarm] = []
        for name, machine in state_machines.items():
            self._alarm(f"{name}ExecutionsFailed", machine.metric_failed(period=ALARM_PERIOD))
            self._alarm(f"{name}ExecutionsTimedOut", machine.metric_timed_out(period=ALARM_PERIOD))
            self._alarm(f"{name}ExecutionsAborted", machine.metric_aborted(period=ALARM_PERIOD))
        for name, function in functions.items():
            self._alarm(f"{name}Errors", function.metric_errors(period=ALARM_PERIOD))

    def _alarm(self, construct_id: str, metric: cloudwatch.Metric) -> None:
        alarm = metric.create_alarm(
            self,
            construct_id,
            alarm_description=f"{construct_id}: at least one in {ALARM_PERIOD.to_minutes()} minutes",
            threshold=1,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        alarm.add_alarm_action(cloudwatch_actions.SnsAction(self.topic))
        self.alarms.append(alarm)

    @property
    def alarm_names(self) -> Sequence[str]:
        """Return the alarms' construct ids (what they watch)."""
        return [alarm.node.id for alarm in self.alarms]
