"""PipelineStack [stateless]: one Lambda per step, the state machines, the results topic, abandoned-job stopping and
the operations alarms."""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct

from gt3d_core.copy_layout import DEFAULT_INLINE_COPY_LIMIT, WORK_DIRECTORY
from gt3d_core.names import EXECUTION_TAG_KEY
from gt3d_core.workforce import SAGEMAKER_SERVICE_PRINCIPAL
from stacks.config import Settings
from stacks.constructs.abandoned_jobs import AbandonedJobStopper
from stacks.constructs.labeling_workflow import LabelingWorkflow, WorkflowFunctions
from stacks.constructs.lambda_function import PipelineFunction, timeout_for_sdk_calls
from stacks.constructs.operations_alarms import OperationsAlarms
from stacks.constructs.s3_access import BucketPrefix, allow_read, allow_write
from stacks.constructs.workflow_parts import executions_arn


class PipelineStack(Stack):
    """Everything that runs a labeling job; holds no data, so it can be destroyed and redeployed at will."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: Settings,
        labeling_bucket: s3.IBucket,
        execution_role: iam.IRole,
        workteam_arn: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        # Explicit exports give the bucket name and role ARN their final Fn::ImportValue form now, so IAM resources
        # built from them (and the cdk-nag acknowledgments that name them) are exactly what synthesis emits.
        storage = Stack.of(labeling_bucket)
        bucket_name = storage.export_value(labeling_bucket.bucket_name)
        self.execution_role_arn = storage.export_value(execution_role.role_arn)
        self.add_stack_dependency(storage)
        source = BucketPrefix(settings.source.bucket, settings.source.prefix)
        self.input_location = BucketPrefix(bucket_name, settings.input_prefix)
        self.output_location = BucketPrefix(bucket_name, settings.output_prefix)

        self.functions = self._functions(settings, source, workteam_arn)
        self.results_topic = sns.Topic(
            self,
            "ResultsTopic",
            display_name=f"{settings.prefix} labeling results",
            enforce_ssl=True,
            # The AWS managed key: only this account's principals (the workflow role) publish here.
            master_key=kms.Alias.from_alias_name(self, "SnsManagedKey", "alias/aws/sns"),
        )
        self.workflow = LabelingWorkflow(
            self,
            "LabelingWorkflow",
            functions=WorkflowFunctions(**{step: fn.function for step, fn in self.functions.items()}),
            results_topic=self.results_topic,
            work_objects=self.input_location.child(WORK_DIRECTORY).objects_arn,
        )
        self.state_machine = self.workflow.state_machine
        self.functions["abandoned"] = self._abandoned_execution_function()
        self.abandoned_jobs = AbandonedJobStopper(
            self, "AbandonedJobs", workflow=self.state_machine, function=self.functions["abandoned"]
        )
        self.operations = OperationsAlarms(
            self,
            "Operations",
            state_machines={"Workflow": self.state_machine, "Monitor": self.workflow.monitor.state_machine},
            functions={_pascal(step): fn.function for step, fn in self.functions.items()},
            display_name=f"{settings.prefix} pipeline operations",
        )
        if settings.notification_email:
            for topic in (self.results_topic, self.operations.topic):
                topic.add_subscription(subscriptions.EmailSubscription(settings.notification_email))

        CfnOutput(
            self, "StateMachineArn", value=self.state_machine.state_machine_arn, description="Start executions here"
        )
        CfnOutput(self, "ResultsTopicArn", value=self.results_topic.topic_arn, description="Job outcome notifications")
        CfnOutput(
            self, "OperationsTopicArn", value=self.operations.topic.topic_arn, description="Alarms of the pipeline"
        )

    def _functions(self, settings: Settings, source: BucketPrefix, workteam_arn: str) -> dict[str, PipelineFunction]:
        """One function per workflow step, each with a role that allows exactly that step's calls."""
        return {
            "plan": self._plan_function(settings, source),
            "copy": self._copy_function(source),
            "rewrite": self._rewrite_function(),
            "create": self._create_function(workteam_arn),
            "monitor": self._monitor_function(),
            "stop": self._stop_function(),
            "prepare_follow_up": self._prepare_follow_up_function(),
            "copy_batch": self._copy_batch_function(source),
        }

    def _plan_function(self, settings: Settings, source: BucketPrefix) -> PipelineFunction:
        return PipelineFunction(
            self,
            "PlanLabelingJob",
            handler="plan_labeling_job.handler",
            description="Validates the execution input and plans the labeling job",
            environment={
                "SOURCE_URI": source.uri,
                "INPUT_URI": self.input_location.uri,
                "OUTPUT_URI": self.output_location.uri,
                "RESOURCE_PREFIX": settings.prefix,
            },
        )

    def _copy_function(self, source: BucketPrefix) -> PipelineFunction:
        copy = PipelineFunction(
            self,
            "CopyData",
            handler="copy_data.handler",
            description="Copies the manifest, label categories and referenced objects to the input location",
            timeout=Duration.minutes(15),
            memory_size=1024,
            environment={"INLINE_COPY_LIMIT": str(DEFAULT_INLINE_COPY_LIMIT)},
        )
        # Existence checks list the key as a prefix (ListObjectsV2), which the prefix-scoped grant covers; a
        # HeadObject of a missing key would be answered 403 without an unconditioned s3:ListBucket.
        allow_read(copy.role, source, list_keys=True)
        # Reading the input prefix too lets a re-run find what it already copied.
        allow_read(copy.role, self.input_location, list_keys=True)
        allow_write(copy.role, self.input_location)
        return copy

    def _copy_batch_function(self, source: BucketPrefix) -> PipelineFunction:
        copy_batch = PipelineFunction(
            self,
            "CopyBatch",
            handler="copy_batch.handler",
            description="Copies one batch of objects the copy step planned (a Distributed Map item)",
            timeout=Duration.minutes(15),
            memory_size=1024,
        )
        # The copy is pinned to the checked source version (HeadObject + CopyObject with If-Match).
        allow_read(copy_batch.role, source, list_keys=False)
        allow_write(copy_batch.role, self.input_location)
        return copy_batch

    def _rewrite_function(self) -> PipelineFunction:
        rewrite = PipelineFunction(
            self,
            "RewriteManifests",
            handler="rewrite_manifests.handler",
            description="Points the copied manifests and sequence files at the input location",
            timeout=Duration.minutes(5),
            memory_size=512,
        )
        allow_read(rewrite.role, self.input_location, list_keys=False)
        allow_write(rewrite.role, self.input_location)
        return rewrite

    def _create_function(self, workteam_arn: str) -> PipelineFunction:
        create = PipelineFunction(
            self,
            "CreateLabelingJob",
            handler="create_labeling_job.handler",
            description="Creates the Ground Truth labeling job",
            environment={"GROUND_TRUTH_ROLE_ARN": self.execution_role_arn, "WORKTEAM_ARN": workteam_arn},
            # CreateLabelingJob, then DescribeLabelingJob when the name is taken (a retry meeting its own job).
            timeout=timeout_for_sdk_calls(2),
        )
        self._allow_labeling_jobs(
            create,
            "sagemaker:CreateLabelingJob",
            conditions={"ArnEquals": {"sagemaker:WorkteamArn": workteam_arn}},
        )
        # The request carries Tags, so SageMaker also authorizes sagemaker:AddTags (a dependent action of
        # CreateLabelingJob in the Service Authorization Reference), here only for the execution tag.
        self._allow_labeling_jobs(
            create,
            "sagemaker:AddTags",
            conditions={"ForAllValues:StringEquals": {"aws:TagKeys": [EXECUTION_TAG_KEY]}},
        )
        self._allow_labeling_jobs(create, "sagemaker:DescribeLabelingJob")
        create.role.allow(
            actions=["iam:PassRole"],
            resources=[self.execution_role_arn],
            conditions={"StringEquals": {"iam:PassedToService": SAGEMAKER_SERVICE_PRINCIPAL}},
        )
        return create

    def _monitor_function(self) -> PipelineFunction:
        monitor = PipelineFunction(
            self,
            "MonitorLabelingJob",
            handler="monitor_labeling_job.handler",
            description="Reports the labeling job's status and when to look again",
            timeout=timeout_for_sdk_calls(1),
        )
        self._allow_labeling_jobs(monitor, "sagemaker:DescribeLabelingJob")
        return monitor

    def _stop_function(self) -> PipelineFunction:
        stop = PipelineFunction(
            self,
            "StopLabelingJob",
            handler="stop_labeling_job.handler",
            description="Stops the labeling job of a failed workflow execution",
            timeout=timeout_for_sdk_calls(2),
        )
        self._allow_labeling_jobs(stop, "sagemaker:DescribeLabelingJob")
        self._allow_labeling_jobs(stop, "sagemaker:StopLabelingJob")
        return stop

    def _prepare_follow_up_function(self) -> PipelineFunction:
        prepare = PipelineFunction(
            self,
            "PrepareFollowUpJob",
            handler="prepare_follow_up_job.handler",
            description="Prepares the adjustment job that reviews a completed labeling job's labels",
            # Copy the output manifest (CopyObject), read the label category file, write the adjustment's.
            timeout=timeout_for_sdk_calls(3),
        )
        allow_read(prepare.role, self.output_location, list_keys=False)
        allow_read(prepare.role, self.input_location, list_keys=False)
        allow_write(prepare.role, self.input_location)
        return prepare

    def _abandoned_execution_function(self) -> PipelineFunction:
        abandoned = PipelineFunction(
            self,
            "AbandonedExecution",
            handler="abandoned_execution.handler",
            description="Stops the labeling job of a workflow execution that ended without success, and says so",
            environment={"RESULTS_TOPIC_ARN": self.results_topic.topic_arn},
            # The history (a page per 1,000 events), then DescribeLabelingJob, StopLabelingJob and Publish.
            timeout=timeout_for_sdk_calls(8),
        )
        abandoned.role.allow(
            actions=["states:GetExecutionHistory"],
            resources=[executions_arn(self.state_machine)],
            wildcard_reason="Executions of the labeling workflow are named when they start; access is limited to "
            "that one state machine's executions.",
        )
        self._allow_labeling_jobs(abandoned, "sagemaker:DescribeLabelingJob")
        self._allow_labeling_jobs(abandoned, "sagemaker:StopLabelingJob")
        abandoned.role.allow(actions=["sns:Publish"], resources=[self.results_topic.topic_arn])
        return abandoned

    def _allow_labeling_jobs(
        self, function: PipelineFunction, action: str, *, conditions: dict[str, Any] | None = None
    ) -> None:
        function.role.allow(
            actions=[action],
            resources=[self.format_arn(service="sagemaker", resource="labeling-job", resource_name="*")],
            conditions=conditions,
            wildcard_reason="Labeling job names are chosen per execution; access is limited to labeling jobs of this "
            "account and region.",
        )


def _pascal(step: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in step.split("_"))
